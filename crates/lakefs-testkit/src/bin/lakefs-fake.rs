//! Serves an in-memory fake lakeFS until interrupted.
//!
//! ```text
//! lakefs-fake [--listen ADDRESS]    (default 127.0.0.1:0: a free port)
//! ```

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use lakefs_testkit::FakeLakeFs;

const USAGE: &str = "usage: lakefs-fake [--listen ADDRESS]   (default 127.0.0.1:0)";

/// Reads `--listen ADDRESS` / `--listen=ADDRESS`; `Ok(None)` for `--help`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<SocketAddr>, String> {
    let mut listen = String::from("127.0.0.1:0");
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        } else if arg == "--listen" {
            listen = args
                .next()
                .ok_or_else(|| "--listen needs an address".to_string())?;
        } else if let Some(value) = arg.strip_prefix("--listen=") {
            listen = value.to_string();
        } else {
            return Err(format!("unexpected argument {arg:?}"));
        }
    }
    listen
        .parse()
        .map(Some)
        .map_err(|_| format!("invalid listen address {listen:?} (expected IP:PORT)"))
}

fn main() -> ExitCode {
    let address = match parse_args(std::env::args().skip(1)) {
        Ok(Some(address)) => address,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("lakefs-fake: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(address) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("lakefs-fake: cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("lakefs-fake: cannot start a runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(listener))
}

async fn serve(listener: TcpListener) -> ExitCode {
    let fake = FakeLakeFs::start_on(listener).await;
    println!("endpoint: {}", fake.endpoint());
    println!("access_key_id: {}", fake.access_key_id());
    println!("secret_access_key: {}", fake.secret_access_key());
    // Serve until the process is interrupted or killed: the default signal handling ends it.
    std::future::pending::<ExitCode>().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_listen_addresses() {
        assert_eq!(
            parse_args(args(&[])).unwrap(),
            Some("127.0.0.1:0".parse().unwrap())
        );
        assert_eq!(
            parse_args(args(&["--listen", "127.0.0.1:8000"])).unwrap(),
            Some("127.0.0.1:8000".parse().unwrap())
        );
        assert_eq!(
            parse_args(args(&["--listen=0.0.0.0:9"])).unwrap(),
            Some("0.0.0.0:9".parse().unwrap())
        );
        assert_eq!(parse_args(args(&["--help"])).unwrap(), None);
        assert!(parse_args(args(&["--listen"])).is_err());
        assert!(parse_args(args(&["--listen", "nope"])).is_err());
        assert!(parse_args(args(&["--port", "1"])).is_err());
    }
}
