//! Uploads of the low-level `MultipartStore` API: parts come with an index, possibly out of
//! order, and are streamed to lakeFS in index order.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::data::StreamingUpload;
use crate::failure::{Failure, Outcome};
use crate::keys::Target;

/// A `MultipartStore` upload in progress.
#[derive(Debug)]
pub(crate) struct PendingMultipart {
    upload: StreamingUpload,
    target: Target,
    /// The index of the next part to stream.
    next: usize,
    /// Parts that came before their turn, held until it comes.
    early: BTreeMap<usize, Vec<Bytes>>,
}

impl PendingMultipart {
    pub(crate) fn new(upload: StreamingUpload, target: Target) -> Self {
        PendingMultipart {
            upload,
            target,
            next: 0,
            early: BTreeMap::new(),
        }
    }

    /// Takes part `index`: streams it (and the early parts that follow it) when its turn has
    /// come, else holds it. The futures end when the streamed parts are sent.
    pub(crate) fn put(
        &mut self,
        index: usize,
        chunks: Vec<Bytes>,
    ) -> Outcome<Vec<BoxFuture<'static, Outcome<()>>>> {
        if index < self.next || self.early.contains_key(&index) {
            return Err(Failure::not_supported(format!(
                "part {index} of {} was already put: a part streamed to lakeFS cannot be \
                 replaced",
                self.target.path
            )));
        }
        self.early.insert(index, chunks);
        let mut sent = Vec::new();
        while let Some(chunks) = self.early.remove(&self.next) {
            sent.push(self.upload.send(chunks));
            self.next += 1;
        }
        Ok(sent)
    }

    /// The upload to finish, once exactly parts `0..parts` were put.
    pub(crate) fn finish(self, parts: usize) -> Outcome<(StreamingUpload, Target)> {
        if parts != self.next || !self.early.is_empty() {
            let missing = self.next;
            self.upload.abort();
            return Err(Failure::generic(format!(
                "cannot complete {}: {parts} parts named, part {missing} was never put",
                self.target.path
            )));
        }
        Ok((self.upload, self.target))
    }

    pub(crate) fn abort(self) {
        self.upload.abort();
    }
}

/// The map of uploads, whatever a panicking holder left in it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
