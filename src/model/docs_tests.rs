//! `docs/model.md` against the serializers: each table of the page lists exactly the keys of the
//! JSON the library writes for its object, and the enum values it names are the code's.

use super::conversation::{self, Conversation};
use super::elem::elem_entry_key;
use super::elem::tests::wire_media;
use super::receipt::Receipt;
use super::status::ElemType;
use super::tests::{assert_template, message_keys};
use super::*;
use crate::markdown::{first_table, repo_file, section};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use v2im_wire::c2c::{RoamMsg, SessionItem};

type Keys = BTreeSet<String>;

const PAGE: &str = "docs/model.md";

fn page() -> String {
    repo_file(PAGE)
}

/// The `| key | type | meaning |` table under `heading` (a whole line of the page, found once),
/// before the next heading: each backticked key with its meaning.
fn table(page: &str, heading: &str) -> BTreeMap<String, String> {
    let found = page.lines().filter(|l| *l == heading).count();
    assert_eq!(
        found, 1,
        "{PAGE}: the heading {heading:?} appears {found} times"
    );
    let level = heading.split(' ').next().unwrap();
    let body = section(page, heading).unwrap();
    // A `##` section's own table comes before its first `###` subsection.
    let body = body.split(&format!("\n{level}# ")).next().unwrap();
    let t = first_table(body);
    assert!(!t.rows.is_empty(), "{PAGE}: no table under {heading:?}");
    assert_eq!(
        t.header,
        ["key", "type", "meaning"],
        "{PAGE}: header of the table {heading:?}"
    );
    let mut keys = BTreeMap::new();
    for c in &t.rows {
        assert_eq!(c.len(), 3, "{PAGE} {heading:?}: {c:?} needs 3 cells");
        let key = c[0]
            .strip_prefix('`')
            .and_then(|k| k.strip_suffix('`'))
            .filter(|k| !k.is_empty() && !k.contains('`'))
            .unwrap_or_else(|| panic!("{PAGE} {heading:?}: {c:?} does not start with a `key`"));
        let old = keys.insert(key.to_owned(), c[2].clone());
        assert!(old.is_none(), "{PAGE} {heading:?}: `{key}` listed twice");
    }
    keys
}

fn table_keys(page: &str, heading: &str) -> Keys {
    table(page, heading).into_keys().collect()
}

fn keys_of(v: &Value, what: &str) -> Keys {
    v.as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

/// The table under `heading` lists exactly `actual`, the keys of `what`.
fn assert_keys(heading: &str, documented: &Keys, actual: &Keys, what: &str) {
    let missing: Vec<&String> = actual.difference(documented).collect();
    let extra: Vec<&String> = documented.difference(actual).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{PAGE}, table {heading:?}, against {what}: keys missing from the table {missing:?}, \
         keys in the table but not in the JSON {extra:?}"
    );
}

/// The meaning of `key` in a table names each `(value, word)` as "value word".
fn assert_names(
    heading: &str,
    rows: &BTreeMap<String, String>,
    key: &str,
    names: &[(i64, String)],
) {
    let meaning = &rows[key];
    for (value, word) in names {
        let want = format!("{value} {word}");
        assert!(
            meaning.contains(&want),
            "{PAGE} {heading:?}: `{key}` should name \"{want}\": {meaning}"
        );
    }
}

fn msg(elems: Vec<Elem>) -> Message {
    Message::new("v2im-docs".into(), elems, "alice")
}

/// An image as `createImageMessage` makes it (origin only, not uploaded).
fn created_image() -> Elem {
    Elem::Image(Box::new(ImageElem {
        path: "/tmp/a.png".into(),
        name: String::new(),
        format: 3,
        uuid: String::new(),
        images: vec![Image {
            kind: ImageKind::Origin,
            size: 10,
            width: 3,
            height: 2,
            url: String::new(),
        }],
    }))
}

/// An uploaded or received image: origin, large and thumb.
fn received_image() -> Elem {
    Elem::from_wire(&wire_media()[0])
}

/// One element of every kind, with the key that shows it.
fn every_elem() -> Vec<(&'static str, Elem)> {
    // Received media: image, sound, file, video.
    let media = wire_media().map(|w| {
        let e = Elem::from_wire(&w);
        (elem_entry_key(e.elem_type()).name(), e)
    });
    let mut all = vec![
        ("textElem", Elem::Text { text: "hi".into() }),
        (
            "customElem",
            Elem::Custom {
                data: "d".into(),
                desc: "p".into(),
                extension: "x".into(),
            },
        ),
        ("imageElem", created_image()),
        (
            "locationElem",
            Elem::Location {
                desc: "here".into(),
                longitude: 1.5,
                latitude: 2.5,
            },
        ),
        (
            "faceElem",
            Elem::Face {
                index: 1,
                data: "f".into(),
            },
        ),
        ("mergerElem", merger()),
    ];
    all.extend(media);
    all
}

/// A merger of one message.
fn merger() -> Elem {
    Elem::Merger(Box::new(MergerElem {
        title: "T".into(),
        abstract_list: vec!["a".into()],
        compatible_text: "c".into(),
        is_layers_over_limit: false,
        messages: vec![msg(vec![Elem::Text { text: "a".into() }])],
    }))
}

/// A one-to-one message as the history and the live channel give it.
fn roam() -> RoamMsg {
    RoamMsg {
        from_account: "bob".into(),
        to_account: "alice".into(),
        msg_seq: 4,
        msg_random: 5,
        msg_time_stamp: 1_700_000_000,
        msg_key: "4_5_1700000000".into(),
        msg_body: vec![Elem::Text { text: "hi".into() }.to_wire()],
        ..Default::default()
    }
}

#[test]
fn v2tim_message_table_is_every_key() {
    let page = page();
    let heading = "## V2TimMessage";
    let rows = table(&page, heading);
    let documented: Keys = rows.keys().cloned().collect();
    assert_keys(
        heading,
        &documented,
        &message_keys(),
        "tests/v2tim_message_keys.json",
    );
    let mut sent = msg(vec![Elem::Text { text: "x".into() }]);
    sent.options.offline_push_info = Some(Box::default());
    sent.options.cloud_custom_data = Some("c".into());
    sent.local_custom_data = Some("l".into());
    let mut received = Message::from_roam(&roam(), "alice");
    received.profile = Profile::boxed(Some("Bob".into()), Some("http://f".into()));
    let mut messages = vec![("a message with options".to_owned(), sent)];
    messages.push(("a received message".to_owned(), received));
    for (key, e) in every_elem() {
        messages.push((format!("a message with a {key}"), msg(vec![e])));
    }
    for (what, m) in &messages {
        let j = m.to_json();
        assert_template(&j);
        assert_keys(heading, &documented, &keys_of(&j, what), what);
    }

    let mut elem_types = vec![(ElemType::None.value().into(), "none".to_owned())];
    for t in [
        ElemType::Text,
        ElemType::Custom,
        ElemType::Image,
        ElemType::Sound,
        ElemType::Video,
        ElemType::File,
        ElemType::Location,
        ElemType::Face,
        ElemType::Merger,
    ] {
        elem_types.push((t.value().into(), format!("`{}`", elem_entry_key(t).name())));
    }
    assert_names(heading, &rows, "elemType", &elem_types);
    let status = [
        (MessageStatus::Sending, "sending"),
        (MessageStatus::SendSucc, "sent"),
        (MessageStatus::SendFail, "failed"),
        (MessageStatus::HasDeleted, "deleted"),
        (MessageStatus::LocalImported, "imported"),
        (MessageStatus::LocalRevoked, "revoked"),
    ]
    .map(|(s, w)| (i64::from(s.value()), w.to_owned()));
    assert_names(heading, &rows, "status", &status);
    let priority = [
        (Priority::Default, "DEFAULT"),
        (Priority::High, "HIGH"),
        (Priority::Normal, "NORMAL"),
        (Priority::Low, "LOW"),
    ]
    .map(|(p, w)| (i64::from(p.value()), w.to_owned()));
    assert_names(heading, &rows, "priority", &priority);
}

#[test]
fn element_tables_are_every_key() {
    let page = page();
    assert!(
        page.lines().any(|l| l == "## Elements"),
        "{PAGE} has no \"## Elements\""
    );
    for (key, e) in every_elem() {
        let heading = format!("### `{key}`");
        let documented = table_keys(&page, &heading);
        let j = msg(vec![e]).to_json();
        assert!(j["groupTipsElem"].is_null(), "groupTipsElem of {key}");
        let what = format!("the {key} of a message");
        assert_keys(&heading, &documented, &keys_of(&j[key], &what), &what);
        // The elemList entry: the same keys, but the merger under mergerElem lacks its list.
        let mut in_list = documented.clone();
        if key == "mergerElem" {
            assert!(
                in_list.remove("messageList"),
                "mergerElem has a messageList"
            );
        }
        let what = format!("the elemList entry of a {key}");
        assert_keys(
            &heading,
            &in_list,
            &keys_of(&j["elemList"][0], &what),
            &what,
        );
        // A second merger keeps its list in elemList.
        if key == "mergerElem" {
            let two = msg(vec![merger(), merger()]).to_json();
            let what = "the elemList entry of a second merger";
            assert_keys(
                &heading,
                &documented,
                &keys_of(&two["elemList"][1], what),
                what,
            );
        }
    }
}

#[test]
fn v2tim_image_table_is_every_key() {
    let page = page();
    let heading = "### `V2TimImage`";
    let rows = table(&page, heading);
    let documented: Keys = rows.keys().cloned().collect();
    let mut types = BTreeSet::new();
    for e in [created_image(), received_image()] {
        let j = msg(vec![e]).to_json();
        let list = j["imageElem"]["imageList"].as_array().expect("imageList");
        for (i, image) in list.iter().enumerate() {
            let what = format!("imageList[{i}] of {}", j["imageElem"]);
            assert_keys(heading, &documented, &keys_of(image, &what), &what);
            types.insert(image["type"].as_i64().expect("type"));
        }
    }
    let kinds = [
        (ImageKind::Origin, "origin"),
        (ImageKind::Thumb, "thumb"),
        (ImageKind::Large, "large"),
    ]
    .map(|(k, w)| (i64::from(k.v2tim()), w.to_owned()));
    assert_eq!(types, kinds.iter().map(|(v, _)| *v).collect());
    assert_names(heading, &rows, "type", &kinds);
}

#[test]
fn offline_push_info_table_is_every_key() {
    let page = page();
    let heading = "## offlinePushInfo";
    let documented = table_keys(&page, heading);
    let mut m = msg(vec![Elem::Text { text: "x".into() }]);
    m.options.offline_push_info = Some(Box::new(OfflinePushInfo {
        title: "t".into(),
        android_vivo_classification: Some(0),
        ..Default::default()
    }));
    let j = m.to_json();
    let what = "a message's offlinePushInfo";
    assert_keys(
        heading,
        &documented,
        &keys_of(&j["offlinePushInfo"], what),
        what,
    );
    let what = "OfflinePushInfo::default()";
    let default = OfflinePushInfo::default().to_json();
    assert_keys(heading, &documented, &keys_of(&default, what), what);
}

#[test]
fn conversation_table_is_every_key() {
    let page = page();
    let heading = "## V2TimConversation";
    let rows = table(&page, heading);
    let documented: Keys = rows.keys().cloned().collect();
    let c2c = SessionItem {
        kind: conversation::C2C,
        to_account: Some("bob".into()),
        msg_time: 1_700_000_000,
        unread_msg_num: 2,
        c2c_last_msg: Some(roam()),
        ..Default::default()
    };
    let group = SessionItem {
        kind: conversation::GROUP,
        group_id: Some("g".into()),
        msg_time: 1_700_000_000,
        top_flag: 1,
        ..Default::default()
    };
    for (what, item) in [("a one-to-one conversation", c2c), ("a group one", group)] {
        let j = serde_json::to_value(Conversation::from_session(&item, "alice")).unwrap();
        assert_keys(heading, &documented, &keys_of(&j, what), what);
        if !j["lastMessage"].is_null() {
            assert_template(&j["lastMessage"]);
        }
    }
    assert_names(
        heading,
        &rows,
        "type",
        &[
            (conversation::C2C, "one-to-one".to_owned()),
            (conversation::GROUP, "group".to_owned()),
        ],
    );
}

#[test]
fn receipt_tables_are_every_key() {
    let page = page();
    let heading = "## V2TimMessageReceipt";
    let documented = table_keys(&page, heading);
    for (what, r) in [
        (
            "a group receipt",
            Receipt::group("1_2_3".into(), "g".into(), 1, 2),
        ),
        (
            "a one-to-one message's receipt",
            Receipt::c2c("1_2_3".into(), "bob".into(), 1_700_000_000),
        ),
    ] {
        let j = serde_json::to_value(r).unwrap();
        assert_keys(heading, &documented, &keys_of(&j, what), what);
    }
    let heading = "## C2C read receipt";
    let documented = table_keys(&page, heading);
    let what = "an onRecvC2CReadReceipt item";
    let j = serde_json::to_value(Receipt::c2c(String::new(), "bob".into(), 1_700_000_000)).unwrap();
    assert_keys(heading, &documented, &keys_of(&j, what), what);
}
