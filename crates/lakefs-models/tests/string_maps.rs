//! String-map fields take any pairs of strings, not only a `BTreeMap<String, String>`.

use lakefs_models::{CommitCreation, RepositoryMetadataSet};
use std::collections::{BTreeMap, HashMap};

#[test]
fn string_map_setters_take_pairs_of_anything_stringy() {
    let from_array = CommitCreation::new("m").with_metadata([("author", "me"), ("kind", "test")]);
    let from_hash_map =
        CommitCreation::new("m").with_metadata(HashMap::from([("author", "me".to_string())]));
    let from_btree_map = CommitCreation::new("m")
        .with_metadata(BTreeMap::from([("author".to_string(), "me".to_string())]));
    let expected = BTreeMap::from([
        ("author".to_string(), "me".to_string()),
        ("kind".to_string(), "test".to_string()),
    ]);
    assert_eq!(from_array.metadata, Some(expected));
    assert_eq!(from_hash_map.metadata, from_btree_map.metadata);
    assert_eq!(
        RepositoryMetadataSet::new([("k", "v")]).metadata,
        BTreeMap::from([("k".to_string(), "v".to_string())])
    );
}
