//! The binary's admin commands (`v2im-server usersig`, `account import`, `group create`): what a
//! user needs before the first message, in plain shell.
//!
//! `usersig` works offline: it signs with the secret key. The others are REST requests as the
//! app admin to a running server (`--server`), the same requests an app backend makes; they never
//! open the database, whose accounts and groups the running server also keeps in memory.

use std::path::Path;
use std::time::Duration;

use axum::body::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use v2im_wire::account::{MultiAccountImportRequest, MultiAccountImportResponse};
use v2im_wire::group::{CreateGroupRequest, CreateGroupResponse, NewGroupMember};
use v2im_wire::url::paths;
use v2im_wire::Envelope;

use crate::webhook::client::{tls_config, Target};

/// How long one admin request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The app an admin command acts for.
#[derive(Debug, Clone)]
pub struct AdminApp {
    pub sdkappid: u64,
    pub secret_key: String,
    /// The app admin account the requests are signed for.
    pub admin: String,
}

/// A running server's REST base URL, e.g. `http://127.0.0.1:9080`.
#[derive(Debug, Clone)]
pub struct ServerUrl<'a> {
    pub url: &'a str,
    /// Extra PEM roots for an `https` server with a certificate of its own.
    pub ca_file: Option<&'a Path>,
}

/// A UserSig for `user`, valid `expire_secs` from now (Tencent's TLSSigAPIv2 format).
pub fn usersig(app: &AdminApp, user: &str, expire_secs: i64) -> String {
    v2im_wire::usersig::gen_usersig(app.sdkappid, &app.secret_key, user, expire_secs)
}

/// Imports `accounts` (`multiaccount_import`); fails naming any the server did not import.
pub fn import_accounts(
    server: &ServerUrl<'_>,
    app: &AdminApp,
    accounts: &[String],
) -> Result<(), String> {
    let req = MultiAccountImportRequest {
        accounts: accounts.to_vec(),
    };
    let ans: MultiAccountImportResponse = post(server, app, paths::MULTIACCOUNT_IMPORT, &req)?;
    if ans.fail_accounts.is_empty() {
        Ok(())
    } else {
        Err(format!("not imported: {}", ans.fail_accounts.join(", ")))
    }
}

/// What `group create` asks for.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub owner: Option<String>,
    /// Tencent's group type: Public, Private (Work), ChatRoom (Meeting), AVChatRoom, Community.
    pub kind: String,
    pub name: String,
    /// `None`: the server picks one.
    pub group_id: Option<String>,
    pub members: Vec<String>,
}

/// Creates a group (`create_group`); its group ID.
pub fn create_group(
    server: &ServerUrl<'_>,
    app: &AdminApp,
    group: &NewGroup,
) -> Result<String, String> {
    let req = CreateGroupRequest {
        owner_account: group.owner.clone(),
        kind: group.kind.clone(),
        group_id: group.group_id.clone(),
        name: group.name.clone(),
        member_list: group
            .members
            .iter()
            .map(|m| NewGroupMember {
                member_account: m.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let ans: CreateGroupResponse = post(server, app, paths::CREATE_GROUP, &req)?;
    Ok(ans.group_id)
}

/// One signed REST request as the admin; the answer when its envelope says OK (as the library
/// reads answers: the envelope first, the rest only on success).
fn post<Req: Serialize, Ans: DeserializeOwned>(
    server: &ServerUrl<'_>,
    app: &AdminApp,
    path: &str,
    req: &Req,
) -> Result<Ans, String> {
    let base = server.url.trim_end_matches('/');
    let sig = usersig(app, &app.admin, 3600);
    let url = v2im_wire::url::rest_url(
        base,
        path,
        app.sdkappid,
        &app.admin,
        &sig,
        fastrand::u32(..),
    );
    let tls = tls_config("--ca-file", server.ca_file).map_err(|e| e.to_string())?;
    // Errors name the base URL only: the full one carries the admin's UserSig.
    let target = Target::new("--server", &url, TIMEOUT, &tls)
        .map_err(|_| format!("--server {base:?}: not an http:// or https:// URL with a host"))?;
    let body = Bytes::from(serde_json::to_vec(req).map_err(|e| e.to_string())?);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let answer = rt
        .block_on(target.post(None, body))
        .map_err(|e| format!("{base}: {e}"))?;
    let not_an_answer = |e| format!("{base} answered what is not a {path} answer: {e}");
    let env: Envelope = serde_json::from_slice(&answer).map_err(not_an_answer)?;
    if env.is_ok() {
        serde_json::from_slice(&answer).map_err(not_an_answer)
    } else {
        Err(format!(
            "{base} refused it: {} {}",
            env.error_code, env.error_info
        ))
    }
}
