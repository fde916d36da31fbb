//! Failures in a form independent of the `object_store` version: each version's adapter turns
//! a [`Failure`] into its own `object_store::Error`, the lakeFS error kept as the source.

use lakefs_api::ErrorKind;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why an operation of the store failed, in `object_store`'s terms.
#[derive(Debug)]
pub(crate) enum Failure {
    NotFound { path: String, source: BoxError },
    AlreadyExists { path: String, source: BoxError },
    Precondition { path: String, source: BoxError },
    NotModified { path: String, source: BoxError },
    NotSupported { source: BoxError },
    NotImplemented { operation: String },
    PermissionDenied { path: String, source: BoxError },
    Unauthenticated { path: String, source: BoxError },
    Generic { source: BoxError },
}

pub(crate) type Outcome<T> = Result<T, Failure>;

impl Failure {
    /// The one map from a lakeFS error kind to its `object_store` meaning.
    pub(crate) fn from_api(path: &str, error: lakefs_api::Error) -> Failure {
        let path = path.to_string();
        let source: BoxError = Box::new(error);
        let kind = source
            .downcast_ref::<lakefs_api::Error>()
            .map(lakefs_api::Error::kind);
        match kind {
            Some(ErrorKind::NotFound) => Failure::NotFound { path, source },
            Some(ErrorKind::PreconditionFailed) => Failure::Precondition { path, source },
            Some(ErrorKind::Unauthorized) => Failure::Unauthenticated { path, source },
            Some(ErrorKind::Forbidden) => Failure::PermissionDenied { path, source },
            Some(ErrorKind::NotImplemented | ErrorKind::Unsupported) => {
                Failure::NotSupported { source }
            }
            _ => Failure::Generic { source },
        }
    }

    /// A failure that is the caller's or the data's, with a message.
    pub(crate) fn generic(message: impl Into<String>) -> Failure {
        Failure::Generic {
            source: message.into().into(),
        }
    }

    pub(crate) fn not_supported(message: impl Into<String>) -> Failure {
        Failure::NotSupported {
            source: message.into().into(),
        }
    }

    /// Whether lakeFS answered 404.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, Failure::NotFound { .. })
    }
}

/// `Failure::from_api` for a path, as a closure for `map_err`.
pub(crate) fn api(path: &str) -> impl FnOnce(lakefs_api::Error) -> Failure + '_ {
    move |error| Failure::from_api(path, error)
}
