//! Our own documentation for generated items, kept beside the generator in `api-docs.yaml`.
//!
//! The spec's descriptions are not copied; anything the file does not cover gets a plain
//! description built from its name and type.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Docs {
    /// Schema name -> its documentation.
    pub schemas: BTreeMap<String, SchemaDocs>,
    /// operationId -> one or two sentences.
    pub operations: BTreeMap<String, String>,
    /// First tag -> what the group covers.
    pub groups: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SchemaDocs {
    pub doc: Option<String>,
    /// JSON field name -> documentation.
    pub fields: BTreeMap<String, String>,
}

impl Docs {
    pub fn load(path: &Path) -> Result<Docs> {
        if !path.exists() {
            return Ok(Docs::default());
        }
        let text = std::fs::read_to_string(path)?;
        serde_yaml::from_str(&text).with_context(|| format!("invalid {}", path.display()))
    }

    pub fn schema(&self, name: &str) -> Option<&str> {
        self.schemas.get(name).and_then(|s| s.doc.as_deref())
    }

    pub fn field(&self, schema: &str, field: &str) -> Option<&str> {
        self.schemas
            .get(schema)
            .and_then(|s| s.fields.get(field))
            .map(String::as_str)
    }
}

/// Renders text as `///` lines.
pub fn doc_comment(text: &str) -> String {
    text.trim()
        .lines()
        .map(|l| format!("/// {l}\n").replace("/// \n", "///\n"))
        .collect()
}
