//! `OfflinePushInfo`: Tencent's offline-push options of a REST send, with its Android (vendor
//! channels) and APNs parts.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfflinePushInfo {
    /// 0 push, 1 no offline push.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_flag: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub android_info: Option<AndroidInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apns_info: Option<ApnsInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AndroidInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    #[serde(rename = "OPPOChannelID", skip_serializing_if = "Option::is_none")]
    pub oppo_channel_id: Option<String>,
    #[serde(rename = "VIVOClassification", skip_serializing_if = "Option::is_none")]
    pub vivo_classification: Option<i64>,
    #[serde(rename = "HuaWeiChannelID", skip_serializing_if = "Option::is_none")]
    pub huawei_channel_id: Option<String>,
    #[serde(rename = "XiaoMiChannelID", skip_serializing_if = "Option::is_none")]
    pub xiaomi_channel_id: Option<String>,
    #[serde(rename = "GoogleChannelID", skip_serializing_if = "Option::is_none")]
    pub google_channel_id: Option<String>,
    /// Huawei message importance: "LOW" or "NORMAL" (Tencent's default).
    #[serde(rename = "HuaWeiImportance", skip_serializing_if = "Option::is_none")]
    pub huawei_importance: Option<String>,
    /// 1: Huawei takes `Ext` as an Intent; 0: as an Action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext_as_huawei_intent_param: Option<i64>,
    #[serde(rename = "HuaWeiCategory", skip_serializing_if = "Option::is_none")]
    pub huawei_category: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApnsInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    /// 0 or absent: the badge counts; 1: it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge_mode: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutable_content: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_tencents() {
        let full = OfflinePushInfo {
            push_flag: Some(0),
            title: Some("t".into()),
            desc: Some("d".into()),
            ext: Some("e".into()),
            android_info: Some(AndroidInfo {
                sound: Some("as".into()),
                oppo_channel_id: Some("o".into()),
                vivo_classification: Some(1),
                huawei_channel_id: Some("h".into()),
                xiaomi_channel_id: Some("x".into()),
                google_channel_id: Some("g".into()),
                huawei_importance: Some("LOW".into()),
                ext_as_huawei_intent_param: Some(1),
                huawei_category: Some("IM".into()),
            }),
            apns_info: Some(ApnsInfo {
                sound: Some("is".into()),
                badge_mode: Some(1),
                title: Some("it".into()),
                sub_title: Some("st".into()),
                image: Some("im".into()),
                mutable_content: Some(1),
            }),
        };
        let json = json!({"PushFlag": 0, "Title": "t", "Desc": "d", "Ext": "e",
            "AndroidInfo": {"Sound": "as", "OPPOChannelID": "o", "VIVOClassification": 1,
                "HuaWeiChannelID": "h", "XiaoMiChannelID": "x", "GoogleChannelID": "g",
                "HuaWeiImportance": "LOW", "ExtAsHuaweiIntentParam": 1, "HuaWeiCategory": "IM"},
            "ApnsInfo": {"Sound": "is", "BadgeMode": 1, "Title": "it", "SubTitle": "st",
                "Image": "im", "MutableContent": 1}});
        assert_eq!(serde_json::to_value(&full).unwrap(), json);
        assert_eq!(
            serde_json::from_value::<OfflinePushInfo>(json).unwrap(),
            full
        );
        // Absent options are left out.
        assert_eq!(
            serde_json::to_value(OfflinePushInfo::default()).unwrap(),
            json!({})
        );
    }

    /// History items carry it back from Tencent's cloud too, which adds vendor fields over time.
    #[test]
    fn accepts_unknown_keys() {
        let p: OfflinePushInfo = serde_json::from_value(json!({"PushFlag": 1, "New": 1,
            "AndroidInfo": {"New": 2}, "ApnsInfo": {"New": 3}}))
        .unwrap();
        assert_eq!(p.push_flag, Some(1));
    }
}
