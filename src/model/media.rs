//! Image, sound, video and file elements: V2TIM's `V2TimImageElem`, `V2TimSoundElem`,
//! `V2TimVideoElem`, `V2TimFileElem` and their REST forms `TIMImageElem`,
//! `TIMSoundElem`, `TIMVideoFileElem`, `TIMFileElem`.
//!
//! A created element knows its local file(s) (`path`, ...) and what the create-time checks read
//! (size, image format and dimensions). The upload on send fills in UUID and URL(s); only then
//! does the REST form carry a downloadable element. Elements read from history have no local
//! path.

use super::json_object::{key, JsonObject};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::{Deserialize, Serialize as DeriveSerialize};
use v2im_wire::elem as wire;

/// REST `Download_Flag` for a URL the receiver downloads as it is (the only value REST accepts).
pub const DOWNLOAD_FLAG: i64 = 2;

/// V2TIM image types (`V2TIM_IMAGE_TYPE_*`), which number differently from REST's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// V2TIM 0, REST 1.
    Origin,
    /// V2TIM 1, REST 3: shorter side 198 px.
    Thumb,
    /// V2TIM 2, REST 2: shorter side 720 px.
    Large,
}

impl ImageKind {
    /// `V2TimImage.type`.
    pub fn v2tim(self) -> i32 {
        match self {
            ImageKind::Origin => 0,
            ImageKind::Thumb => 1,
            ImageKind::Large => 2,
        }
    }

    /// `ImageInfoArray[].Type`.
    pub fn rest(self) -> i64 {
        match self {
            ImageKind::Origin => 1,
            ImageKind::Large => 2,
            ImageKind::Thumb => 3,
        }
    }

    /// From a REST type; None for one Tencent does not define.
    pub fn from_rest(t: i64) -> Option<ImageKind> {
        match t {
            1 => Some(ImageKind::Origin),
            2 => Some(ImageKind::Large),
            3 => Some(ImageKind::Thumb),
            _ => None,
        }
    }

    /// Suffix of this rendition's `uuid` (V2TIM gives each image its own).
    fn uuid_suffix(self) -> &'static str {
        match self {
            ImageKind::Origin => "",
            ImageKind::Thumb => "_thumb",
            ImageKind::Large => "_large",
        }
    }
}

/// One `V2TimImage` (a rendition).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Which rendition.
    pub kind: ImageKind,
    /// Bytes.
    pub size: u64,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Download URL; empty until uploaded.
    pub url: String,
}

/// `imageElem {path, imageList}` ↔ `TIMImageElem {UUID, ImageFormat, ImageInfoArray}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageElem {
    /// `path`: the local file (empty for a received image).
    pub path: String,
    /// File name used for the upload (`imageName`, else the path's file name).
    pub name: String,
    /// REST `ImageFormat`: JPG 1, GIF 2, PNG 3, BMP 4, other 255.
    pub format: i64,
    /// `UUID` (content hash); empty until uploaded.
    pub uuid: String,
    /// `imageList`: origin, then thumb and large once uploaded (origin only before).
    pub images: Vec<Image>,
}

/// `soundElem` ↔ `TIMSoundElem {Url, UUID, Size, Second, Download_Flag}`.
#[derive(Debug, Clone, PartialEq)]
pub struct SoundElem {
    /// `path` (local file).
    pub path: String,
    /// `UUID`.
    pub uuid: String,
    /// `dataSize`, bytes.
    pub size: u64,
    /// `duration`, seconds.
    pub duration: i64,
    /// `url`.
    pub url: String,
}

/// `videoElem` ↔ `TIMVideoFileElem` (video and its snapshot image).
#[derive(Debug, Clone, PartialEq)]
pub struct VideoElem {
    /// `videoPath`.
    pub video_path: String,
    /// `videoType` ↔ `VideoFormat`, e.g. "mp4".
    pub video_type: String,
    /// `UUID` ↔ `VideoUUID`.
    pub video_uuid: String,
    /// `videoSize` ↔ `VideoSize`.
    pub video_size: u64,
    /// `duration` ↔ `VideoSecond`.
    pub duration: i64,
    /// `videoUrl` ↔ `VideoUrl`.
    pub video_url: String,
    /// `snapshotPath`.
    pub snapshot_path: String,
    /// `snapshotUUID` ↔ `ThumbUUID`.
    pub snapshot_uuid: String,
    /// `snapshotSize` ↔ `ThumbSize`.
    pub snapshot_size: u64,
    /// `snapshotWidth` ↔ `ThumbWidth`.
    pub snapshot_width: u32,
    /// `snapshotHeight` ↔ `ThumbHeight`.
    pub snapshot_height: u32,
    /// `snapshotUrl` ↔ `ThumbUrl`.
    pub snapshot_url: String,
    /// `ThumbFormat`: "jpg", "gif", "png" or "bmp".
    pub snapshot_format: String,
}

/// `fileElem` ↔ `TIMFileElem {Url, UUID, FileSize, FileName, Download_Flag}`.
#[derive(Debug, Clone, PartialEq)]
pub struct FileElem {
    /// `path`.
    pub path: String,
    /// `fileName`.
    pub file_name: String,
    /// `UUID`.
    pub uuid: String,
    /// `fileSize`.
    pub size: u64,
    /// `url`.
    pub url: String,
}

/// The local side of a media element that its REST form does not carry: what the store keeps
/// next to the REST body so a send resumed after a restart can still upload.
#[derive(Debug, Clone, Default, PartialEq, DeriveSerialize, Deserialize)]
pub struct LocalFiles {
    /// The element's file (image, sound, video, file).
    pub path: String,
    /// Upload name (image, file).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The video's snapshot.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub snapshot: String,
}

/// A size as REST's signed number.
fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn px(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// REST `ImageFormat` as the snapshot's `ThumbFormat` text.
pub fn format_name(format: i64) -> &'static str {
    match format {
        1 => "jpg",
        2 => "gif",
        3 => "png",
        4 => "bmp",
        _ => "",
    }
}

impl ImageElem {
    /// The origin rendition, if listed.
    pub fn origin(&self) -> Option<&Image> {
        self.images.iter().find(|i| i.kind == ImageKind::Origin)
    }

    /// Uploaded: every rendition has a URL.
    pub fn is_uploaded(&self) -> bool {
        !self.uuid.is_empty()
            && !self.images.is_empty()
            && self.images.iter().all(|i| !i.url.is_empty())
    }

    pub fn to_wire(&self) -> wire::ImageElem {
        // REST lists origin, large, thumb (types 1, 2, 3).
        let mut list: Vec<&Image> = self.images.iter().collect();
        list.sort_by_key(|i| i.kind.rest());
        wire::ImageElem {
            uuid: self.uuid.clone(),
            image_format: self.format,
            image_info_array: list
                .into_iter()
                .map(|i| wire::ImageInfo {
                    kind: i.kind.rest(),
                    size: n(i.size),
                    width: i64::from(i.width),
                    height: i64::from(i.height),
                    url: i.url.clone(),
                })
                .collect(),
        }
    }

    pub fn from_wire(w: &wire::ImageElem) -> ImageElem {
        let mut images: Vec<Image> = w
            .image_info_array
            .iter()
            .filter_map(|i| {
                Some(Image {
                    kind: ImageKind::from_rest(i.kind)?,
                    size: u(i.size),
                    width: px(i.width),
                    height: px(i.height),
                    url: i.url.clone(),
                })
            })
            .collect();
        // V2TIM order: origin 0, thumb 1, large 2.
        images.sort_by_key(|i| i.kind.v2tim());
        ImageElem {
            path: String::new(),
            name: String::new(),
            format: w.image_format,
            uuid: w.uuid.clone(),
            images,
        }
    }
}

impl SoundElem {
    pub fn to_wire(&self) -> wire::SoundElem {
        wire::SoundElem {
            url: self.url.clone(),
            uuid: self.uuid.clone(),
            size: n(self.size),
            second: self.duration,
            download_flag: DOWNLOAD_FLAG,
        }
    }

    pub fn from_wire(w: &wire::SoundElem) -> SoundElem {
        SoundElem {
            path: String::new(),
            uuid: w.uuid.clone(),
            size: u(w.size),
            duration: w.second,
            url: w.url.clone(),
        }
    }
}

impl VideoElem {
    pub fn to_wire(&self) -> wire::VideoFileElem {
        wire::VideoFileElem {
            video_url: self.video_url.clone(),
            video_uuid: self.video_uuid.clone(),
            video_size: n(self.video_size),
            video_second: self.duration,
            video_format: self.video_type.clone(),
            video_download_flag: DOWNLOAD_FLAG,
            thumb_url: self.snapshot_url.clone(),
            thumb_uuid: self.snapshot_uuid.clone(),
            thumb_size: n(self.snapshot_size),
            thumb_width: i64::from(self.snapshot_width),
            thumb_height: i64::from(self.snapshot_height),
            thumb_format: self.snapshot_format.clone(),
            thumb_download_flag: DOWNLOAD_FLAG,
        }
    }

    pub fn from_wire(w: &wire::VideoFileElem) -> VideoElem {
        VideoElem {
            video_path: String::new(),
            video_type: w.video_format.clone(),
            video_uuid: w.video_uuid.clone(),
            video_size: u(w.video_size),
            duration: w.video_second,
            video_url: w.video_url.clone(),
            snapshot_path: String::new(),
            snapshot_uuid: w.thumb_uuid.clone(),
            snapshot_size: u(w.thumb_size),
            snapshot_width: px(w.thumb_width),
            snapshot_height: px(w.thumb_height),
            snapshot_url: w.thumb_url.clone(),
            snapshot_format: w.thumb_format.clone(),
        }
    }
}

impl FileElem {
    pub fn to_wire(&self) -> wire::FileElem {
        wire::FileElem {
            url: self.url.clone(),
            uuid: self.uuid.clone(),
            file_size: n(self.size),
            file_name: self.file_name.clone(),
            download_flag: DOWNLOAD_FLAG,
        }
    }

    pub fn from_wire(w: &wire::FileElem) -> FileElem {
        FileElem {
            path: String::new(),
            file_name: w.file_name.clone(),
            uuid: w.uuid.clone(),
            size: u(w.file_size),
            url: w.url.clone(),
        }
    }
}

/// `V2TimImage` JSON of one rendition of `elem`.
struct ImageJson<'a> {
    elem: &'a ImageElem,
    image: &'a Image,
}

impl Serialize for ImageJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.image;
        let mut m = s.serialize_map(Some(7))?;
        let uuid = if self.elem.uuid.is_empty() {
            String::new()
        } else {
            format!("{}{}", self.elem.uuid, i.kind.uuid_suffix())
        };
        m.serialize_entry("uuid", &uuid)?;
        m.serialize_entry("type", &i.kind.v2tim())?;
        m.serialize_entry("size", &i.size)?;
        m.serialize_entry("width", &i.width)?;
        m.serialize_entry("height", &i.height)?;
        m.serialize_entry("url", &i.url)?;
        let local = if i.kind == ImageKind::Origin {
            &self.elem.path
        } else {
            ""
        };
        m.serialize_entry("localUrl", local)?;
        m.end()
    }
}

/// `V2TimImageElem` keys (after `elemType`).
pub(crate) fn image_json(m: &mut JsonObject<'_>, e: &ImageElem) {
    m.entry(key!("path"), &e.path);
    // Not a V2TIM key; C's `image_elem_format` (JPG 1, GIF 2, PNG 3, BMP 4, 255 other).
    m.entry(key!("imageFormat"), &e.format);
    let list: Vec<ImageJson> = e
        .images
        .iter()
        .map(|image| ImageJson { elem: e, image })
        .collect();
    m.entry(key!("imageList"), &list);
}

/// `V2TimSoundElem` keys.
pub(crate) fn sound_json(m: &mut JsonObject<'_>, e: &SoundElem) {
    m.entry(key!("path"), &e.path);
    m.entry(key!("UUID"), &e.uuid);
    m.entry(key!("dataSize"), &e.size);
    m.entry(key!("duration"), &e.duration);
    m.entry(key!("url"), &e.url);
    m.entry(key!("localUrl"), &e.path);
}

/// `V2TimVideoElem` keys.
pub(crate) fn video_json(m: &mut JsonObject<'_>, e: &VideoElem) {
    m.entry(key!("videoPath"), &e.video_path);
    m.entry(key!("UUID"), &e.video_uuid);
    m.entry(key!("videoSize"), &e.video_size);
    m.entry(key!("duration"), &e.duration);
    m.entry(key!("videoType"), &e.video_type);
    m.entry(key!("videoUrl"), &e.video_url);
    m.entry(key!("snapshotPath"), &e.snapshot_path);
    m.entry(key!("snapshotUUID"), &e.snapshot_uuid);
    m.entry(key!("snapshotSize"), &e.snapshot_size);
    m.entry(key!("snapshotWidth"), &e.snapshot_width);
    m.entry(key!("snapshotHeight"), &e.snapshot_height);
    m.entry(key!("snapshotUrl"), &e.snapshot_url);
    m.entry(key!("localVideoUrl"), &e.video_path);
    m.entry(key!("localSnapshotUrl"), &e.snapshot_path);
}

/// `V2TimFileElem` keys.
pub(crate) fn file_json(m: &mut JsonObject<'_>, e: &FileElem) {
    m.entry(key!("path"), &e.path);
    m.entry(key!("fileName"), &e.file_name);
    m.entry(key!("UUID"), &e.uuid);
    m.entry(key!("url"), &e.url);
    m.entry(key!("fileSize"), &e.size);
    m.entry(key!("localUrl"), &e.path);
}
