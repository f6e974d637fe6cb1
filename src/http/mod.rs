//! HTTP/1.1 as the library speaks it, over TCP or TLS: the URLs of `serverUrl` and `uploadUrl`
//! (`url`), answer heads and chunk lines (`head`, shared with the live channel's reader in
//! `receive/`), and the keep-alive client of the REST calls and the media uploads (`client`).

pub(crate) mod client;
pub(crate) mod head;
pub(crate) mod url;
