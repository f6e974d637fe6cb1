//! Entry points of the fuzz targets (`fuzz/` at the repository's root), behind the `fuzzing`
//! feature: thin drivers of the server's crate-private parsing code, which they call as the
//! request path does. Nothing here parses anything itself.

use axum::body::Bytes;

use crate::auth::{Auth, Principal};
use crate::clock::Clock;
use crate::config::{TEST_SDKAPPID, TEST_SECRET_KEY};
use crate::http::files;
use crate::http::query::RestQuery;

/// The admin account of the drivers' credentials check (sdkappid [`TEST_SDKAPPID`], key
/// [`TEST_SECRET_KEY`]).
pub const ADMIN: &str = "administrator";
/// The drivers' clock: sigs made at this time with a positive expiry are valid.
pub const NOW: i64 = 1_700_000_000;

/// A fresh checker per input: its cache of verified sigs would make one input's outcome depend
/// on the inputs before it.
fn auth() -> Auth {
    Auth::new(
        TEST_SDKAPPID,
        TEST_SECRET_KEY.to_string(),
        ADMIN.to_string(),
        Clock::manual(NOW),
    )
}

/// A REST request body as command number `command` (any number: it picks one of the server's
/// commands) takes it before its handler runs, from the admin or from the account "alice".
pub fn request(command: usize, admin: bool, body: &[u8]) {
    let who = if admin {
        Principal::Admin
    } else {
        Principal::User("alice".to_string())
    };
    let _ = crate::handlers::parse_only(command, &who, Bytes::copy_from_slice(body));
}

/// A request's query string (`a=b&c=d`, without `?`): the REST credentials check, then the live
/// channel's query checks.
pub fn query(raw: &str) {
    let auth = auth();
    let _ = auth.check(&RestQuery::parse(Some(raw)));
    let _ = crate::channel::check_query(&auth, Some(raw));
}

/// `uuid` and decoded `name` of a `/files/{uuid}/{name}` path, as the file handler reads it.
pub fn file_path(path: &str) -> Option<(String, String)> {
    files::parse_path(path)
}

/// The file handler's check of a uuid segment.
pub fn valid_uuid(s: &str) -> bool {
    files::valid_uuid(s)
}

/// The file handler's check of a decoded name segment.
pub fn valid_name(s: &str) -> bool {
    files::valid_name(s)
}
