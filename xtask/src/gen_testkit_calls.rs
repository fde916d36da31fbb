//! Generates the testkit's call dispatcher (`crates/lakefs-testkit/tests/support/generated_calls.rs`):
//! one function that calls any operation by operationId with sample arguments, so the
//! table-driven tests can send every documented case through the SDK.
//!
//! The arguments are those of the SDK's own per-operation tests (`gen_api::operation_tests`):
//! [`test_arg`] for parameters, the [`Sampler`] for required JSON bodies.

use crate::gen_api::{AnswerKind, answer, has_options, model_ty, test_arg};
use crate::gen_models::Sampler;
use crate::model::{Api, Body, BodyKind, Operation};
use crate::output::{Files, HEADER};
use std::fmt::Write;

const OUTPUT: &str = "crates/lakefs-testkit/tests/support/generated_calls.rs";

/// The testkit's tests reach the models through `lakefs_api::models`.
fn models_path(code: &str) -> String {
    code.replace("lakefs_models::", "lakefs_api::models::")
}

/// The statements building the arguments, and the argument list, of one call.
fn call_args(api: &Api, op: &Operation) -> (String, String) {
    let mut setup = String::new();
    let mut args: Vec<String> = op.required_params().map(|p| test_arg(p).0).collect();
    match &op.body {
        Some(Body {
            kind: BodyKind::Binary,
            ..
        }) => args.push("UploadBody::from(\"object content\")".into()),
        Some(Body {
            required: true,
            kind: BodyKind::Json(ty),
        }) => {
            let sample = Sampler { api, counter: 0 }.sample(ty, false, 0);
            let _ = writeln!(
                setup,
                "let body: {} = sample(r#\"{sample}\"#)?;",
                model_ty(ty)
            );
            args.push("&body".into());
        }
        _ => {}
    }
    if has_options(op) {
        args.push("Default::default()".into());
    }
    (models_path(&setup), models_path(&args.join(", ")))
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

/// The `answer` function of one client; the blocking one lives in `mod blocking`, where the
/// blocking traits (same names as the async ones) are in scope instead.
fn dispatcher(api: &Api, blocking: bool) -> String {
    let (call_suffix, asyncness) = if blocking {
        ("", "")
    } else {
        (".await", "async ")
    };
    let mut s = format!(
        "/// Calls `operation_id` through the {} client with sample arguments and reduces the\n\
         /// success answer (bodies read to their end) to an [`Answer`].\n\
         pub {asyncness}fn answer(client: &LakeFsClient, operation_id: &str) -> Result<Answer, Error> {{\n\
         Ok(match operation_id {{\n",
        if blocking { "blocking" } else { "async" }
    );
    for op in &api.operations {
        let (setup, args) = call_args(api, op);
        let _ = writeln!(
            s,
            "{id:?} => {{ {setup}let result = client.{method}({args}){call_suffix}?; {reduce} }}",
            id = op.id,
            method = op.rust_name,
            reduce = reduce(op, blocking),
        );
    }
    s + "other => return Err(Error::InvalidArgument(format!(\"no lakeFS operation is named {other}\"))),\n})\n}\n\n"
}

/// The dispatcher module: the async half, and the blocking half in `mod blocking`.
fn calls(api: &Api) -> String {
    let mut s = format!(
        "{HEADER}\n//! Calls any operation by operationId with sample arguments (those of the SDK's own\n\
         //! per-operation tests), for the table-driven tests of the testkit's fixtures.\n\n\
         #![allow(deprecated, dead_code, clippy::let_unit_value)]\n\n\
         use lakefs_api::*;\n\n\
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
         fn sample<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {{\n\
         serde_json::from_str(text).map_err(|e| Error::InvalidArgument(format!(\"invalid sample body: {{e}}\")))\n}}\n\n\
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
          /// Calls `operation_id` through the async client with sample arguments.\n\
          pub async fn call(client: &LakeFsClient, operation_id: &str) -> Result<(), Error> {\n\
          answer(client, operation_id).await.map(drop)\n}\n\n";
    s += &dispatcher(api, false);
    s += "/// Calls `operation_id` through the blocking client with sample arguments.\n\
          pub fn call_blocking(client: &lakefs_blocking::LakeFsClient, operation_id: &str) -> Result<(), Error> {\n\
          blocking::answer(client, operation_id).map(drop)\n}\n\n\
          /// Calls `operation_id` through the blocking client and reduces the answer to an [`Answer`].\n\
          pub fn answer_blocking(client: &lakefs_blocking::LakeFsClient, operation_id: &str) -> Result<Answer, Error> {\n\
          blocking::answer(client, operation_id)\n}\n\n\
          /// The blocking dispatcher, where the blocking traits are in scope.\n\
          mod blocking {\nuse super::{Answer, json, read_error, sample};\nuse lakefs_blocking::*;\n\n";
    s += &dispatcher(api, true);
    s += "}\n";
    s
}

pub fn generate(api: &Api, files: &mut Files) {
    files.rust(OUTPUT, calls(api));
}
