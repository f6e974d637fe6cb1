//! What `GET /metrics` shows, in Prometheus' text format (version 0.0.4): REST requests by
//! command and result code, their latency, the writer's commits and the jobs they carried, and
//! the live channels. Counters only, of the whole app: no account, group or message appears.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// One REST command's requests.
#[derive(Default)]
struct Command {
    /// Result code (`ErrorCode` of the answer) → requests.
    codes: BTreeMap<i32, u64>,
    /// Requests at or under each of [`BUCKETS`] (not cumulative here; summed when shown).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    seconds: f64,
}

/// The server's counters, shared by the HTTP layer, the writer and the channels.
#[derive(Default)]
pub(crate) struct Metrics {
    commands: Mutex<BTreeMap<&'static str, Command>>,
    commits: AtomicU64,
    jobs: AtomicU64,
    channels_opened: AtomicU64,
}

impl Metrics {
    /// One answered REST request: `command` is its path under `/v4/` (or `unknown`).
    pub(crate) fn request(&self, command: &'static str, code: i32, took: Duration) {
        let secs = took.as_secs_f64();
        let mut commands = self.commands.lock().unwrap_or_else(|p| p.into_inner());
        let c = commands.entry(command).or_default();
        *c.codes.entry(code).or_default() += 1;
        if let Some(i) = BUCKETS.iter().position(|&b| secs <= b) {
            c.buckets[i] += 1;
        }
        c.count += 1;
        c.seconds += secs;
    }

    /// One committed transaction of the writer, carrying `jobs` requests.
    pub(crate) fn commit(&self, jobs: u64) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.jobs.fetch_add(jobs, Ordering::Relaxed);
    }

    /// Transactions and the jobs they carried, so far.
    pub(crate) fn commits(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.jobs.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn channel_opened(&self) {
        self.channels_opened.fetch_add(1, Ordering::Relaxed);
    }

    /// The text of `GET /metrics`; `channels` is the number of live channels open now.
    pub(crate) fn render(&self, channels: usize) -> String {
        let mut out = String::with_capacity(4096);
        let commands = self.commands.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str(
            "# HELP v2im_requests_total REST requests answered, by command and result code \
             (the answer's ErrorCode).\n# TYPE v2im_requests_total counter\n",
        );
        for (name, c) in commands.iter() {
            for (code, n) in &c.codes {
                let _ = writeln!(
                    out,
                    "v2im_requests_total{{command=\"{name}\",code=\"{code}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP v2im_request_duration_seconds Time from a REST request's head to its \
             answer.\n# TYPE v2im_request_duration_seconds histogram\n",
        );
        for (name, c) in commands.iter() {
            let mut cumulative = 0;
            for (b, n) in BUCKETS.iter().zip(c.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "v2im_request_duration_seconds_bucket{{command=\"{name}\",le=\"{b}\"}} \
                     {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "v2im_request_duration_seconds_bucket{{command=\"{name}\",le=\"+Inf\"}} {}\n\
                 v2im_request_duration_seconds_sum{{command=\"{name}\"}} {}\n\
                 v2im_request_duration_seconds_count{{command=\"{name}\"}} {}",
                c.count, c.seconds, c.count
            );
        }
        drop(commands);
        let (commits, jobs) = self.commits();
        let _ = write!(
            out,
            "# HELP v2im_store_commits_total Transactions the writer committed.\n\
             # TYPE v2im_store_commits_total counter\nv2im_store_commits_total {commits}\n\
             # HELP v2im_store_jobs_total Writes (sends, imports, read marks, ...) those \
             transactions carried; jobs / commits is how many shared a commit.\n\
             # TYPE v2im_store_jobs_total counter\nv2im_store_jobs_total {jobs}\n\
             # HELP v2im_live_channels Live channels open now.\n\
             # TYPE v2im_live_channels gauge\nv2im_live_channels {channels}\n\
             # HELP v2im_live_channels_opened_total Live channels opened since the start.\n\
             # TYPE v2im_live_channels_opened_total counter\n\
             v2im_live_channels_opened_total {}\n",
            self.channels_opened.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_counts_add_up() {
        let m = Metrics::default();
        m.request("openim/sendmsg", 0, Duration::from_micros(80));
        m.request("openim/sendmsg", 0, Duration::from_millis(3));
        m.request("openim/sendmsg", 70107, Duration::from_secs(7));
        m.commit(3);
        m.commit(1);
        let text = m.render(2);
        for line in [
            "v2im_requests_total{command=\"openim/sendmsg\",code=\"0\"} 2",
            "v2im_requests_total{command=\"openim/sendmsg\",code=\"70107\"} 1",
            "v2im_request_duration_seconds_bucket{command=\"openim/sendmsg\",le=\"0.0001\"} 1",
            "v2im_request_duration_seconds_bucket{command=\"openim/sendmsg\",le=\"0.0025\"} 1",
            "v2im_request_duration_seconds_bucket{command=\"openim/sendmsg\",le=\"0.005\"} 2",
            "v2im_request_duration_seconds_bucket{command=\"openim/sendmsg\",le=\"5\"} 2",
            "v2im_request_duration_seconds_bucket{command=\"openim/sendmsg\",le=\"+Inf\"} 3",
            "v2im_request_duration_seconds_count{command=\"openim/sendmsg\"} 3",
            "v2im_store_commits_total 2",
            "v2im_store_jobs_total 4",
            "v2im_live_channels 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        // Every sample line is `name{labels} value` or `name value` with a number.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let v = l.rsplit(' ').next().unwrap();
            assert!(v.parse::<f64>().is_ok(), "{l}");
        }
    }
}
