//! One open channel: the lines it writes, produced only when the connection asks for more (the
//! HTTP layer polls the body when it can write), so a reader that stops reading stops the
//! channel's database reads too, and nothing piles up for it in memory but its small online-only
//! queue.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use tokio::sync::watch;
use tokio::time::Instant;
use v2im_wire::channel::{Event, HelloEvent};

use super::hub::Ticket;
use crate::store::conv::Conv;
use crate::store::events::{self, PageLimits};
use crate::store::writer::line;
use crate::App;

/// Rows read per page (each page is one database read).
const PAGE_ROWS: usize = 256;
/// A page stops after the event that reaches this size.
const PAGE_BYTES: usize = 64 * 1024;
/// Online-only lines sent in one write.
const ONLINE_CHUNK: usize = 64 * 1024;
/// After lines sent from the hub, the state of the conversations they touched follows this much
/// later, in one read for every message of that time: its read (about as much CPU as the whole
/// `sendmsg`) then neither competes with the message's way to the client nor runs per message
/// in a burst.
const CONVERSATIONS_AFTER: Duration = Duration::from_millis(5);

pub(super) struct Channel {
    app: Arc<App>,
    ticket: Ticket,
    account: String,
    /// The last stored event delivered (or skipped as gone).
    cursor: u64,
    /// The `Hello` still to write, with its cursor.
    hello: Option<u64>,
    /// Long-poll: end after the first batch.
    poll: bool,
    done: bool,
    /// The last page was full: more rows may be waiting without a new commit.
    backlog: bool,
    /// An online-only line taken from the queue while waiting.
    pending: Vec<u8>,
    /// Conversations touched by lines sent from the hub's kept lines, whose state is still to
    /// be sent (read from the database, with any events committed meanwhile) ...
    due: Vec<Conv>,
    /// ... at this time.
    due_at: Option<Instant>,
    heartbeat: Duration,
    stop: watch::Receiver<bool>,
}

impl Channel {
    pub(super) fn new(
        app: Arc<App>,
        ticket: Ticket,
        account: String,
        start: u64,
        poll: bool,
    ) -> Self {
        Channel {
            heartbeat: app.heartbeat,
            stop: app.stop.clone(),
            app,
            ticket,
            account,
            cursor: start,
            hello: Some(start),
            poll,
            done: false,
            // Events after a client's cursor are waiting already.
            backlog: true,
            pending: Vec::new(),
            due: Vec::new(),
            due_at: None,
        }
    }

    /// The answer's body: one chunk per call of [`Channel::next`].
    pub(super) fn into_body(self) -> Body {
        Body::from_stream(futures_util::stream::unfold(self, |mut ch| async move {
            let chunk = ch.next().await?;
            Some((Ok::<_, Infallible>(chunk), ch))
        }))
    }

    /// Ends the channel after this chunk when it is a long-poll.
    fn batch(&mut self, chunk: Bytes) -> Option<Bytes> {
        if self.poll {
            self.done = true;
        }
        Some(chunk)
    }

    /// The next chunk of lines; `None` ends the answer.
    async fn next(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        if let Some(cursor) = self.hello.take() {
            return Some(line(&Event::Hello(HelloEvent {
                cursor,
                heartbeat_secs: self.heartbeat.as_secs(),
            })));
        }
        let deadline = Instant::now() + self.heartbeat;
        loop {
            // An overflowed channel ends: its client reconnects from its cursor.
            if self.ticket.overflow.load(Ordering::Relaxed) || *self.stop.borrow() {
                self.done = true;
                return None;
            }
            while self.pending.len() < ONLINE_CHUNK {
                match self.ticket.online.try_recv() {
                    Ok(l) => self.pending.extend_from_slice(&l),
                    Err(_) => break,
                }
            }
            if !self.pending.is_empty() {
                let chunk = Bytes::from(std::mem::take(&mut self.pending));
                return self.batch(chunk);
            }
            let head = *self.ticket.head.borrow_and_update();
            // Fresh messages straight from the hub when nothing before them is left to send (a
            // long-poll reads the page, which has the conversations' state in the same answer).
            if !self.backlog && !self.poll && head > self.cursor {
                if let Some(c) = self.ticket.cached_after(self.cursor, PAGE_BYTES) {
                    self.cursor = c.last;
                    for conv in c.convs {
                        if !self.due.contains(&conv) {
                            self.due.push(conv);
                        }
                    }
                    self.due_at
                        .get_or_insert_with(|| Instant::now() + CONVERSATIONS_AFTER);
                    return self.batch(Bytes::from(c.bytes));
                }
            }
            let due_now = self.due_at.is_some_and(|t| Instant::now() >= t);
            if self.backlog || head > self.cursor || due_now {
                let (account, after) = (self.account.clone(), self.cursor);
                let due = std::mem::take(&mut self.due);
                self.due_at = None;
                let limits = PageLimits {
                    rows: PAGE_ROWS,
                    bytes: PAGE_BYTES,
                };
                let page = self
                    .app
                    .store
                    .read(move |c| events::page(c, &account, after, &limits, due))
                    .await;
                let page = match page {
                    Ok(p) => p,
                    Err(e) => {
                        // The client reconnects from the last cursor it has.
                        tracing::warn!("channel of {:?}: {e}", self.account);
                        self.done = true;
                        return None;
                    }
                };
                self.backlog = page.more;
                // No rows after the cursor although the head is past it: nothing to deliver up
                // to the head.
                self.cursor = if page.any {
                    page.last
                } else {
                    self.cursor.max(head)
                };
                if !page.bytes.is_empty() {
                    return self.batch(Bytes::from(page.bytes));
                }
                continue;
            }
            tokio::select! {
                changed = self.ticket.head.changed() => {
                    if changed.is_err() {
                        self.done = true;
                        return None;
                    }
                }
                l = self.ticket.online.recv() => match l {
                    Some(l) => self.pending.extend_from_slice(&l),
                    None => {
                        self.done = true;
                        return None;
                    }
                },
                _ = tokio::time::sleep_until(deadline) => {
                    return self.batch(line(&Event::Ping));
                }
                _ = tokio::time::sleep_until(self.due_at.unwrap_or(deadline)), if self.due_at.is_some() => {}
                stopped = self.stop.changed() => {
                    if stopped.is_err() {
                        self.done = true;
                        return None;
                    }
                }
            }
        }
    }
}
