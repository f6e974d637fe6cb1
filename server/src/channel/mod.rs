//! v2im's live channel (`GET /v4/v2im/channel`, the protocol in `v2im_wire::channel`): a
//! receiving client holds one answer open and reads its account's events as JSON lines.
//!
//! The request is authenticated like a REST call; `userID` names whose events (only the admin
//! may name another account than `identifier`). Refusals are REST error bodies, never a stream.
//! An admitted channel is a [`stream::Channel`]: it reads the account's inbox from the database
//! after its cursor whenever the writer announces new events, so what it has not sent yet costs
//! no memory, and it ends with the server's shutdown.

pub(crate) mod hub;
mod stream;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use v2im_wire::channel::{QUERY_CURSOR, QUERY_POLL, QUERY_USER_ID};
use v2im_wire::codes;

use crate::auth::{Auth, Principal};
use crate::error::ApiError;
use crate::http::query::RestQuery;
use crate::http::{drain, error_body, json_response};
use crate::store::{events, read};
use crate::App;
use hub::Refused;

/// The channel's own query keys (decoded; repeated keys keep the first).
#[derive(Debug, Default)]
struct ChannelQuery {
    user_id: Option<String>,
    cursor: Option<String>,
    poll: Option<String>,
}

impl ChannelQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut q = ChannelQuery::default();
        for pair in query.unwrap_or("").split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match percent_decode_str(k).decode_utf8_lossy().as_ref() {
                QUERY_USER_ID => &mut q.user_id,
                QUERY_CURSOR => &mut q.cursor,
                QUERY_POLL => &mut q.poll,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(percent_decode_str(v).decode_utf8_lossy().into_owned());
            }
        }
        q
    }
}

fn bad(key: &str, problem: impl std::fmt::Display) -> ApiError {
    ApiError::new(codes::INVALID_PARAMETER_70402, format!("{key}: {problem}"))
}

/// What an admitted channel was opened with.
struct Opening {
    account: String,
    cursor: Option<u64>,
    poll: bool,
}

/// Checks the query: who, whose events, from where.
fn check(auth: &Auth, raw: Option<&str>) -> Result<Opening, ApiError> {
    let who = auth.check(&RestQuery::parse(raw))?;
    let q = ChannelQuery::parse(raw);
    let identifier = match &who {
        Principal::Admin => auth.admin().to_string(),
        Principal::User(me) => me.clone(),
    };
    let account = q.user_id.filter(|u| !u.is_empty()).unwrap_or(identifier);
    if let Principal::User(me) = &who {
        if *me != account {
            return Err(ApiError::new(
                codes::ADMIN_REQUIRED_URL,
                format!("{QUERY_USER_ID}: {me:?} may only open its own channel, not {account:?}'s"),
            ));
        }
    }
    if !crate::validate::valid_user_id(&account) {
        return Err(bad(
            QUERY_USER_ID,
            "not a valid account id (1 to 32 bytes, no control characters)",
        ));
    }
    let cursor = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(c.parse::<u64>().map_err(|_| {
            bad(
                QUERY_CURSOR,
                format_args!(
                    "{:?} is not a cursor (a non-negative integer)",
                    c.chars().take(30).collect::<String>()
                ),
            )
        })?),
    };
    let poll = match q.poll.as_deref() {
        None | Some("" | "0") => false,
        Some("1") => true,
        Some(p) => {
            return Err(bad(
                QUERY_POLL,
                format_args!(
                    "must be 0 or 1, not {:?}",
                    p.chars().take(30).collect::<String>()
                ),
            ))
        }
    };
    Ok(Opening {
        account,
        cursor,
        poll,
    })
}

/// The channel query's checks (credentials, account, cursor, poll), for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn check_query(auth: &Auth, raw: Option<&str>) -> Result<(), ApiError> {
    check(auth, raw).map(drop)
}

fn refuse(e: &ApiError) -> Response {
    tracing::debug!("channel refused: {e}");
    json_response(error_body(e))
}

/// `GET /v4/v2im/channel`.
pub(crate) async fn open(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    drain(body).await;
    if parts.method != Method::GET {
        return refuse(&ApiError::new(
            codes::HTTP_PARSE_ERROR,
            format!("{} is not allowed: the channel is a GET", parts.method),
        ));
    }
    let r = match check(&app.auth, parts.uri.query()) {
        Ok(r) => r,
        Err(e) => return refuse(&e),
    };
    if !app.auto_import {
        let account = r.account.clone();
        match app
            .store
            .read(move |c| read::account_exists(c, &account))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return refuse(&ApiError::new(
                    codes::USER_NOT_FOUND,
                    format!(
                        "{QUERY_USER_ID}: {:?} is not an imported account",
                        r.account
                    ),
                ))
            }
            Err(e) => return refuse(&e),
        }
    }
    // Admitted before the start is read: an event committed in between wakes the channel.
    let ticket = match app.hub.admit(&r.account) {
        Ok(t) => {
            app.metrics.channel_opened();
            t
        }
        Err(why) => {
            let info = match why {
                Refused::Account(n) => format!(
                    "{:?} has {n} channels open, the most one account may have: close one",
                    r.account
                ),
                Refused::Total(n) => format!("the server has {n} channels open, its limit"),
            };
            return refuse(&ApiError::new(codes::CHANNEL_LIMIT, info));
        }
    };
    let (account, cursor) = (r.account.clone(), r.cursor);
    let start = match app
        .store
        .read(move |c| events::start(c, &account, cursor))
        .await
    {
        Ok(s) => s,
        Err(e) => return refuse(&e),
    };
    let body = stream::Channel::new(app.clone(), ticket, r.account, start, r.poll).into_body();
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(v2im_wire::channel::CONTENT_TYPE),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_keys_are_decoded_and_the_first_wins() {
        let q = ChannelQuery::parse(Some("sdkappid=1&userID=a%20b&cursor=12&userID=x&poll=1&z"));
        assert_eq!(q.user_id.as_deref(), Some("a b"));
        assert_eq!(q.cursor.as_deref(), Some("12"));
        assert_eq!(q.poll.as_deref(), Some("1"));
        let q = ChannelQuery::parse(None);
        assert!(q.user_id.is_none() && q.cursor.is_none() && q.poll.is_none());
    }
}
