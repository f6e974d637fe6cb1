//! Identifier rules, as Tencent's limits state them.

/// A UserID: 1 to 32 bytes, no control characters.
pub(crate) fn valid_user_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && !id.chars().any(char::is_control)
}

/// A custom group id: 1 to 48 bytes of printable ASCII, not starting with `@TGS#` (reserved for
/// generated ids).
pub(crate) fn valid_custom_group_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 48
        && id.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && !id.starts_with("@TGS#")
}

/// Any group id that may exist (generated or custom): used for lookups, so that garbage is
/// refused with a clear code before touching storage.
pub(crate) fn plausible_group_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && !id.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(valid_user_id("user_中文-1"));
        assert!(!valid_user_id(""));
        assert!(!valid_user_id(&"x".repeat(33)));
        assert!(!valid_user_id("a\nb"));
        assert!(valid_custom_group_id("my-group"));
        assert!(!valid_custom_group_id("@TGS#abc"));
        assert!(!valid_custom_group_id("中文"));
    }
}
