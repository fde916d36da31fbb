//! The `object_store` 0.13 traits (DataFusion 55, delta-rs 1.1, Polars 0.55).

use object_store_0_13 as object_store;

mod compat {
    use super::object_store::PutResult;
    use super::object_store::path::Path;
    use super::object_store::{Attributes, GetResult, GetResultPayload, ListResult, ObjectMeta};

    pub(super) fn put_result(e_tag: Option<String>, version: Option<String>) -> PutResult {
        PutResult { e_tag, version }
    }

    pub(super) fn list_result(common_prefixes: Vec<Path>, objects: Vec<ObjectMeta>) -> ListResult {
        ListResult {
            common_prefixes,
            objects,
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
        }
    }

    /// 0.13's `MultipartStore` has no `create_multipart_opts`.
    macro_rules! create_multipart_opts {
        () => {};
    }
    pub(super) use create_multipart_opts;
}

include!("adapter.rs");
