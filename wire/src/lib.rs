//! Tencent Cloud IM REST v4 on the wire: request and response types, error codes, the URL shape
//! and UserSig (tls-sig-api-v2) generation and verification.
//!
//! Shared by the `v2im` library (the client side) and `v2im-server`. Field names are Tencent's,
//! which is why the types here are not in Rust's usual case.
#![allow(non_snake_case)]

pub mod account;
pub mod c2c;
pub mod codes;
pub mod elem;
pub mod envelope;
pub mod group;
pub mod push;
pub mod url;
pub mod usersig;

pub use elem::MsgElement;
pub use envelope::Envelope;
pub use push::OfflinePushInfo;
