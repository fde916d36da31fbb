//! Generates `lakefs-api`: one async trait per group, its `Arc`/`Box` forwarding, the reqwest
//! implementation on `LakeFsClient`, the pagination extension traits and the operation table.

use crate::docs::{Docs, doc_comment};
use crate::gen_models::rust_ty;
use crate::model::*;
use crate::naming::{field_name, pascal_case, snake_case};
use crate::output::{Files, HEADER};
use std::fmt::Write;

const API: &str = "crates/lakefs-api";

/// `Accept` for JSON answers (errors are JSON too).
const ACCEPT_JSON: &str = "application/json";
/// `Accept` for `createBranch`: the real server answers text/plain, the spec says text/html.
const ACCEPT_TEXT: &str = "text/html, text/plain, application/json";
/// `Accept` for byte streams.
const ACCEPT_BYTES: &str = "application/octet-stream, */*";

/// How an operation's success answer is decoded.
pub struct Answer {
    pub rust_type: String,
    /// Expression decoding `answer` (a `(Sent, reqwest::Response)`).
    pub decode: String,
    pub accept: &'static str,
    pub kind: AnswerKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    Json,
    Text,
    Empty,
    Bytes,
    Headers,
}

/// What the server really sends, where the spec alone would mislead (see SERVER-NOTES).
pub fn answer(op: &Operation) -> Answer {
    let a = |rust_type: &str, decode: &str, accept, kind| Answer {
        rust_type: rust_type.into(),
        decode: decode.into(),
        accept,
        kind,
    };
    match op.id.as_str() {
        "getObject" => {
            return a(
                "crate::ObjectDownload",
                "self.object_download(answer, options.range.as_deref()).await",
                ACCEPT_BYTES,
                AnswerKind::Bytes,
            );
        }
        "getRunHookOutput" | "getMetadataObject" => {
            return a(
                "crate::ByteStream",
                "self.bytes_stream(answer).await",
                ACCEPT_BYTES,
                AnswerKind::Bytes,
            );
        }
        "headObject" => {
            return a(
                "crate::ObjectMetadata",
                "crate::call::head(answer).await",
                "*/*",
                AnswerKind::Headers,
            );
        }
        "uploadPartCopy" => {
            return a(
                "crate::PartEtag",
                "crate::call::part_etag(answer).await",
                ACCEPT_JSON,
                AnswerKind::Headers,
            );
        }
        _ => {}
    }
    let json = op.successes().find_map(|r| r.json.clone());
    match (op.id.as_str(), json) {
        ("getBranchProtectionRules", Some(ty)) => a(
            &format!("crate::WithEtag<{}>", model_ty(&ty)),
            "crate::call::json_with_etag(answer).await",
            ACCEPT_JSON,
            AnswerKind::Json,
        ),
        ("getMetaRange" | "getRange", Some(ty)) => a(
            &format!("crate::WithLocation<{}>", model_ty(&ty)),
            "crate::call::json_with_location(answer).await",
            ACCEPT_JSON,
            AnswerKind::Json,
        ),
        (_, Some(ty)) => a(
            &model_ty(&ty),
            "crate::call::json(answer).await",
            ACCEPT_JSON,
            AnswerKind::Json,
        ),
        (_, None) => {
            let text = op
                .successes()
                .any(|r| r.content_types.iter().any(|c| c.starts_with("text/")));
            if text {
                a(
                    "String",
                    "crate::call::text(answer).await",
                    ACCEPT_TEXT,
                    AnswerKind::Text,
                )
            } else {
                a(
                    "()",
                    "crate::call::empty(answer).await",
                    ACCEPT_JSON,
                    AnswerKind::Empty,
                )
            }
        }
    }
}

/// A model type as seen from the api crate.
pub fn model_ty(ty: &Ty) -> String {
    match ty {
        Ty::Named(n) => format!("lakefs_models::{n}"),
        Ty::List(t) => format!("Vec<{}>", model_ty(t)),
        Ty::Map(t) => format!("std::collections::BTreeMap<String, {}>", model_ty(t)),
        other => rust_ty(other),
    }
}

/// The argument type of a required parameter.
pub fn arg_ty(ty: &Ty) -> String {
    match ty {
        Ty::String => "&str".into(),
        Ty::List(t) => format!("&[{}]", model_ty(t)),
        other => model_ty(other),
    }
}

/// Name of the argument or option that carries a JSON body.
pub fn body_name(ty: &Ty) -> String {
    match ty {
        Ty::Named(n) => field_name(n),
        Ty::List(t) => match t.as_ref() {
            Ty::Named(n) => format!("{}s", field_name(n)),
            _ => "body".into(),
        },
        _ => "body".into(),
    }
}

pub fn options_name(op: &Operation) -> String {
    format!("{}Options", op.pascal_name())
}

/// Extra options for what the server honours but the spec does not declare.
pub fn extra_options(op: &Operation) -> Vec<(&'static str, &'static str, &'static str)> {
    match op.id.as_str() {
        "uploadObject" => vec![
            (
                "content_type",
                "Option<String>",
                "Content type stored with the object (default `application/octet-stream`).",
            ),
            (
                "user_metadata",
                "std::collections::BTreeMap<String, String>",
                "User metadata, sent as `x-lakefs-meta-<key>` headers (the server lower-cases keys).",
            ),
        ],
        _ => vec![],
    }
}

/// Whether the operation takes an options argument.
pub fn has_options(op: &Operation) -> bool {
    op.optional_params().next().is_some()
        || matches!(
            &op.body,
            Some(Body {
                required: false,
                kind: BodyKind::Json(_)
            })
        )
        || !extra_options(op).is_empty()
}

/// Required arguments as `(name, type)`, in order: path, query, header, body.
pub fn required_args(op: &Operation) -> Vec<(String, String)> {
    let mut args: Vec<(String, String)> = op
        .required_params()
        .map(|p| (p.rust_name.clone(), arg_ty(&p.ty)))
        .collect();
    match &op.body {
        Some(Body {
            kind: BodyKind::Binary,
            ..
        }) => args.push(("content".into(), "crate::UploadBody".into())),
        Some(Body {
            required: true,
            kind: BodyKind::Json(ty),
        }) => {
            args.push((
                body_name(ty),
                format!("&{}", arg_ty(ty).trim_start_matches('&')),
            ));
        }
        _ => {}
    }
    args
}

/// The full parameter list of a trait method, after `&self`.
pub fn signature_args(op: &Operation) -> String {
    let mut args: Vec<String> = required_args(op)
        .iter()
        .map(|(n, t)| format!("{n}: {t}"))
        .collect();
    if has_options(op) {
        args.push(format!("options: crate::{}", options_name(op)));
    }
    args.join(", ")
}

pub fn trait_name(group: &str) -> String {
    format!("{}Api", pascal_case(group))
}

fn const_name(op: &Operation) -> String {
    snake_case(&op.id).to_ascii_uppercase()
}

pub fn generate(api: &Api, docs: &Docs, files: &mut Files) {
    let groups = api.groups();
    let mut mod_rs = format!(
        "{HEADER}\n//! The API groups, generated from the lakeFS OpenAPI spec.\n\npub mod operations;\n"
    );
    for (group, ops) in &groups {
        let module = snake_case(group);
        let _ = writeln!(mod_rs, "mod {module};\npub use {module}::*;");
        files.rust(
            format!("{API}/src/generated/{module}.rs"),
            group_file(group, ops, docs),
        );
    }
    files.rust(format!("{API}/src/generated/mod.rs"), mod_rs);
    files.rust(
        format!("{API}/src/generated/operations.rs"),
        operations_table(api),
    );
    files.rust(
        format!("{API}/tests/generated_operations.rs"),
        operation_tests(api, TestedClient::Async),
    );
}

fn method_doc(op: &Operation, docs: &Docs) -> String {
    let own = docs
        .operations
        .get(&op.id)
        .cloned()
        .unwrap_or_else(|| format!("Calls `{}`.", op.id));
    let errors: Vec<String> = op
        .errors()
        .map(|r| match r.status {
            Status::Code(c) => c.to_string(),
            Status::Default => "other (server error)".into(),
        })
        .collect();
    let mut text = format!(
        "{own}\n\n`{} /api/v1{}` (operation `{}`",
        op.method, op.path, op.id
    );
    if op.deprecated {
        text += ", deprecated";
    }
    if !op.needs_auth {
        text += ", sent without credentials";
    }
    let _ = write!(text, "). Documented error statuses: {}.", errors.join(", "));
    doc_comment(&text)
}

fn group_file(group: &str, ops: &[&Operation], docs: &Docs) -> String {
    let trait_name = trait_name(group);
    let mut s = format!("{HEADER}\n//! The `{group}` group.\n\n");
    let group_doc = docs
        .groups
        .get(group)
        .cloned()
        .unwrap_or_else(|| format!("Operations of the `{group}` group."));
    s += &doc_comment(&format!(
        "{group_doc}\n\nOne method per operation whose first tag is `{group}`. [`LakeFsClient`](crate::LakeFsClient) \
         implements it; so do `Arc<T>` and `Box<T>` of any implementation, and `dyn {trait_name}` works for mocks."
    ));
    let _ = writeln!(
        s,
        "#[async_trait::async_trait]\npub trait {trait_name}: Send + Sync {{"
    );
    for op in ops {
        s += &method_doc(op, docs);
        if op.deprecated {
            s += "#[deprecated(note = \"deprecated in the lakeFS API\")]\n";
        }
        let _ = writeln!(
            s,
            "async fn {}(&self, {}) -> crate::Result<{}>;\n",
            op.rust_name,
            signature_args(op),
            answer(op).rust_type
        );
    }
    s += "}\n\n";

    for wrapper in ["std::sync::Arc<T>", "Box<T>"] {
        let _ = writeln!(
            s,
            "#[async_trait::async_trait]\n#[allow(deprecated)]\nimpl<T: {trait_name} + ?Sized> {trait_name} for {wrapper} {{"
        );
        for op in ops {
            let names: Vec<String> = required_args(op)
                .into_iter()
                .map(|(n, _)| n)
                .chain(has_options(op).then(|| "options".to_string()))
                .collect();
            let _ = writeln!(
                s,
                "async fn {0}(&self, {1}) -> crate::Result<{2}> {{ (**self).{0}({3}).await }}",
                op.rust_name,
                signature_args(op),
                answer(op).rust_type,
                names.join(", ")
            );
        }
        s += "}\n\n";
    }

    let _ = writeln!(
        s,
        "#[async_trait::async_trait]\n#[allow(deprecated)]\nimpl {trait_name} for crate::LakeFsClient {{"
    );
    for op in ops {
        s += &client_method(op);
    }
    s += "}\n\n";

    s += &pagination_ext(group, ops);
    for op in ops.iter().filter(|o| has_options(o)) {
        s += &options_struct(op);
    }
    s
}

fn path_expr(op: &Operation) -> String {
    let mut template = String::new();
    let mut args = Vec::new();
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        template.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .unwrap_or(rest.len());
        let name = &rest[start + 1..end];
        let param = op
            .params
            .iter()
            .find(|p| p.name == name && p.location == Location::Path);
        let value = match param.map(|p| (&p.ty, p.rust_name.as_str())) {
            Some((Ty::String, n)) => n.to_string(),
            Some((Ty::Named(_), n)) => format!("{n}.as_str()"),
            Some((_, n)) => format!("&{n}.to_string()"),
            None => format!("{name:?}"),
        };
        args.push(format!("crate::encoding::path_param({name:?}, {value})?"));
        template.push_str("{}");
        rest = rest.get(end + 1..).unwrap_or("");
    }
    template.push_str(rest);
    if args.is_empty() {
        format!("{template:?}.to_string()")
    } else {
        format!("format!({template:?}, {})", args.join(", "))
    }
}

fn client_method(op: &Operation) -> String {
    let answer = answer(op);
    let mut body = String::new();
    for p in op.params.iter().filter(|p| p.location != Location::Path) {
        let n = &p.rust_name;
        let line = match (p.location, p.required, &p.ty) {
            (Location::Query, true, Ty::List(_)) => {
                format!("call.query_list({:?}, Some({n}));", p.name)
            }
            (Location::Query, true, _) => format!("call.query({:?}, {n});", p.name),
            (Location::Query, false, Ty::List(_)) => {
                format!("call.query_list({:?}, options.{n}.as_deref());", p.name)
            }
            (Location::Query, false, _) => {
                format!("call.query_opt({:?}, options.{n}.as_ref());", p.name)
            }
            (_, true, _) => format!("call.header({:?}, {n});", p.name),
            (_, false, _) => format!("call.header_opt({:?}, options.{n}.as_ref());", p.name),
        };
        body += &line;
        body.push('\n');
    }
    match &op.body {
        Some(Body {
            kind: BodyKind::Binary,
            ..
        }) => {
            body += "call.header(\"content-type\", options.content_type.as_deref().unwrap_or(\"application/octet-stream\"));\n\
                     for (key, value) in &options.user_metadata { call.header(&format!(\"x-lakefs-meta-{key}\"), value); }\n\
                     call.upload(content);\n";
        }
        Some(Body {
            required: true,
            kind: BodyKind::Json(ty),
        }) => {
            let _ = writeln!(body, "call.json({})?;", body_name(ty));
        }
        Some(Body {
            required: false,
            kind: BodyKind::Json(ty),
        }) => {
            let _ = writeln!(
                body,
                "if let Some(body) = &options.{} {{ call.json(body)?; }}",
                body_name(ty)
            );
        }
        None => {}
    }
    let binding = if body.is_empty() { "let" } else { "let mut" };
    let body = format!(
        "{binding} call = crate::call::Call::new(&crate::generated::operations::{}, {});\n{body}\
         let answer = self.execute(call).await?;\n{}\n",
        const_name(op),
        path_expr(op),
        answer.decode
    );
    format!(
        "async fn {}(&self, {}) -> crate::Result<{}> {{\n{body}}}\n\n",
        op.rust_name,
        signature_args(op),
        answer.rust_type
    )
}

fn pagination_ext(group: &str, ops: &[&Operation]) -> String {
    let paged: Vec<&&Operation> = ops.iter().filter(|o| o.page_item.is_some()).collect();
    if paged.is_empty() {
        return String::new();
    }
    let trait_name = trait_name(group);
    let mut s = doc_comment(&format!(
        "Streams over the paginated lists of [`{trait_name}`]: `*_pages` yields whole pages, `*_stream` \
         yields items. Both own a clone of the client, send nothing until polled, and end after the \
         first error.\n\nImplemented for every `{trait_name}` that is `Clone + 'static` \
         ([`LakeFsClient`](crate::LakeFsClient), `Arc<dyn {trait_name}>`)."
    ));
    let _ = writeln!(
        s,
        "pub trait {trait_name}Ext: {trait_name} + Clone + 'static {{"
    );
    for op in paged {
        let answer = answer(op);
        let item = model_ty(op.page_item.as_ref().unwrap_or(&Ty::Json));
        let required = required_args(op);
        let owned: String = required
            .iter()
            .map(|(n, t)| {
                if t.starts_with('&') {
                    format!("let {n} = {n}.to_owned();\n")
                } else {
                    String::new()
                }
            })
            .collect();
        let reclone: String = required
            .iter()
            .map(|(n, _)| format!("let {n} = {n}.clone();\n"))
            .collect();
        let call_args: Vec<String> = required
            .iter()
            .map(|(n, t)| {
                if t.starts_with('&') {
                    format!("&{n}")
                } else {
                    n.clone()
                }
            })
            .chain(std::iter::once("options".to_string()))
            .collect();
        let _ = writeln!(
            s,
            "/// Every page of [`{trait_name}::{name}`], fetched lazily from `options.after` on; \
             `options.amount` is the page size.\n\
             fn {name}_pages(&self, {args}) -> futures::stream::BoxStream<'static, crate::Result<{page}>> {{\n\
             let api = self.clone();\n{owned}let first = options.after.clone();\n\
             crate::pagination::pages({id:?}, first, move |after| {{\n\
             let api = api.clone();\n{reclone}let mut options = options.clone();\noptions.after = after;\n\
             async move {{ api.{name}({call_args}).await }}\n}})\n}}\n\n\
             /// Every item of [`{trait_name}::{name}`], page after page, without keeping pages.\n\
             fn {name}_stream(&self, {args}) -> futures::stream::BoxStream<'static, crate::Result<{item}>> {{\n\
             crate::pagination::items(self.{name}_pages({fwd}))\n}}\n",
            name = op.rust_name,
            id = op.id,
            args = signature_args(op),
            page = answer.rust_type,
            call_args = call_args.join(", "),
            fwd = required
                .iter()
                .map(|(n, _)| n.clone())
                .chain(std::iter::once("options".into()))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    let _ = writeln!(
        s,
        "}}\n\nimpl<T: {trait_name} + Clone + 'static> {trait_name}Ext for T {{}}\n"
    );
    s
}

fn options_struct(op: &Operation) -> String {
    let name = options_name(op);
    let mut s = doc_comment(&format!(
        "Optional arguments of `{}`. Start from `Default::default()` and set what you need; \
         parameters that lakeFS adds later will appear here without breaking your code.",
        op.rust_name
    ));
    let _ = writeln!(
        s,
        "#[derive(Debug, Clone, Default, PartialEq)]\n#[non_exhaustive]\npub struct {name} {{"
    );
    let mut setters = String::new();
    for p in op.optional_params() {
        let where_ = match p.location {
            Location::Query => "query parameter",
            Location::Header => "header",
            Location::Path => "path parameter",
        };
        let ty = model_ty(&p.ty);
        let (note, attr) = if p.deprecated {
            (
                " Deprecated by lakeFS: leave it unset.",
                "#[deprecated(note = \"deprecated in the lakeFS API\")]\n",
            )
        } else {
            ("", "")
        };
        let _ = writeln!(
            s,
            "/// The `{}` {where_}.{note}\npub {}: Option<{ty}>,",
            p.name, p.rust_name
        );
        // A keyword (`type`) keeps its trailing underscore: `r#type` would be worse to call.
        let setter = &p.rust_name;
        let _ = writeln!(
            setters,
            "/// Sets the `{}` {where_}.{note}\n{attr}pub fn {setter}(mut self, value: impl Into<{ty}>) -> Self {{ self.{} = Some(value.into()); self }}\n",
            p.name, p.rust_name
        );
    }
    if let Some(Body {
        required: false,
        kind: BodyKind::Json(ty),
    }) = &op.body
    {
        let n = body_name(ty);
        let ty = model_ty(ty);
        let _ = writeln!(s, "/// The optional JSON body.\npub {n}: Option<{ty}>,");
        let _ = writeln!(
            setters,
            "/// Sets the JSON body.\npub fn {n}(mut self, value: impl Into<{ty}>) -> Self {{ self.{n} = Some(value.into()); self }}\n"
        );
    }
    for (n, ty, doc) in extra_options(op) {
        let _ = writeln!(s, "/// {doc}\npub {n}: {ty},");
    }
    if op.id == "uploadObject" {
        setters += "/// Sets the content type stored with the object.\n\
                    pub fn content_type(mut self, value: impl Into<String>) -> Self { self.content_type = Some(value.into()); self }\n\n\
                    /// Adds one user metadata entry.\n\
                    pub fn user_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self { self.user_metadata.insert(key.into(), value.into()); self }\n";
    }
    let _ = writeln!(s, "}}\n\nimpl {name} {{\n{setters}}}\n");
    s
}

/// PUTs whose repetition is not harmless: they merge, complete, link or restore once.
const NON_IDEMPOTENT_PUTS: &[&str] = &[
    "mergePullRequest",
    "completePresignMultipartUpload",
    "linkPhysicalAddress",
    "dumpRefs",
    "restoreRefs",
];

/// Whether sending the operation twice has the effect of sending it once.
pub fn is_idempotent(op: &Operation) -> bool {
    matches!(op.method.as_str(), "GET" | "HEAD" | "DELETE")
        || (op.method == "PUT" && !NON_IDEMPOTENT_PUTS.contains(&op.id.as_str()))
}

/// Whether the operation streams a body (an upload or a byte download): such calls are
/// bounded by an idle timeout rather than a total one.
pub fn is_streaming(op: &Operation) -> bool {
    matches!(
        op.body,
        Some(Body {
            kind: BodyKind::Binary,
            ..
        })
    ) || answer(op).kind == AnswerKind::Bytes
}

fn operations_table(api: &Api) -> String {
    let mut s = format!(
        "{HEADER}\n//! What the SDK knows about each operation.\n\nuse crate::operation::{{OperationInfo, ResponseInfo}};\n\n"
    );
    for op in &api.operations {
        let responses: Vec<String> = op
            .responses
            .iter()
            .map(|r| {
                let status = match r.status {
                    Status::Code(c) => format!("Some({c})"),
                    Status::Default => "None".into(),
                };
                let schema = match &r.json {
                    Some(Ty::Named(n)) => format!("Some({n:?})"),
                    _ => "None".into(),
                };
                let content_type = match r.content_types.first() {
                    Some(c) => format!("Some({c:?})"),
                    None => "None".into(),
                };
                let headers: Vec<String> = r.headers.iter().map(|h| format!("{h:?}")).collect();
                format!(
                    "ResponseInfo {{ status: {status}, schema: {schema}, content_type: {content_type}, headers: &[{}] }}",
                    headers.join(", ")
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "/// `{id}`.\npub(crate) static {c}: OperationInfo = OperationInfo {{ id: {id:?}, method_name: {mn:?}, group: {g:?}, \
             method: {m:?}, path: {p:?}, needs_auth: {na}, paginated: {pg}, deprecated: {d}, idempotent: {idem}, \
             streaming: {st}, accept: {a:?}, responses: &[{r}] }};\n",
            id = op.id,
            c = const_name(op),
            mn = op.rust_name,
            g = op.group,
            m = op.method,
            p = op.path,
            na = op.needs_auth,
            pg = op.page_item.is_some(),
            d = op.deprecated,
            idem = is_idempotent(op),
            st = is_streaming(op),
            a = answer(op).accept,
            r = responses.join(", "),
        );
    }
    let _ = writeln!(
        s,
        "/// Every operation of the spec, in spec order.\npub static OPERATIONS: &[&OperationInfo] = &[{}];",
        api.operations
            .iter()
            .map(|o| format!("&{}", const_name(o)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s
}

// ------------------------------------------------------------------ per-operation tests

/// A value with every character that needs care in a URL.
pub const AWKWARD: &str = "a/b+c d%e~^ü?#&=";

/// Strict percent-encoding (everything but `A-Z a-z 0-9 - . _ ~`), written independently of
/// the SDK's encoder so that the tests check it.
pub fn encode_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The argument a test passes for a required parameter, and the encoded path segment it gives.
pub fn test_arg(p: &Param) -> (String, String) {
    match &p.ty {
        Ty::Int => ("7".into(), "7".into()),
        Ty::Bool => ("true".into(), "true".into()),
        Ty::Named(n) => (
            "lakefs_models::".to_string() + n + "::from(\"known-or-not\")",
            "known-or-not".into(),
        ),
        Ty::List(_) => (format!("&[{AWKWARD:?}.to_string()]"), String::new()),
        _ => (format!("{AWKWARD:?}"), encode_segment(AWKWARD)),
    }
}

/// Which client the per-operation tests drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestedClient {
    Async,
    Blocking,
}

pub fn operation_tests(api: &Api, tested: TestedClient) -> String {
    use crate::gen_models::{Sampler, strip_unknown};
    let imports = match tested {
        TestedClient::Async => "use lakefs_api::*;",
        TestedClient::Blocking => {
            "use lakefs_blocking::*;\nuse lakefs_blocking::models as lakefs_models;"
        }
    };
    let (test_attr, fn_kw, dot_await) = match tested {
        TestedClient::Async => ("#[tokio::test]", "async fn", ".await"),
        TestedClient::Blocking => ("#[test]", "fn", ""),
    };
    let mut s = format!(
        "{HEADER}\n//! Every operation against a local mock: method, encoded path, query, headers and body\n\
         //! as lakeFS expects them, and the answer decoded.\n\n\
         #![allow(deprecated, clippy::let_unit_value, clippy::unwrap_used, clippy::expect_used)]\n\nmod support;\n{imports}\nuse support::*;\nuse wiremock::matchers::{{body_json, body_string, header, method, path, query_param}};\n\
         use wiremock::{{Mock, ResponseTemplate}};\n\n"
    );
    for op in &api.operations {
        let mut sampler = Sampler { api, counter: 0 };
        let answer = answer(op);
        let mut mock = format!("Mock::given(method({:?}))", op.method);
        let mut encoded_path = format!("/api/v1{}", op.path);
        let mut args = Vec::new();
        let mut setup = String::new();
        for p in op.required_params() {
            let (arg, segment) = test_arg(p);
            match p.location {
                Location::Path => {
                    encoded_path = encoded_path.replace(&format!("{{{}}}", p.name), &segment)
                }
                Location::Query => {
                    let _ = write!(mock, ".and(query_param({:?}, {AWKWARD:?}))", p.name);
                }
                Location::Header => {
                    let _ = write!(mock, ".and(header({:?}, {AWKWARD:?}))", p.name);
                }
            }
            args.push(arg);
        }
        let _ = write!(
            mock,
            ".and(path({encoded_path:?})).and(accepts({:?}))",
            answer.accept
        );
        mock += if op.needs_auth {
            ".and(sends_credentials)"
        } else {
            ".and(sends_no_credentials)"
        };
        match &op.body {
            Some(Body {
                kind: BodyKind::Binary,
                ..
            }) => {
                mock += ".and(body_string(\"object content\")).and(header(\"content-type\", \"application/octet-stream\"))";
                args.push("UploadBody::from(\"object content\")".into());
            }
            Some(Body {
                required: true,
                kind: BodyKind::Json(ty),
            }) => {
                let sample = sampler.sample(ty, false, 0);
                let _ = writeln!(
                    setup,
                    "let body: {} = serde_json::from_str(r#\"{sample}\"#).unwrap();",
                    model_ty(ty)
                );
                let _ = write!(mock, ".and(body_json(json(r#\"{sample}\"#)))");
                args.push("&body".into());
            }
            _ => {}
        }
        if has_options(op) {
            args.push("Default::default()".into());
        }
        let status = op
            .successes()
            .find_map(|r| match r.status {
                Status::Code(c) if c < 300 => Some(c),
                _ => None,
            })
            .unwrap_or(200);
        let (respond, check) = match answer.kind {
            AnswerKind::Json => {
                let ty = op
                    .successes()
                    .find_map(|r| r.json.clone())
                    .unwrap_or(Ty::Json);
                let sample = sampler.sample(&ty, true, 0);
                let expected = strip_unknown(&sample);
                let value = if answer.rust_type.starts_with("crate::With") {
                    "result.value"
                } else {
                    "result"
                };
                (
                    format!(
                        "ResponseTemplate::new({status}).set_body_raw(r#\"{sample}\"#, \"application/json\").insert_header(\"etag\", \"\\\"abc\\\"\").insert_header(\"location\", \"s3://b/k\")"
                    ),
                    format!(
                        "assert_eq!(serde_json::to_value(&{value}).unwrap(), json(r#\"{expected}\"#));"
                    ),
                )
            }
            AnswerKind::Text => (
                format!(
                    "ResponseTemplate::new({status}).set_body_raw(\"c0ffee\\n\", \"text/plain; charset=utf-8\")"
                ),
                "assert_eq!(result, \"c0ffee\");".into(),
            ),
            AnswerKind::Empty => (
                format!("ResponseTemplate::new({status})"),
                "let () = result;".into(),
            ),
            AnswerKind::Bytes => {
                let collect = format!("result.bytes(){dot_await}.unwrap()");
                (
                    "ResponseTemplate::new(200).set_body_raw(b\"raw bytes\".to_vec(), \"application/octet-stream\").insert_header(\"etag\", \"\\\"abc\\\"\")".into(),
                    format!("assert_eq!(&{collect}[..], b\"raw bytes\");"),
                )
            }
            AnswerKind::Headers => (
                format!("ResponseTemplate::new({status}).insert_header(\"etag\", \"\\\"abc\\\"\")"),
                "assert_eq!(result.etag.as_deref(), Some(\"abc\"));".into(),
            ),
        };
        let _ = writeln!(
            s,
            "{test_attr}\n{fn_kw} {name}() {{\n    let server = mock_server(){dot_await};\n    {setup}\
             mount(&server, {mock}.respond_with({respond}).expect(1)){dot_await};\n\
             let result = client(&server).{name}({args}){dot_await}.expect(\"{id} succeeds\");\n    {check}\n}}\n",
            name = op.rust_name,
            id = op.id,
            args = args.join(", "),
        );
    }
    s
}
