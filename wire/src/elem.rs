//! `MsgBody` elements: `{"MsgType": "TIMTextElem", "MsgContent": {...}}`.
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TextElem {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocationElem {
    #[serde(default)]
    pub desc: String,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaceElem {
    pub index: i64,
    #[serde(default)]
    pub data: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomElem {
    #[serde(default)]
    pub data: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub desc: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ext: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sound: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SoundElem {
    #[serde(default)]
    pub url: String,
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub second: i64,
    #[serde(rename = "Download_Flag", default)]
    pub download_flag: i64,
}

/// `ImageInfoArray[].Type`: 1 original, 2 large, 3 thumbnail (not V2TIM's 0/1/2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInfo {
    #[serde(rename = "Type")]
    pub kind: i64,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub width: i64,
    #[serde(default)]
    pub height: i64,
    #[serde(rename = "URL", default)]
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageElem {
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    /// JPG 1, GIF 2, PNG 3, BMP 4, other 255.
    #[serde(default)]
    pub image_format: i64,
    #[serde(default)]
    pub image_info_array: Vec<ImageInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileElem {
    #[serde(default)]
    pub url: String,
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    #[serde(default)]
    pub file_size: i64,
    #[serde(default)]
    pub file_name: String,
    #[serde(rename = "Download_Flag", default)]
    pub download_flag: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VideoFileElem {
    #[serde(default)]
    pub video_url: String,
    #[serde(rename = "VideoUUID", default)]
    pub video_uuid: String,
    #[serde(default)]
    pub video_size: i64,
    #[serde(default)]
    pub video_second: i64,
    #[serde(default)]
    pub video_format: String,
    #[serde(default)]
    pub video_download_flag: i64,
    #[serde(default)]
    pub thumb_url: String,
    #[serde(rename = "ThumbUUID", default)]
    pub thumb_uuid: String,
    #[serde(default)]
    pub thumb_size: i64,
    #[serde(default)]
    pub thumb_width: i64,
    #[serde(default)]
    pub thumb_height: i64,
    #[serde(default)]
    pub thumb_format: String,
    #[serde(default)]
    pub thumb_download_flag: i64,
}

/// A merged (or forwarded) message list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RelayElem {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub msg_num: i64,
    #[serde(default)]
    pub compatible_text: String,
    #[serde(default)]
    pub abstract_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub msg_list: Vec<RelayMsg>,
}

/// How many layers of mergers a `MsgBody` nests: 0 without a `TIMRelayElem`, 1 for a merger
/// of messages without one, and so on (see [`crate::codes::limits::MAX_MERGER_LAYERS`]).
/// Iterative, so that no body, however deep, can exhaust the stack here.
pub fn relay_layers(body: &[MsgElement]) -> usize {
    let mut deepest = 0;
    let mut todo = vec![(body, 0)];
    while let Some((elems, depth)) = todo.pop() {
        for e in elems {
            if let MsgElement::Relay(r) = e {
                deepest = deepest.max(depth + 1);
                todo.extend(
                    r.msg_list
                        .iter()
                        .map(|m| (m.msg_body.as_slice(), depth + 1)),
                );
            }
        }
    }
    deepest
}

/// One message inside a `TIMRelayElem`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RelayMsg {
    #[serde(rename = "From_Account", default)]
    pub from_account: String,
    #[serde(rename = "To_Account", skip_serializing_if = "Option::is_none")]
    pub to_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default)]
    pub msg_seq: i64,
    #[serde(default)]
    pub msg_random: i64,
    #[serde(default)]
    pub msg_time_stamp: i64,
    #[serde(default)]
    pub msg_body: Vec<MsgElement>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
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

    /// Every element with every field set, and its JSON with Tencent's keys.
    fn every_element() -> (Vec<MsgElement>, serde_json::Value) {
        let relay_msg = RelayMsg {
            from_account: "a".into(),
            to_account: Some("b".into()),
            group_id: Some("g".into()),
            msg_seq: 1,
            msg_random: 2,
            msg_time_stamp: 3,
            msg_body: vec![MsgElement::Text(TextElem { text: "in".into() })],
            cloud_custom_data: "c".into(),
        };
        let elems = vec![
            MsgElement::Text(TextElem { text: "t".into() }),
            MsgElement::Location(LocationElem {
                desc: "d".into(),
                latitude: 1.5,
                longitude: -2.5,
            }),
            MsgElement::Face(FaceElem {
                index: 3,
                data: "f".into(),
            }),
            MsgElement::Custom(CustomElem {
                data: "da".into(),
                desc: "de".into(),
                ext: "e".into(),
                sound: "s".into(),
            }),
            MsgElement::Sound(SoundElem {
                url: "u".into(),
                uuid: "id".into(),
                size: 4,
                second: 5,
                download_flag: 2,
            }),
            MsgElement::Image(ImageElem {
                uuid: "img".into(),
                image_format: 1,
                image_info_array: vec![ImageInfo {
                    kind: 1,
                    size: 6,
                    width: 7,
                    height: 8,
                    url: "iu".into(),
                }],
            }),
            MsgElement::File(FileElem {
                url: "fu".into(),
                uuid: "fid".into(),
                file_size: 9,
                file_name: "n.txt".into(),
                download_flag: 2,
            }),
            MsgElement::Video(VideoFileElem {
                video_url: "vu".into(),
                video_uuid: "vid".into(),
                video_size: 10,
                video_second: 11,
                video_format: "mp4".into(),
                video_download_flag: 2,
                thumb_url: "tu".into(),
                thumb_uuid: "tid".into(),
                thumb_size: 12,
                thumb_width: 13,
                thumb_height: 14,
                thumb_format: "JPG".into(),
                thumb_download_flag: 2,
            }),
            MsgElement::Relay(RelayElem {
                title: "ti".into(),
                msg_num: 1,
                compatible_text: "ct".into(),
                abstract_list: vec!["ab".into()],
                msg_list: vec![relay_msg],
            }),
        ];
        let json = serde_json::json!([
            {"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}},
            {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "d", "Latitude": 1.5, "Longitude": -2.5}},
            {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 3, "Data": "f"}},
            {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "da", "Desc": "de", "Ext": "e", "Sound": "s"}},
            {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "u", "UUID": "id", "Size": 4, "Second": 5, "Download_Flag": 2}},
            {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "img", "ImageFormat": 1, "ImageInfoArray": [
                {"Type": 1, "Size": 6, "Width": 7, "Height": 8, "URL": "iu"}]}},
            {"MsgType": "TIMFileElem", "MsgContent": {"Url": "fu", "UUID": "fid", "FileSize": 9, "FileName": "n.txt", "Download_Flag": 2}},
            {"MsgType": "TIMVideoFileElem", "MsgContent": {"VideoUrl": "vu", "VideoUUID": "vid", "VideoSize": 10,
                "VideoSecond": 11, "VideoFormat": "mp4", "VideoDownloadFlag": 2, "ThumbUrl": "tu", "ThumbUUID": "tid",
                "ThumbSize": 12, "ThumbWidth": 13, "ThumbHeight": 14, "ThumbFormat": "JPG", "ThumbDownloadFlag": 2}},
            {"MsgType": "TIMRelayElem", "MsgContent": {"Title": "ti", "MsgNum": 1, "CompatibleText": "ct",
                "AbstractList": ["ab"], "MsgList": [{"From_Account": "a", "To_Account": "b", "GroupId": "g",
                    "MsgSeq": 1, "MsgRandom": 2, "MsgTimeStamp": 3,
                    "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "in"}}], "CloudCustomData": "c"}]}}
        ]);
        (elems, json)
    }

    #[test]
    fn every_element_keeps_tencents_keys() {
        let (elems, json) = every_element();
        assert_eq!(serde_json::to_value(&elems).unwrap(), json);
        let back: Vec<MsgElement> = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, elems);
        for (e, j) in elems.iter().zip(json.as_array().unwrap()) {
            assert_eq!(e.msg_type(), j["MsgType"]);
        }
        // Empty optional strings and lists are left out.
        let custom = MsgElement::Custom(CustomElem {
            data: "d".into(),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_value(&custom).unwrap(),
            serde_json::json!({"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d"}})
        );
        assert_eq!(
            serde_json::to_value(RelayMsg::default()).unwrap(),
            serde_json::json!({"From_Account": "", "MsgSeq": 0, "MsgRandom": 0, "MsgTimeStamp": 0, "MsgBody": []})
        );
    }

    /// History elements come from Tencent's cloud too, which adds fields over time.
    #[test]
    fn elements_accept_unknown_keys() {
        let (elems, mut json) = every_element();
        for e in json.as_array_mut().unwrap() {
            e["MsgContent"]["NewField"] = serde_json::json!(1);
            e["NewField"] = serde_json::json!("x");
        }
        json[5]["MsgContent"]["ImageInfoArray"][0]["NewField"] = serde_json::json!(2);
        json[8]["MsgContent"]["MsgList"][0]["NewField"] = serde_json::json!(3);
        let back: Vec<MsgElement> = serde_json::from_value(json).unwrap();
        assert_eq!(back, elems);
    }

    /// `elems` merged `layers` times, one merger around the other.
    fn merged(elems: Vec<MsgElement>, layers: usize) -> Vec<MsgElement> {
        (0..layers).fold(elems, |body, _| {
            vec![MsgElement::Relay(RelayElem {
                msg_num: 1,
                abstract_list: vec!["a".into()],
                msg_list: vec![RelayMsg {
                    msg_body: body,
                    ..Default::default()
                }],
                ..Default::default()
            })]
        })
    }

    #[test]
    fn relay_layers_counts_the_deepest_branch() {
        let text = || MsgElement::Text(TextElem { text: "t".into() });
        assert_eq!(relay_layers(&[]), 0);
        assert_eq!(relay_layers(&[text()]), 0);
        assert_eq!(relay_layers(&merged(vec![text()], 1)), 1);
        let mut body = merged(vec![text()], 3);
        body.extend(merged(vec![text()], 5));
        body.push(text());
        assert_eq!(relay_layers(&merged(body, 2)), 7);
        // An empty merger counts as a layer.
        assert_eq!(relay_layers(&merged(Vec::new(), 4)), 4);
    }

    /// The deepest level of brackets in a JSON text.
    fn json_depth(s: &str) -> usize {
        let (mut depth, mut deepest, mut in_str, mut escaped) = (0usize, 0, false, false);
        for b in s.bytes() {
            match (in_str, b) {
                (true, _) if escaped => escaped = false,
                (true, b'\\') => escaped = true,
                (true, b'"') | (false, b'"') => in_str = !in_str,
                (false, b'[' | b'{') => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                (false, b']' | b'}') => depth -= 1,
                _ => {}
            }
        }
        deepest
    }

    /// The limit is about what clients can read: a message at the limit, with the element that
    /// nests deepest (an image) inside, in every answer that carries messages, stays well within
    /// serde_json's default of 127 levels.
    #[test]
    fn a_message_at_the_merger_limit_fits_every_answer_with_room_to_spare() {
        use crate::c2c::{GetRecentContactResponse, GetRoamMsgResponse, RoamMsg, SessionItem};
        use crate::channel::Event;
        use crate::codes::limits::MAX_MERGER_LAYERS;
        use crate::group::{GroupMsg, GroupMsgGetSimpleResponse};
        /// What serde_json parses by default (it refuses the 128th level).
        const PARSER_DEPTH: usize = 127;
        /// Room left for whatever wraps an answer later.
        const SPARE: usize = 32;

        let image = MsgElement::Image(ImageElem {
            image_info_array: vec![ImageInfo::default()],
            ..Default::default()
        });
        let body = merged(vec![image], MAX_MERGER_LAYERS);
        assert_eq!(relay_layers(&body), MAX_MERGER_LAYERS);
        let roam = RoamMsg {
            msg_body: body.clone(),
            ..Default::default()
        };
        let group = GroupMsg {
            msg_body: body,
            ..Default::default()
        };
        let c2c_json = serde_json::to_string(&roam).unwrap();
        let group_json = serde_json::to_string(&group).unwrap();
        let session = SessionItem {
            c2c_last_msg: Some(roam.clone()),
            ..Default::default()
        };
        let answers = [
            serde_json::to_string(&GetRoamMsgResponse {
                msg_list: vec![roam],
                ..Default::default()
            })
            .unwrap(),
            serde_json::to_string(&GroupMsgGetSimpleResponse {
                rsp_msg_list: vec![group],
                ..Default::default()
            })
            .unwrap(),
            serde_json::to_string(&GetRecentContactResponse {
                session_item: vec![session.clone()],
                ..Default::default()
            })
            .unwrap(),
            format!(r#"{{"Event":"C2cMsg","Cursor":1,"Msg":{c2c_json}}}"#),
            format!(r#"{{"Event":"GroupMsg","Cursor":1,"GroupId":"g","Msg":{group_json}}}"#),
            format!(
                r#"{{"Event":"Conversation","AllUnreadMsgNum":0,"Item":{}}}"#,
                serde_json::to_string(&session).unwrap()
            ),
        ];
        let deepest = answers.iter().map(|a| json_depth(a)).max().unwrap();
        // As `MAX_MERGER_LAYERS` documents it: `recentcontact/get_list` is the deepest.
        assert_eq!(deepest, 5 * MAX_MERGER_LAYERS + 9);
        assert!(deepest + SPARE <= PARSER_DEPTH, "{deepest} levels");
        for (i, a) in answers.iter().enumerate() {
            let wrapped = format!("{}{a}{}", "[".repeat(SPARE), "]".repeat(SPARE));
            serde_json::from_str::<serde_json::Value>(&wrapped)
                .unwrap_or_else(|e| panic!("answer {i}: {e}"));
        }
        let _: GetRoamMsgResponse = serde_json::from_str(&answers[0]).unwrap();
        let _: GroupMsgGetSimpleResponse = serde_json::from_str(&answers[1]).unwrap();
        let _: GetRecentContactResponse = serde_json::from_str(&answers[2]).unwrap();
        for line in &answers[3..] {
            let _: Event = serde_json::from_str(line).unwrap();
        }
    }
}
