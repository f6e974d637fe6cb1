//! Write jobs: what handlers ask the writer thread to do, already validated as far as the request
//! alone allows. The writer checks what needs the stored state (accounts, membership, duplicates,
//! rate) and answers each job after the transaction holding it has committed.

use tokio::sync::oneshot;

use crate::error::ApiResult;

/// Where a job's answer goes.
pub(crate) type Reply<T> = oneshot::Sender<ApiResult<T>>;

/// One account of an import.
#[derive(Debug, Clone)]
pub(crate) struct AccountIn {
    pub user_id: String,
    pub nick: Option<String>,
    pub face_url: Option<String>,
}

/// The stored form of what C2C and group messages share. JSON columns hold the canonical
/// serialisation of the wire types.
#[derive(Debug, Clone, Default)]
pub(crate) struct MsgCommon {
    pub body: String,
    pub cloud_custom_data: String,
    pub support_ext: Option<i64>,
    pub need_receipt: Option<i64>,
    pub push_info: Option<String>,
    pub send_control: Option<String>,
    pub forbid_callback: Option<String>,
    pub online_only: bool,
    pub no_unread: bool,
    pub no_last: bool,
    /// `OfflinePushInfo.PushFlag` 1: no push job.
    pub no_push: bool,
    /// `ForbidCallbackControl` holds `ForbidBeforeSendMsgCallback`.
    pub no_before_callback: bool,
    /// `ForbidCallbackControl` holds `ForbidAfterSendMsgCallback`.
    pub no_after_callback: bool,
}

/// A C2C message to one (`sendmsg`) or several (`batchsendmsg`) receivers.
#[derive(Debug, Clone)]
pub(crate) struct C2cIn {
    pub from: String,
    pub to: Vec<String>,
    pub batch: bool,
    /// As sent: `None` lets the server pick one (and the duplicate key remembers it was absent).
    pub seq: Option<u32>,
    pub random: u32,
    pub sync_other: Option<i64>,
    pub life_time: Option<i64>,
    pub common: MsgCommon,
    /// The `MsgSeq` and `MsgTime` a before-send callback announced: the message gets them.
    pub announced: Option<(u32, i64)>,
    /// The sender's address (`ClientIP` of its callbacks).
    pub client_ip: String,
}

/// The answer for one receiver of a C2C message (a duplicate gets the original's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct C2cSent {
    pub msg_time: i64,
    pub msg_seq: u32,
    pub msg_key: String,
}

/// A group message.
#[derive(Debug, Clone)]
pub(crate) struct GroupMsgIn {
    pub group_id: String,
    pub from: String,
    /// Sent as the admin: no membership needed.
    pub as_admin: bool,
    pub random: u32,
    /// 1 High, 2 Normal, 3 Low, 4 Lowest (history numbering).
    pub priority: i64,
    pub at_info: Option<String>,
    pub to_accounts: Option<Vec<String>>,
    pub topic_id: Option<String>,
    pub common: MsgCommon,
    /// Who made the request (`Operator_Account` of its callbacks).
    pub operator: String,
    /// The sender's address (`ClientIP` of its callbacks).
    pub client_ip: String,
}

/// The answer of `send_group_msg` (a duplicate gets the original's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupSent {
    pub msg_time: i64,
    pub msg_seq: u64,
    /// "" or "MsgFreqCtrl".
    pub drop_reason: &'static str,
}

/// `create_group`, validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupIn {
    pub group_id: Option<String>,
    pub kind: String,
    pub name: String,
    pub owner: Option<String>,
    /// (account, role) without the owner.
    pub members: Vec<(String, String)>,
    pub introduction: String,
    pub notification: String,
    pub face_url: String,
    pub max_member_num: i64,
}

/// Everything the writer thread does.
pub(crate) enum Job {
    /// Per account: `None` imported, `Some(err)` refused.
    ImportAccounts {
        accounts: Vec<AccountIn>,
        reply: Reply<Vec<Option<crate::error::ApiError>>>,
    },
    /// Per receiver, in order.
    SendC2c {
        msg: C2cIn,
        reply: Reply<Vec<ApiResult<C2cSent>>>,
    },
    SetC2cRead {
        owner: String,
        peer: String,
        read_time: Option<i64>,
        reply: Reply<()>,
    },
    CreateGroup {
        group: GroupIn,
        reply: Reply<String>,
    },
    /// Per member: 0 failed (not an account), 1 added, 2 already a member.
    AddMembers {
        group_id: String,
        members: Vec<String>,
        reply: Reply<Vec<(String, i64)>>,
    },
    DestroyGroup {
        group_id: String,
        reply: Reply<()>,
    },
    SendGroup {
        msg: GroupMsgIn,
        reply: Reply<GroupSent>,
    },
    SetGroupUnread {
        group_id: String,
        member: String,
        unread: i64,
        reply: Reply<()>,
    },
    /// `group_msg_receipt`: the counts of each message after the reader's receipt.
    GroupMsgReceipt {
        group_id: String,
        reader: String,
        seqs: Vec<u64>,
        reply: Reply<Vec<v2im_wire::group::GroupMsgReceipt>>,
    },
    /// `c2c_msg_read_receipt`: the keys that got no receipt.
    C2cReceipt {
        operator: String,
        peer: String,
        keys: Vec<String>,
        reply: Reply<Vec<v2im_wire::c2c::MsgKeyError>>,
    },
    /// Outbox rows of `lane` that were delivered (or given up): deleted.
    OutboxDone {
        lane: usize,
        ids: Vec<u64>,
        reply: Reply<()>,
    },
    /// Finish what is queued, checkpoint the WAL and stop.
    Shutdown,
}
