//! `MsgBody` elements (reference §5.5): `{"MsgType": "TIMTextElem", "MsgContent": {...}}`.
//!
//! Numbers that Tencent documents as integers are `i64` here and floats `f64`, so a value a
//! client sends comes back unchanged.

use serde::{Deserialize, Serialize};

/// One element of a `MsgBody` array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "MsgType", content = "MsgContent")]
pub enum MsgElement {
    #[serde(rename = "TIMTextElem")]
    Text(TextElem),
    #[serde(rename = "TIMLocationElem")]
    Location(LocationElem),
    #[serde(rename = "TIMFaceElem")]
    Face(FaceElem),
    #[serde(rename = "TIMCustomElem")]
    Custom(CustomElem),
    #[serde(rename = "TIMSoundElem")]
    Sound(SoundElem),
    #[serde(rename = "TIMImageElem")]
    Image(ImageElem),
    #[serde(rename = "TIMFileElem")]
    File(FileElem),
    #[serde(rename = "TIMVideoFileElem")]
    Video(VideoFileElem),
    #[serde(rename = "TIMRelayElem")]
    Relay(RelayElem),
}

impl MsgElement {
    /// Tencent's `MsgType` string of this element.
    pub fn msg_type(&self) -> &'static str {
        match self {
            MsgElement::Text(_) => "TIMTextElem",
            MsgElement::Location(_) => "TIMLocationElem",
            MsgElement::Face(_) => "TIMFaceElem",
            MsgElement::Custom(_) => "TIMCustomElem",
            MsgElement::Sound(_) => "TIMSoundElem",
            MsgElement::Image(_) => "TIMImageElem",
            MsgElement::File(_) => "TIMFileElem",
            MsgElement::Video(_) => "TIMVideoFileElem",
            MsgElement::Relay(_) => "TIMRelayElem",
        }
    }
}

/// Every `MsgType` this crate knows.
pub const MSG_TYPES: [&str; 9] = [
    "TIMTextElem",
    "TIMLocationElem",
    "TIMFaceElem",
    "TIMCustomElem",
    "TIMSoundElem",
    "TIMImageElem",
    "TIMFileElem",
    "TIMVideoFileElem",
    "TIMRelayElem",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextElem {
    #[serde(rename = "Text")]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationElem {
    #[serde(rename = "Desc", default)]
    pub desc: String,
    #[serde(rename = "Latitude")]
    pub latitude: f64,
    #[serde(rename = "Longitude")]
    pub longitude: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceElem {
    #[serde(rename = "Index")]
    pub index: i64,
    #[serde(rename = "Data", default)]
    pub data: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomElem {
    #[serde(rename = "Data", default)]
    pub data: String,
    #[serde(rename = "Desc", default, skip_serializing_if = "String::is_empty")]
    pub desc: String,
    #[serde(rename = "Ext", default, skip_serializing_if = "String::is_empty")]
    pub ext: String,
    #[serde(rename = "Sound", default, skip_serializing_if = "String::is_empty")]
    pub sound: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SoundElem {
    #[serde(rename = "Url", default)]
    pub url: String,
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    #[serde(rename = "Size", default)]
    pub size: i64,
    #[serde(rename = "Second", default)]
    pub second: i64,
    #[serde(rename = "Download_Flag", default)]
    pub download_flag: i64,
}

/// `ImageInfoArray[].Type`: 1 original, 2 large, 3 thumbnail (not V2TIM's 0/1/2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    #[serde(rename = "Type")]
    pub kind: i64,
    #[serde(rename = "Size", default)]
    pub size: i64,
    #[serde(rename = "Width", default)]
    pub width: i64,
    #[serde(rename = "Height", default)]
    pub height: i64,
    #[serde(rename = "URL", default)]
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageElem {
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    /// JPG 1, GIF 2, PNG 3, BMP 4, other 255.
    #[serde(rename = "ImageFormat", default)]
    pub image_format: i64,
    #[serde(rename = "ImageInfoArray", default)]
    pub image_info_array: Vec<ImageInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileElem {
    #[serde(rename = "Url", default)]
    pub url: String,
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    #[serde(rename = "FileSize", default)]
    pub file_size: i64,
    #[serde(rename = "FileName", default)]
    pub file_name: String,
    #[serde(rename = "Download_Flag", default)]
    pub download_flag: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoFileElem {
    #[serde(rename = "VideoUrl", default)]
    pub video_url: String,
    #[serde(rename = "VideoUUID", default)]
    pub video_uuid: String,
    #[serde(rename = "VideoSize", default)]
    pub video_size: i64,
    #[serde(rename = "VideoSecond", default)]
    pub video_second: i64,
    #[serde(rename = "VideoFormat", default)]
    pub video_format: String,
    #[serde(rename = "VideoDownloadFlag", default)]
    pub video_download_flag: i64,
    #[serde(rename = "ThumbUrl", default)]
    pub thumb_url: String,
    #[serde(rename = "ThumbUUID", default)]
    pub thumb_uuid: String,
    #[serde(rename = "ThumbSize", default)]
    pub thumb_size: i64,
    #[serde(rename = "ThumbWidth", default)]
    pub thumb_width: i64,
    #[serde(rename = "ThumbHeight", default)]
    pub thumb_height: i64,
    #[serde(rename = "ThumbFormat", default)]
    pub thumb_format: String,
    #[serde(rename = "ThumbDownloadFlag", default)]
    pub thumb_download_flag: i64,
}

/// A merged (or forwarded) message list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RelayElem {
    #[serde(rename = "Title", default)]
    pub title: String,
    #[serde(rename = "MsgNum", default)]
    pub msg_num: i64,
    #[serde(rename = "CompatibleText", default)]
    pub compatible_text: String,
    #[serde(rename = "AbstractList", default)]
    pub abstract_list: Vec<String>,
    #[serde(rename = "MsgList", default, skip_serializing_if = "Vec::is_empty")]
    pub msg_list: Vec<RelayMsg>,
}

/// One message inside a `TIMRelayElem`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RelayMsg {
    #[serde(rename = "From_Account", default)]
    pub from_account: String,
    #[serde(
        rename = "To_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_account: Option<String>,
    #[serde(rename = "GroupId", default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: i64,
    #[serde(rename = "MsgRandom", default)]
    pub msg_random: i64,
    #[serde(rename = "MsgTimeStamp", default)]
    pub msg_time_stamp: i64,
    #[serde(rename = "MsgBody", default)]
    pub msg_body: Vec<MsgElement>,
    #[serde(
        rename = "CloudCustomData",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub cloud_custom_data: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_roundtrip_uses_tencent_names() {
        let e = MsgElement::Text(TextElem { text: "hi".into() });
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(s, r#"{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}"#);
        let back: MsgElement = serde_json::from_str(&s).unwrap();
        assert_eq!(back, e);
        let loc: MsgElement = serde_json::from_str(
            r#"{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"d","Latitude":1.5,"Longitude":-2}}"#,
        )
        .unwrap();
        assert_eq!(loc.msg_type(), "TIMLocationElem");
    }
}
