//! [`BlockingFakeLakeFs`]: the fake on its own runtime thread, for synchronous code.

use std::fmt;
use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeLakeFs};

/// Runs a [`FakeLakeFs`] on its own runtime thread for synchronous code and tests; it stops
/// when dropped.
pub struct BlockingFakeLakeFs {
    endpoint: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for BlockingFakeLakeFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingFakeLakeFs")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl BlockingFakeLakeFs {
    /// Starts an empty fake on a free port of `127.0.0.1` and waits until it serves.
    ///
    /// Must not be called from inside an async runtime's worker; use [`FakeLakeFs::start`]
    /// there.
    pub fn start() -> io::Result<BlockingFakeLakeFs> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (ready_tx, ready_rx) = mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("lakefs-fake".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    let fake = FakeLakeFs::start().await;
                    if ready_tx.send(fake.endpoint()).is_ok() {
                        // Either a shutdown message or the sender's drop ends the wait.
                        let _ = shutdown_rx.await;
                    }
                    drop(fake);
                });
            })?;
        let endpoint = ready_rx
            .recv()
            .map_err(|_| io::Error::other("the fake lakeFS thread stopped before serving"))?;
        Ok(BlockingFakeLakeFs {
            endpoint,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`, without the `/api/v1` API path.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The access key id the fake accepts.
    pub fn access_key_id(&self) -> &str {
        FAKE_ACCESS_KEY_ID
    }

    /// The secret access key the fake accepts.
    pub fn secret_access_key(&self) -> &str {
        FAKE_SECRET_ACCESS_KEY
    }
}

impl Drop for BlockingFakeLakeFs {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
