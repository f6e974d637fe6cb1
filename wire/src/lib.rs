//! Tencent Cloud IM REST v4 on the wire: request and response types, error codes, the URL shape
//! and UserSig (tls-sig-api-v2) generation and verification.
//!
//! Shared by the `v2im` library (the client side) and `v2im-server`. On the wire the keys are
//! Tencent's: each type renames its fields to PascalCase, and only Tencent's exceptions
//! (`From_Account`, `UserID`, `OPPOChannelID`, ...) are renamed field by field. The types accept
//! unknown keys, because the library reads answers and history elements from Tencent's cloud,
//! which adds fields over time; v2im-server refuses unknown keys in the request bodies it parses.

pub mod account;
pub mod c2c;
pub mod channel;
pub mod codes;
pub mod elem;
pub mod envelope;
pub mod group;
pub mod push;
pub mod url;
pub mod usersig;
pub mod webhook;

pub use elem::MsgElement;
pub use envelope::Envelope;
pub use push::OfflinePushInfo;
