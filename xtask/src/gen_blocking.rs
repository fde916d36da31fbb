//! Generates `lakefs-blocking`: the same traits as `lakefs-api`, synchronous, implemented by
//! the blocking `LakeFsClient` on top of the async one, plus iterators for every paginated list.

use crate::docs::{Docs, doc_comment};
use crate::gen_api::{
    TestedClient, answer, has_options, operation_tests, options_name, required_args,
    signature_args, trait_name,
};
use crate::model::{Api, Body, BodyKind, Operation};
use crate::naming::snake_case;
use crate::output::{Files, HEADER};
use std::fmt::Write;

const BLOCKING: &str = "crates/lakefs-blocking";

/// Rewrites a type of the async crate as the blocking crate sees it.
fn sync_ty(async_ty: &str) -> String {
    async_ty
        .replace("crate::", "lakefs_api::")
        .replace("lakefs_models::", "lakefs_api::models::")
        .replace("lakefs_api::UploadBody", "crate::UploadBody")
        .replace("lakefs_api::ObjectDownload", "crate::ObjectReader")
        .replace("lakefs_api::ByteStream", "crate::BodyReader")
}

pub fn generate(api: &Api, docs: &Docs, files: &mut Files) {
    let mut mod_rs = format!("{HEADER}\n//! The blocking API groups.\n\n");
    for (group, ops) in api.groups() {
        let module = snake_case(&group);
        let _ = writeln!(mod_rs, "mod {module};\npub use {module}::*;");
        files.rust(
            format!("{BLOCKING}/src/generated/{module}.rs"),
            group_file(&group, &ops, docs),
        );
    }
    let options: Vec<String> = api
        .operations
        .iter()
        .filter(|o| has_options(o))
        .map(options_name)
        .collect();
    let _ = writeln!(
        mod_rs,
        "\n/// The options types are shared with the async crate.\npub use lakefs_api::{{{}}};",
        options.join(", ")
    );
    files.rust(format!("{BLOCKING}/src/generated/mod.rs"), mod_rs);
    files.rust(
        format!("{BLOCKING}/tests/generated_operations.rs"),
        operation_tests(api, TestedClient::Blocking),
    );
}

fn group_file(group: &str, ops: &[&Operation], docs: &Docs) -> String {
    let name = trait_name(group);
    let mut s = format!("{HEADER}\n//! The `{group}` group, blocking.\n\n");
    s += &doc_comment(&format!(
        "The blocking form of [`lakefs_api::{name}`]: the same methods, arguments and answers, synchronous. \
         [`LakeFsClient`](crate::LakeFsClient) implements it."
    ));
    let _ = writeln!(s, "pub trait {name}: Send + Sync {{");
    for op in ops {
        let own = docs
            .operations
            .get(&op.id)
            .cloned()
            .unwrap_or_else(|| format!("Calls `{}`.", op.id));
        s += &doc_comment(&format!(
            "{own}\n\nBlocking form of [`lakefs_api::{name}::{}`].",
            op.rust_name
        ));
        if op.deprecated {
            s += "#[deprecated(note = \"deprecated in the lakeFS API\")]\n";
        }
        let _ = writeln!(
            s,
            "fn {}(&self, {}) -> lakefs_api::Result<{}>;\n",
            op.rust_name,
            sync_ty(&signature_args(op)),
            sync_ty(&answer(op).rust_type)
        );
    }
    s += "}\n\n";

    let _ = writeln!(
        s,
        "#[allow(deprecated)]\nimpl {name} for crate::LakeFsClient {{"
    );
    for op in ops {
        let mut pre = String::new();
        let mut args: Vec<String> = Vec::new();
        for (arg, _) in required_args(op) {
            if matches!(
                op.body,
                Some(Body {
                    kind: BodyKind::Binary,
                    ..
                })
            ) && arg == "content"
            {
                pre += "let content = content.into_async()?;\n";
            }
            args.push(arg);
        }
        if has_options(op) {
            args.push("options".into());
        }
        let answer_ty = answer(op).rust_type;
        let convert = match answer_ty.as_str() {
            "crate::ObjectDownload" => {
                ".map(|download| crate::ObjectReader::new(self.clone(), download))"
            }
            "crate::ByteStream" => ".map(|stream| crate::BodyReader::new(self.clone(), stream))",
            _ => "",
        };
        let _ = writeln!(
            s,
            "fn {n}(&self, {sig}) -> lakefs_api::Result<{ret}> {{\n{pre}self.run(lakefs_api::{name}::{n}(self.async_client(), {args})){convert}\n}}\n",
            n = op.rust_name,
            sig = sync_ty(&signature_args(op)),
            ret = sync_ty(&answer_ty),
            args = args.join(", "),
        );
    }
    s += "}\n\n";

    for wrapper in ["std::sync::Arc<T>", "Box<T>"] {
        let _ = writeln!(
            s,
            "#[allow(deprecated)]\nimpl<T: {name} + ?Sized> {name} for {wrapper} {{"
        );
        for op in ops {
            let names: Vec<String> = required_args(op)
                .into_iter()
                .map(|(n, _)| n)
                .chain(has_options(op).then(|| "options".to_string()))
                .collect();
            let _ = writeln!(
                s,
                "fn {0}(&self, {1}) -> lakefs_api::Result<{2}> {{ (**self).{0}({3}) }}",
                op.rust_name,
                sync_ty(&signature_args(op)),
                sync_ty(&answer(op).rust_type),
                names.join(", ")
            );
        }
        s += "}\n\n";
    }

    let paged: Vec<&&Operation> = ops.iter().filter(|o| o.page_item.is_some()).collect();
    if !paged.is_empty() {
        s += &doc_comment(&format!(
            "Iterators over the paginated lists of [`{name}`]: `*_pages` yields whole pages, `*_iter` \
             yields items; nothing is sent before the first `next`, and they end after the first error. \
             Implemented for every `{name}`, mocks included."
        ));
        let _ = writeln!(s, "pub trait {name}Ext: {name} {{");
        for op in paged {
            let page = sync_ty(&answer(op).rust_type);
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
            let call_args: Vec<String> = required
                .iter()
                .map(|(n, t)| {
                    if t.starts_with('&') {
                        format!("&{n}")
                    } else {
                        format!("{n}.clone()")
                    }
                })
                .chain(std::iter::once("options".to_string()))
                .collect();
            let fwd: Vec<String> = required
                .iter()
                .map(|(n, _)| n.clone())
                .chain(std::iter::once("options".into()))
                .collect();
            let _ = writeln!(
                s,
                "/// Every page of [`{name}::{n}`], fetched lazily from `options.after` on (`options.amount` is the page size).\n\
                 fn {n}_pages(&self, {sig}) -> crate::Pages<'_, {page}> {{\n\
                 {owned}let first = options.after.clone();\n\
                 crate::Pages::new({id:?}, first, move |after| {{\n\
                 let mut options = options.clone();\noptions.after = after;\n\
                 self.{n}({call_args})\n}})\n}}\n\n\
                 /// Every item of [`{name}::{n}`], page after page, without keeping pages.\n\
                 fn {n}_iter(&self, {sig}) -> crate::Items<'_, {page}> {{\n\
                 crate::Items::new(self.{n}_pages({fwd}))\n}}\n",
                n = op.rust_name,
                id = op.id,
                sig = sync_ty(&signature_args(op)),
                call_args = call_args.join(", "),
                fwd = fwd.join(", "),
            );
        }
        let _ = writeln!(s, "}}\n\nimpl<T: {name} + ?Sized> {name}Ext for T {{}}\n");
    }
    s
}
