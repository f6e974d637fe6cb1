//! The media path checks of both sides: v2im-server's `/files/{uuid}/{name}` parsing, and the
//! names the library puts in upload URLs, which the server must always accept.
#![no_main]

use std::path::{Component, Path};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Whatever the path, an accepted one names a file two levels under the files directory,
    // never a rendition folder.
    if let Some((uuid, name)) = v2im_server::fuzz::file_path(&text) {
        let joined = Path::new(&uuid).join(&name);
        let parts: Vec<_> = joined.components().collect();
        assert!(
            parts.len() == 2 && parts.iter().all(|c| matches!(c, Component::Normal(_))),
            "{text:?} -> {uuid:?} {name:?}"
        );
        assert!(!name.starts_with('.'), "{text:?}");
    }
    // Whatever the local file name, the name the library uploads under is one the server takes.
    let name = v2im::fuzz::url_name(v2im::fuzz::base_name(&text));
    assert!(v2im_server::fuzz::valid_name(&name), "{text:?} -> {name:?}");
    let uuid = "0123456789abcdef0123456789abcdef";
    assert!(v2im_server::fuzz::valid_uuid(uuid));
    assert_eq!(
        v2im_server::fuzz::file_path(&format!("/files/{uuid}/{name}")),
        Some((uuid.to_string(), name.clone())),
        "{text:?}"
    );
});
