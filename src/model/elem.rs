//! Message elements: V2TIM's element objects and their REST `MsgBody` form.
//!
//! Image, sound, video and file elements live in `media`.

use super::json_object::{key, serialize_object, JsonObject, Key};
use super::media::{self, FileElem, ImageElem, LocalFiles, SoundElem, VideoElem};
use super::message::Message;
use super::status::ElemType;
use serde::ser::{Serialize, SerializeMap, Serializer};
use v2im_wire::elem as wire;
use v2im_wire::MsgElement;

/// One element of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem {
    /// `textElem {text}` ↔ `TIMTextElem {Text}`.
    Text {
        /// The text.
        text: String,
    },
    /// `customElem {data, desc, extension}` ↔ `TIMCustomElem {Data, Desc, Ext}`.
    Custom {
        /// The payload.
        data: String,
        /// Offline push text.
        desc: String,
        /// Delivered as the push's `ext`.
        extension: String,
    },
    /// `locationElem {desc, longitude, latitude}` ↔ `TIMLocationElem {Desc, Longitude, Latitude}`.
    Location {
        /// Place description.
        desc: String,
        /// In [-180, 180].
        longitude: f64,
        /// In [-90, 90].
        latitude: f64,
    },
    /// `faceElem {index, data}` ↔ `TIMFaceElem {Index, Data}`.
    Face {
        /// Face index (opaque to the SDK).
        index: i64,
        /// Face data (opaque to the SDK).
        data: String,
    },
    /// `mergerElem` ↔ `TIMRelayElem`. Boxed: it holds whole messages.
    Merger(Box<MergerElem>),
    /// `imageElem` ↔ `TIMImageElem`.
    Image(Box<ImageElem>),
    /// `soundElem` ↔ `TIMSoundElem`.
    Sound(Box<SoundElem>),
    /// `videoElem` ↔ `TIMVideoFileElem`.
    Video(Box<VideoElem>),
    /// `fileElem` ↔ `TIMFileElem`.
    File(Box<FileElem>),
}

/// A merger (combined-and-forwarded) element.
#[derive(Debug, Clone, PartialEq)]
pub struct MergerElem {
    /// `title`.
    pub title: String,
    /// At most 5 entries of at most 100 UTF-8 bytes each (cut by `createMergerMessage`).
    pub abstract_list: Vec<String>,
    /// Shown by clients that cannot show mergers.
    pub compatible_text: String,
    /// V2TIM sets this when the nesting is deeper than the SDK can show; v2im refuses such
    /// mergers at creation (`limits::MAX_MERGER_LAYERS`), so it is false unless read from
    /// elsewhere.
    pub is_layers_over_limit: bool,
    /// The merged messages (copies, without local custom data).
    pub messages: Vec<Message>,
}

impl MergerElem {
    /// Nesting depth: 1 for a merger of plain messages.
    pub fn layers(&self) -> usize {
        1 + self
            .messages
            .iter()
            .map(Message::merger_layers)
            .max()
            .unwrap_or(0)
    }
}

impl Elem {
    /// V2TIM's element type.
    pub fn elem_type(&self) -> ElemType {
        match self {
            Elem::Text { .. } => ElemType::Text,
            Elem::Custom { .. } => ElemType::Custom,
            Elem::Location { .. } => ElemType::Location,
            Elem::Face { .. } => ElemType::Face,
            Elem::Merger(_) => ElemType::Merger,
            Elem::Image(_) => ElemType::Image,
            Elem::Sound(_) => ElemType::Sound,
            Elem::Video(_) => ElemType::Video,
            Elem::File(_) => ElemType::File,
        }
    }

    /// The local files of a media element (None for other elements).
    pub fn local_files(&self) -> Option<LocalFiles> {
        let (path, name, snapshot) = match self {
            Elem::Image(e) => (&e.path, e.name.as_str(), ""),
            Elem::Sound(e) => (&e.path, "", ""),
            Elem::Video(e) => (&e.video_path, "", e.snapshot_path.as_str()),
            Elem::File(e) => (&e.path, "", ""),
            _ => return None,
        };
        Some(LocalFiles {
            path: path.clone(),
            name: name.to_owned(),
            snapshot: snapshot.to_owned(),
        })
    }

    /// Puts back what [`Elem::local_files`] gave (a message read from the store).
    pub fn set_local_files(&mut self, f: LocalFiles) {
        match self {
            Elem::Image(e) => {
                e.path = f.path;
                e.name = f.name;
            }
            Elem::Sound(e) => e.path = f.path,
            Elem::Video(e) => {
                e.video_path = f.path;
                e.snapshot_path = f.snapshot;
            }
            Elem::File(e) => e.path = f.path,
            _ => {}
        }
    }

    /// A media element whose file(s) still have to be uploaded before it can be sent.
    pub fn needs_upload(&self) -> bool {
        match self {
            Elem::Image(e) => !e.is_uploaded(),
            Elem::Sound(e) => e.url.is_empty(),
            Elem::Video(e) => e.video_url.is_empty() || e.snapshot_url.is_empty(),
            Elem::File(e) => e.url.is_empty(),
            _ => false,
        }
    }

    /// The REST `MsgBody` element.
    pub fn to_wire(&self) -> MsgElement {
        match self {
            Elem::Text { text } => MsgElement::Text(wire::TextElem { text: text.clone() }),
            Elem::Custom {
                data,
                desc,
                extension,
            } => MsgElement::Custom(wire::CustomElem {
                data: data.clone(),
                desc: desc.clone(),
                ext: extension.clone(),
                sound: String::new(),
            }),
            Elem::Location {
                desc,
                longitude,
                latitude,
            } => MsgElement::Location(wire::LocationElem {
                desc: desc.clone(),
                latitude: *latitude,
                longitude: *longitude,
            }),
            Elem::Face { index, data } => MsgElement::Face(wire::FaceElem {
                index: *index,
                data: data.clone(),
            }),
            Elem::Merger(m) => MsgElement::Relay(wire::RelayElem {
                title: m.title.clone(),
                msg_num: m.messages.len() as i64,
                compatible_text: m.compatible_text.clone(),
                abstract_list: m.abstract_list.clone(),
                msg_list: m.messages.iter().map(Message::to_relay).collect(),
            }),
            Elem::Image(e) => MsgElement::Image(e.to_wire()),
            Elem::Sound(e) => MsgElement::Sound(e.to_wire()),
            Elem::Video(e) => MsgElement::Video(e.to_wire()),
            Elem::File(e) => MsgElement::File(e.to_wire()),
        }
    }

    /// From a REST element (merged messages get `isSelf` false; see [`Elem::from_wire_for`]).
    #[cfg(test)]
    pub fn from_wire(e: &MsgElement) -> Elem {
        Elem::from_wire_for(e, "")
    }

    /// From a REST element, as seen by `self_user` (which decides `isSelf` of merged messages).
    pub fn from_wire_for(e: &MsgElement, self_user: &str) -> Elem {
        match e {
            MsgElement::Text(t) => Elem::Text {
                text: t.text.clone(),
            },
            MsgElement::Custom(c) => Elem::Custom {
                data: c.data.clone(),
                desc: c.desc.clone(),
                extension: c.ext.clone(),
            },
            MsgElement::Location(l) => Elem::Location {
                desc: l.desc.clone(),
                longitude: l.longitude,
                latitude: l.latitude,
            },
            MsgElement::Face(f) => Elem::Face {
                index: f.index,
                data: f.data.clone(),
            },
            MsgElement::Relay(r) => Elem::Merger(Box::new(MergerElem {
                title: r.title.clone(),
                abstract_list: r.abstract_list.clone(),
                compatible_text: r.compatible_text.clone(),
                // A relay stored by reference (JsonMsgKey) carries no list; V2TIM then cannot
                // show the messages either.
                is_layers_over_limit: false,
                messages: r
                    .msg_list
                    .iter()
                    .map(|m| Message::from_relay(m, self_user))
                    .collect(),
            })),
            MsgElement::Image(i) => Elem::Image(Box::new(ImageElem::from_wire(i))),
            MsgElement::Sound(i) => Elem::Sound(Box::new(SoundElem::from_wire(i))),
            MsgElement::Video(i) => Elem::Video(Box::new(VideoElem::from_wire(i))),
            MsgElement::File(i) => Elem::File(Box::new(FileElem::from_wire(i))),
        }
    }
}

/// An element in its REST form, serialised from borrowed data: byte-identical to serialising
/// [`Elem::to_wire`] (a test holds them equal), without copying the strings. Used to measure the
/// body for the 12 KB rule on every send.
pub(crate) struct WireView<'a>(pub &'a Elem);

/// `MsgContent` of the simple elements, with the REST names in the REST order.
struct ContentView<'a>(&'a Elem);

impl Serialize for WireView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let msg_type = match self.0 {
            Elem::Text { .. } => "TIMTextElem",
            Elem::Custom { .. } => "TIMCustomElem",
            Elem::Location { .. } => "TIMLocationElem",
            Elem::Face { .. } => "TIMFaceElem",
            Elem::Merger(_) | Elem::Image(_) | Elem::Sound(_) | Elem::Video(_) | Elem::File(_) => {
                return self.0.to_wire().serialize(s)
            }
        };
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("MsgType", msg_type)?;
        m.serialize_entry("MsgContent", &ContentView(self.0))?;
        m.end()
    }
}

impl Serialize for ContentView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self.0 {
            Elem::Text { text } => m.serialize_entry("Text", text)?,
            Elem::Custom {
                data,
                desc,
                extension,
            } => {
                // `v2im_wire::elem::CustomElem` leaves empty optional fields out.
                m.serialize_entry("Data", data)?;
                if !desc.is_empty() {
                    m.serialize_entry("Desc", desc)?;
                }
                if !extension.is_empty() {
                    m.serialize_entry("Ext", extension)?;
                }
            }
            Elem::Location {
                desc,
                longitude,
                latitude,
            } => {
                m.serialize_entry("Desc", desc)?;
                m.serialize_entry("Latitude", latitude)?;
                m.serialize_entry("Longitude", longitude)?;
            }
            Elem::Face { index, data } => {
                m.serialize_entry("Index", index)?;
                m.serialize_entry("Data", data)?;
            }
            _ => {}
        }
        m.end()
    }
}

/// The `V2TimMessage` key holding elements of a type, as a message's JSON entry writes it.
pub(crate) fn elem_entry_key(t: ElemType) -> Key {
    match t {
        ElemType::None => key!("elem"),
        ElemType::Text => key!("textElem"),
        ElemType::Custom => key!("customElem"),
        ElemType::Image => key!("imageElem"),
        ElemType::Sound => key!("soundElem"),
        ElemType::Video => key!("videoElem"),
        ElemType::File => key!("fileElem"),
        ElemType::Location => key!("locationElem"),
        ElemType::Face => key!("faceElem"),
        ElemType::Merger => key!("mergerElem"),
    }
}

/// V2TIM JSON of an element, with its `elemType` (as the `elemList` entries of V2TIM's Flutter SDK 8 carry it).
impl Serialize for Elem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ElemJson {
            elem: self,
            with_messages: true,
        }
        .serialize(s)
    }
}

/// An element's JSON; `with_messages: false` leaves a merger's `messageList` out (used in
/// `elemList` for the merger already shown under `mergerElem`: writing the list twice per level
/// would make nested mergers grow exponentially).
pub(crate) struct ElemJson<'a> {
    pub elem: &'a Elem,
    pub with_messages: bool,
}

impl ElemJson<'_> {
    /// The element's JSON object, written into `out`.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        let mut m = JsonObject::new(out);
        self.write_entries(&mut m);
        m.end();
    }

    fn write_entries(&self, m: &mut JsonObject<'_>) {
        m.entry(key!("elemType"), &self.elem.elem_type().value());
        match self.elem {
            Elem::Text { text } => m.entry(key!("text"), text),
            Elem::Custom {
                data,
                desc,
                extension,
            } => {
                m.entry(key!("data"), data);
                m.entry(key!("desc"), desc);
                m.entry(key!("extension"), extension);
            }
            Elem::Location {
                desc,
                longitude,
                latitude,
            } => {
                m.entry(key!("desc"), desc);
                m.entry(key!("longitude"), longitude);
                m.entry(key!("latitude"), latitude);
            }
            Elem::Face { index, data } => {
                m.entry(key!("index"), index);
                m.entry(key!("data"), data);
            }
            Elem::Merger(g) => {
                m.entry(key!("isLayersOverLimit"), &g.is_layers_over_limit);
                m.entry(key!("title"), &g.title);
                m.entry(key!("abstractList"), &g.abstract_list);
                m.entry(key!("compatibleText"), &g.compatible_text);
                if self.with_messages {
                    m.entry(key!("messageList"), &g.messages);
                }
            }
            Elem::Image(e) => media::image_json(m, e),
            Elem::Sound(e) => media::sound_json(m, e),
            Elem::Video(e) => media::video_json(m, e),
            Elem::File(e) => media::file_json(m, e),
        }
    }
}

impl Serialize for ElemJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_object(s, 128, |m| self.write_entries(m))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_elem_round_trips_through_wire() {
        let elems = [
            Elem::Text {
                text: "héllo 🌍".into(),
            },
            Elem::Custom {
                data: "d".into(),
                desc: "push".into(),
                extension: "ext".into(),
            },
            Elem::Location {
                desc: "here".into(),
                longitude: 113.9,
                latitude: -22.5,
            },
            Elem::Face {
                index: 7,
                data: "smile".into(),
            },
        ];
        for e in elems {
            let w = e.to_wire();
            let s = serde_json::to_string(&w).unwrap();
            let back: MsgElement = serde_json::from_str(&s).unwrap();
            assert_eq!(Elem::from_wire(&back), e);
        }
    }

    #[test]
    fn wire_view_is_byte_identical_to_wire() {
        let elems = [
            Elem::Text {
                text: "a\"\n🌍".into(),
            },
            Elem::Custom {
                data: "d".into(),
                desc: "".into(),
                extension: "x".into(),
            },
            Elem::Custom {
                data: "".into(),
                desc: "p".into(),
                extension: "".into(),
            },
            Elem::Location {
                desc: "d".into(),
                longitude: -0.5,
                latitude: 1e-7,
            },
            Elem::Face {
                index: -3,
                data: "".into(),
            },
            Elem::Merger(Box::new(MergerElem {
                title: "t".into(),
                abstract_list: vec!["a".into()],
                compatible_text: "c".into(),
                is_layers_over_limit: false,
                messages: vec![],
            })),
        ];
        for e in &elems {
            assert_eq!(
                serde_json::to_string(&WireView(e)).unwrap(),
                serde_json::to_string(&e.to_wire()).unwrap()
            );
        }
    }

    #[test]
    fn rest_names() {
        let w = Elem::Custom {
            data: "d".into(),
            desc: "p".into(),
            extension: "x".into(),
        }
        .to_wire();
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            json!({"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d", "Desc": "p", "Ext": "x"}})
        );
        let w = Elem::Location {
            desc: "d".into(),
            longitude: 1.0,
            latitude: 2.0,
        }
        .to_wire();
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            json!({"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "d", "Latitude": 2.0, "Longitude": 1.0}})
        );
        let w = Elem::Face {
            index: 3,
            data: "x".into(),
        }
        .to_wire();
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            json!({"MsgType": "TIMFaceElem", "MsgContent": {"Index": 3, "Data": "x"}})
        );
    }

    #[test]
    fn v2tim_json() {
        let j = serde_json::to_value(Elem::Custom {
            data: "d".into(),
            desc: "p".into(),
            extension: "x".into(),
        })
        .unwrap();
        assert_eq!(
            j,
            json!({"elemType": 2, "data": "d", "desc": "p", "extension": "x"})
        );
        let j = serde_json::to_value(Elem::Location {
            desc: "d".into(),
            longitude: 1.5,
            latitude: 2.5,
        })
        .unwrap();
        assert_eq!(
            j,
            json!({"elemType": 7, "desc": "d", "longitude": 1.5, "latitude": 2.5})
        );
    }

    /// One received element of each media kind: image (origin, large, thumb), sound, file,
    /// video.
    pub(in crate::model) fn wire_media() -> [MsgElement; 4] {
        let img = MsgElement::Image(wire::ImageElem {
            uuid: "u".into(),
            image_format: 3,
            image_info_array: vec![
                wire::ImageInfo {
                    kind: 1,
                    size: 900,
                    width: 1000,
                    height: 500,
                    url: "o".into(),
                },
                wire::ImageInfo {
                    kind: 2,
                    size: 400,
                    width: 1000,
                    height: 500,
                    url: "o".into(),
                },
                wire::ImageInfo {
                    kind: 3,
                    size: 100,
                    width: 396,
                    height: 198,
                    url: "t".into(),
                },
            ],
        });
        let sound = MsgElement::Sound(wire::SoundElem {
            url: "s".into(),
            uuid: "su".into(),
            size: 5,
            second: 3,
            download_flag: 2,
        });
        let file = MsgElement::File(wire::FileElem {
            url: "f".into(),
            uuid: "fu".into(),
            file_size: 7,
            file_name: "a b.txt".into(),
            download_flag: 2,
        });
        let video = MsgElement::Video(wire::VideoFileElem {
            video_url: "v".into(),
            video_uuid: "vu".into(),
            video_size: 9,
            video_second: 4,
            video_format: "mp4".into(),
            video_download_flag: 2,
            thumb_url: "t".into(),
            thumb_uuid: "tu".into(),
            thumb_size: 3,
            thumb_width: 10,
            thumb_height: 20,
            thumb_format: "png".into(),
            thumb_download_flag: 2,
        });
        [img, sound, file, video]
    }

    #[test]
    fn media_elements_round_trip_through_wire() {
        let types = [
            ElemType::Image,
            ElemType::Sound,
            ElemType::File,
            ElemType::Video,
        ];
        for (w, t) in wire_media().into_iter().zip(types) {
            let e = Elem::from_wire(&w);
            assert_eq!(e.elem_type(), t);
            assert!(!e.needs_upload());
            assert_eq!(e.to_wire(), w);
            assert_eq!(
                serde_json::to_string(&WireView(&e)).unwrap(),
                serde_json::to_string(&w).unwrap()
            );
        }
    }

    #[test]
    fn image_v2tim_json_uses_v2tim_types() {
        let w = MsgElement::Image(wire::ImageElem {
            uuid: "u".into(),
            image_format: 1,
            image_info_array: vec![
                wire::ImageInfo {
                    kind: 3,
                    size: 1,
                    width: 2,
                    height: 3,
                    url: "t".into(),
                },
                wire::ImageInfo {
                    kind: 1,
                    size: 4,
                    width: 5,
                    height: 6,
                    url: "o".into(),
                },
                wire::ImageInfo {
                    kind: 2,
                    size: 7,
                    width: 8,
                    height: 9,
                    url: "l".into(),
                },
            ],
        });
        let j = serde_json::to_value(Elem::from_wire(&w)).unwrap();
        assert_eq!(j["elemType"], 3);
        let list = j["imageList"].as_array().unwrap();
        let types: Vec<_> = list
            .iter()
            .map(|i| {
                (
                    i["type"].as_i64().unwrap(),
                    i["url"].as_str().unwrap().to_owned(),
                    i["uuid"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            types,
            [
                (0, "o".into(), "u".into()),
                (1, "t".into(), "u_thumb".into()),
                (2, "l".into(), "u_large".into())
            ]
        );
    }
}
