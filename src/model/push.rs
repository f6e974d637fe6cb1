//! V2TIM `OfflinePushInfo` and its REST form.

use crate::params::{null_as_default, Int};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use v2im_wire::push as wire;

/// What an offline push shows: V2TIM's fields, camelCase in JSON. Only the fields REST v4
/// carries are taken; any other key (V2TIM's vendor options included) is refused rather than
/// silently not pushed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct OfflinePushInfo {
    /// `title` ↔ `Title`.
    #[serde(deserialize_with = "null_as_default")]
    pub title: String,
    /// `desc` ↔ `Desc` (overrides the elements' push text).
    #[serde(deserialize_with = "null_as_default")]
    pub desc: String,
    /// `ext` ↔ `Ext`.
    #[serde(deserialize_with = "null_as_default")]
    pub ext: String,
    /// `disablePush` ↔ `PushFlag: 1`.
    #[serde(deserialize_with = "null_as_default")]
    pub disable_push: bool,
    /// `iOSSound` ↔ `ApnsInfo.Sound`.
    #[serde(rename = "iOSSound", deserialize_with = "null_as_default")]
    pub ios_sound: String,
    /// `ignoreIOSBadge` ↔ `ApnsInfo.BadgeMode: 1`.
    #[serde(rename = "ignoreIOSBadge", deserialize_with = "null_as_default")]
    pub ignore_ios_badge: bool,
    /// `androidSound` ↔ `AndroidInfo.Sound`.
    #[serde(deserialize_with = "null_as_default")]
    pub android_sound: String,
    /// `androidOPPOChannelID` ↔ `AndroidInfo.OPPOChannelID`.
    #[serde(rename = "androidOPPOChannelID", deserialize_with = "null_as_default")]
    pub android_oppo_channel_id: String,
    /// `androidVIVOClassification` ↔ `AndroidInfo.VIVOClassification`: 0 operational, 1 system; `None` = not given (V2TIM's default 1 is shown, nothing is sent).
    #[serde(rename = "androidVIVOClassification", deserialize_with = "vivo")]
    pub android_vivo_classification: Option<i64>,
}

/// `androidVIVOClassification`: 0 (operational) or 1 (system).
fn vivo<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<Int<0, 1>>::deserialize(d)?.map(|i| i.0))
}

impl OfflinePushInfo {
    /// The V2TIM JSON object.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// REST `OfflinePushInfo`: PushFlag, Title, Desc, Ext, ApnsInfo.Sound/BadgeMode,
    /// AndroidInfo.Sound/OPPOChannelID/VIVOClassification. Empty strings are left out so the
    /// server's defaults (the element's push text) apply.
    pub fn to_wire(&self) -> wire::OfflinePushInfo {
        let ne = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let apns = wire::ApnsInfo {
            sound: ne(&self.ios_sound),
            badge_mode: self.ignore_ios_badge.then_some(1),
            ..Default::default()
        };
        let android = wire::AndroidInfo {
            sound: ne(&self.android_sound),
            oppo_channel_id: ne(&self.android_oppo_channel_id),
            vivo_classification: self.android_vivo_classification,
            ..Default::default()
        };
        wire::OfflinePushInfo {
            push_flag: Some(i64::from(self.disable_push)),
            title: ne(&self.title),
            desc: ne(&self.desc),
            ext: ne(&self.ext),
            apns_info: (apns != wire::ApnsInfo::default()).then_some(apns),
            android_info: (android != wire::AndroidInfo::default()).then_some(android),
        }
    }

    /// Back from REST (history).
    pub fn from_wire(w: &wire::OfflinePushInfo) -> OfflinePushInfo {
        let apns = w.apns_info.as_ref();
        let android = w.android_info.as_ref();
        OfflinePushInfo {
            title: w.title.clone().unwrap_or_default(),
            desc: w.desc.clone().unwrap_or_default(),
            ext: w.ext.clone().unwrap_or_default(),
            disable_push: w.push_flag == Some(1),
            ios_sound: apns.and_then(|a| a.sound.clone()).unwrap_or_default(),
            ignore_ios_badge: apns.and_then(|a| a.badge_mode) == Some(1),
            android_sound: android.and_then(|a| a.sound.clone()).unwrap_or_default(),
            android_oppo_channel_id: android
                .and_then(|a| a.oppo_channel_id.clone())
                .unwrap_or_default(),
            android_vivo_classification: android.and_then(|a| a.vivo_classification),
        }
    }
}

impl Serialize for OfflinePushInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("title", &self.title)?;
        m.serialize_entry("desc", &self.desc)?;
        m.serialize_entry("ext", &self.ext)?;
        m.serialize_entry("disablePush", &self.disable_push)?;
        m.serialize_entry("iOSSound", &self.ios_sound)?;
        m.serialize_entry("ignoreIOSBadge", &self.ignore_ios_badge)?;
        m.serialize_entry("androidSound", &self.android_sound)?;
        m.serialize_entry("androidOPPOChannelID", &self.android_oppo_channel_id)?;
        m.serialize_entry(
            "androidVIVOClassification",
            &self.android_vivo_classification.unwrap_or(1),
        )?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> crate::codes::Result<OfflinePushInfo> {
        crate::params::parse("offlinePushInfo", &v)
    }

    fn full() -> OfflinePushInfo {
        parse(json!({
            "title": "T", "desc": "D", "ext": "{\"k\":1}", "disablePush": true,
            "iOSSound": "ding.caf", "ignoreIOSBadge": true, "androidSound": "ding",
            "androidOPPOChannelID": "oppo", "androidVIVOClassification": 0
        }))
        .unwrap()
    }

    #[test]
    fn maps_every_field_to_rest() {
        let w = serde_json::to_value(full().to_wire()).unwrap();
        assert_eq!(
            w,
            json!({
                "PushFlag": 1, "Title": "T", "Desc": "D", "Ext": "{\"k\":1}",
                "ApnsInfo": {"Sound": "ding.caf", "BadgeMode": 1},
                "AndroidInfo": {"Sound": "ding", "OPPOChannelID": "oppo", "VIVOClassification": 0}
            })
        );
        assert_eq!(OfflinePushInfo::from_wire(&full().to_wire()), full());
    }

    #[test]
    fn null_is_not_given() {
        let all_null = parse(json!({"title": null, "disablePush": null,
                                    "androidVIVOClassification": null}));
        assert_eq!(all_null.unwrap(), OfflinePushInfo::default());
    }

    #[test]
    fn empty_info_sends_only_push_flag() {
        let w = serde_json::to_value(OfflinePushInfo::default().to_wire()).unwrap();
        assert_eq!(w, json!({"PushFlag": 0}));
    }

    #[test]
    fn json_has_v2tim_keys() {
        let j = full().to_json();
        for k in [
            "title",
            "desc",
            "ext",
            "disablePush",
            "iOSSound",
            "ignoreIOSBadge",
            "androidSound",
            "androidOPPOChannelID",
            "androidVIVOClassification",
        ] {
            assert!(j.get(k).is_some(), "{k}");
        }
        assert_eq!(
            OfflinePushInfo::default().to_json()["androidVIVOClassification"],
            1
        );
    }

    #[test]
    fn bad_types_name_the_field() {
        for (bad, field) in [
            (json!({"title": 1}), "offlinePushInfo: title"),
            (
                json!({"disablePush": "yes"}),
                "offlinePushInfo: disablePush",
            ),
            (
                json!({"androidVIVOClassification": 7}),
                "androidVIVOClassification",
            ),
            (json!({"vendorParams": "x"}), "unknown key \"vendorParams\""),
            (json!({"iosSound": "x"}), "did you mean \"iOSSound\""),
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code, 6017);
            assert!(e.desc.contains(field), "{}", e.desc);
        }
    }
}
