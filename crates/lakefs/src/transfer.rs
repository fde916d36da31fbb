//! The one seam through which object content moves, so that reads and writes can switch to
//! direct (presigned) transfers without the handles, readers and writers changing. Today both
//! go through the lakeFS API: a streaming `getObject` from an offset, and a streaming
//! `uploadObject`.

use crate::{Object, Result};
use lakefs_api::{
    ErrorKind, GetObjectOptions, ObjectDownload, ObjectsApi, UploadBody, UploadObjectOptions,
    models,
};

/// The object's content from byte `offset` on, as one streaming answer; `None` when `offset`
/// is at or past its end. Offset 0 sends no `Range` (an empty object has no byte 0).
pub(crate) async fn read_from(object: &Object, offset: u64) -> Result<Option<ObjectDownload>> {
    let options = if offset == 0 {
        GetObjectOptions::default()
    } else {
        GetObjectOptions::default().range(format!("bytes={offset}-"))
    };
    let (repository, reference, path) = object.location();
    match object
        .api()
        .get_object(repository, reference, path, options)
        .await
    {
        Ok(download) => Ok(Some(download)),
        Err(err) if err.kind() == ErrorKind::RangeNotSatisfiable => Ok(None),
        Err(err) => Err(err),
    }
}

/// Uploads `body` to the object (on a branch) and links it only once the whole body arrived.
pub(crate) async fn write(
    object: &Object,
    body: UploadBody,
    options: UploadObjectOptions,
) -> Result<models::ObjectStats> {
    let (repository, branch, path) = object.location();
    object
        .api()
        .upload_object(repository, branch, path, body, options)
        .await
}
