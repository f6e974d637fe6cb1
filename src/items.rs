//! List answers read one item at a time (history pages, the conversation list), so that an item
//! this client cannot read — nested deeper than the JSON parser goes, mistyped, from an older or
//! lying server — costs only itself, never the page.
//!
//! The page is read first with its list left as raw JSON text (which serde_json skips over
//! without any depth limit), then each item on its own. An item that fails is given back with
//! its error and a few fields read without the rest (its "head": enough to name it in the log
//! and to page past it), which also skips the rest without a depth limit.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A list item as raw JSON text, borrowed from the answer.
pub(crate) type Raw<'a> = &'a RawValue;

/// An item that could not be read.
#[derive(Debug)]
pub(crate) struct Unread<H> {
    /// Its head, when even that could not be read: `None`.
    pub head: Option<H>,
    pub error: String,
}

/// Reads `raw` as a `T`, or as its head `H` when it is not a `T`.
pub(crate) fn read<T: DeserializeOwned, H: DeserializeOwned>(raw: Raw<'_>) -> Result<T, Unread<H>> {
    serde_json::from_str(raw.get()).map_err(|e| Unread {
        head: serde_json::from_str(raw.get()).ok(),
        error: e.to_string(),
    })
}

/// Reads an answer whose lists are [`Raw`] items.
pub(crate) fn page<'a, P: Deserialize<'a>>(path: &str, text: &'a str) -> crate::codes::Result<P> {
    serde_json::from_str(text).map_err(|e| {
        crate::codes::Error::new(
            crate::codes::V2IM_ERR_BAD_RESPONSE,
            format!("{path}: answer not understood: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use v2im_wire::c2c::RoamMsg;

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Page<'a> {
        #[serde(borrow)]
        msg_list: Vec<Raw<'a>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Head {
        msg_key: String,
    }

    fn item(key: &str, body: &str) -> String {
        format!(
            r#"{{"From_Account":"a","To_Account":"b","MsgSeq":1,"MsgRandom":2,"MsgTimeStamp":3,"MsgKey":"{key}","MsgBody":{body}}}"#
        )
    }

    #[test]
    fn one_bad_item_costs_only_itself() {
        let text = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"ok"}}]"#;
        // Mergers 30 layers deep, 150 JSON levels: past the parser's limit for the item.
        let relays = (0..30).fold("[]".to_owned(), |body, _| {
            format!(
                r#"[{{"MsgType":"TIMRelayElem","MsgContent":{{"MsgList":[{{"MsgBody":{body}}}]}}}}]"#
            )
        });
        // Far deeper than any parser goes: only skipping unread gets past it.
        let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        let answer = format!(
            r#"{{"ActionStatus":"OK","ErrorCode":0,"MsgList":[{},{},{},{}],"Later":{}}}"#,
            item("1_2_3", text),
            item("4_5_6", &relays),
            r#"{"MsgKey":7}"#,
            item("7_8_9", text),
            deep,
        );
        let page: Page = super::page("p", &answer).unwrap();
        let items: Vec<Result<RoamMsg, Unread<Head>>> =
            page.msg_list.iter().map(|r| read(r)).collect();
        assert_eq!(items[0].as_ref().unwrap().msg_key, "1_2_3");
        let bad = items[1].as_ref().unwrap_err();
        assert_eq!(bad.head.as_ref().unwrap().msg_key, "4_5_6");
        assert!(
            bad.error.contains("recursion limit exceeded"),
            "{}",
            bad.error
        );
        let mistyped = items[2].as_ref().unwrap_err();
        assert!(mistyped.head.is_none());
        assert_eq!(items[3].as_ref().unwrap().msg_key, "7_8_9");
        let e = super::page::<Page>("p", "{").err().unwrap();
        assert_eq!(e.code, crate::codes::V2IM_ERR_BAD_RESPONSE);
    }
}
