//! Generates `lakefs-models`: one Rust type per schema, plus inline enums and request bodies,
//! and the per-schema round-trip tests.

use crate::docs::{Docs, doc_comment};
use crate::model::*;
use crate::naming::variant_name;
use crate::output::{Files, HEADER};
use serde_json::{Map, Value, json};
use std::fmt::Write;

const MODELS: &str = "crates/lakefs-models";

pub fn generate(api: &Api, docs: &Docs, files: &mut Files) {
    let (schemas, others): (Vec<&TypeDef>, Vec<&TypeDef>) = api
        .types
        .iter()
        .partition(|t| matches!(&t.origin, Origin::Schema | Origin::Property { .. }));
    let mut out = format!(
        "{HEADER}\n//! Types for the component schemas of the spec and their inline enums.\n\n\
         #![allow(clippy::too_many_arguments)]\n\nuse std::collections::BTreeMap;\n\n"
    );
    for t in &schemas {
        out += &type_def(api, t, docs);
    }
    out += &null_tolerant_leaves(api);
    files.rust(format!("{MODELS}/src/generated/schemas.rs"), out);

    let mut out = format!(
        "{HEADER}\n//! Types that only operations use: inline request bodies and parameter enums.\n\n\
         #![allow(clippy::too_many_arguments)]\n\n#[allow(unused_imports)]\nuse crate::*;\n\n"
    );
    for t in others {
        out += &type_def(api, t, docs);
    }
    files.rust(format!("{MODELS}/src/generated/operations.rs"), out);

    files.rust(
        format!("{MODELS}/src/generated/pagination.rs"),
        paginated_impls(api),
    );
    files.rust(
        format!("{MODELS}/src/generated/mod.rs"),
        format!(
            "{HEADER}\n//! Generated from the lakeFS OpenAPI spec by `cargo xtask codegen`.\n\n\
         pub mod operations;\npub mod pagination;\npub mod schemas;\n\n\
         /// Every component schema of the spec that this crate has a type for, in spec order.\n\
         pub const SCHEMA_NAMES: &[&str] = &[{}];\n",
            api.schema_names()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    files.rust(
        format!("{MODELS}/tests/generated_roundtrip.rs"),
        roundtrip_tests(api),
    );
}

pub fn rust_ty(ty: &Ty) -> String {
    match ty {
        Ty::String => "String".into(),
        Ty::Bool => "bool".into(),
        Ty::Int => "i64".into(),
        Ty::Float => "f64".into(),
        Ty::Json => "serde_json::Value".into(),
        Ty::Named(n) => n.clone(),
        Ty::List(t) => format!("Vec<{}>", rust_ty(t)),
        Ty::Map(t) => format!("BTreeMap<String, {}>", rust_ty(t)),
    }
}

fn origin_line(t: &TypeDef) -> String {
    match &t.origin {
        Origin::Schema => format!("Spec schema: `{}`.", t.name),
        Origin::Property { schema, property } => {
            format!("Spec: the inline enum of `{schema}.{property}`.")
        }
        Origin::Parameter {
            operation,
            parameter,
        } => {
            format!("Spec: the inline enum of parameter `{parameter}` of `{operation}`.")
        }
        Origin::RequestBody { operation } => {
            format!("Spec: the inline request body of `{operation}`.")
        }
    }
}

fn type_doc(t: &TypeDef, docs: &Docs) -> String {
    let own =
        docs.schema(&t.name)
            .map(str::to_string)
            .unwrap_or_else(|| match (&t.kind, &t.origin) {
                (TypeKind::Enum(_), Origin::Property { property, .. }) => {
                    format!("The values the `{property}` field can take.")
                }
                (TypeKind::Enum(_), Origin::Parameter { parameter, .. }) => {
                    format!("The values the `{parameter}` parameter can take.")
                }
                (TypeKind::Struct(_), Origin::RequestBody { operation }) => {
                    format!("The JSON body sent by `{operation}`.")
                }
                _ => format!("The `{}` object of the lakeFS API.", t.name),
            });
    doc_comment(&format!("{own}\n\n{}", origin_line(t)))
}

fn type_def(api: &Api, t: &TypeDef, docs: &Docs) -> String {
    match &t.kind {
        TypeKind::Alias(ty) => format!(
            "{}pub type {} = {};\n\n",
            type_doc(t, docs),
            t.name,
            rust_ty(ty)
        ),
        TypeKind::Enum(values) => {
            let mut s = format!(
                "crate::string_enum! {{\n{}{} {{\n",
                type_doc(t, docs),
                t.name
            );
            for v in values {
                let _ = writeln!(s, "/// The value `{v}`.\n{} => {v:?},", variant_name(v));
            }
            s + "}\n}\n\n"
        }
        TypeKind::Struct(fields) => struct_def(api, t, fields, docs),
    }
}

/// The type with its aliases replaced by what they stand for.
fn resolved(api: &Api, ty: &Ty) -> Ty {
    match ty {
        Ty::Named(name) => match api.type_def(name).map(|t| &t.kind) {
            Some(TypeKind::Alias(inner)) => resolved(api, inner),
            _ => ty.clone(),
        },
        Ty::List(inner) => Ty::List(Box::new(resolved(api, inner))),
        Ty::Map(inner) => Ty::Map(Box::new(resolved(api, inner))),
        other => other.clone(),
    }
}

/// Whether a list or map sits inside a list or map (e.g. `PolicyCondition`'s values): the
/// derived decoder would reject the `null` a Go server sends for a nil slice there.
fn has_nested_collection(ty: &Ty) -> bool {
    match ty {
        Ty::List(inner) | Ty::Map(inner) => {
            matches!(**inner, Ty::List(_) | Ty::Map(_)) || has_nested_collection(inner)
        }
        _ => false,
    }
}

/// The named types at the bottom of a field's nested collections: they need the
/// `NullTolerant` leaf implementation.
fn named_leaves(ty: &Ty, out: &mut std::collections::BTreeSet<String>) {
    match ty {
        Ty::List(inner) | Ty::Map(inner) => named_leaves(inner, out),
        Ty::Named(name) => {
            out.insert(name.clone());
        }
        _ => {}
    }
}

/// `null_tolerant!` for every named type found at the bottom of nested collections.
fn null_tolerant_leaves(api: &Api) -> String {
    let mut leaves = std::collections::BTreeSet::new();
    for t in &api.types {
        if let TypeKind::Struct(fields) = &t.kind {
            for f in fields {
                let ty = resolved(api, &f.ty);
                if has_nested_collection(&ty) {
                    named_leaves(&ty, &mut leaves);
                }
            }
        }
    }
    if leaves.is_empty() {
        return String::new();
    }
    let paths: Vec<String> = leaves.iter().map(|n| format!("crate::{n}")).collect();
    format!("crate::null_tolerant!({});\n", paths.join(", "))
}

fn field_doc(owner: &str, f: &Field, docs: &Docs) -> String {
    let own = docs
        .field(owner, &f.json_name)
        .map(str::to_string)
        .unwrap_or_else(|| format!("The `{}` value.", f.json_name));
    let presence = match (f.required, f.nullable) {
        (true, false) => {
            "Required by the spec; decodes to the default value when a server omits it or sends `null`."
        }
        (true, true) => "Required by the spec, but may be `null`.",
        (false, _) => "Optional.",
    };
    doc_comment(&format!("{own}\n\n{presence}"))
}

/// The argument type of a constructor or setter for a value of type `ty`: string maps take any
/// pairs (`[("k", "v")]`, a `HashMap<&str, String>`...), everything else `impl Into<T>`.
fn setter_arg(ty: &Ty) -> String {
    match ty {
        Ty::Map(value) if **value == Ty::String => {
            "impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>".into()
        }
        _ => format!("impl Into<{}>", rust_ty(ty)),
    }
}

/// The expression turning argument `name` (of [`setter_arg`]`(ty)`) into the field's value.
fn setter_value(ty: &Ty, name: &str) -> String {
    match ty {
        Ty::Map(value) if **value == Ty::String => {
            format!("{name}.into_iter().map(|(k, v)| (k.into(), v.into())).collect()")
        }
        _ => format!("{name}.into()"),
    }
}

fn field_ty(f: &Field) -> String {
    if f.is_option() {
        format!("Option<{}>", rust_ty(&f.ty))
    } else {
        rust_ty(&f.ty)
    }
}

fn struct_def(api: &Api, t: &TypeDef, fields: &[Field], docs: &Docs) -> String {
    let name = &t.name;
    let mut s = type_doc(t, docs);
    let has_secret = fields.iter().any(|f| is_secret(name, &f.json_name));
    // A type holding a secret gets a `Debug` that masks it (below) instead of the derived one.
    let debug = if has_secret { "" } else { "Debug, " };
    let _ = writeln!(
        s,
        "#[derive({debug}Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]\n#[non_exhaustive]"
    );
    let _ = writeln!(s, "pub struct {name} {{");
    for f in fields {
        s += &field_doc(name, f, docs);
        let mut attrs = vec!["default".to_string()];
        if f.rust_name != f.json_name {
            attrs.push(format!("rename = {:?}", f.json_name));
        }
        if has_nested_collection(&resolved(api, &f.ty)) {
            attrs.push("deserialize_with = \"crate::support::nested_null_as_empty\"".into());
        } else if !f.is_option() {
            attrs.push("deserialize_with = \"crate::support::null_as_default\"".into());
        }
        if f.is_option() && !f.required {
            attrs.push("skip_serializing_if = \"Option::is_none\"".into());
        }
        let _ = writeln!(
            s,
            "#[serde({})]\npub {}: {},",
            attrs.join(", "),
            f.rust_name,
            field_ty(f)
        );
    }
    s += "}\n\n";

    // Constructor with the required fields and `with_*` setters for the others, so the type
    // stays buildable outside this crate although it is `#[non_exhaustive]`.
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    let _ = writeln!(s, "impl {name} {{");
    let args: Vec<String> = required
        .iter()
        .map(|f| {
            let ty = if f.is_option() {
                format!("impl Into<{}>", field_ty(f))
            } else {
                setter_arg(&f.ty)
            };
            format!("{}: {ty}", f.rust_name)
        })
        .collect();
    let inits: Vec<String> = required
        .iter()
        .map(|f| {
            let value = if f.is_option() {
                format!("{}.into()", f.rust_name)
            } else {
                setter_value(&f.ty, &f.rust_name)
            };
            format!("{}: {value},", f.rust_name)
        })
        .collect();
    let rest = if required.len() == fields.len() {
        ""
    } else {
        "..Default::default()"
    };
    let _ = writeln!(
        s,
        "/// Builds a `{name}` from its required fields; the optional ones start unset.\n\
         pub fn new({}) -> Self {{ Self {{ {} {rest} }} }}\n",
        args.join(", "),
        inits.join(" ")
    );
    for f in fields.iter().filter(|f| !f.required) {
        let setter = f.rust_name.trim_end_matches('_');
        let _ = writeln!(
            s,
            "/// Sets the optional `{}` field.\npub fn with_{setter}(mut self, value: {}) -> Self {{ self.{} = Some({}); self }}\n",
            f.json_name,
            setter_arg(&f.ty),
            f.rust_name,
            setter_value(&f.ty, "value")
        );
    }
    s += "}\n\n";
    if has_secret {
        s += &masked_debug(name, fields);
    }
    s
}

/// Fields whose value grants access (keys, tokens, presigned URLs): never printed by `Debug`.
fn is_secret(schema: &str, field: &str) -> bool {
    matches!(
        field,
        "secret_access_key" | "token" | "password" | "presigned_url" | "presigned_urls"
    ) || (schema == "StsAuthRequest" && field == "code")
}

fn masked_debug(name: &str, fields: &[Field]) -> String {
    let mut s = format!(
        "impl std::fmt::Debug for {name} {{\n\
         /// Prints every field but the secret ones, shown as `***`.\n\
         fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{\n\
         f.debug_struct({name:?})"
    );
    for field in fields {
        if is_secret(name, &field.json_name) {
            let _ = write!(s, ".field({:?}, &\"***\")", field.rust_name);
        } else {
            let _ = write!(s, ".field({0:?}, &self.{0})", field.rust_name);
        }
    }
    s + ".finish()\n}\n}\n\n"
}

fn paginated_impls(api: &Api) -> String {
    let mut lists: Vec<(String, String)> = api
        .operations
        .iter()
        .filter_map(|op| {
            let item = op.page_item.as_ref()?;
            let list = op.successes().find_map(|r| r.json.clone())?;
            Some((rust_ty(&list), rust_ty(item)))
        })
        .collect();
    lists.sort();
    lists.dedup();
    let mut s = format!(
        "{HEADER}\n//! [`Paginated`](crate::Paginated) for every list answer of a paginated operation.\n\n"
    );
    for (list, item) in lists {
        let _ = writeln!(
            s,
            "impl crate::Paginated for crate::{list} {{\n    type Item = crate::{item};\n\
             fn pagination(&self) -> &crate::Pagination {{ &self.pagination }}\n\
             fn into_results(self) -> Vec<Self::Item> {{ self.results }}\n}}\n"
        );
    }
    s
}

// ---------------------------------------------------------------- round-trip tests

const UNKNOWN_FIELD: &str = "x_field_from_a_newer_server";

/// Builds a sample document for a type: every field set, plus (in `with_unknown`) unknown
/// fields in every object the SDK decodes.
pub struct Sampler<'a> {
    pub api: &'a Api,
    pub counter: i64,
}

impl Sampler<'_> {
    pub fn sample(&mut self, ty: &Ty, with_unknown: bool, depth: usize) -> Value {
        self.counter += 1;
        match ty {
            Ty::String => json!(format!("sample-{}", self.counter)),
            Ty::Bool => json!(self.counter % 2 == 0),
            Ty::Int => json!(1_700_000_000_000_i64 + self.counter),
            Ty::Float => json!(0.5 + self.counter as f64),
            Ty::Json => json!({"free": ["form", 1]}),
            Ty::List(t) => json!([self.sample(t, with_unknown, depth + 1)]),
            Ty::Map(t) => {
                let mut m = Map::new();
                m.insert(
                    format!("key-{}", self.counter),
                    self.sample(t, with_unknown, depth + 1),
                );
                Value::Object(m)
            }
            Ty::Named(n) => match self.api.type_def(n).map(|t| &t.kind) {
                Some(TypeKind::Alias(t)) => self.sample(t, with_unknown, depth),
                Some(TypeKind::Enum(values)) => json!(values[self.counter as usize % values.len()]),
                Some(TypeKind::Struct(fields)) => self.object(fields, with_unknown, depth),
                None => Value::Null,
            },
        }
    }

    /// A sample that also satisfies the `pattern`, `format` and bounds of a field or a
    /// parameter; without constraints it is exactly [`Sampler::sample`].
    pub fn constrained(
        &mut self,
        ty: &Ty,
        constraints: &Constraints,
        with_unknown: bool,
        depth: usize,
    ) -> Value {
        let value = self.sample(ty, with_unknown, depth);
        match ty {
            Ty::String => match (&constraints.pattern, constraints.format.as_deref()) {
                (Some(pattern), _) => match (&constraints.example, pattern_sample(pattern)) {
                    (Some(Value::String(example)), _) => json!(example),
                    (_, Some(known)) => json!(known),
                    // An unknown pattern without an example: the contract test will say so.
                    _ => value,
                },
                (None, Some("date-time")) => json!(format!(
                    "2024-05-{:02}T12:{:02}:00Z",
                    1 + self.counter % 28,
                    self.counter % 60
                )),
                (None, Some("date")) => json!(format!("2024-05-{:02}", 1 + self.counter % 28)),
                _ => value,
            },
            Ty::Int => {
                let n = value.as_i64().unwrap_or_default();
                let low = constraints.minimum.unwrap_or(i64::MIN);
                let high = constraints.maximum.unwrap_or(i64::MAX);
                if n < low || n > high {
                    json!(self.counter.max(low).min(high))
                } else {
                    value
                }
            }
            _ => value,
        }
    }

    fn object(&mut self, fields: &[Field], with_unknown: bool, depth: usize) -> Value {
        let mut m = Map::new();
        if depth < 6 {
            for f in fields {
                m.insert(
                    f.json_name.clone(),
                    self.constrained(&f.ty, &f.constraints, with_unknown, depth + 1),
                );
            }
        }
        if with_unknown {
            m.insert(
                UNKNOWN_FIELD.into(),
                json!({"nested": [1, "two"], "flag": true}),
            );
        }
        Value::Object(m)
    }
}

/// A value matching one of the spec's patterns, for the fields that give no example.
fn pattern_sample(pattern: &str) -> Option<&'static str> {
    match pattern {
        // Repository names.
        "^[a-z0-9][a-z0-9-]{2,62}$" => Some("example-repo"),
        // Storage namespaces.
        "^(s3|gs|https?|mem|local|transient)://.*$" => Some("s3://example-bucket/prefix/"),
        // Byte ranges.
        r"^bytes=((\d*-\d*,? ?)+)$" => Some("bytes=0-1023"),
        _ => None,
    }
}

pub fn strip_unknown(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != UNKNOWN_FIELD)
                .map(|(k, v)| (k.clone(), strip_unknown(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_unknown).collect()),
        other => other.clone(),
    }
}

fn roundtrip_tests(api: &Api) -> String {
    let mut s = format!(
        "{HEADER}\n//! Round-trip tests built from the spec: every schema, every enum, every required list.\n\n\
         mod support;\nuse support::*;\n\n"
    );
    for t in &api.types {
        let test = crate::naming::snake_case(&t.name);
        match &t.kind {
            TypeKind::Struct(fields) => {
                let mut sampler = Sampler { api, counter: 0 };
                let full = sampler.object(fields, true, 0);
                let _ = writeln!(
                    s,
                    "#[test]\nfn {test}_round_trips() {{\n    round_trip::<lakefs_models::{}>(r#\"{}\"#, r#\"{}\"#);\n}}\n",
                    t.name,
                    full,
                    strip_unknown(&full)
                );
                let _ = writeln!(
                    s,
                    "#[test]\nfn {test}_decodes_from_an_empty_object() {{\n    decodes_with_defaults::<lakefs_models::{}>();\n}}\n",
                    t.name
                );
                let collections: Vec<&Field> = fields
                    .iter()
                    .filter(|f| {
                        f.required && !f.is_option() && matches!(f.ty, Ty::List(_) | Ty::Map(_))
                    })
                    .collect();
                if !collections.is_empty() {
                    let mut with_null = strip_unknown(&full);
                    let mut expected = with_null.clone();
                    for f in collections {
                        with_null[&f.json_name] = Value::Null;
                        expected[&f.json_name] = if matches!(f.ty, Ty::List(_)) {
                            json!([])
                        } else {
                            json!({})
                        };
                    }
                    let _ = writeln!(
                        s,
                        "#[test]\nfn {test}_accepts_null_collections() {{\n    round_trip::<lakefs_models::{}>(r#\"{}\"#, r#\"{}\"#);\n}}\n",
                        t.name, with_null, expected
                    );
                }
            }
            TypeKind::Enum(values) => {
                let _ = writeln!(
                    s,
                    "#[test]\nfn {test}_keeps_known_and_unknown_values() {{\n    enum_round_trip::<lakefs_models::{}>(&{:?});\n}}\n",
                    t.name, values
                );
            }
            TypeKind::Alias(ty) => {
                let mut sampler = Sampler { api, counter: 0 };
                let full = sampler.sample(ty, true, 0);
                let _ = writeln!(
                    s,
                    "#[test]\nfn {test}_round_trips() {{\n    round_trip::<lakefs_models::{}>(r#\"{}\"#, r#\"{}\"#);\n}}\n",
                    t.name,
                    full,
                    strip_unknown(&full)
                );
            }
        }
    }
    s
}
