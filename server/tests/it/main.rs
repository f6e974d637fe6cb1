//! v2im-server's integration tests, in one binary (one link of the server): each module runs a
//! server on port 0 with a temporary database and talks to it over real HTTP.

mod common;

#[cfg(unix)]
mod attacks;
mod auth;
mod bodies;
mod c2c;
mod channel;
mod channel_process;
mod compat;
mod conversations;
mod deploy;
mod group;
mod nesting;
mod operate;
mod process;
mod receipts;
mod secrets;
mod webhooks;
