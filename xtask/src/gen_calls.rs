//! Generates the testkit's call dispatcher (`crates/lakefs-testkit/tests/support/generated_calls.rs`):
//! any operation, by operationId, through its typed method on the async or the blocking client,
//! with arguments the spec accepts.
//!
//! One dispatcher serves the table-driven fixture tests and the Prism contract suite. Free-form
//! strings in the path and the query (ids, refs, object paths, prefixes) carry characters that
//! need encoding; values with a `pattern`, a `format`, an enum or bounds are built to satisfy
//! them, so that Prism's request validation can only fail on the SDK.

use crate::gen_api::{
    AWKWARD, AnswerKind, answer, body_name, extra_options, has_options, model_ty, options_name,
};
use crate::gen_models::Sampler;
use crate::model::*;
use crate::output::{Files, HEADER};
use serde_json::Value;
use std::fmt::Write;

const OUT: &str = "crates/lakefs-testkit/tests/support/generated_calls.rs";

/// An `If-Match`/`If-None-Match` value for headers whose spec gives no example.
const ETAG: &str = "\"33a64df551425fcc55e4d42a148795d9\"";

pub fn generate(api: &Api, files: &mut Files) {
    files.rust(OUT, calls(api));
}

/// How a value is passed: as a required argument, or to an options setter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Argument,
    Setter,
}

/// The dispatcher module: shared helpers, the async half, and the blocking half in
/// `mod blocking` (where the blocking traits, of the same names, are in scope).
fn calls(api: &Api) -> String {
    let mut s = format!(
        "{HEADER}\n//! Calls any operation by operationId through its typed method, with arguments the spec\n\
         //! accepts; ids, refs and object paths carry characters that need encoding.\n\n\
         #![allow(deprecated, dead_code, clippy::let_unit_value)]\n\n\
         use lakefs_api::*;\n\n\
         /// Which arguments a call passes.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum Args {{\n\
         /// Only the required arguments.\n    Required,\n\
         /// Every optional parameter and optional body as well.\n    All,\n}}\n\n\
         /// A success answer, reduced to what the tests compare.\n\
         #[derive(Debug)]\n\
         pub enum Answer {{\n\
         /// A JSON answer, encoded again.\n    Json(serde_json::Value),\n\
         /// A text answer.\n    Text(String),\n\
         /// No body.\n    Empty,\n\
         /// A byte stream read to its end, with the object's metadata when the call gives it.\n\
         Bytes {{ data: Vec<u8>, metadata: Option<ObjectMetadata> }},\n\
         /// An answer carried by headers.\n\
         Headers {{ etag: Option<String>, metadata: Option<ObjectMetadata> }},\n\
         }}\n\n\
         fn json<T: serde::Serialize>(value: &T) -> Result<Answer, Error> {{\n\
         serde_json::to_value(value).map(Answer::Json).map_err(|e| Error::InvalidArgument(format!(\"cannot encode the answer again: {{e}}\")))\n}}\n\n\
         /// Decodes a generated sample (a body or a typed parameter) into its model type.\n\
         fn sample<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {{\n\
         serde_json::from_str(text).map_err(|e| Error::InvalidArgument(format!(\"invalid sample: {{e}}\")))\n}}\n\n\
         /// The SDK error inside an `io::Error` of a blocking body reader, or the `io::Error` itself.\n\
         fn read_error(e: std::io::Error) -> Error {{\n\
         if !e.get_ref().is_some_and(|inner| inner.is::<Error>()) {{\n\
         return Error::LocalIo {{ context: \"reading the answer\".into(), source: e }};\n}}\n\
         match e.into_inner().map(|inner| inner.downcast::<Error>()) {{\n\
         Some(Ok(err)) => *err,\n\
         _ => Error::InvalidArgument(\"the reader error changed type\".into()),\n}}\n}}\n\n\
         /// Every operationId the dispatcher knows, in spec order.\n\
         pub const OPERATION_IDS: &[&str] = &[\n"
    );
    for op in &api.operations {
        let _ = writeln!(s, "{:?},", op.id);
    }
    s += "];\n\n\
          /// Calls `operation_id` through the async client with its required arguments.\n\
          pub async fn call(client: &LakeFsClient, operation_id: &str) -> Result<(), Error> {\n\
          answer(client, operation_id, Args::Required).await.map(drop)\n}\n\n\
          /// Calls `operation_id` through the async client with these arguments.\n\
          pub async fn call_with(client: &LakeFsClient, operation_id: &str, args: Args) -> Result<(), Error> {\n\
          answer(client, operation_id, args).await.map(drop)\n}\n\n";
    s += &dispatcher(api, false);
    s += "/// Calls `operation_id` through the blocking client with its required arguments.\n\
          pub fn call_blocking(client: &lakefs_blocking::LakeFsClient, operation_id: &str) -> Result<(), Error> {\n\
          blocking::answer(client, operation_id, Args::Required).map(drop)\n}\n\n\
          /// Calls `operation_id` through the blocking client with these arguments.\n\
          pub fn call_blocking_with(client: &lakefs_blocking::LakeFsClient, operation_id: &str, args: Args) -> Result<(), Error> {\n\
          blocking::answer(client, operation_id, args).map(drop)\n}\n\n\
          /// Calls `operation_id` through the blocking client and reduces the answer to an [`Answer`].\n\
          pub fn answer_blocking(client: &lakefs_blocking::LakeFsClient, operation_id: &str, args: Args) -> Result<Answer, Error> {\n\
          blocking::answer(client, operation_id, args)\n}\n\n\
          /// The blocking dispatcher, where the blocking traits are in scope.\n\
          mod blocking {\nuse super::{Answer, Args, json, read_error, sample};\nuse lakefs_blocking::*;\n\n";
    s += &dispatcher(api, true);
    s += "}\n";
    s
}

/// The `answer` function of one client.
fn dispatcher(api: &Api, blocking: bool) -> String {
    let (dot_await, asyncness) = if blocking {
        ("", "")
    } else {
        (".await", "async ")
    };
    let mut s = format!(
        "/// Calls `operation_id` through the {} client and reduces the success answer (bodies\n\
         /// read to their end) to an [`Answer`].\n\
         pub {asyncness}fn answer(client: &LakeFsClient, operation_id: &str, args: Args) -> Result<Answer, Error> {{\n\
         Ok(match operation_id {{\n",
        if blocking { "blocking" } else { "async" }
    );
    for op in &api.operations {
        let (setup, call_args) = arm(api, op);
        let _ = writeln!(
            s,
            "{id:?} => {{ {setup}let result = client.{method}({call_args}){dot_await}?; {reduce} }}",
            id = op.id,
            method = op.rust_name,
            reduce = reduce(op, blocking),
        );
    }
    s + "other => return Err(Error::InvalidArgument(format!(\"no lakeFS operation is named {other}\"))),\n})\n}\n\n"
}

/// The statements building the arguments of one call, and the argument list.
fn arm(api: &Api, op: &Operation) -> (String, String) {
    let mut sampler = Sampler { api, counter: 0 };
    let mut setup = String::new();
    let mut args: Vec<String> = op
        .required_params()
        .map(|p| param_value(p, Slot::Argument, &mut sampler))
        .collect();
    match &op.body {
        Some(Body {
            kind: BodyKind::Binary,
            ..
        }) => args.push("UploadBody::from(\"object content\")".into()),
        Some(Body {
            required: true,
            kind: BodyKind::Json(ty),
        }) => {
            let sample = sampler.sample(ty, false, 0);
            let _ = writeln!(
                setup,
                "let request: {} = sample(r#\"{sample}\"#)?;",
                model_ty(ty)
            );
            args.push("&request".into());
        }
        _ => {}
    }
    if has_options(op) {
        let name = options_name(op);
        let mut all = format!("{name}::default()");
        for p in op.optional_params() {
            if p.deprecated {
                // Prism warns about any use of a deprecated parameter, as it should.
                let _ = writeln!(
                    setup,
                    "// `{}` is deprecated in the spec: not sent.",
                    p.name
                );
                continue;
            }
            let _ = write!(
                all,
                ".{}({})",
                p.rust_name,
                param_value(p, Slot::Setter, &mut sampler)
            );
        }
        if let Some(Body {
            required: false,
            kind: BodyKind::Json(ty),
        }) = &op.body
        {
            let sample = sampler.sample(ty, false, 0);
            let _ = write!(
                all,
                ".{}(sample::<{}>(r#\"{sample}\"#)?)",
                body_name(ty),
                model_ty(ty)
            );
        }
        for (option, _, _) in extra_options(op) {
            match option {
                // The spec declares only application/octet-stream (and multipart) bodies.
                "content_type" => all += ".content_type(\"application/octet-stream\")",
                "user_metadata" => all += ".user_metadata(\"origin\", \"contract test\")",
                other => {
                    let _ = writeln!(setup, "// Option `{other}` left unset: no sample for it.");
                }
            }
        }
        let _ = writeln!(
            setup,
            "let options = match args {{ Args::Required => {name}::default(), Args::All => {all} }};"
        );
        args.push("options".into());
    }
    let models = |code: &str| code.replace("lakefs_models::", "lakefs_api::models::");
    (models(&setup), models(&args.join(", ")))
}

/// The expression turning `result` (the decoded success answer) into an `Answer`.
fn reduce(op: &Operation, blocking: bool) -> &'static str {
    let answer = answer(op);
    match (answer.kind, answer.rust_type.as_str()) {
        (AnswerKind::Json, t) if t.starts_with("crate::With") => "json(&result.value)?",
        (AnswerKind::Json, _) => "json(&result)?",
        (AnswerKind::Text, _) => "Answer::Text(result)",
        (AnswerKind::Empty, _) => "{ let () = result; Answer::Empty }",
        (AnswerKind::Bytes, "crate::ObjectDownload") if blocking => {
            "{ let metadata = result.metadata.clone(); Answer::Bytes { data: result.bytes().map_err(read_error)?, metadata: Some(metadata) } }"
        }
        (AnswerKind::Bytes, "crate::ObjectDownload") => {
            "{ let metadata = result.metadata.clone(); Answer::Bytes { data: result.bytes().await?.to_vec(), metadata: Some(metadata) } }"
        }
        (AnswerKind::Bytes, _) if blocking => {
            "Answer::Bytes { data: result.bytes().map_err(read_error)?, metadata: None }"
        }
        (AnswerKind::Bytes, _) => {
            "Answer::Bytes { data: result.bytes().await?.to_vec(), metadata: None }"
        }
        (AnswerKind::Headers, "crate::ObjectMetadata") => {
            "Answer::Headers { etag: result.etag.clone(), metadata: Some(result) }"
        }
        (AnswerKind::Headers, _) => "Answer::Headers { etag: result.etag, metadata: None }",
    }
}

/// A Rust expression for a parameter's value, valid for the spec.
fn param_value(p: &Param, slot: Slot, sampler: &mut Sampler) -> String {
    let c = &p.constraints;
    match &p.ty {
        Ty::String => format!("{:?}", string_value(p, sampler)),
        Ty::Int => {
            let n = match &c.example {
                Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(2),
                _ => 2_i64
                    .max(c.minimum.unwrap_or(i64::MIN))
                    .min(c.maximum.unwrap_or(i64::MAX)),
            };
            format!("{n}_i64")
        }
        Ty::Bool => "true".into(),
        Ty::Float => "0.5_f64".into(),
        Ty::Named(name) => {
            let value = sampler.constrained(&p.ty, c, false, 0);
            let text = value.as_str().map(str::to_string).unwrap_or_default();
            format!("lakefs_models::{name}::from({text:?})")
        }
        Ty::List(item) if **item == Ty::String => {
            let values = format!(
                "{:?}.to_string(), {:?}.to_string()",
                format!("{} one {AWKWARD}", p.name),
                format!("{} two/ü+%", p.name)
            );
            match slot {
                Slot::Argument => format!("&[{values}]"),
                Slot::Setter => format!("vec![{values}]"),
            }
        }
        other => {
            let value = sampler.constrained(other, c, false, 0);
            let expr = format!("sample::<{}>(r#\"{value}\"#)?", model_ty(other));
            // A required list is taken as a slice.
            match (slot, other) {
                (Slot::Argument, Ty::List(_)) => format!("&{expr}"),
                _ => expr,
            }
        }
    }
}

/// A string parameter's value: headers stay plain ASCII, constrained strings follow their
/// constraints, everything else (ids, refs, paths, prefixes) is awkward.
fn string_value(p: &Param, sampler: &mut Sampler) -> String {
    let c = &p.constraints;
    if c.pattern.is_some() || c.format.is_some() {
        let value = sampler.constrained(&p.ty, c, false, 0);
        return value.as_str().unwrap_or_default().to_string();
    }
    if p.location == Location::Header {
        return match &c.example {
            Some(Value::String(example)) => example.clone(),
            _ => ETAG.to_string(),
        };
    }
    format!("{} {AWKWARD}", p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, location: Location, ty: Ty, constraints: Constraints) -> Param {
        Param {
            name: name.into(),
            rust_name: crate::naming::field_name(name),
            location,
            required: true,
            ty,
            constraints,
            deprecated: false,
        }
    }

    #[test]
    fn free_form_strings_are_awkward_and_constrained_ones_valid() {
        let api = Api::default();
        let mut sampler = Sampler {
            api: &api,
            counter: 0,
        };
        let mut value = |p: Param| param_value(&p, Slot::Argument, &mut sampler);

        let path = param("ref", Location::Path, Ty::String, Constraints::default());
        assert_eq!(value(path), format!("{:?}", format!("ref {AWKWARD}")));

        let range = Constraints {
            pattern: Some(r"^bytes=((\d*-\d*,? ?)+)$".into()),
            ..Constraints::default()
        };
        let header = param("Range", Location::Header, Ty::String, range);
        assert_eq!(value(header), "\"bytes=0-1023\"");

        let plain = param(
            "If-Match",
            Location::Header,
            Ty::String,
            Constraints::default(),
        );
        assert_eq!(value(plain), format!("{ETAG:?}"));

        let date = Constraints {
            format: Some("date-time".into()),
            ..Constraints::default()
        };
        let since = value(param("since", Location::Query, Ty::String, date));
        assert!(
            since.starts_with("\"2024-05-") && since.ends_with(":00Z\""),
            "{since}"
        );

        let bounded = Constraints {
            minimum: Some(5),
            maximum: Some(10),
            ..Constraints::default()
        };
        assert_eq!(value(param("n", Location::Path, Ty::Int, bounded)), "5_i64");

        let list = Ty::List(Box::new(Ty::String));
        let objects = value(param(
            "objects",
            Location::Query,
            list,
            Constraints::default(),
        ));
        assert!(objects.starts_with("&[\"objects one a/b+c"), "{objects}");
    }

    #[test]
    fn the_sampler_keeps_integer_bounds() {
        let api = Api::default();
        let mut sampler = Sampler {
            api: &api,
            counter: 0,
        };
        let version = Constraints {
            minimum: Some(0),
            maximum: Some(1),
            ..Constraints::default()
        };
        for _ in 0..4 {
            let v = sampler.constrained(&Ty::Int, &version, false, 0);
            assert!(matches!(v.as_i64(), Some(0 | 1)), "{v}");
        }
        let unbounded = sampler.constrained(&Ty::Int, &Constraints::default(), false, 0);
        assert!(
            unbounded.as_i64().is_some_and(|n| n > 1_000_000),
            "{unbounded}"
        );
    }
}
