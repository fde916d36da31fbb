//! Serves a fake lakeFS until interrupted.
//!
//! ```text
//! lakefs-fake [--listen ADDRESS] [--data-dir DIR] [--access-key-id ID --secret-access-key KEY]
//! ```

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lakefs_fake::{
    Bandwidth, Blockstore, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeLakeFs,
    FakeLakeFsBuilder, Faults, QUICKSTART_ACCESS_KEY_ID, QUICKSTART_ADDRESS,
    QUICKSTART_SECRET_ACCESS_KEY,
};

const USAGE: &str = "\
usage: lakefs-fake [OPTIONS]

  --quickstart                  play `lakefs run --quickstart`: 127.0.0.1:8000, the quickstart
                                key pair, a default namespace prefix
  --listen ADDRESS              IP:PORT of the API (default 127.0.0.1:0, a free port)
  --storage-listen ADDRESS      IP:PORT of the object store (default 127.0.0.1:0)
  --data-dir DIR                keep object data in files under DIR (default: in memory)
  --access-key-id ID            the access key id the API accepts
  --secret-access-key KEY       the secret access key the API accepts
  --blockstore KIND             s3 (default), azure, gs, local or mem
  --no-presign                  offer no presigned URLs
  --no-presign-multipart        offer no presigned multipart uploads
  --default-namespace-prefix P  the storage config's default_namespace_prefix
  --url-expiry SECONDS          lifetime of presigned URLs (default 900)
  --api-upload-limit BPS        bytes/s per API connection, client to server
  --api-download-limit BPS      bytes/s per API connection, server to client
  --storage-upload-limit BPS    bytes/s per object store connection, client to server
  --storage-download-limit BPS  bytes/s per object store connection, server to client
  --fail-part-upload N          the Nth part upload fails once (500)
  --conflict-next-links N       the next N links answer 409
  --omit-etag                   the object store answers uploads without ETag
  --cut-body-after BYTES        download bodies stop after BYTES bytes
  --cut-bodies N                only the next N bodies are cut (default: all)
  -h, --help                    this text";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
struct Options {
    quickstart: bool,
    listen: Option<SocketAddr>,
    storage_listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    blockstore: Blockstore,
    presign: bool,
    presign_multipart: bool,
    default_namespace_prefix: Option<String>,
    url_expiry: Option<u64>,
    api: Bandwidth,
    storage: Bandwidth,
    faults: Faults,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            quickstart: false,
            listen: None,
            storage_listen: None,
            data_dir: None,
            access_key_id: None,
            secret_access_key: None,
            blockstore: Blockstore::S3,
            presign: true,
            presign_multipart: true,
            default_namespace_prefix: None,
            url_expiry: None,
            api: Bandwidth::default(),
            storage: Bandwidth::default(),
            faults: Faults::new(),
        }
    }
}

fn number(name: &str, text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{name} needs a whole number, not {text:?}"))
}

fn address(name: &str, text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("invalid {name} address {text:?} (expected IP:PORT)"))
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
            "--quickstart" => options.quickstart = true,
            "--listen" => options.listen = Some(address("listen", &value()?)?),
            "--storage-listen" => options.storage_listen = Some(address("storage", &value()?)?),
            "--data-dir" => options.data_dir = Some(PathBuf::from(value()?)),
            "--access-key-id" => options.access_key_id = Some(value()?),
            "--secret-access-key" => options.secret_access_key = Some(value()?),
            "--blockstore" => {
                let kind = value()?;
                options.blockstore = Blockstore::from_name(&kind).ok_or_else(|| {
                    format!("unknown blockstore {kind:?} (s3, azure, gs, local or mem)")
                })?;
            }
            "--no-presign" => options.presign = false,
            "--no-presign-multipart" => options.presign_multipart = false,
            "--default-namespace-prefix" => options.default_namespace_prefix = Some(value()?),
            "--url-expiry" => options.url_expiry = Some(number(&name, &value()?)?),
            "--api-upload-limit" => options.api.upload = Some(number(&name, &value()?)?),
            "--api-download-limit" => options.api.download = Some(number(&name, &value()?)?),
            "--storage-upload-limit" => options.storage.upload = Some(number(&name, &value()?)?),
            "--storage-download-limit" => {
                options.storage.download = Some(number(&name, &value()?)?)
            }
            "--fail-part-upload" => {
                options.faults = options
                    .faults
                    .clone()
                    .fail_part_upload(number(&name, &value()?)?)
            }
            "--conflict-next-links" => {
                let count = u32::try_from(number(&name, &value()?)?).unwrap_or(u32::MAX);
                options.faults = options.faults.clone().conflict_next_links(count)
            }
            "--omit-etag" => options.faults = options.faults.clone().omit_etag(true),
            "--cut-body-after" => {
                options.faults = options
                    .faults
                    .clone()
                    .cut_body_after(number(&name, &value()?)?)
            }
            "--cut-bodies" => {
                let count = u32::try_from(number(&name, &value()?)?).unwrap_or(u32::MAX);
                options.faults = options.faults.clone().cut_bodies(count)
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Some(options))
}

/// The builder the options describe, with its listeners bound.
fn builder(options: &Options) -> Result<FakeLakeFsBuilder, String> {
    let mut builder = FakeLakeFs::builder();
    if options.quickstart {
        builder = builder.quickstart();
    }
    let listen = options.listen.unwrap_or_else(|| {
        let default = if options.quickstart {
            QUICKSTART_ADDRESS
        } else {
            "127.0.0.1:0"
        };
        default
            .parse()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
    });
    let bind = |address: SocketAddr| {
        TcpListener::bind(address).map_err(|error| format!("cannot listen on {address}: {error}"))
    };
    builder = builder.listener(bind(listen)?);
    if let Some(address) = options.storage_listen {
        builder = builder.storage_listener(bind(address)?);
    }
    let (default_id, default_secret) = if options.quickstart {
        (QUICKSTART_ACCESS_KEY_ID, QUICKSTART_SECRET_ACCESS_KEY)
    } else {
        (FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)
    };
    builder = builder.credentials(
        options.access_key_id.as_deref().unwrap_or(default_id),
        options
            .secret_access_key
            .as_deref()
            .unwrap_or(default_secret),
    );
    if let Some(directory) = &options.data_dir {
        builder = builder.data_dir(directory);
    }
    if let Some(prefix) = &options.default_namespace_prefix {
        builder = builder.default_namespace_prefix(prefix);
    }
    if let Some(seconds) = options.url_expiry {
        builder = builder.presigned_url_expiry(Duration::from_secs(seconds));
    }
    Ok(builder
        .blockstore(options.blockstore)
        .presign(options.presign)
        .presign_multipart(options.presign_multipart)
        .api_bandwidth(options.api)
        .storage_bandwidth(options.storage)
        .faults(options.faults.clone()))
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
    let fake = match builder(&options).and_then(|builder| {
        builder
            .spawn()
            .map_err(|error| format!("cannot start: {error}"))
    }) {
        Ok(fake) => fake,
        Err(message) => {
            eprintln!("lakefs-fake: {message}");
            return ExitCode::FAILURE;
        }
    };
    // A closed stdout (the starter stopped listening) must not stop the server.
    let _ = writeln!(
        std::io::stdout(),
        "endpoint: {}\nstorage_endpoint: {}\naccess_key_id: {}\nsecret_access_key: {}\nblockstore: {}",
        fake.endpoint(),
        fake.storage_endpoint(),
        fake.access_key_id(),
        fake.secret_access_key(),
        options.blockstore
    );
    let _ = std::io::stdout().flush();
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
            "--blockstore",
            "azure",
            "--no-presign-multipart",
            "--storage-download-limit",
            "1000",
            "--api-upload-limit=5",
            "--fail-part-upload",
            "2",
            "--omit-etag",
            "--url-expiry",
            "60",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(parsed.listen, Some("127.0.0.1:8000".parse().unwrap()));
        assert_eq!(parsed.data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(parsed.access_key_id.as_deref(), Some("id"));
        assert_eq!(parsed.secret_access_key.as_deref(), Some("s=k"));
        assert_eq!(parsed.blockstore, Blockstore::Azure);
        assert!(parsed.presign && !parsed.presign_multipart);
        assert_eq!(parsed.storage.download, Some(1000));
        assert_eq!(parsed.api.upload, Some(5));
        assert_eq!(
            parsed.faults,
            Faults::new().fail_part_upload(2).omit_etag(true)
        );
        assert_eq!(parsed.url_expiry, Some(60));
        assert!(
            parse_args(args(&["--quickstart", "--no-presign"]))
                .unwrap()
                .unwrap()
                .quickstart
        );
        assert_eq!(parse_args(args(&["--help"])).unwrap(), None);
        for bad in [
            &["--listen"][..],
            &["--listen", "nope"],
            &["--port", "1"],
            &["--blockstore", "ftp"],
            &["--url-expiry", "soon"],
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quickstart_uses_the_quickstart_key_pair_unless_told_otherwise() {
        let options = parse_args(args(&["--quickstart", "--listen", "127.0.0.1:0"]))
            .unwrap()
            .unwrap();
        let fake = builder(&options).unwrap().spawn().unwrap();
        assert_eq!(fake.access_key_id(), QUICKSTART_ACCESS_KEY_ID);
        assert_eq!(fake.secret_access_key(), QUICKSTART_SECRET_ACCESS_KEY);
        let own = parse_args(args(&[
            "--quickstart",
            "--listen=127.0.0.1:0",
            "--access-key-id=me",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            builder(&own).unwrap().spawn().unwrap().access_key_id(),
            "me"
        );
    }
}
