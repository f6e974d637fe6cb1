//! The writer thread: the only owner of the write connection and of the state that must not race
//! (accounts, memberships, per-group seq counters, the duplicate windows, rate control).
//!
//! It applies a job and every job that arrives while that transaction is open in ONE
//! transaction, commits, and only then answers each job (see [`Writer::run_batch`]). Concurrent
//! requests therefore share a commit, which is what makes durable sends fast: the cost of a
//! commit (writing every page the batch changed to the WAL) is paid once per batch, not once per
//! message.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use v2im_wire::codes;

use super::checkpoint::{self, Checkpointer};
use super::dedup::Dedup;
use super::jobs::*;
use crate::channel::hub::{Committed, Hub};
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::validate::valid_user_id;

mod inbox;
mod outbox;
mod receipts;

pub(crate) use inbox::line;
pub(crate) use outbox::Hooks;

/// More jobs than this in one transaction only delays the first answers.
const MAX_BATCH: usize = 2048;

/// Duplicate-window keys are 64-bit hashes of (sender, receiver, random, seq) and
/// (group, sender, random) mapped to the row id: about 50 bytes per message in the window instead
/// of several strings. A hit is confirmed against the stored row, so a hash collision can never
/// make a new message a "duplicate".
fn c2c_hash(from: &str, to: &str, random: u32, seq: Option<u32>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (from, to, random, seq).hash(&mut h);
    h.finish()
}

fn group_hash(group_id: &str, from: &str, random: u32) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (group_id, from, random).hash(&mut h);
    h.finish()
}

struct GroupState {
    members: HashSet<String>,
    last_seq: u64,
    rate_sec: i64,
    rate_count: u32,
}

/// Settings the writer needs.
pub(crate) struct WriterConfig {
    pub clock: Clock,
    pub auto_import: bool,
    pub group_rate: u32,
    pub admin: String,
    /// REST requests in progress (maintained by the HTTP layer).
    pub inflight: Arc<AtomicUsize>,
    /// The open live channels, woken after each commit.
    pub hub: Arc<Hub>,
    /// Inbox events older than this many seconds are removed; 0 keeps them.
    pub inbox_retention_secs: i64,
    /// The notifications (after-send callbacks, push jobs) queued in the outbox.
    pub hooks: Hooks,
    /// Commits and the jobs they carried are counted here.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// How long a batch waits for requests in progress ([`gather`]).
    pub gather: Duration,
}

pub(crate) struct Writer {
    conn: Connection,
    cfg: WriterConfig,
    ckpt: Checkpointer,
    accounts: HashSet<String>,
    groups: HashMap<String, GroupState>,
    convs: HashSet<(String, String)>,
    /// Hash of the duplicate key → row id, for the last five minutes.
    c2c_dedup: Dedup<u64, i64>,
    group_dedup: Dedup<u64, i64>,
    /// The `msg_time` of the newest run in `c2c_times` (see the schema's version 3).
    c2c_time: Option<i64>,
    /// The next inbox event id (cursor) and group message id: assigned here, never reused.
    next_event: u64,
    next_group_msg: i64,
    /// Inbox rows of the open transaction: written together just before its commit, then
    /// announced to the hub once it has committed.
    inbox: Vec<inbox::Row>,
    /// C2C unread counts the open transaction adds, per (owner, peer): written once per pair
    /// per commit (see [`Writer::flush_unread`]).
    unread: HashMap<(String, String), i64>,
    /// Online-only lines of the open transaction and their receivers, queued once it has
    /// committed.
    online: Vec<(Vec<String>, axum::body::Bytes)>,
    /// When the inbox is next trimmed to its retention.
    next_prune: i64,
    /// Per lane, the next outbox id and the newest id the open transaction added (0: none).
    next_outbox: [u64; crate::store::outbox::lane::COUNT],
    outbox_added: [u64; crate::store::outbox::lane::COUNT],
}

/// A job's answer, held until its transaction has committed. Called with the commit's error,
/// if any, which then replaces the answer.
type Pending = Box<dyn FnOnce(Option<&ApiError>) + Send>;

fn pending<T: Send + 'static>(reply: Reply<T>, result: ApiResult<T>) -> Pending {
    Box::new(move |fail| {
        let _ = reply.send(match fail {
            None => result,
            Some(e) => Err(e.clone()),
        });
    })
}

/// How long a batch stays open for requests that are on their way to the writer, from its first
/// job on ([`WriterConfig::gather`]). With fsync'd commits (`synchronous_full`) the flush is what
/// a commit costs, so sharing one is worth a wait of 100 µs; it only waits while other requests
/// are in progress, and a job that arrives ends the wait at once. Otherwise a commit costs less
/// than the wait: a batch takes only what queued while the last commit was being written (4-12 %
/// more sends at 4 connections, the same at 16; bench/ANALYSIS.md has the runs).
pub(crate) fn gather(synchronous_full: bool) -> Duration {
    if synchronous_full {
        Duration::from_micros(100)
    } else {
        Duration::ZERO
    }
}

/// Sorted pair: the key of a C2C conversation.
pub(crate) fn conv_key(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

impl Writer {
    /// Loads the in-memory state from the database.
    pub(crate) fn new(
        conn: Connection,
        cfg: WriterConfig,
        ckpt: Checkpointer,
    ) -> rusqlite::Result<Self> {
        // A batch uses a dozen statements, the inbox's multi-row INSERT in up to
        // `inbox::INSERT_ROWS` sizes among them: rusqlite's default of 16 would keep preparing
        // them again.
        conn.set_prepared_statement_cache_capacity(64);
        let mut w = Writer {
            conn,
            cfg,
            ckpt,
            accounts: HashSet::new(),
            groups: HashMap::new(),
            convs: HashSet::new(),
            c2c_dedup: Dedup::new(),
            group_dedup: Dedup::new(),
            c2c_time: None,
            next_event: 1,
            next_group_msg: 1,
            inbox: Vec::new(),
            unread: HashMap::new(),
            online: Vec::new(),
            next_prune: 0,
            next_outbox: [1; crate::store::outbox::lane::COUNT],
            outbox_added: [0; crate::store::outbox::lane::COUNT],
        };
        w.reload()?;
        Ok(w)
    }

    fn reload(&mut self) -> rusqlite::Result<()> {
        let now = self.cfg.clock.now();
        self.conn.execute(
            "INSERT OR IGNORE INTO accounts(user_id, created) VALUES (?1, ?2)",
            params![self.cfg.admin, now],
        )?;
        let conn = &self.conn;
        self.accounts = conn
            .prepare("SELECT user_id FROM accounts")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        self.convs = conn
            .prepare("SELECT lo, hi FROM c2c_convs")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut groups = HashMap::new();
        {
            let mut st = conn.prepare(
                "SELECT g.group_id, (SELECT COALESCE(MAX(seq), 0) FROM group_msgs m WHERE m.group_id = g.group_id) FROM groups g",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let last: i64 = r.get(1)?;
                groups.insert(
                    id,
                    GroupState {
                        members: HashSet::new(),
                        last_seq: last as u64,
                        rate_sec: 0,
                        rate_count: 0,
                    },
                );
            }
            let mut st = conn.prepare("SELECT group_id, user_id FROM group_members")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let gid: String = r.get(0)?;
                if let Some(g) = groups.get_mut(&gid) {
                    g.members.insert(r.get(1)?);
                }
            }
        }
        self.groups = groups;
        self.inbox.clear();
        self.unread.clear();
        self.online.clear();
        self.c2c_time = conn
            .query_row(
                "SELECT msg_time FROM c2c_times ORDER BY first_id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        self.next_event = inbox::next_event_id(conn)?;
        self.next_group_msg = inbox::next_group_msg_id(conn)?;
        self.next_outbox = outbox::next_ids(conn)?;
        self.outbox_added = [0; crate::store::outbox::lane::COUNT];

        // The duplicate windows, from the messages of the last five minutes (newest first, so
        // the scan stops at the first older one; ids grow with time).
        let oldest = now - codes::limits::DEDUP_WINDOW_SECS;
        let mut c2c = Vec::new();
        {
            let mut st = conn.prepare(
                "SELECT id, from_acc, to_acc, msg_random, msg_seq, seq_given, msg_time FROM c2c_msgs ORDER BY id DESC",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let t: i64 = r.get(6)?;
                if t < oldest {
                    break;
                }
                let from: String = r.get(1)?;
                let to: String = r.get(2)?;
                let given: bool = r.get(5)?;
                let seq = given.then_some(r.get::<_, u32>(4)?);
                c2c.push((c2c_hash(&from, &to, r.get(3)?, seq), t, r.get::<_, i64>(0)?));
            }
        }
        self.c2c_dedup = Dedup::new();
        for (k, t, id) in c2c.into_iter().rev() {
            if self.c2c_dedup.get(&k, now).is_none() {
                self.c2c_dedup.insert(k, t, id);
            }
        }
        let mut grp = Vec::new();
        {
            let mut st = conn.prepare(
                "SELECT id, group_id, from_acc, random, msg_time FROM group_msgs ORDER BY id DESC",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let t: i64 = r.get(4)?;
                if t < oldest {
                    break;
                }
                let gid: String = r.get(1)?;
                let from: String = r.get(2)?;
                grp.push((group_hash(&gid, &from, r.get(3)?), t, r.get::<_, i64>(0)?));
            }
        }
        self.group_dedup = Dedup::new();
        for (k, t, id) in grp.into_iter().rev() {
            if self.group_dedup.get(&k, now).is_none() {
                self.group_dedup.insert(k, t, id);
            }
        }
        Ok(())
    }

    /// Runs until a [`Job::Shutdown`] arrives or every sender is gone, then checkpoints.
    pub(crate) fn run(mut self, rx: Receiver<Job>) {
        let mut stop = false;
        while !stop {
            let first = match rx.recv() {
                Ok(j) => j,
                Err(_) => break,
            };
            stop = self.run_batch(first, &rx, true);
            self.maybe_prune();
        }
        // Drain what raced with the shutdown request so no caller waits forever.
        while let Ok(late) = rx.try_recv() {
            self.run_batch(late, &rx, false);
        }
        self.ckpt.stop();
        if let Err(e) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::warn!("WAL checkpoint at shutdown failed: {e}");
        }
        let (commits, jobs) = self.cfg.metrics.commits();
        tracing::info!("writer stopped: {jobs} jobs in {commits} commits");
    }

    /// Applies `first`, and every job that arrives while the transaction is open, in one
    /// transaction; commits; answers them all. Jobs are applied as they come: what queued while
    /// the last commit was being written joins at once, and with `wait` the transaction stays
    /// open up to [`WriterConfig::gather`] for the requests still in progress (`inflight` counts the REST
    /// requests being handled, this batch's included), so that they share its commit. A commit
    /// writes every page the batch changed, and a send changes pages that the next sends change
    /// again (the message table's last page, the sender's inbox, the counts), so sharing one is
    /// what keeps the pages written per message low. A lone request never waits.
    /// Returns whether a shutdown was requested.
    fn run_batch(&mut self, first: Job, rx: &Receiver<Job>, wait: bool) -> bool {
        let now = self.cfg.clock.now();
        let deadline = Instant::now() + self.cfg.gather;
        let wait = wait && !self.cfg.gather.is_zero();
        self.c2c_dedup.prune(now);
        self.group_dedup.prune(now);
        let mut stop = false;
        let mut answers: Vec<Pending> = Vec::new();
        let mut failed: Option<ApiError> = None;
        if let Err(e) = self.exec_cached("BEGIN IMMEDIATE") {
            failed = Some(storage_error(&e));
        }
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(job) = next.take() {
            taken += 1;
            if matches!(job, Job::Shutdown) {
                stop = true;
                break;
            }
            if failed.is_some() {
                answers.push(refuse(job));
            } else {
                match self.apply(job, now) {
                    Ok(p) => answers.push(p),
                    Err((e, p)) => {
                        failed = Some(storage_error(&e));
                        answers.push(p);
                    }
                }
            }
            if taken >= MAX_BATCH {
                break;
            }
            next = match rx.try_recv() {
                Ok(j) => Some(j),
                Err(_) if wait && self.cfg.inflight.load(Ordering::Relaxed) > taken => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    rx.recv_timeout(left).ok()
                }
                Err(_) => None,
            };
        }
        if failed.is_none() {
            let end = self
                .flush_unread()
                .and_then(|()| self.flush_inbox())
                .and_then(|()| self.exec_cached("COMMIT"));
            match end {
                Ok(()) => self.cfg.metrics.commit(taken as u64),
                Err(e) => failed = Some(storage_error(&e)),
            }
        }
        if let Some(err) = &failed {
            tracing::error!(
                "transaction failed, answering {} jobs with {err}",
                answers.len()
            );
            let _ = self.conn.execute_batch("ROLLBACK");
            if let Err(e) = self.reload() {
                tracing::error!("reloading state after a failed transaction: {e}");
            }
        } else {
            // Channels start reading while the answers go out, each all of its account's
            // events of this commit in one page.
            self.cfg.hub.committed(self.inbox.iter().map(|r| Committed {
                account: &r.account,
                cursor: r.id,
                line: r.live.as_ref(),
            }));
            for (accounts, line) in &self.online {
                self.cfg.hub.push_online(accounts, line);
            }
            self.outbox_committed();
        }
        self.inbox.clear();
        self.unread.clear();
        self.online.clear();
        for a in answers {
            a(failed.as_ref());
        }
        if failed.is_none() {
            self.ckpt.committed();
        }
        if self.ckpt.restart_due() {
            // After the answers, so that none of them waits for it.
            if let Err(e) = checkpoint::passive(&self.conn) {
                tracing::warn!("WAL checkpoint: {e}");
            }
            self.ckpt.writer_checkpointed();
        }
        stop
    }

    /// Applies one job inside the open transaction. A storage error comes back with the job's
    /// answer slot so the caller can still answer it.
    fn apply(&mut self, job: Job, now: i64) -> Result<Pending, (rusqlite::Error, Pending)> {
        macro_rules! run {
            ($reply:expr, $e:expr) => {
                match $e {
                    Ok(r) => Ok(pending($reply, r)),
                    Err(e) => Err((e, pending($reply, Err(ApiError::new(0, ""))))),
                }
            };
        }
        match job {
            Job::ImportAccounts { accounts, reply } => {
                run!(reply, self.import(accounts, now).map(Ok))
            }
            Job::SendC2c { msg, reply } => run!(reply, self.send_c2c(msg, now)),
            Job::SetC2cRead {
                owner,
                peer,
                read_time,
                reply,
            } => run!(reply, self.set_c2c_read(&owner, &peer, read_time, now)),
            Job::CreateGroup { group, reply } => run!(reply, self.create_group(group, now)),
            Job::AddMembers {
                group_id,
                members,
                reply,
            } => run!(reply, self.add_members(&group_id, members, now)),
            Job::DestroyGroup { group_id, reply } => run!(reply, self.destroy_group(&group_id)),
            Job::SendGroup { msg, reply } => run!(reply, self.send_group(msg, now)),
            Job::SetGroupUnread {
                group_id,
                member,
                unread,
                reply,
            } => run!(
                reply,
                self.set_group_unread(&group_id, &member, unread, now)
            ),
            Job::GroupMsgReceipt {
                group_id,
                reader,
                seqs,
                reply,
            } => run!(
                reply,
                self.group_msg_receipt(&group_id, &reader, &seqs, now)
            ),
            Job::C2cReceipt {
                operator,
                peer,
                keys,
                reply,
            } => run!(reply, self.c2c_receipt(&operator, &peer, keys, now)),
            Job::OutboxDone {
                lane,
                mut ids,
                reply,
            } => run!(reply, self.outbox_done(lane, &mut ids).map(Ok)),
            Job::Shutdown => Ok(Box::new(|_| {})),
        }
    }

    /// Runs a statement without parameters through the statement cache (BEGIN and COMMIT come
    /// once per batch: not worth parsing again each time).
    fn exec_cached(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    }

    /// Writes the C2C unread counts added since the last flush: one upsert per (owner, peer),
    /// so a burst in one conversation costs one row write per commit, not one per message.
    /// Runs before the commit and before anything in the batch reads or lowers the counts.
    fn flush_unread(&mut self) -> rusqlite::Result<()> {
        if self.unread.is_empty() {
            return Ok(());
        }
        let mut st = self.conn.prepare_cached(
            "INSERT INTO c2c_read(owner, peer, read_id, unread) VALUES (?1, ?2, 0, ?3)
             ON CONFLICT(owner, peer) DO UPDATE SET unread = unread + ?3",
        )?;
        for ((owner, peer), n) in self.unread.drain() {
            st.execute(params![owner, peer, n])?;
        }
        Ok(())
    }

    /// Whether `id` is an account, importing it first under `--auto-import`.
    fn ensure_account(&mut self, id: &str, now: i64) -> rusqlite::Result<bool> {
        if self.accounts.contains(id) {
            return Ok(true);
        }
        if !self.cfg.auto_import || !valid_user_id(id) {
            return Ok(false);
        }
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO accounts(user_id, created) VALUES (?1, ?2)")?
            .execute(params![id, now])?;
        self.accounts.insert(id.to_string());
        Ok(true)
    }

    fn import(
        &mut self,
        accounts: Vec<AccountIn>,
        now: i64,
    ) -> rusqlite::Result<Vec<Option<ApiError>>> {
        let mut out = Vec::with_capacity(accounts.len());
        for a in accounts {
            if !valid_user_id(&a.user_id) {
                out.push(Some(ApiError::new(
                    codes::INVALID_PARAMETER_70402,
                    format!("invalid UserID {:?}: 1 to 32 bytes", a.user_id),
                )));
                continue;
            }
            self.conn
                .prepare_cached(
                    "INSERT INTO accounts(user_id, nick, face_url, created) VALUES (?1, COALESCE(?2, ''), COALESCE(?3, ''), ?4)
                     ON CONFLICT(user_id) DO UPDATE SET nick = COALESCE(?2, nick), face_url = COALESCE(?3, face_url)",
                )?
                .execute(params![a.user_id, a.nick, a.face_url, now])?;
            self.accounts.insert(a.user_id);
            out.push(None);
        }
        Ok(out)
    }

    fn send_c2c(
        &mut self,
        m: C2cIn,
        now: i64,
    ) -> rusqlite::Result<ApiResult<Vec<ApiResult<C2cSent>>>> {
        if !self.ensure_account(&m.from, now)? {
            return Ok(Err(ApiError::new(
                codes::FROM_ACCOUNT_INVALID,
                format!("From_Account {:?} is not an imported account", m.from),
            )));
        }
        // One seq for every receiver of a batch, so they share the MsgKey; a before-send callback
        // announced its seq and time to the app, so the message keeps them.
        let seq = m
            .seq
            .or(m.announced.map(|a| a.0))
            .unwrap_or_else(|| fastrand::u32(..));
        let msg_time = m.announced.map_or(now, |a| a.1);
        let mut out = Vec::with_capacity(m.to.len());
        for to in &m.to {
            if !self.ensure_account(to, now)? {
                let code = if m.batch {
                    codes::USER_NOT_FOUND
                } else {
                    codes::TO_ACCOUNT_NOT_REGISTERED
                };
                out.push(Err(ApiError::new(
                    code,
                    format!("To_Account {to:?} is not an imported account"),
                )));
                continue;
            }
            let key = c2c_hash(&m.from, to, m.random, m.seq);
            if let Some(&id) = self.c2c_dedup.get(&key, now) {
                if let Some(first) = self.c2c_original(id, &m.from, to, m.random, m.seq)? {
                    out.push(Ok(first));
                    continue;
                }
            }
            let sent = C2cSent {
                msg_time,
                msg_seq: seq,
                msg_key: format!("{seq}_{}_{msg_time}", m.random),
            };
            let (lo, hi) = conv_key(&m.from, to);
            let c = &m.common;
            self.conn
                .prepare_cached(
                    "INSERT INTO c2c_msgs(lo, hi, from_acc, to_acc, msg_seq, seq_given, msg_random, msg_time, msg_key,
                        body, cloud_custom_data, support_ext, need_receipt, push_info, send_control, forbid_callback,
                        sync_other, life_time, online_only, no_unread, no_last)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                )?
                .execute(params![
                    lo,
                    hi,
                    m.from,
                    to,
                    seq,
                    m.seq.is_some(),
                    m.random,
                    msg_time,
                    sent.msg_key,
                    c.body,
                    c.cloud_custom_data,
                    c.support_ext,
                    c.need_receipt,
                    c.push_info,
                    c.send_control,
                    c.forbid_callback,
                    m.sync_other,
                    m.life_time,
                    c.online_only,
                    c.no_unread,
                    c.no_last,
                ])?;
            let id = self.conn.last_insert_rowid();
            if self.c2c_time != Some(msg_time) {
                // The first message stored at this time: a run starts (how MsgKeys are found).
                self.conn
                    .prepare_cached("INSERT INTO c2c_times(first_id, msg_time) VALUES (?1, ?2)")?
                    .execute(params![id, msg_time])?;
                self.c2c_time = Some(msg_time);
            }
            if !c.online_only && !c.no_unread {
                *self.unread.entry((to.clone(), m.from.clone())).or_insert(0) += 1;
            }
            if !c.online_only && !self.convs.contains(&(lo.clone(), hi.clone())) {
                self.conn
                    .prepare_cached("INSERT OR IGNORE INTO c2c_convs(lo, hi) VALUES (?1, ?2)")?
                    .execute(params![lo, hi])?;
                self.convs.insert((lo, hi));
            }
            self.c2c_dedup.insert(key, now, id);
            self.c2c_outbox(&m, to, id)?;
            self.deliver_c2c(&m, to, id, &sent, now)?;
            out.push(Ok(sent));
        }
        Ok(Ok(out))
    }

    fn c2c_original(
        &self,
        id: i64,
        from: &str,
        to: &str,
        random: u32,
        seq: Option<u32>,
    ) -> rusqlite::Result<Option<C2cSent>> {
        c2c_original_row(&self.conn, id, (from, to, random, seq))
    }

    fn set_c2c_read(
        &mut self,
        owner: &str,
        peer: &str,
        read_time: Option<i64>,
        now: i64,
    ) -> rusqlite::Result<ApiResult<()>> {
        for a in [owner, peer] {
            if !self.accounts.contains(a) {
                return Ok(Err(ApiError::new(
                    codes::ACCOUNT_NOT_EXIST,
                    format!("{a:?} is not an imported account"),
                )));
            }
        }
        // The counts this batch added so far are part of what the mark reads and lowers.
        self.flush_unread()?;
        let (lo, hi) = conv_key(owner, peer);
        let max: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT MAX(id) FROM c2c_msgs WHERE lo = ?1 AND hi = ?2 AND from_acc = ?3 AND msg_time <= ?4",
            )?
            .query_row(
                params![lo, hi, peer, read_time.unwrap_or(i64::MAX)],
                |r| r.get(0),
            )?;
        let old: i64 = self
            .conn
            .prepare_cached("SELECT read_id FROM c2c_read WHERE owner = ?1 AND peer = ?2")?
            .query_row([owner, peer], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        if let Some(id) = max.filter(|id| *id > old) {
            let newly_read: i64 = self
                .conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM c2c_msgs WHERE lo = ?1 AND hi = ?2 AND from_acc = ?3 AND id > ?4 AND id <= ?5
                       AND online_only = 0 AND no_unread = 0",
                )?
                .query_row(params![lo, hi, peer, old, id], |r| r.get(0))?;
            self.conn
                .prepare_cached(
                    "INSERT INTO c2c_read(owner, peer, read_id, unread) VALUES (?1, ?2, ?3, 0)
                     ON CONFLICT(owner, peer) DO UPDATE SET read_id = MAX(read_id, ?3), unread = MAX(unread - ?4, 0)",
                )?
                .execute(params![owner, peer, id, newly_read])?;
            // Only a mark that moved is news: the peer's receipt, the owner's other clients.
            self.c2c_read_events(owner, peer, read_time.unwrap_or(now), now)?;
        }
        Ok(Ok(()))
    }

    fn create_group(&mut self, g: GroupIn, now: i64) -> rusqlite::Result<ApiResult<String>> {
        let id = match &g.group_id {
            Some(id) => {
                if self.groups.contains_key(id) {
                    return Ok(Err(ApiError::new(
                        codes::GROUP_ID_IN_USE,
                        format!("group {id:?} already exists"),
                    )));
                }
                id.clone()
            }
            None => loop {
                let id = generated_group_id(&g.kind);
                if !self.groups.contains_key(&id) {
                    break id;
                }
            },
        };
        let mut members: Vec<(String, String)> = Vec::new();
        if let Some(o) = &g.owner {
            members.push((o.clone(), "Owner".into()));
        }
        for (m, role) in &g.members {
            if !members.iter().any(|(x, _)| x == m) {
                members.push((m.clone(), role.clone()));
            }
        }
        for (m, _) in &members {
            if !self.ensure_account(m, now)? {
                return Ok(Err(ApiError::new(
                    codes::GROUP_INVALID_PARAMETERS,
                    format!("{m:?} is not an imported account"),
                )));
            }
        }
        self.conn
            .prepare_cached(
                "INSERT INTO groups(group_id, kind, name, owner, introduction, notification, face_url, max_member_num, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                id,
                g.kind,
                g.name,
                g.owner,
                g.introduction,
                g.notification,
                g.face_url,
                g.max_member_num,
                now
            ])?;
        let mut set = HashSet::new();
        for (m, role) in members {
            self.conn
                .prepare_cached(
                    "INSERT INTO group_members(group_id, user_id, role, join_time, read_seq) VALUES (?1, ?2, ?3, ?4, 0)",
                )?
                .execute(params![id, m, role, now])?;
            set.insert(m);
        }
        self.groups.insert(
            id.clone(),
            GroupState {
                members: set,
                last_seq: 0,
                rate_sec: 0,
                rate_count: 0,
            },
        );
        Ok(Ok(id))
    }

    fn add_members(
        &mut self,
        group_id: &str,
        members: Vec<String>,
        now: i64,
    ) -> rusqlite::Result<ApiResult<Vec<(String, i64)>>> {
        if !self.groups.contains_key(group_id) {
            return Ok(Err(group_not_found(group_id)));
        }
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            if !self.ensure_account(&m, now)? {
                out.push((m, 0));
                continue;
            }
            let g = self.groups.get_mut(group_id).expect("checked above");
            if g.members.contains(&m) {
                out.push((m, 2));
                continue;
            }
            // A new member has nothing unread from before it joined.
            self.conn
                .prepare_cached(
                    "INSERT INTO group_members(group_id, user_id, role, join_time, read_seq, join_seq) VALUES (?1, ?2, 'Member', ?3, ?4, ?4)",
                )?
                .execute(params![group_id, m, now, g.last_seq as i64])?;
            g.members.insert(m.clone());
            out.push((m, 1));
        }
        Ok(Ok(out))
    }

    fn destroy_group(&mut self, group_id: &str) -> rusqlite::Result<ApiResult<()>> {
        if self.groups.remove(group_id).is_none() {
            return Ok(Err(group_not_found(group_id)));
        }
        // Inbox rows still name these messages by id: ids are never given out again (see
        // `next_group_msg`), so those rows are skipped, never delivered as another message.
        inbox::retire_group_msgs(&self.conn, group_id)?;
        self.outbox_keep_group(group_id)?;
        for sql in [
            "DELETE FROM group_msgs WHERE group_id = ?1",
            "DELETE FROM group_members WHERE group_id = ?1",
            "DELETE FROM groups WHERE group_id = ?1",
        ] {
            self.conn.prepare_cached(sql)?.execute([group_id])?;
        }
        // Its duplicate-window entries stay; they no longer match a stored row.
        Ok(Ok(()))
    }

    fn send_group(&mut self, m: GroupMsgIn, now: i64) -> rusqlite::Result<ApiResult<GroupSent>> {
        let rate = self.cfg.group_rate;
        let Some(g) = self.groups.get_mut(&m.group_id) else {
            return Ok(Err(group_not_found(&m.group_id)));
        };
        if !m.as_admin && !g.members.contains(&m.from) {
            return Ok(Err(ApiError::new(
                codes::GROUP_PERMISSION_DENY,
                format!("{:?} is not a member of group {:?}", m.from, m.group_id),
            )));
        }
        if let Some(t) = m
            .to_accounts
            .iter()
            .flatten()
            .find(|t| !g.members.contains(*t))
        {
            return Ok(Err(ApiError::new(
                codes::GROUP_INVALID_PARAMETERS,
                format!("To_Account {t:?} is not a member of group {:?}", m.group_id),
            )));
        }
        let key = group_hash(&m.group_id, &m.from, m.random);
        if let Some(&id) = self.group_dedup.get(&key, now) {
            if let Some(first) = group_original(&self.conn, id, &m.group_id, &m.from, m.random)? {
                return Ok(Ok(first));
            }
        }
        let Some(g) = self.groups.get_mut(&m.group_id) else {
            return Ok(Err(group_not_found(&m.group_id)));
        };
        if rate > 0 {
            if g.rate_sec != now {
                g.rate_sec = now;
                g.rate_count = 0;
            }
            // High always goes through (and still counts towards the second's budget).
            if g.rate_count >= rate && m.priority != 1 {
                return Ok(Ok(GroupSent {
                    msg_time: now,
                    msg_seq: 0,
                    drop_reason: "MsgFreqCtrl",
                }));
            }
            g.rate_count += 1;
        }
        let seq = g.last_seq + 1;
        let c = &m.common;
        let to_accounts = m
            .to_accounts
            .as_ref()
            .map(|t| serde_json::to_string(t).unwrap_or_default());
        // Who gets it: the members (or the targets), and the sender's other clients.
        let mut receivers: Vec<String> = match &m.to_accounts {
            Some(t) => t.clone(),
            None => g.members.iter().cloned().collect(),
        };
        if !receivers.contains(&m.from) {
            receivers.push(m.from.clone());
        }
        receivers.sort_unstable();
        receivers.dedup();
        let receipt_total = (c.need_receipt == Some(1))
            .then(|| receivers.iter().filter(|r| **r != m.from).count() as i64);
        let id = self.next_group_msg;
        self.conn
            .prepare_cached(
                "INSERT INTO group_msgs(group_id, seq, from_acc, random, msg_time, priority, body, cloud_custom_data,
                    support_ext, need_receipt, push_info, send_control, forbid_callback, at_info, to_accounts, topic_id,
                    online_only, no_unread, no_last, receipt_total, id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
            )?
            .execute(params![
                m.group_id,
                seq as i64,
                m.from,
                m.random,
                now,
                m.priority,
                c.body,
                c.cloud_custom_data,
                c.support_ext,
                c.need_receipt,
                c.push_info,
                c.send_control,
                c.forbid_callback,
                m.at_info,
                to_accounts,
                m.topic_id,
                c.online_only,
                c.no_unread,
                c.no_last,
                receipt_total,
                id,
            ])?;
        g.last_seq = seq;
        self.next_group_msg += 1;
        if !c.online_only && !c.no_unread {
            // Unread for every receiver but the sender.
            match &m.to_accounts {
                None => {
                    self.conn
                        .prepare_cached(
                            "UPDATE group_members SET unread = unread + 1 WHERE group_id = ?1 AND user_id <> ?2",
                        )?
                        .execute(params![m.group_id, m.from])?;
                }
                Some(_) => {
                    for r in receivers.iter().filter(|r| **r != m.from) {
                        self.conn
                            .prepare_cached(
                                "UPDATE group_members SET unread = unread + 1 WHERE group_id = ?1 AND user_id = ?2",
                            )?
                            .execute(params![m.group_id, r])?;
                    }
                }
            }
        }
        let sent = GroupSent {
            msg_time: now,
            msg_seq: seq,
            drop_reason: "",
        };
        self.group_dedup.insert(key, now, id);
        self.group_outbox(&m, &receivers, id)?;
        self.deliver_group(&m, receivers, id, seq, now)?;
        Ok(Ok(sent))
    }

    fn set_group_unread(
        &mut self,
        group_id: &str,
        member: &str,
        unread: i64,
        now: i64,
    ) -> rusqlite::Result<ApiResult<()>> {
        let Some(g) = self.groups.get(group_id) else {
            return Ok(Err(group_not_found(group_id)));
        };
        if !g.members.contains(member) {
            return Ok(Err(ApiError::new(
                codes::GROUP_PERMISSION_DENY,
                format!("{member:?} is not a member of group {group_id:?}"),
            )));
        }
        let read_seq = if unread <= 0 {
            g.last_seq as i64
        } else {
            // The seq just before the unread-th newest message that counts as unread for member.
            let nth: Option<i64> = self
                .conn
                .prepare_cached(&format!(
                    "SELECT seq FROM group_msgs WHERE group_id = ?1 AND from_acc <> ?2 AND {} ORDER BY seq DESC LIMIT 1 OFFSET ?3",
                    super::read::UNREAD_FILTER
                ))?
                .query_row(params![group_id, member, unread - 1], |r| r.get(0))
                .optional()?;
            nth.map(|s| s - 1).unwrap_or(0)
        };
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE group_members SET read_seq = ?3 WHERE group_id = ?1 AND user_id = ?2 AND read_seq <> ?3",
            )?
            .execute(params![group_id, member, read_seq])?;
        if changed > 0 {
            let unread = super::read::count_group_unread(&self.conn, group_id, member, read_seq)?;
            self.conn
                .prepare_cached(
                    "UPDATE group_members SET unread = ?3 WHERE group_id = ?1 AND user_id = ?2",
                )?
                .execute(params![group_id, member, unread])?;
            self.group_read_event(group_id, member, read_seq, now)?;
        }
        Ok(Ok(()))
    }
}

/// The stored message `id` if it is the C2C message with this duplicate key.
fn c2c_original_row(
    conn: &Connection,
    id: i64,
    key: (&str, &str, u32, Option<u32>),
) -> rusqlite::Result<Option<C2cSent>> {
    let row = conn
        .prepare_cached(
            "SELECT from_acc, to_acc, msg_random, msg_seq, seq_given, msg_time, msg_key FROM c2c_msgs WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
            ))
        })
        .optional()?;
    Ok(
        row.and_then(|(from, to, random, seq, given, time, msg_key)| {
            let same = (from.as_str(), to.as_str(), random, given.then_some(seq)) == key;
            same.then_some(C2cSent {
                msg_time: time,
                msg_seq: seq,
                msg_key,
            })
        }),
    )
}

/// The stored message `id` if it is the group message with this duplicate key.
fn group_original(
    conn: &Connection,
    id: i64,
    group_id: &str,
    from: &str,
    random: u32,
) -> rusqlite::Result<Option<GroupSent>> {
    let row = conn
        .prepare_cached(
            "SELECT group_id, from_acc, random, seq, msg_time FROM group_msgs WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .optional()?;
    Ok(row.and_then(|(g, f, r, seq, time)| {
        (g == group_id && f == from && r == random).then_some(GroupSent {
            msg_time: time,
            msg_seq: seq as u64,
            drop_reason: "",
        })
    }))
}

fn group_not_found(id: &str) -> ApiError {
    ApiError::new(
        codes::GROUP_NOT_FOUND,
        format!("group {id:?} does not exist"),
    )
}

/// Storage failures are answered with a "retry" code: the transaction was rolled back, so a
/// retry with the same random is safe.
pub(crate) fn storage_error(e: &rusqlite::Error) -> ApiError {
    ApiError::new(codes::INTERNAL_91000, format!("storage error, retry: {e}"))
}

/// Answers a job that was not run because its transaction could not start.
fn refuse(job: Job) -> Pending {
    fn p<T: Send + 'static>(r: Reply<T>) -> Pending {
        pending(r, Err(ApiError::new(0, "")))
    }
    match job {
        Job::ImportAccounts { reply, .. } => p(reply),
        Job::SendC2c { reply, .. } => p(reply),
        Job::SetC2cRead { reply, .. } => p(reply),
        Job::CreateGroup { reply, .. } => p(reply),
        Job::AddMembers { reply, .. } => p(reply),
        Job::DestroyGroup { reply, .. } => p(reply),
        Job::SendGroup { reply, .. } => p(reply),
        Job::SetGroupUnread { reply, .. } => p(reply),
        Job::GroupMsgReceipt { reply, .. } => p(reply),
        Job::C2cReceipt { reply, .. } => p(reply),
        Job::OutboxDone { reply, .. } => p(reply),
        Job::Shutdown => Box::new(|_| {}),
    }
}

/// `@TGS#` + a type letter + 9 random capitals/digits, as Tencent's generated ids look.
fn generated_group_id(kind: &str) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let tag = match kind {
        "AVChatRoom" => 'a',
        "Community" => '_',
        "Public" => '1',
        "ChatRoom" | "Meeting" => '3',
        _ => '2',
    };
    let mut s = String::from("@TGS#");
    s.push(tag);
    for _ in 0..9 {
        s.push(CHARS[fastrand::usize(..CHARS.len())] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::events::kind;
    use crate::store::schema;

    fn send(from: &str, to: &str, random: u32, sync_other: Option<i64>) -> (Job, Waiter) {
        let (reply, rx) = tokio::sync::oneshot::channel::<ApiResult<Vec<ApiResult<C2cSent>>>>();
        let msg = C2cIn {
            from: from.into(),
            to: vec![to.into()],
            batch: false,
            seq: Some(1),
            random,
            sync_other,
            life_time: None,
            common: MsgCommon {
                body: "[]".into(),
                ..MsgCommon::default()
            },
            announced: None,
            client_ip: String::new(),
        };
        let wait = Box::new(move || {
            let sent = rx.blocking_recv().unwrap().unwrap();
            assert!(sent[0].is_ok(), "{sent:?}");
        });
        (Job::SendC2c { msg, reply }, wait)
    }

    type Waiter = Box<dyn FnOnce()>;

    fn config(hub: Arc<Hub>, hooks: Hooks, gather: Duration) -> WriterConfig {
        WriterConfig {
            clock: Clock::manual(1_800_000_000),
            auto_import: true,
            group_rate: 0,
            admin: "administrator".into(),
            inflight: Arc::new(AtomicUsize::new(0)),
            hub,
            inbox_retention_secs: 0,
            hooks,
            metrics: Default::default(),
            gather,
        }
    }

    /// With a gather, a batch stays open for a request still in progress and shares its commit
    /// with it; without one (commits that are not fsync'd), it commits what it has at once.
    #[test]
    fn a_batch_waits_for_requests_in_progress_only_with_a_gather() {
        assert_eq!(gather(true), Duration::from_micros(100));
        for (wait, commits) in [(Duration::from_secs(30), (1, 2)), (gather(false), (2, 2))] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("w.db");
            let conn = schema::open_writer(&path, false).unwrap();
            let cfg = config(Arc::new(Hub::new(4, 16)), Hooks::off(), wait);
            // Two requests in progress: the first one's batch, and one still on its way.
            cfg.inflight.store(2, Ordering::Relaxed);
            let mut writer = Writer::new(conn, cfg, Checkpointer::start(&path).unwrap()).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            let (first, wait_first) = send("alice", "bob", 1, None);
            let (late, wait_late) = send("alice", "bob", 2, None);
            let sender = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                tx.send(late).unwrap();
                tx
            });
            writer.run_batch(first, &rx, true);
            let tx = sender.join().unwrap();
            drop(tx);
            while let Ok(job) = rx.recv() {
                writer.run_batch(job, &rx, true);
            }
            wait_first();
            wait_late();
            assert_eq!(writer.cfg.metrics.commits(), commits, "gather {wait:?}");
        }
    }

    /// Jobs queued together share one transaction, in which the unread counts are written once
    /// per pair and the inbox rows in one go: what readers then see must be exactly what one
    /// job after the other would have left, in order.
    #[test]
    fn a_shared_transaction_keeps_counts_and_inbox_order_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = schema::open_writer(&path, false).unwrap();
        let hub = Arc::new(Hub::new(4, 16));
        let cfg = config(hub.clone(), Hooks::off(), gather(false));
        let mut writer = Writer::new(conn, cfg, Checkpointer::start(&path).unwrap()).unwrap();
        let bob_channel = hub.admit("bob").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut waits: Vec<Waiter> = Vec::new();
        for (random, sync) in [(1, None), (2, Some(1)), (3, None)] {
            let (job, wait) = send("alice", "bob", random, sync);
            tx.send(job).unwrap();
            waits.push(wait);
        }
        let (reply, read) = tokio::sync::oneshot::channel();
        tx.send(Job::SetC2cRead {
            owner: "bob".into(),
            peer: "alice".into(),
            read_time: None,
            reply,
        })
        .unwrap();
        for random in [4, 5] {
            let (job, wait) = send("alice", "bob", random, None);
            tx.send(job).unwrap();
            waits.push(wait);
        }
        let first = rx.recv().unwrap();
        assert!(!writer.run_batch(first, &rx, true));
        assert_eq!(writer.cfg.metrics.commits(), (1, 6));
        for w in waits {
            w();
        }
        read.blocking_recv().unwrap().unwrap();

        let db = schema::open_reader(&path).unwrap();
        let (read_id, unread): (i64, i64) = db
            .query_row(
                "SELECT read_id, unread FROM c2c_read WHERE owner = 'bob' AND peer = 'alice'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let third: i64 = db
            .query_row("SELECT id FROM c2c_msgs WHERE msg_random = 3", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!((read_id, unread), (third, 2));
        let inbox = |account: &str| -> Vec<(i64, i64)> {
            db.prepare("SELECT id, kind FROM inbox WHERE account = ?1 ORDER BY id")
                .unwrap()
                .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let bob = inbox("bob");
        let kinds: Vec<i64> = bob.iter().map(|r| r.1).collect();
        use kind::{C2C_MSG as M, C2C_READ, READ_MARK};
        assert_eq!(kinds, [M, M, M, READ_MARK, M, M]);
        let alice: Vec<i64> = inbox("alice").iter().map(|r| r.1).collect();
        assert_eq!(alice, [M, C2C_READ]);
        // The committed events woke bob's channel, at his newest cursor.
        assert_eq!(*bob_channel.head.borrow(), bob.last().unwrap().0 as u64);
        let runs: i64 = db
            .query_row("SELECT COUNT(*) FROM c2c_times", [], |r| r.get(0))
            .unwrap();
        assert_eq!(runs, 1);
    }

    /// Outbox rows come with their messages, numbered per lane, and go a run at a time; a
    /// message sent with `ForbidAfterSendMsgCallback` has none.
    #[test]
    fn outbox_rows_are_numbered_per_lane_and_deleted_by_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = schema::open_writer(&path, false).unwrap();
        let mut hooks = Hooks::off();
        hooks.c2c_after = true;
        hooks.push = true;
        let signal = hooks.signal.clone();
        let cfg = config(Arc::new(Hub::new(4, 16)), hooks, gather(false));
        let mut writer = Writer::new(conn, cfg, Checkpointer::start(&path).unwrap()).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut waits: Vec<Waiter> = Vec::new();
        for random in 1..=6 {
            let (mut job, wait) = send("alice", "bob", random, None);
            if let Job::SendC2c { msg, .. } = &mut job {
                msg.common.no_after_callback = random == 3;
            }
            tx.send(job).unwrap();
            waits.push(wait);
        }
        let first = rx.recv().unwrap();
        writer.run_batch(first, &rx, false);
        for w in waits {
            w();
        }
        let db = schema::open_reader(&path).unwrap();
        let rows = |lane: i64| -> Vec<i64> {
            db.prepare("SELECT id FROM outbox WHERE lane = ?1 ORDER BY id")
                .unwrap()
                .query_map([lane], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(rows(0), [1, 2, 3, 4, 5]);
        assert_eq!(rows(1), [1, 2, 3, 4, 5, 6]);
        assert_eq!(*signal.lanes[0].borrow(), 5);
        assert_eq!(*signal.lanes[1].borrow(), 6);
        let (reply, _) = tokio::sync::oneshot::channel();
        let done = Job::OutboxDone {
            lane: 1,
            ids: vec![5, 1, 2, 6],
            reply,
        };
        writer.run_batch(done, &rx, false);
        assert_eq!(rows(1), [3, 4]);
        assert_eq!(rows(0), [1, 2, 3, 4, 5]);
    }
}
