//! Uploads from `std::io::Read`, bytes or files, and downloads as `std::io::Read`.

use crate::LakeFsClient;
use bytes::Bytes;
use futures::StreamExt;
use lakefs_api::{ByteStream, Error, ObjectMetadata, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Chunk size used to stream a reader to the server.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the reading thread and the upload.
const CHUNKS_IN_FLIGHT: usize = 4;

/// The content of a blocking upload: bytes, any `Read`, or a file; readers and files are
/// streamed in chunks, never buffered whole.
pub struct UploadBody {
    source: Source,
}

enum Source {
    Ready(lakefs_api::UploadBody),
    Reader {
        reader: Box<dyn Read + Send>,
        length: Option<u64>,
    },
    File(PathBuf),
}

impl std::fmt::Debug for UploadBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Source::Ready(b) => f.debug_tuple("UploadBody").field(b).finish(),
            Source::Reader { length, .. } => f
                .debug_struct("UploadBody")
                .field("reader_length", length)
                .finish(),
            Source::File(p) => f.debug_struct("UploadBody").field("file", p).finish(),
        }
    }
}

impl UploadBody {
    /// Streams everything `reader` yields. `length`, when known, is sent as `Content-Length`.
    pub fn from_reader(reader: impl Read + Send + 'static, length: Option<u64>) -> Self {
        UploadBody {
            source: Source::Reader {
                reader: Box::new(reader),
                length,
            },
        }
    }

    /// Streams a file from disk.
    pub fn from_path(path: impl AsRef<Path>) -> Self {
        UploadBody {
            source: Source::File(path.as_ref().to_path_buf()),
        }
    }

    /// Turns it into the async body; a reader is fed by a dedicated thread through a small
    /// bounded channel, so memory stays bounded.
    pub(crate) fn into_async(self) -> Result<lakefs_api::UploadBody> {
        let (reader, length): (Box<dyn Read + Send>, Option<u64>) = match self.source {
            Source::Ready(body) => return Ok(body),
            Source::Reader { reader, length } => (reader, length),
            Source::File(path) => {
                let io_error = |source| Error::LocalIo {
                    context: format!("cannot read {}", path.display()),
                    source,
                };
                let file = std::fs::File::open(&path).map_err(io_error)?;
                let length = file.metadata().map_err(io_error)?.len();
                (Box::new(file), Some(length))
            }
        };
        // The reading thread starts when the body is first polled, i.e. when it is being sent:
        // a call refused before that (a bad argument) takes nothing from the reader.
        enum Feed {
            NotStarted(Box<dyn Read + Send>),
            Running(tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>),
        }
        let stream = futures::stream::unfold(Some(Feed::NotStarted(reader)), |state| async move {
            let mut receiver = match state? {
                Feed::Running(receiver) => receiver,
                Feed::NotStarted(reader) => {
                    let (sender, receiver) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
                    let started = std::thread::Builder::new()
                        .name("lakefs-upload-reader".into())
                        .spawn(move || feed(reader, sender));
                    if let Err(e) = started {
                        return Some((Err(e), None));
                    }
                    receiver
                }
            };
            let chunk = receiver.recv().await?;
            Some((chunk, Some(Feed::Running(receiver))))
        });
        Ok(lakefs_api::UploadBody::from_stream(stream, length))
    }
}

fn feed(reader: Box<dyn Read + Send>, sender: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>) {
    let mut reader = reader.take(u64::MAX);
    loop {
        // Each chunk is read into its own buffer, which becomes the `Bytes` as it is: no copy.
        // (`read_to_end` fills the spare capacity, without zeroing it first for files.)
        let mut buffer = Vec::with_capacity(CHUNK);
        reader.set_limit(CHUNK as u64);
        let chunk = match reader.read_to_end(&mut buffer) {
            Ok(0) => return,
            Ok(_) => Ok(Bytes::from(buffer)),
            Err(e) => Err(e),
        };
        let failed = chunk.is_err();
        // A closed channel means the upload stopped: stop reading.
        if sender.blocking_send(chunk).is_err() || failed {
            return;
        }
    }
}

impl From<lakefs_api::UploadBody> for UploadBody {
    fn from(body: lakefs_api::UploadBody) -> Self {
        UploadBody {
            source: Source::Ready(body),
        }
    }
}

impl From<Bytes> for UploadBody {
    fn from(b: Bytes) -> Self {
        lakefs_api::UploadBody::from(b).into()
    }
}

impl From<Vec<u8>> for UploadBody {
    fn from(v: Vec<u8>) -> Self {
        lakefs_api::UploadBody::from(v).into()
    }
}

impl From<String> for UploadBody {
    fn from(s: String) -> Self {
        lakefs_api::UploadBody::from(s).into()
    }
}

impl From<&'static str> for UploadBody {
    fn from(s: &'static str) -> Self {
        lakefs_api::UploadBody::from(s).into()
    }
}

impl From<&'static [u8]> for UploadBody {
    fn from(s: &'static [u8]) -> Self {
        lakefs_api::UploadBody::from(s).into()
    }
}

/// A downloaded body as `std::io::Read`, pulled from the server chunk by chunk.
#[derive(Debug)]
pub struct BodyReader {
    client: LakeFsClient,
    stream: ByteStream,
    current: Bytes,
    done: bool,
    /// A failure is returned by every later read too: it must not look like the end.
    failed: Option<String>,
}

impl BodyReader {
    pub(crate) fn new(client: LakeFsClient, stream: ByteStream) -> Self {
        BodyReader {
            client,
            stream,
            current: Bytes::new(),
            done: false,
            failed: None,
        }
    }

    /// Reads the rest of the body into memory.
    pub fn bytes(mut self) -> std::io::Result<Vec<u8>> {
        let mut all = Vec::new();
        self.read_to_end(&mut all)?;
        Ok(all)
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(message) = &self.failed {
            return Err(std::io::Error::other(format!(
                "the download failed earlier: {message}"
            )));
        }
        while self.current.is_empty() && !self.done {
            let stream = &mut self.stream;
            match self
                .client
                .block_on(stream.next())
                .map_err(std::io::Error::other)?
            {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => {
                    self.failed = Some(e.to_string());
                    return Err(std::io::Error::other(e));
                }
                None => self.done = true,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

/// A download: the object's metadata and a reader of its content.
#[derive(Debug)]
#[non_exhaustive]
pub struct ObjectReader {
    /// What the headers say (size, ETag, content type, ...).
    pub metadata: ObjectMetadata,
    /// The content (empty when not modified).
    pub body: BodyReader,
}

impl ObjectReader {
    pub(crate) fn new(client: LakeFsClient, download: lakefs_api::ObjectDownload) -> Self {
        ObjectReader {
            metadata: download.metadata,
            body: BodyReader::new(client, download.body),
        }
    }

    /// Whether the server answered 304 to `If-None-Match`.
    pub fn is_not_modified(&self) -> bool {
        self.metadata.status == 304
    }

    /// Reads the whole content into memory.
    pub fn bytes(self) -> std::io::Result<Vec<u8>> {
        self.body.bytes()
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.body.read(buf)
    }
}
