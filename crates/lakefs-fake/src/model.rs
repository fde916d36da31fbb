//! The fake's in-memory data: repositories, branches with staging areas, commits with full
//! trees, tags, and the JSON shapes of each.
//!
//! Every commit keeps its whole tree (shared through `Arc`): simple, and fast enough for the
//! object counts tests use.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

use super::blobs::Blob;
use super::config::{Config, Storage};
use super::digest;
use super::faults::FaultState;
use super::http::ApiError;
use super::store::{ObjectStore, StoredObject, key_of};

/// Object path -> object.
pub(crate) type Tree = BTreeMap<String, Entry>;
/// User metadata or commit metadata.
pub(crate) type Metadata = BTreeMap<String, String>;
/// Uncommitted changes of a branch: `None` is a tombstone (a staged delete).
pub(crate) type Staging = BTreeMap<String, Option<Entry>>;

/// The committer the fake records: the only user it knows.
pub(crate) const COMMITTER: &str = "admin";

/// One stored object.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The content; entries share it (copies, commits) rather than copying bytes.
    pub(crate) blob: Arc<Blob>,
    /// The ETag without quotes: the MD5 of the content in hex, as S3 has it (or, for a linked
    /// object, the checksum its client gave).
    pub(crate) checksum: String,
    /// The size in bytes: the blob's, or for a linked object the size its client gave.
    pub(crate) size: u64,
    pub(crate) physical_address: String,
    pub(crate) mtime: i64,
    pub(crate) content_type: String,
    pub(crate) metadata: Metadata,
}

impl Entry {
    pub(crate) fn size(&self) -> i64 {
        i64::try_from(self.size).unwrap_or(i64::MAX)
    }

    /// The quoted `ETag` header value.
    pub(crate) fn etag(&self) -> String {
        format!("\"{}\"", self.checksum)
    }

    /// Whether two versions count as the same for diffs and merges (lakeFS compares entry
    /// identity: content and metadata, not the time or address).
    pub(crate) fn same_as(&self, other: &Entry) -> bool {
        self.checksum == other.checksum
            && self.content_type == other.content_type
            && self.metadata == other.metadata
    }

    /// The `ObjectStats` of this entry at `path`.
    pub(crate) fn stats_json(&self, path: &str, with_metadata: bool) -> Value {
        let mut stats = json!({
            "path": path,
            "path_type": "object",
            "physical_address": self.physical_address,
            "checksum": self.checksum,
            "size_bytes": self.size(),
            "mtime": self.mtime,
            "content_type": self.content_type,
        });
        if with_metadata {
            stats["metadata"] = json!(self.metadata);
        }
        stats
    }

    /// The `DiffObjectStat` of this entry (`include_right_stats`).
    pub(crate) fn diff_stat_json(&self) -> Value {
        json!({
            "checksum": self.checksum,
            "mtime": self.mtime,
            "content_type": self.content_type,
            "metadata": self.metadata,
        })
    }
}

/// One commit; immutable once created.
#[derive(Debug, Clone)]
pub(crate) struct Commit {
    pub(crate) id: String,
    pub(crate) parents: Vec<String>,
    pub(crate) message: String,
    pub(crate) creation_date: i64,
    pub(crate) metadata: Metadata,
    pub(crate) meta_range_id: String,
    pub(crate) generation: i64,
    pub(crate) tree: Arc<Tree>,
}

impl Commit {
    /// The `Commit` JSON.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "parents": self.parents,
            "committer": COMMITTER,
            "message": self.message,
            "creation_date": self.creation_date,
            "meta_range_id": self.meta_range_id,
            "metadata": self.metadata,
            "generation": self.generation,
            "version": 1,
        })
    }
}

/// What a new commit is made of.
#[derive(Debug)]
pub(crate) struct NewCommit {
    pub(crate) parents: Vec<String>,
    pub(crate) message: String,
    pub(crate) metadata: Metadata,
    pub(crate) creation_date: i64,
    pub(crate) tree: Arc<Tree>,
}

/// A branch: a head commit plus staged changes.
#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) head: String,
    pub(crate) staging: Staging,
    /// Left out of branch listings unless `show_hidden` (transactions create such branches).
    pub(crate) hidden: bool,
}

impl Branch {
    pub(crate) fn at(head: String) -> Branch {
        Branch {
            head,
            staging: Staging::new(),
            hidden: false,
        }
    }
}

/// One repository.
#[derive(Debug)]
pub(crate) struct Repo {
    pub(crate) id: String,
    pub(crate) storage_namespace: String,
    pub(crate) default_branch: String,
    pub(crate) creation_date: i64,
    pub(crate) read_only: bool,
    /// The storage it lives on, in multi-storage mode.
    pub(crate) storage_id: Option<String>,
    pub(crate) branches: BTreeMap<String, Branch>,
    /// Tag name -> commit id.
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) commits: HashMap<String, Commit>,
    /// Repository metadata (`getRepositoryMetadata`), free key/value pairs.
    pub(crate) metadata: Metadata,
    /// Imports by id, running or finished.
    pub(crate) imports: BTreeMap<String, Import>,
    /// Distinguishes commits with identical content, so their ids differ.
    commit_sequence: u64,
}

/// An import from the object store (`importStart`). lakeFS runs one in the background; the
/// fake ingests at start and lands the commit when the import is first polled, so that a
/// client sees it in progress and can still cancel it.
#[derive(Debug)]
pub(crate) struct Import {
    /// The objects found, by destination path.
    pub(crate) ingested: Tree,
    /// The destinations whose previous content the import replaces.
    pub(crate) destinations: Vec<String>,
    pub(crate) message: String,
    pub(crate) metadata: Metadata,
    pub(crate) update_time: i64,
    pub(crate) outcome: ImportOutcome,
}

/// Where an import stands.
#[derive(Debug, Clone)]
pub(crate) enum ImportOutcome {
    /// Ingested, commit not made yet.
    Running,
    /// Committed: the commit's id.
    Completed(String),
    /// Failed or canceled, with lakeFS's message.
    Failed(String),
}

/// What a new repository is made of.
#[derive(Debug)]
pub(crate) struct NewRepo {
    pub(crate) id: String,
    pub(crate) storage_namespace: String,
    pub(crate) default_branch: String,
    pub(crate) read_only: bool,
    pub(crate) storage_id: Option<String>,
    pub(crate) now: i64,
}

impl Repo {
    /// A repository whose default branch holds the "Repository created" commit, as lakeFS makes.
    pub(crate) fn create(spec: NewRepo) -> Repo {
        let mut repo = Repo {
            id: spec.id,
            storage_namespace: spec.storage_namespace,
            default_branch: spec.default_branch.clone(),
            creation_date: spec.now,
            read_only: spec.read_only,
            storage_id: spec.storage_id,
            branches: BTreeMap::new(),
            tags: BTreeMap::new(),
            commits: HashMap::new(),
            metadata: Metadata::new(),
            imports: BTreeMap::new(),
            commit_sequence: 0,
        };
        let initial = repo.add_commit(NewCommit {
            parents: Vec::new(),
            message: "Repository created".to_string(),
            metadata: Metadata::new(),
            creation_date: spec.now,
            tree: Arc::new(Tree::new()),
        });
        repo.branches
            .insert(spec.default_branch, Branch::at(initial));
        repo
    }

    /// The `Repository` JSON.
    pub(crate) fn to_json(&self) -> Value {
        let mut repo = json!({
            "id": self.id,
            "creation_date": self.creation_date,
            "default_branch": self.default_branch,
            "storage_namespace": self.storage_namespace,
            "read_only": self.read_only,
        });
        if let Some(storage_id) = &self.storage_id {
            repo["storage_id"] = json!(storage_id);
        }
        repo
    }

    /// Stores a commit and returns its id (64 hex digits).
    pub(crate) fn add_commit(&mut self, spec: NewCommit) -> String {
        self.commit_sequence += 1;
        let meta_range_id = meta_range_id(&spec.tree);
        let generation = spec
            .parents
            .iter()
            .filter_map(|parent| self.commits.get(parent))
            .map(|parent| parent.generation)
            .max()
            .unwrap_or(0)
            + 1;
        let seed = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.id,
            self.commit_sequence,
            spec.parents.join(","),
            spec.creation_date,
            meta_range_id,
            spec.message
        );
        let id = digest::id64(seed.as_bytes());
        let commit = Commit {
            id: id.clone(),
            parents: spec.parents,
            message: spec.message,
            creation_date: spec.creation_date,
            metadata: spec.metadata,
            meta_range_id,
            generation,
            tree: spec.tree,
        };
        self.commits.insert(id.clone(), commit);
        id
    }

    pub(crate) fn commit(&self, id: &str) -> Result<&Commit, ApiError> {
        self.commits
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("commit {id} not found")))
    }

    pub(crate) fn branch(&self, name: &str) -> Result<&Branch, ApiError> {
        self.branches
            .get(name)
            .ok_or_else(|| ApiError::not_found(format!("branch {name} not found")))
    }

    pub(crate) fn branch_mut(&mut self, name: &str) -> Result<&mut Branch, ApiError> {
        self.branches
            .get_mut(name)
            .ok_or_else(|| ApiError::not_found(format!("branch {name} not found")))
    }

    /// The committed tree under a branch's head.
    pub(crate) fn head_tree(&self, branch: &str) -> Result<Arc<Tree>, ApiError> {
        let head = &self.branch(branch)?.head;
        Ok(Arc::clone(&self.commit(head)?.tree))
    }
}

/// lakeFS gives the empty tree an empty meta-range id; others get a digest of their content.
fn meta_range_id(tree: &Tree) -> String {
    if tree.is_empty() {
        return String::new();
    }
    let mut text = String::new();
    for (path, entry) in tree {
        text.push_str(path);
        text.push('\0');
        text.push_str(&entry.checksum);
        text.push('\n');
    }
    digest::id64(text.as_bytes())
}

/// Everything the fake server knows (metadata only: object bytes live in blobs).
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) repos: BTreeMap<String, Repo>,
    /// The simulated object store's objects and multipart uploads.
    pub(crate) store: ObjectStore,
    pub(crate) config: Arc<Config>,
    /// Seconds added to the wall clock for expiry checks (tests move time forward).
    pub(crate) clock_offset: i64,
    /// Faults tests asked for.
    pub(crate) faults: FaultState,
    /// Requests the simulated object store has seen.
    pub(crate) store_requests: crate::StoreRequests,
    /// Feeds unique physical addresses.
    object_sequence: u64,
    /// When the fake started: the admin user's creation date.
    pub(crate) started: i64,
}

impl State {
    pub(crate) fn new(now: i64, config: Arc<Config>) -> State {
        State {
            repos: BTreeMap::new(),
            store: ObjectStore::default(),
            config,
            clock_offset: 0,
            faults: FaultState::default(),
            store_requests: crate::StoreRequests::default(),
            object_sequence: 0,
            started: now,
        }
    }

    /// Now, on the clock that URL and address expiry is checked against.
    pub(crate) fn now(&self) -> i64 {
        super::clock::now().saturating_add(self.clock_offset)
    }

    /// The storage a repository lives on.
    pub(crate) fn storage_of(&self, repo: &Repo) -> Result<&Storage, ApiError> {
        self.config
            .storage(repo.storage_id.as_deref())
            .ok_or_else(|| ApiError::not_found("storage config not found"))
    }

    /// Puts an object into the simulated store at `address`.
    pub(crate) fn store_object(&mut self, address: &str, blob: Arc<Blob>, content_type: &str) {
        let mtime = self.now();
        self.store.objects.insert(
            key_of(address).to_string(),
            StoredObject {
                blob,
                content_type: Some(content_type.to_string()),
                mtime,
            },
        );
    }

    pub(crate) fn repo(&self, id: &str) -> Result<&Repo, ApiError> {
        self.repos
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("repository {id} not found")))
    }

    pub(crate) fn repo_mut(&mut self, id: &str) -> Result<&mut Repo, ApiError> {
        self.repos
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found(format!("repository {id} not found")))
    }

    /// A fresh physical address under the repository's storage namespace,
    /// `<namespace>/data/<id>`; the id starts with its creation time (10 hex digits) so that
    /// the age of a staged address can be told, as lakeFS's time-ordered ids allow.
    pub(crate) fn new_physical_address(&mut self, repo: &str) -> Result<String, ApiError> {
        self.object_sequence += 1;
        let now = self.now();
        let namespace = self
            .repo(repo)?
            .storage_namespace
            .trim_end_matches('/')
            .to_string();
        let id = digest::short_id(format!("{repo}/{}", self.object_sequence).as_bytes());
        Ok(format!("{namespace}/data/{:010x}{id}", now.max(0)))
    }
}
