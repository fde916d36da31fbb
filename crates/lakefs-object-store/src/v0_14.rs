//! The `object_store` 0.14 traits (arrow's parquet 60).

use object_store_0_14 as object_store;

mod compat {
    use super::object_store::PutResult;
    use super::object_store::path::Path;
    use super::object_store::{Attributes, GetResult, GetResultPayload, ListResult, ObjectMeta};

    pub(super) fn put_result(e_tag: Option<String>, version: Option<String>) -> PutResult {
        PutResult {
            e_tag,
            version,
            extensions: Default::default(),
        }
    }

    pub(super) fn list_result(common_prefixes: Vec<Path>, objects: Vec<ObjectMeta>) -> ListResult {
        ListResult {
            common_prefixes,
            objects,
            extensions: Default::default(),
        }
    }

    pub(super) fn get_result(
        payload: GetResultPayload,
        meta: ObjectMeta,
        range: std::ops::Range<u64>,
        attributes: Attributes,
    ) -> GetResult {
        GetResult {
            payload,
            meta,
            range,
            attributes,
            extensions: Default::default(),
        }
    }

    /// 0.14's `MultipartStore::create_multipart_opts`: attributes and tags as `put_multipart_opts`.
    macro_rules! create_multipart_opts {
        () => {
            // Spelled as `#[async_trait]` expands a method: the attribute on the impl does not
            // reach into a macro.
            fn create_multipart_opts<'life0, 'life1, 'async_trait>(
                &'life0 self,
                path: &'life1 Path,
                opts: PutMultipartOptions,
            ) -> ::core::pin::Pin<
                Box<
                    dyn ::core::future::Future<Output = object_store::Result<MultipartId>>
                        + Send
                        + 'async_trait,
                >,
            >
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                Self: 'async_trait,
            {
                Box::pin(async move {
                    create_multipart_with(self, path, &opts.attributes, &opts.tags).await
                })
            }
        };
    }
    pub(super) use create_multipart_opts;
}

include!("adapter.rs");
