//! `v2im-server`: the command-line front-end of [`v2im_server::start`].

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use v2im_server::admin::{self, AdminApp, NewGroup, ServerUrl};
use v2im_server::{defaults, ServerConfig};

/// A Tencent-Cloud-IM-REST-compatible server with SQLite storage.
///
/// Without a command it serves. The commands `usersig`, `account import` and `group create` make
/// what a first message needs; they take the same --sdkappid, --secret-key and --admin (or their
/// environment variables) as the server they talk to.
#[derive(Parser, Debug)]
#[command(name = "v2im-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The app's SDKAppID (required; not 0).
    #[arg(long, global = true, env = "V2IM_SERVER_SDKAPPID")]
    sdkappid: Option<u64>,
    /// The app's secret key, the UserSig HMAC key (required; not empty).
    #[arg(
        long,
        global = true,
        env = "V2IM_SERVER_SECRET_KEY",
        hide_env_values = true
    )]
    secret_key: Option<String>,
    /// The app admin account.
    #[arg(
        long,
        global = true,
        env = "V2IM_SERVER_ADMIN",
        default_value = "administrator"
    )]
    admin: String,
    #[command(flatten)]
    serve: Serve,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a UserSig for an account (made offline with the secret key).
    Usersig {
        /// The account (UserID) the sig is for.
        #[arg(long)]
        user: String,
        /// Seconds the sig stays valid.
        #[arg(long, default_value_t = 7 * 86_400,
              value_parser = clap::value_parser!(i64).range(1..=50 * 365 * 86_400))]
        expire: i64,
    },
    /// Accounts of a running server.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Groups of a running server.
    #[command(subcommand)]
    Group(GroupCommand),
}

/// Where the commands that talk to a running server find it.
#[derive(Args, Debug)]
struct Remote {
    /// The running server's base URL.
    #[arg(long, env = "V2IM_SERVER_URL", default_value = "http://127.0.0.1:9080")]
    server: String,
    /// Extra PEM roots for an https server with a certificate of its own.
    #[arg(long, env = "V2IM_SERVER_CA_FILE")]
    ca_file: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum AccountCommand {
    /// Import accounts (REST multiaccount_import as the admin); importing one twice is fine.
    Import {
        /// The accounts (UserIDs).
        #[arg(required = true)]
        users: Vec<String>,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand, Debug)]
enum GroupCommand {
    /// Create a group (REST create_group as the admin) and print its group ID.
    Create {
        /// The group's owner (default: none, the admin manages it).
        #[arg(long)]
        owner: Option<String>,
        /// Tencent's group type: Public, Private (Work), ChatRoom (Meeting), AVChatRoom,
        /// Community.
        #[arg(long = "type", default_value = "Public")]
        kind: String,
        /// The group's name.
        #[arg(long)]
        name: String,
        /// The group ID (default: the server picks one).
        #[arg(long)]
        id: Option<String>,
        /// A first member (repeat for more).
        #[arg(long = "member")]
        members: Vec<String>,
        #[command(flatten)]
        remote: Remote,
    },
}

/// The server's own settings.
#[derive(Args, Debug)]
struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "V2IM_SERVER_LISTEN", default_value = "127.0.0.1:9080")]
    listen: String,
    /// SQLite database file (created when missing).
    #[arg(long, env = "V2IM_SERVER_DB", default_value = "./v2im-server.db")]
    db: PathBuf,
    /// Accept accounts that were never imported (import them on first use).
    #[arg(long, env = "V2IM_SERVER_AUTO_IMPORT")]
    auto_import: bool,
    /// Messages per second per group before Low/Normal ones are dropped (0 = off).
    #[arg(long, env = "V2IM_SERVER_GROUP_RATE", default_value_t = 40)]
    group_rate: u32,
    /// Directory for media uploaded with PUT /files/{uuid}/{name}; default: the db path + `.files`.
    #[arg(long, env = "V2IM_SERVER_FILES_DIR")]
    files_dir: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (needs --tls-key).
    #[arg(long, env = "V2IM_SERVER_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "V2IM_SERVER_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Live channels: seconds between heartbeats (Ping lines) at most.
    #[arg(long, env = "V2IM_SERVER_HEARTBEAT_SECS", default_value_t = defaults::HEARTBEAT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    heartbeat_secs: u64,
    /// Live channels one account may have open at once.
    #[arg(long, env = "V2IM_SERVER_CHANNELS_PER_ACCOUNT", default_value_t = defaults::CHANNELS_PER_ACCOUNT)]
    channels_per_account: usize,
    /// Live channels the server keeps open at once.
    #[arg(long, env = "V2IM_SERVER_CHANNELS_TOTAL", default_value_t = defaults::CHANNELS_TOTAL)]
    channels_total: usize,
    /// Days inbox events are kept for reconnecting channels (0 = for ever).
    #[arg(long, env = "V2IM_SERVER_INBOX_RETENTION_DAYS", default_value_t = defaults::INBOX_RETENTION_DAYS)]
    inbox_retention_days: u32,
    /// Seconds a connection may take to send a request's head (from its opening or the end of
    /// the previous answer) before it is closed.
    #[arg(long, env = "V2IM_SERVER_HEADER_TIMEOUT_SECS", default_value_t = defaults::HEADER_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a request body may bring nothing before the request is cut off (HTTP 408).
    #[arg(long, env = "V2IM_SERVER_BODY_TIMEOUT_SECS", default_value_t = defaults::BODY_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout_secs: u64,
    /// Connections open at once, live channels included; more get HTTP 503 (default: derived
    /// from the file-descriptor limit).
    #[arg(long, env = "V2IM_SERVER_MAX_CONNECTIONS",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: Option<u64>,
    /// When a commit is on the disk: "normal" (handed to the OS before the answer: survives the
    /// server process dying) or "full" (fsync'd before the answer: survives a power loss too,
    /// at the cost of a disk flush per commit).
    #[arg(long, env = "V2IM_SERVER_SYNCHRONOUS", default_value = "normal",
          value_parser = ["normal", "full"])]
    synchronous: String,
    /// Tencent-format callbacks (webhooks) are POSTed to this http:// or https:// URL.
    #[arg(long, env = "V2IM_SERVER_CALLBACK_URL")]
    callback_url: Option<String>,
    /// The callbacks that are on: `all`, `none`, or a comma-separated list of
    /// C2C.CallbackBeforeSendMsg, C2C.CallbackAfterSendMsg, Group.CallbackBeforeSendMsg,
    /// Group.CallbackAfterSendMsg.
    #[arg(long, env = "V2IM_SERVER_CALLBACKS", default_value = "all")]
    callbacks: String,
    /// Milliseconds every webhook request (callback or push job) may take.
    #[arg(long, env = "V2IM_SERVER_CALLBACK_TIMEOUT_MS", default_value_t = defaults::CALLBACK_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..=30_000))]
    callback_timeout_ms: u64,
    /// Offline-push jobs are POSTed to this http:// or https:// URL (a v2im extension).
    #[arg(long, env = "V2IM_SERVER_PUSH_URL")]
    push_url: Option<String>,
    /// PEM file of CA certificates trusted for https webhook URLs besides the public roots.
    #[arg(long, env = "V2IM_SERVER_WEBHOOK_CA_FILE")]
    webhook_ca_file: Option<PathBuf>,
}

/// `--callbacks`: `all`, `none`, or callback commands separated by commas.
fn callback_list(list: &str) -> Result<Vec<String>, String> {
    match list.trim() {
        "all" => return Ok(defaults::callbacks()),
        "none" | "" => return Ok(Vec::new()),
        _ => {}
    }
    let known = v2im_wire::webhook::commands::ALL;
    list.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            if known.contains(&c) {
                Ok(c.to_string())
            } else {
                Err(format!(
                    "unknown callback {c:?}; known: all, none, {}",
                    known.join(", ")
                ))
            }
        })
        .collect()
}

fn resolve(listen: &str) -> std::io::Result<SocketAddr> {
    listen.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{listen} resolves to no address"),
        )
    })
}

/// SIGTERM and SIGINT (Ctrl-C on Windows), caught from the moment `install` returns.
///
/// They are installed before the server starts: a supervisor or a script may send SIGTERM as
/// soon as it reads "listening on", and a signal that came before the handlers would kill the
/// process with the default action instead of stopping the server cleanly.
struct StopSignals {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl StopSignals {
    fn install() -> std::io::Result<StopSignals> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let _in_rt = rt.enter();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let term = signal(SignalKind::terminate())?;
            let int = signal(SignalKind::interrupt())?;
            drop(_in_rt);
            Ok(StopSignals { rt, term, int })
        }
        #[cfg(windows)]
        {
            let ctrl_c = tokio::signal::windows::ctrl_c()?;
            drop(_in_rt);
            Ok(StopSignals { rt, ctrl_c })
        }
    }

    /// Waits for the first stop signal (one that came before this call counts).
    fn wait(mut self) {
        self.rt.block_on(async {
            #[cfg(unix)]
            tokio::select! {
                _ = self.term.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = self.int.recv() => tracing::info!("SIGINT: shutting down"),
            }
            #[cfg(windows)]
            {
                self.ctrl_c.recv().await;
                tracing::info!("Ctrl-C: shutting down");
            }
        })
    }
}

/// Exits with status 2 and `msg` (a usage error).
fn usage(msg: impl std::fmt::Display) -> ! {
    eprintln!("v2im-server: {msg}");
    std::process::exit(2);
}

/// The app from the shared flags; a missing, zero or empty value is a usage error.
fn app(cli: &Cli) -> AdminApp {
    let sdkappid = match cli.sdkappid {
        None => usage("--sdkappid (or V2IM_SERVER_SDKAPPID) is required"),
        Some(0) => usage("--sdkappid 0: an SDKAppID is a positive number"),
        Some(n) => n,
    };
    let secret_key = match cli.secret_key.as_deref() {
        None => usage("--secret-key (or V2IM_SERVER_SECRET_KEY) is required"),
        Some(k) if k.trim().is_empty() => usage("--secret-key is empty"),
        Some(k) => k.to_string(),
    };
    if cli.admin.trim().is_empty() {
        usage("--admin is empty");
    }
    AdminApp {
        sdkappid,
        secret_key,
        admin: cli.admin.clone(),
    }
}

/// Runs an admin command; the process's exit status.
fn run_command(app: &AdminApp, command: Command) -> i32 {
    let done = match command {
        Command::Usersig { user, expire } => {
            println!("{}", admin::usersig(app, &user, expire));
            Ok(())
        }
        Command::Account(AccountCommand::Import { users, remote }) => {
            let server = ServerUrl {
                url: &remote.server,
                ca_file: remote.ca_file.as_deref(),
            };
            admin::import_accounts(&server, app, &users)
                .map(|()| println!("imported {}", users.join(" ")))
                .map_err(|e| format!("account import: {e}"))
        }
        Command::Group(GroupCommand::Create {
            owner,
            kind,
            name,
            id,
            members,
            remote,
        }) => {
            let server = ServerUrl {
                url: &remote.server,
                ca_file: remote.ca_file.as_deref(),
            };
            let group = NewGroup {
                owner,
                kind,
                name,
                group_id: id,
                members,
            };
            admin::create_group(&server, app, &group)
                .map(|id| println!("{id}"))
                .map_err(|e| format!("group create: {e}"))
        }
    };
    match done {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("v2im-server: {e}");
            1
        }
    }
}

fn main() {
    let mut cli = Cli::parse();
    let app = app(&cli);
    if let Some(command) = cli.command.take() {
        std::process::exit(run_command(&app, command));
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    serve(app, cli.serve);
}

fn serve(app: AdminApp, cli: Serve) {
    let listen = match resolve(&cli.listen) {
        Ok(a) => a,
        Err(e) => usage(format_args!("--listen {}: {e}", cli.listen)),
    };
    let callbacks = match callback_list(&cli.callbacks) {
        Ok(c) => c,
        Err(e) => usage(format_args!("--callbacks: {e}")),
    };
    // Media next to the database unless told otherwise, so clients can send images out of the box.
    let files_dir = cli.files_dir.unwrap_or_else(|| {
        let mut p = cli.db.clone().into_os_string();
        p.push(".files");
        PathBuf::from(p)
    });
    let config = ServerConfig {
        listen,
        db: cli.db,
        synchronous_full: cli.synchronous == "full",
        sdkappid: app.sdkappid,
        secret_key: app.secret_key,
        admin: app.admin,
        auto_import: cli.auto_import,
        group_rate: cli.group_rate,
        files_dir: Some(files_dir),
        tls_cert: cli.tls_cert,
        tls_key: cli.tls_key,
        heartbeat_secs: cli.heartbeat_secs,
        channels_per_account: cli.channels_per_account,
        channels_total: cli.channels_total,
        inbox_retention_days: cli.inbox_retention_days,
        header_timeout_secs: cli.header_timeout_secs,
        body_timeout_secs: cli.body_timeout_secs,
        max_connections: cli.max_connections.map(|n| n as usize),
        callback_url: cli.callback_url,
        callbacks,
        callback_timeout_ms: cli.callback_timeout_ms,
        push_url: cli.push_url,
        webhook_ca_file: cli.webhook_ca_file,
    };
    let signals = match StopSignals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("v2im-server: cannot catch SIGTERM and SIGINT: {e}");
            std::process::exit(1);
        }
    };
    let server = match v2im_server::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("v2im-server: cannot start: {e}");
            std::process::exit(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", server.url);
        let _ = out.flush();
    }
    signals.wait();
    server.shutdown();
}
