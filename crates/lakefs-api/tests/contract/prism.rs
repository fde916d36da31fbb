//! Running Prism: finding it and the spec, writing the spec copy it serves, starting
//! `prism mock` on a free port and stopping it whatever happens.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long Prism may take to answer its first request (it compiles the whole spec first; on
/// a busy 2-core machine six instances take about 10 s).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// The workspace root (two levels above this crate).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `$LAKEFS_SPEC`, else `../shared/lakefs/swagger.yml` beside the workspace.
pub fn spec_path() -> PathBuf {
    match std::env::var_os("LAKEFS_SPEC") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("../shared/lakefs/swagger.yml"),
    }
}

/// `$PRISM_BIN`, else the copy `npm install --prefix .ci/prism` puts in the workspace.
pub fn prism_path() -> PathBuf {
    match std::env::var_os("PRISM_BIN") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join(".ci/prism/node_modules/.bin/prism"),
    }
}

/// What the suite needs, or why it cannot run.
pub fn find_tools() -> Result<(PathBuf, PathBuf), String> {
    let prism = prism_path();
    if !prism.is_file() {
        return Err(format!(
            "Prism not found at {} (run `npm install --prefix .ci/prism --no-audit --no-fund` \
             in the workspace, or set PRISM_BIN)",
            prism.display()
        ));
    }
    let spec = spec_path();
    if !spec.is_file() {
        return Err(format!(
            "the lakeFS spec is not at {} (set LAKEFS_SPEC)",
            spec.display()
        ));
    }
    Ok((prism, spec))
}

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The spec with every path prefixed by `/api/v1` (Prism ignores the relative `servers`
/// URL), so that Prism serves the URLs lakeFS serves.
pub fn prefixed_spec(text: &str) -> Result<String, String> {
    let mut doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("the spec is not YAML: {e}"))?;
    let paths = doc
        .get_mut("paths")
        .and_then(serde_yaml::Value::as_mapping_mut)
        .ok_or("the spec has no paths")?;
    let prefixed: serde_yaml::Mapping = std::mem::take(paths)
        .into_iter()
        .map(|(path, item)| {
            let path = path.as_str().ok_or("a path that is not a string")?;
            Ok((format!("/api/v1{path}").into(), item))
        })
        .collect::<Result<_, String>>()?;
    *paths = prefixed;
    serde_yaml::to_string(&doc).map_err(|e| format!("cannot write the spec copy: {e}"))
}

/// How Prism answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answers built from the spec's examples (or the schemas).
    Static,
    /// Random schema-valid answers, with unknown extra properties, from a fixed seed.
    Dynamic(u32),
}

/// A running `prism mock`, killed on drop (also when a test panics).
#[derive(Debug)]
pub struct Prism {
    child: Child,
    pub mode: Mode,
    pub addr: SocketAddr,
    log: PathBuf,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Prism {
    /// Starts Prism without waiting for it; see [`Prism::wait_ready`].
    pub fn spawn(bin: &Path, spec: &Path, mode: Mode, dir: &Path) -> Result<Prism, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let log = dir.join(match mode {
            Mode::Static => "prism-static.log".to_string(),
            Mode::Dynamic(seed) => format!("prism-seed-{seed}.log"),
        });
        let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(bin);
        command
            .arg("mock")
            .arg(spec)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // Violations become error answers, on top of the `sl-violations` header.
            .arg("--errors")
            .args(["--verboseLevel", "warn"]);
        if let Mode::Dynamic(seed) = mode {
            command.args([
                "--dynamic",
                "--seed",
                &seed.to_string(),
                "--json-schema-faker-fillProperties=true",
            ]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Ok(Prism {
            child,
            mode,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        })
    }

    /// Waits until `GET /api/v1/healthcheck` answers.
    pub async fn wait_ready(&mut self) -> Result<(), String> {
        let http = reqwest::Client::new();
        let url = format!("http://{}/api/v1/healthcheck", self.addr);
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "Prism ({:?}) exited with {status} before answering:\n{}",
                    self.mode,
                    self.log_tail()
                ));
            }
            let probe = http.get(&url).timeout(Duration::from_secs(2)).send().await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if start.elapsed() > STARTUP_TIMEOUT {
                return Err(format!(
                    "Prism ({:?}) did not answer {url} within {STARTUP_TIMEOUT:?}:\n{}",
                    self.mode,
                    self.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The end of Prism's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
