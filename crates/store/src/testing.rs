//! Test support (feature `test-support`): a PostgreSQL server for tests, and a fresh
//! database on it per test.
//!
//! With `FRONTDESK_TEST_DATABASE_URL` set (a role that may create databases), the tests use
//! that server. Otherwise the first test of a process starts a throwaway cluster from the
//! machine's PostgreSQL binaries (Debian's `postgresql` package): `initdb` in a temporary
//! directory, listening only on a Unix socket there, without fsync (but with synchronous
//! commit). A watchdog process stops it and deletes the directory when the test process
//! ends, however it ends. PostgreSQL refuses to run as root; as root the harness runs it as
//! the `postgres` user.
//!
//! [`Cluster`] starts a cluster of a test's own (a test that restarts PostgreSQL).
//!
//! When neither works the calling test panics with what to install: a test that cannot
//! reach PostgreSQL fails rather than being skipped.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Names the environment variable with the URL of an existing server.
pub const DATABASE_URL_VAR: &str = "FRONTDESK_TEST_DATABASE_URL";

const INSTALL_HINT: &str = "the PostgreSQL tests need PostgreSQL's server binaries: install \
     Debian's package (apt-get install postgresql), or set FRONTDESK_TEST_DATABASE_URL to a \
     postgres:// URL of a role that may create databases";

/// An empty database of its own, dropped when this value is.
pub struct TestDatabase {
    /// `postgres://…` for `--database` or [`crate::PgStore::connect`].
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a fresh database (starting the throwaway cluster first if needed).
    pub fn new() -> TestDatabase {
        let server = server_url();
        let name = format!("frontdesk_test_{}", uuid::Uuid::new_v4().simple());
        execute(&server.admin, &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
        TestDatabase {
            url: server.database(&name),
            name,
        }
    }

    /// Keeps the database after this value is dropped (a test that restarts servers on it).
    pub fn keep(self) -> String {
        let url = self.url.clone();
        std::mem::forget(self);
        url
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = execute(&server_url().admin, &sql);
    }
}

/// Runs one SQL statement on `url`, from any context (a thread with its own runtime).
pub fn execute(url: &str, sql: &str) -> Result<(), String> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .map_err(|e| e.to_string())?;
            c.close().await.map_err(|e| e.to_string())
        })
    })
    .join()
    .map_err(|_| "the SQL thread panicked".to_owned())?
}

struct ServerUrl {
    /// A URL of the maintenance database, to create and drop test databases.
    admin: String,
    /// The throwaway cluster, when the tests started one.
    _cluster: Option<Cluster>,
}

impl ServerUrl {
    /// The same server and role, another database.
    fn database(&self, name: &str) -> String {
        let (base, query) = match self.admin.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (self.admin.as_str(), String::new()),
        };
        let base = match base.rfind('/') {
            Some(i) if i > "postgres://".len() => &base[..i],
            _ => base,
        };
        format!("{base}/{name}{query}")
    }
}

fn server_url() -> &'static ServerUrl {
    static SERVER: OnceLock<ServerUrl> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.is_empty() => ServerUrl {
            admin: url,
            _cluster: None,
        },
        _ => {
            let cluster = Cluster::start().unwrap_or_else(|e| panic!("{e}"));
            ServerUrl {
                admin: cluster.url.clone(),
                _cluster: Some(cluster),
            }
        }
    })
}

/// The newest installed PostgreSQL's binary directory.
fn bin_dir() -> Result<PathBuf, String> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no PostgreSQL under /usr/lib/postgresql".to_owned())?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".to_owned())
}

/// A throwaway PostgreSQL cluster of its own, for a test that restarts it. Stopped and
/// deleted when dropped (or when the test process ends). Needs the PostgreSQL binaries
/// also when `FRONTDESK_TEST_DATABASE_URL` is set.
pub struct Cluster {
    /// `postgres://…` of its `postgres` database.
    pub url: String,
    data: PathBuf,
    /// `pg_ctl`, as the user that owns the cluster.
    pg_ctl: Vec<std::ffi::OsString>,
    /// Closing it makes the watchdog stop the cluster and delete its directory.
    _watchdog: Mutex<std::process::ChildStdin>,
}

impl Cluster {
    pub fn start() -> Result<Cluster, String> {
        start_cluster().map_err(|e| format!("{e}\n{INSTALL_HINT}"))
    }

    /// Restarts the server as after a crash (`-m immediate`): every connection breaks.
    pub fn restart(&self) -> Result<(), String> {
        let (program, args) = self.pg_ctl.split_first().ok_or("no pg_ctl")?;
        // With a log file: a server writing to pg_ctl's stdout would keep the pipe open and
        // `run` would wait for it forever.
        run(Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.with_file_name("server.log"))
            .args(["-m", "immediate", "-w", "-t", "60", "restart"]))
    }
}

fn start_cluster() -> Result<Cluster, String> {
    let bin = bin_dir()?;
    let dir = std::env::temp_dir().join(format!(
        "frontdesk-pg-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // PostgreSQL refuses to run as root: then it runs as `postgres`, owning the directory.
    let as_root = std::fs::metadata(&dir).map_err(|e| e.to_string())?.uid() == 0;
    if as_root {
        run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
    }
    let pg = |tool: &str| -> Command {
        let mut c = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
            c
        } else {
            Command::new(bin.join(tool))
        };
        c.stdin(Stdio::null());
        c
    };
    let data = dir.join("data");
    run(pg("initdb").arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    ]))?;
    let socket = dir.display().to_string();
    // Without fsync (the machine does not crash under a test), but with synchronous commit:
    // a COMMIT that returned is in the WAL, so it survives a restart of the server
    // (`Cluster::restart`), as in production.
    let options = format!(
        "-k {socket} -c listen_addresses='' -c fsync=off -c full_page_writes=off \
         -c max_connections=300"
    );
    run(pg("pg_ctl")
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-w", "-t", "60", "-o", &options, "start"]))?;
    let watchdog = spawn_watchdog(&dir, &pg("pg_ctl"))?;
    let encoded: String = socket
        .bytes()
        .map(|b| match b {
            b'/' => "%2F".to_owned(),
            b => (b as char).to_string(),
        })
        .collect();
    let pg_ctl = pg("pg_ctl");
    let mut pg_ctl_line = vec![pg_ctl.get_program().to_owned()];
    pg_ctl_line.extend(pg_ctl.get_args().map(|a| a.to_owned()));
    Ok(Cluster {
        url: format!("postgres://postgres@{encoded}/postgres"),
        data,
        pg_ctl: pg_ctl_line,
        _watchdog: Mutex::new(watchdog),
    })
}

/// A shell that waits for its stdin to close, then stops the cluster and deletes `dir`.
fn spawn_watchdog(dir: &Path, pg_ctl: &Command) -> Result<std::process::ChildStdin, String> {
    let mut stop: Vec<String> = vec![pg_ctl.get_program().to_string_lossy().into_owned()];
    stop.extend(pg_ctl.get_args().map(|a| a.to_string_lossy().into_owned()));
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let stop = stop.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
    let data = quote(&dir.join("data").display().to_string());
    let script = format!(
        "trap '' INT TERM HUP; cat >/dev/null; {stop} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {}",
        quote(&dir.display().to_string())
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the cluster's watchdog: {e}"))?;
    child
        .stdin
        .take()
        .ok_or_else(|| "no watchdog stdin".to_owned())
}

fn run(c: &mut Command) -> Result<(), String> {
    let out = c
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", c.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed: {}{}",
            c.get_program(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
