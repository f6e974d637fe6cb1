//! The @-all tag and the REST `GroupAtInfo` list.

use v2im_wire::group::GroupAtInfo;

/// V2TIM's @-all tag (`V2TimGroupAtInfo.AT_ALL_TAG`, three "s" — Tencent's spelling).
pub const AT_ALL_TAG: &str = "__kImSDK_MesssageAtALL__";
/// The C API's spelling, accepted on input and turned into [`AT_ALL_TAG`].
pub const AT_ALL_TAG_C: &str = "__kImSDK_MessageAtALL__";

/// Whether an @ entry means "everyone".
pub fn is_at_all(user: &str) -> bool {
    user == AT_ALL_TAG || user == AT_ALL_TAG_C
}

/// One entry of a caller's `atUserList`, with the C spelling of @-all normalised to V2TIM's.
pub fn normalise(user: &str) -> String {
    if is_at_all(user) {
        AT_ALL_TAG.to_owned()
    } else {
        user.to_owned()
    }
}

/// V2TIM `groupAtUserList` → REST `GroupAtInfo`, keeping the order (Tencent matches entries to the
/// mentions in the text by position).
pub fn to_wire(list: &[String]) -> Vec<GroupAtInfo> {
    list.iter()
        .map(|u| {
            if is_at_all(u) {
                GroupAtInfo {
                    group_at_all_flag: 1,
                    group_at_account: None,
                }
            } else {
                GroupAtInfo {
                    group_at_all_flag: 0,
                    group_at_account: Some(u.clone()),
                }
            }
        })
        .collect()
}

/// REST `GroupAtInfo` → V2TIM `groupAtUserList`.
pub fn from_wire(list: &[GroupAtInfo]) -> Vec<String> {
    list.iter()
        .filter_map(|a| {
            if a.group_at_all_flag == 1 {
                Some(AT_ALL_TAG.to_owned())
            } else {
                a.group_at_account.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_all_round_trip() {
        let list = vec![AT_ALL_TAG.to_owned(), "bob".to_owned()];
        let w = to_wire(&list);
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            serde_json::json!([{"GroupAtAllFlag": 1}, {"GroupAtAllFlag": 0, "GroupAt_Account": "bob"}])
        );
        assert_eq!(from_wire(&w), list);
        assert_eq!(normalise(AT_ALL_TAG_C), AT_ALL_TAG);
        assert_eq!(normalise("x"), "x");
    }
}
