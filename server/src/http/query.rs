//! The REST query string: `sdkappid`, `identifier`, `usersig`, `random`, `contenttype`, in any
//! order, percent-decoded (`*` arrives raw or as `%2A`). `+` stays `+`: a sig never contains one
//! and Tencent's user ids are not form-encoded.

use percent_encoding::percent_decode_str;

/// The parameters of a REST call, decoded. Absent ones are `None`; repeated ones keep the first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RestQuery {
    pub sdkappid: Option<String>,
    pub identifier: Option<String>,
    pub usersig: Option<String>,
    pub random: Option<String>,
    pub contenttype: Option<String>,
}

impl RestQuery {
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let mut q = RestQuery::default();
        for pair in query.unwrap_or("").split('&') {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode_str(k).decode_utf8_lossy();
            let slot = match key.as_ref() {
                "sdkappid" => &mut q.sdkappid,
                "identifier" => &mut q.identifier,
                "usersig" => &mut q.usersig,
                "random" => &mut q.random,
                "contenttype" => &mut q.contenttype,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(percent_decode_str(v).decode_utf8_lossy().into_owned());
            }
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_order_and_percent_decoding() {
        let q = RestQuery::parse(Some(
            "usersig=ab%2Acd*e-f_&identifier=user_%E4%B8%AD&sdkappid=14&random=x&sdkappid=99",
        ));
        assert_eq!(q.usersig.as_deref(), Some("ab*cd*e-f_"));
        assert_eq!(q.identifier.as_deref(), Some("user_中"));
        assert_eq!(q.sdkappid.as_deref(), Some("14"));
        assert_eq!(q.random.as_deref(), Some("x"));
        assert_eq!(q.contenttype, None);
        assert_eq!(RestQuery::parse(None), RestQuery::default());
    }
}
