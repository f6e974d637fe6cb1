//! Who is calling: the REST query's `sdkappid`/`identifier`/`usersig`, checked like Tencent's
//! verifier (via `v2im_wire::usersig`), then mapped to the admin or a plain user.
//!
//! Verified sigs are cached (sig → identifier, expiry) because decoding, inflating and HMACing a
//! sig on every request would be a large share of a `sendmsg`'s cost; the expiry is still checked
//! against the clock on each use.

use std::collections::HashMap;
use std::sync::Mutex;

use v2im_wire::codes;
use v2im_wire::usersig::verify_usersig;

use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::http::query::RestQuery;

/// The caller of a REST request, once its UserSig is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// The app admin: may call everything and act as anyone.
    Admin,
    /// Any other account with a valid sig: may only act as itself on a few endpoints
    /// (see README, "Auth extension").
    User(String),
}

impl Principal {
    pub(crate) fn is_admin(&self) -> bool {
        matches!(self, Principal::Admin)
    }
}

/// Enough for every account a test or a demo uses; cleared wholesale when full.
const CACHE_CAP: usize = 4096;

struct Verified {
    identifier: String,
    valid_until: i64,
}

/// The UserSig checker of one server.
pub(crate) struct Auth {
    sdkappid: u64,
    key: String,
    admin: String,
    clock: Clock,
    cache: Mutex<HashMap<String, Verified>>,
}

impl Auth {
    pub(crate) fn new(sdkappid: u64, key: String, admin: String, clock: Clock) -> Self {
        Auth {
            sdkappid,
            key,
            admin,
            clock,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The admin account's id.
    pub(crate) fn admin(&self) -> &str {
        &self.admin
    }

    /// Checks the query's credentials and says who is calling.
    pub(crate) fn check(&self, q: &RestQuery) -> ApiResult<Principal> {
        let appid = q
            .sdkappid
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::new(codes::SDKAPPID_MISSING, "sdkappid is missing in the URL")
            })?;
        match appid.trim().parse::<u64>() {
            Ok(a) if a == self.sdkappid => {}
            _ => {
                return Err(ApiError::new(
                    codes::INVALID_SDKAPPID,
                    format!("invalid sdkappid {appid:?}"),
                ))
            }
        }
        let identifier = q
            .identifier
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    codes::ACCOUNT_OR_SIG_IN_URL,
                    "identifier is missing in the URL",
                )
            })?;
        let sig = q
            .usersig
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::new(codes::SIG_EMPTY, "usersig is missing in the URL"))?;
        let now = self.clock.now();
        if !self.cached(sig, identifier, now) {
            let claims = verify_usersig(sig, self.sdkappid, &self.key, identifier, now)
                .map_err(|e| ApiError::new(e.code(), e.to_string()))?;
            self.remember(sig, identifier, claims.time.saturating_add(claims.expire));
        }
        Ok(if identifier == self.admin {
            Principal::Admin
        } else {
            Principal::User(identifier.to_string())
        })
    }

    fn cached(&self, sig: &str, identifier: &str, now: i64) -> bool {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(sig)
            .is_some_and(|v| v.identifier == identifier && now <= v.valid_until)
    }

    fn remember(&self, sig: &str, identifier: &str, valid_until: i64) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_CAP {
            cache.clear();
        }
        cache.insert(
            sig.to_string(),
            Verified {
                identifier: identifier.to_string(),
                valid_until,
            },
        );
    }
}
