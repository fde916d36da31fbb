//! Lazy iterators over paginated lists.

use crate::LakeFsClient;
use futures::StreamExt;
use futures::stream::BoxStream;
use lakefs_api::Result;

/// A lazy iterator over a stream of the async client, driven by the blocking client's
/// runtime. It sends nothing until `next` is called and ends after the first error.
pub struct StreamIter<T> {
    client: LakeFsClient,
    stream: Option<BoxStream<'static, Result<T>>>,
}

impl<T> std::fmt::Debug for StreamIter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamIter")
            .field("finished", &self.stream.is_none())
            .finish()
    }
}

/// The pages of a paginated list.
pub type Pages<P> = StreamIter<P>;
/// The items of a paginated list, page after page.
pub type Items<T> = StreamIter<T>;

impl<T: Send> StreamIter<T> {
    pub(crate) fn new(client: LakeFsClient, stream: BoxStream<'static, Result<T>>) -> Self {
        StreamIter {
            client,
            stream: Some(stream),
        }
    }
}

impl<T: Send> Iterator for StreamIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.stream.as_mut()?;
        let item = match self.client.block_on(stream.next()) {
            Ok(item) => item,
            Err(e) => Some(Err(e)),
        };
        if !matches!(item, Some(Ok(_))) {
            self.stream = None;
        }
        item
    }
}
