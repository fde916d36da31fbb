//! Serves a fake lakeFS until interrupted.
//!
//! ```text
//! lakefs-fake [--listen ADDRESS] [--data-dir DIR] [--access-key-id ID --secret-access-key KEY]
//! ```

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;

use lakefs_fake::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeLakeFs};

const USAGE: &str = "\
usage: lakefs-fake [OPTIONS]

  --listen ADDRESS            IP:PORT to serve the API on (default 127.0.0.1:0, a free port)
  --data-dir DIR              keep object data in files under DIR (default: in memory)
  --access-key-id ID          the access key id the API accepts
  --secret-access-key KEY     the secret access key the API accepts
  -h, --help                  this text";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
struct Options {
    listen: SocketAddr,
    data_dir: Option<PathBuf>,
    access_key_id: String,
    secret_access_key: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            access_key_id: FAKE_ACCESS_KEY_ID.to_string(),
            secret_access_key: FAKE_SECRET_ACCESS_KEY.to_string(),
        }
    }
}

/// Reads the options (`--name VALUE` or `--name=VALUE`); `Ok(None)` for `--help`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--listen" => {
                let text = value()?;
                options.listen = text
                    .parse()
                    .map_err(|_| format!("invalid listen address {text:?} (expected IP:PORT)"))?;
            }
            "--data-dir" => options.data_dir = Some(PathBuf::from(value()?)),
            "--access-key-id" => options.access_key_id = value()?,
            "--secret-access-key" => options.secret_access_key = value()?,
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("lakefs-fake: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(options.listen) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("lakefs-fake: cannot listen on {}: {error}", options.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut builder = FakeLakeFs::builder()
        .listener(listener)
        .credentials(&options.access_key_id, &options.secret_access_key);
    if let Some(directory) = &options.data_dir {
        builder = builder.data_dir(directory);
    }
    let fake = match builder.spawn() {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("lakefs-fake: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("endpoint: {}", fake.endpoint());
    println!("access_key_id: {}", fake.access_key_id());
    println!("secret_access_key: {}", fake.secret_access_key());
    // The fake serves from its own thread; this one waits until the process is interrupted
    // or killed (the default signal handling ends it).
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_options() {
        assert_eq!(parse_args(args(&[])).unwrap(), Some(Options::default()));
        let parsed = parse_args(args(&[
            "--listen",
            "127.0.0.1:8000",
            "--data-dir=/tmp/x",
            "--access-key-id",
            "id",
            "--secret-access-key=s=k",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(parsed.listen, "127.0.0.1:8000".parse().unwrap());
        assert_eq!(parsed.data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(parsed.access_key_id, "id");
        assert_eq!(parsed.secret_access_key, "s=k");
        assert_eq!(
            parse_args(args(&["--listen=0.0.0.0:9"]))
                .unwrap()
                .unwrap()
                .listen,
            "0.0.0.0:9".parse().unwrap()
        );
        assert_eq!(parse_args(args(&["--help"])).unwrap(), None);
        assert!(parse_args(args(&["--listen"])).is_err());
        assert!(parse_args(args(&["--listen", "nope"])).is_err());
        assert!(parse_args(args(&["--port", "1"])).is_err());
    }
}
