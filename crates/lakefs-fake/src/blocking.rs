//! [`BlockingFakeLakeFs`]: the fake for synchronous code.

use std::fmt;
use std::io;

use super::{FakeLakeFs, FakeLakeFsBuilder};

/// A [`FakeLakeFs`] for synchronous code and tests: the same server (it always runs on a
/// thread of its own), started without `.await`, with a blocking SDK client. It stops when
/// dropped.
pub struct BlockingFakeLakeFs {
    fake: FakeLakeFs,
}

impl fmt::Debug for BlockingFakeLakeFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingFakeLakeFs")
            .field("endpoint", &self.endpoint())
            .finish_non_exhaustive()
    }
}

impl BlockingFakeLakeFs {
    /// Starts an empty fake on a free port of `127.0.0.1` and waits until it serves.
    pub fn start() -> io::Result<BlockingFakeLakeFs> {
        BlockingFakeLakeFs::from_builder(FakeLakeFs::builder())
    }

    /// Starts a fake configured by `builder` (see [`FakeLakeFs::builder`]).
    pub fn from_builder(builder: FakeLakeFsBuilder) -> io::Result<BlockingFakeLakeFs> {
        Ok(BlockingFakeLakeFs {
            fake: builder.spawn()?,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`, without the `/api/v1` API path.
    pub fn endpoint(&self) -> String {
        self.fake.endpoint()
    }

    /// The access key id the fake accepts.
    pub fn access_key_id(&self) -> &str {
        self.fake.access_key_id()
    }

    /// The secret access key the fake accepts.
    pub fn secret_access_key(&self) -> &str {
        self.fake.secret_access_key()
    }

    /// A blocking SDK client for this fake, with its credentials.
    pub fn client(&self) -> lakefs_api::Result<lakefs_blocking::LakeFsClient> {
        lakefs_blocking::LakeFsClient::from_builder(
            lakefs_blocking::LakeFsClient::builder()
                .endpoint(self.endpoint())
                .access_key(self.access_key_id(), self.secret_access_key()),
        )
    }

    /// The fake itself.
    pub fn fake(&self) -> &FakeLakeFs {
        &self.fake
    }
}
