//! Create-time checks of a media file, as V2TIM makes them, without touching the network:
//! exists (7004), is a readable regular file (7007), is not empty (7006), is within its limit
//! (7005), and for images is a real JPG/GIF/PNG/BMP (6031) whose format and dimensions come from
//! its header (the `imagesize` crate reads only the header, never the pixels).
//!
//! Nothing here opens anything that is not a regular file: opening a FIFO would block.

use crate::codes::{self, Error, Result};
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};

/// Tencent's limits: image and sound 28 MB, video and file 100 MB.
pub const MAX_IMAGE_BYTES: u64 = 28 * 1024 * 1024;
pub const MAX_SOUND_BYTES: u64 = 28 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: u64 = 100 * 1024 * 1024;
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// What the header of an image says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageHeader {
    /// REST `ImageFormat`: JPG 1, GIF 2, PNG 3, BMP 4.
    pub format: i64,
    pub width: u32,
    pub height: u32,
    /// File size in bytes.
    pub size: u64,
}

/// Checks `path` (the value of parameter `param`) and returns its size.
pub fn check_file(param: &str, path: &str, max: u64) -> Result<u64> {
    if path.is_empty() {
        return Err(Error::new(
            codes::ERR_FILE_NOT_FOUND,
            format!("{param} is empty: no file given"),
        ));
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::new(
                codes::ERR_FILE_NOT_FOUND,
                format!("{param} is not found: {path}"),
            ))
        }
        Err(e) => {
            return Err(Error::new(
                codes::ERR_FILE_OPEN_FAILED,
                format!("{param}: cannot read {path}: {e}"),
            ))
        }
    };
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(Error::new(
            codes::ERR_FILE_OPEN_FAILED,
            format!("{param}: {path} is {what}"),
        ));
    }
    let size = meta.len();
    if size == 0 {
        return Err(Error::new(
            codes::ERR_FILE_SIZE_EMPTY,
            format!("{param}: {path} is empty"),
        ));
    }
    if size > max {
        return Err(Error::new(
            codes::ERR_FILE_TOO_LARGE,
            format!("{param}: {path} has {size} bytes; the limit is {max}"),
        ));
    }
    // Readable now (permissions); the upload opens it again on send.
    File::open(path).map_err(|e| {
        Error::new(
            codes::ERR_FILE_OPEN_FAILED,
            format!("{param}: cannot open {path}: {e}"),
        )
    })?;
    Ok(size)
}

/// Checks an image file: [`check_file`] with the 28 MB limit, then its header.
pub fn check_image(param: &str, path: &str) -> Result<ImageHeader> {
    let size = check_file(param, path, MAX_IMAGE_BYTES)?;
    let not_image = |why: String| {
        Error::new(
            codes::ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE,
            format!("{param}: {path} is not a JPG, GIF, PNG or BMP image ({why})"),
        )
    };
    let file = File::open(path).map_err(|e| {
        Error::new(
            codes::ERR_FILE_OPEN_FAILED,
            format!("{param}: cannot open {path}: {e}"),
        )
    })?;
    let mut reader = BufReader::new(file);
    let kind = imagesize::reader_type(&mut reader).map_err(|e| not_image(e.to_string()))?;
    let format = match kind {
        imagesize::ImageType::Jpeg => 1,
        imagesize::ImageType::Gif => 2,
        imagesize::ImageType::Png => 3,
        imagesize::ImageType::Bmp => 4,
        #[allow(unreachable_patterns)]
        other => return Err(not_image(format!("{other:?}"))),
    };
    // Detecting the type consumed the first bytes; the size reader starts from the top again.
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| not_image(e.to_string()))?;
    let dim = imagesize::reader_size(&mut reader).map_err(|e| not_image(e.to_string()))?;
    let (Ok(width), Ok(height)) = (u32::try_from(dim.width), u32::try_from(dim.height)) else {
        return Err(not_image("dimensions out of range".into()));
    };
    if width == 0 || height == 0 {
        return Err(not_image("zero width or height".into()));
    }
    Ok(ImageHeader {
        format,
        width,
        height,
        size,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_string_lossy().into_owned()
    }

    /// A 3x2 24-bit BMP, written by hand.
    pub(crate) fn tiny_bmp() -> Vec<u8> {
        let row = 3 * 3 + 3; // padded to 4 bytes
        let data = row * 2;
        let mut b = Vec::new();
        b.extend_from_slice(b"BM");
        b.extend_from_slice(&((54 + data) as u32).to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&54u32.to_le_bytes());
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&3i32.to_le_bytes());
        b.extend_from_slice(&2i32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&24u16.to_le_bytes());
        b.extend_from_slice(&[0; 24]);
        b.extend(std::iter::repeat_n(0x7f, data));
        b
    }

    #[test]
    fn codes_of_each_problem() {
        let d = tempfile::tempdir().unwrap();
        let code = |r: Result<u64>| r.unwrap_err().code;
        let missing = d.path().join("nope").to_string_lossy().into_owned();
        assert_eq!(code(check_file("p", &missing, 10)), 7004);
        assert_eq!(code(check_file("p", "", 10)), 7004);
        let empty = write(d.path(), "e", b"");
        assert_eq!(code(check_file("p", &empty, 10)), 7006);
        let big = write(d.path(), "b", b"12345678901");
        assert_eq!(code(check_file("p", &big, 10)), 7005);
        assert_eq!(check_file("p", &big, 11).unwrap(), 11);
        let dir = d.path().to_string_lossy().into_owned();
        assert_eq!(code(check_file("p", &dir, 10)), 7007);
        let text = write(d.path(), "t.png", b"not an image at all");
        assert_eq!(check_image("p", &text).unwrap_err().code, 6031);
        let bmp = write(d.path(), "x.bmp", &tiny_bmp());
        let h = check_image("p", &bmp).unwrap();
        assert_eq!((h.format, h.width, h.height), (4, 3, 2));
    }
}
