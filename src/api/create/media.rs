//! Image, sound, video and file messages: the file checks of `upload::check` (7004 missing,
//! 7007 unreadable, 7006 empty, 7005 over the limit, 6031 not an image), local only; the upload
//! happens on send.

use super::{created, new_message};
use crate::api::methods::Local;
use crate::api::LocalData;
use crate::codes::Result;
use crate::model::media::format_name;
use crate::model::{Elem, FileElem, Image, ImageElem, ImageKind, SoundElem, VideoElem};
use crate::params::{Int, Params};
use crate::upload::check;
use serde::Deserialize;

/// A duration in seconds (the C API's `int`).
type Seconds = Int<0, { i32::MAX as i64 }>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageParams {
    image_path: String,
    image_name: Option<String>,
}

pub(crate) fn image(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: ImageParams = v.read()?;
    let h = check::check_image("imagePath", &p.image_path)?;
    let elem = ImageElem {
        path: p.image_path,
        name: p.image_name.unwrap_or_default(),
        format: h.format,
        uuid: String::new(),
        images: vec![Image {
            kind: ImageKind::Origin,
            size: h.size,
            width: h.width,
            height: h.height,
            url: String::new(),
        }],
    };
    created(local, new_message(local, Elem::Image(Box::new(elem))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SoundParams {
    sound_path: String,
    duration: Seconds,
}

pub(crate) fn sound(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: SoundParams = v.read()?;
    let size = check::check_file("soundPath", &p.sound_path, check::MAX_SOUND_BYTES)?;
    let elem = SoundElem {
        path: p.sound_path,
        uuid: String::new(),
        size,
        duration: p.duration.0,
        url: String::new(),
    };
    created(local, new_message(local, Elem::Sound(Box::new(elem))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VideoParams {
    video_file_path: String,
    #[serde(rename = "type")]
    video_type: String,
    duration: Seconds,
    snapshot_path: String,
}

pub(crate) fn video(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: VideoParams = v.read()?;
    let size = check::check_file("videoFilePath", &p.video_file_path, check::MAX_VIDEO_BYTES)?;
    let h = check::check_image("snapshotPath", &p.snapshot_path)?;
    let elem = VideoElem {
        video_path: p.video_file_path,
        video_type: p.video_type,
        video_uuid: String::new(),
        video_size: size,
        duration: p.duration.0,
        video_url: String::new(),
        snapshot_path: p.snapshot_path,
        snapshot_uuid: String::new(),
        snapshot_size: h.size,
        snapshot_width: h.width,
        snapshot_height: h.height,
        snapshot_url: String::new(),
        snapshot_format: format_name(h.format).to_owned(),
    };
    created(local, new_message(local, Elem::Video(Box::new(elem))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileParams {
    file_path: String,
    file_name: String,
}

pub(crate) fn file(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: FileParams = v.read()?;
    let size = check::check_file("filePath", &p.file_path, check::MAX_FILE_BYTES)?;
    // V2TIM requires fileName; an empty one is the file's own name.
    let file_name = if p.file_name.is_empty() {
        crate::upload::base_name(&p.file_path).to_owned()
    } else {
        p.file_name
    };
    let elem = FileElem {
        path: p.file_path,
        file_name,
        uuid: String::new(),
        size,
        url: String::new(),
    };
    created(local, new_message(local, Elem::File(Box::new(elem))))
}
