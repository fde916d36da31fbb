//! Generates the testkit's tables: every documented error response, and a success answer for
//! every operation. (Routes come from `lakefs_api::OPERATIONS` at run time.)

use crate::gen_api::{AnswerKind, answer};
use crate::gen_models::Sampler;
use crate::model::{Api, Status, Ty};
use crate::output::{Files, HEADER};
use std::fmt::Write;

const TESTKIT: &str = "crates/lakefs-testkit";

/// The status a fixture answers for the spec's `default` response.
const DEFAULT_STATUS: u16 = 500;

pub fn generate(api: &Api, files: &mut Files) {
    files.rust(
        format!("{TESTKIT}/src/generated/error_cases.rs"),
        error_cases(api),
    );
    files.rust(
        format!("{TESTKIT}/src/generated/success_cases.rs"),
        success_cases(api),
    );
    files.rust(
        format!("{TESTKIT}/src/generated/mod.rs"),
        format!(
            "{HEADER}\n//! Tables generated from the lakeFS OpenAPI spec.\n\n\
             pub mod error_cases;\npub mod success_cases;\n"
        ),
    );
}

fn error_cases(api: &Api) -> String {
    let mut s = format!(
        "{HEADER}\n//! Every error response the spec documents, one case per operation and status.\n\n\
         use crate::cases::{{ErrorCase, ErrorSchema}};\n\n\
         /// Every documented error case, in spec order; the `default` response is answered as {DEFAULT_STATUS}.\n\
         pub const ERROR_CASES: &[ErrorCase] = &[\n"
    );
    for op in &api.operations {
        for r in op.errors() {
            let (status, documented) = match r.status {
                Status::Code(c) => (c, format!("Some({c})")),
                Status::Default => (DEFAULT_STATUS, "None".into()),
            };
            let schema = match &r.json {
                Some(Ty::Named(n)) if n == "Error" => "ErrorSchema::Error",
                Some(Ty::Named(n)) if n == "ErrorNoACL" => "ErrorSchema::ErrorNoAcl",
                Some(Ty::Named(n)) if n == "MergeResult" => "ErrorSchema::MergeResult",
                Some(Ty::Named(n)) if n == "StagingLocation" => "ErrorSchema::StagingLocation",
                Some(_) => "ErrorSchema::Error",
                None => "ErrorSchema::None",
            };
            let _ = writeln!(
                s,
                "ErrorCase {{ operation_id: {:?}, method_name: {:?}, method: {:?}, path: {:?}, status: {status}, documented_status: {documented}, schema: {schema} }},",
                op.id, op.rust_name, op.method, op.path
            );
        }
    }
    s + "];\n"
}

fn success_cases(api: &Api) -> String {
    let mut s = format!(
        "{HEADER}\n//! A valid success answer for every operation, built from the spec's schemas.\n\n\
         use crate::cases::{{SuccessBody, SuccessCase}};\n\n\
         /// One success case per operation, in spec order.\n\
         pub const SUCCESS_CASES: &[SuccessCase] = &[\n"
    );
    for op in &api.operations {
        let answer = answer(op);
        let status = op
            .successes()
            .find_map(|r| match r.status {
                Status::Code(c) if c < 300 => Some(c),
                _ => None,
            })
            .unwrap_or(200);
        let body = match answer.kind {
            AnswerKind::Json => {
                let ty = op.successes().find_map(|r| r.json.clone()).unwrap_or(Ty::Json);
                let sample = Sampler { api, counter: 0 }.sample(&ty, false, 0);
                format!("SuccessBody::Json(r#\"{sample}\"#)")
            }
            AnswerKind::Text => "SuccessBody::Text(\"a3f7c1d2e4b5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d\")".into(),
            AnswerKind::Empty => "SuccessBody::Empty".into(),
            AnswerKind::Bytes => "SuccessBody::Bytes(b\"lakeFS object content\\n\")".into(),
            AnswerKind::Headers => "SuccessBody::Headers".into(),
        };
        let _ = writeln!(
            s,
            "SuccessCase {{ operation_id: {:?}, method_name: {:?}, method: {:?}, path: {:?}, status: {status}, body: {body} }},",
            op.id, op.rust_name, op.method, op.path
        );
    }
    s + "];\n"
}
