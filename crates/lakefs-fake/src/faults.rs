//! Faults a test can ask for, to see its client cope: a part upload that fails once, links
//! answered 409, store answers without an ETag, download bodies cut short.

/// Faults to inject, set with [`FakeLakeFsBuilder::faults`](crate::FakeLakeFsBuilder::faults)
/// or, while running, [`FakeLakeFs::set_faults`](crate::FakeLakeFs::set_faults).
///
/// ```
/// let faults = lakefs_fake::Faults::new()
///     .fail_part_upload(2) // the 2nd part PUT answers 500, once
///     .conflict_next_links(1); // the next link answers 409
/// # let _ = faults;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    pub(crate) fail_part_upload: Option<u64>,
    pub(crate) conflict_next_links: u32,
    pub(crate) omit_etag: bool,
    pub(crate) cut_body_after: Option<u64>,
    pub(crate) cut_bodies: Option<u32>,
}

impl Faults {
    /// No faults.
    pub fn new() -> Faults {
        Faults::default()
    }

    /// The `n`th part upload to the store (counted from 1 from when the faults are set) fails
    /// once with S3's 500 `InternalError`; a retry of it succeeds.
    pub fn fail_part_upload(mut self, n: u64) -> Faults {
        self.fail_part_upload = Some(n.max(1));
        self
    }

    /// The next `count` links (`linkPhysicalAddress`, `completePresignMultipartUpload`)
    /// answer 409, as lakeFS does when a commit got in the way; clients restart the upload.
    pub fn conflict_next_links(mut self, count: u32) -> Faults {
        self.conflict_next_links = count;
        self
    }

    /// The store answers uploads without `ETag` (and without `Content-MD5`), as some
    /// S3-compatible stores and misconfigured proxies do.
    pub fn omit_etag(mut self, omit: bool) -> Faults {
        self.omit_etag = omit;
        self
    }

    /// Every download body (store GETs and `getObject`) stops after `bytes` bytes and its
    /// connection closes, though the headers announced the whole length.
    pub fn cut_body_after(mut self, bytes: u64) -> Faults {
        self.cut_body_after = Some(bytes);
        self
    }

    /// Only the next `count` download bodies are cut by
    /// [`cut_body_after`](Self::cut_body_after) (by default every one is): a retry then
    /// succeeds.
    pub fn cut_bodies(mut self, count: u32) -> Faults {
        self.cut_bodies = Some(count);
        self
    }
}

/// The faults in force and their counters.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub(crate) faults: Faults,
    /// Part uploads seen since the faults were set.
    part_uploads: u64,
}

impl FaultState {
    pub(crate) fn set(&mut self, faults: Faults) {
        *self = FaultState {
            faults,
            part_uploads: 0,
        };
    }

    /// Counts a part upload; true when this one must fail.
    pub(crate) fn part_upload_fails(&mut self) -> bool {
        self.part_uploads += 1;
        if self.faults.fail_part_upload == Some(self.part_uploads) {
            self.faults.fail_part_upload = None;
            return true;
        }
        false
    }

    /// Where the next download body is cut, if it is (and counts it).
    pub(crate) fn body_cut(&mut self) -> Option<u64> {
        let limit = self.faults.cut_body_after?;
        match &mut self.faults.cut_bodies {
            None => Some(limit),
            Some(0) => None,
            Some(left) => {
                *left -= 1;
                Some(limit)
            }
        }
    }

    /// True when this link must answer 409 (and counts it).
    pub(crate) fn link_conflicts(&mut self) -> bool {
        if self.faults.conflict_next_links > 0 {
            self.faults.conflict_next_links -= 1;
            return true;
        }
        false
    }
}
