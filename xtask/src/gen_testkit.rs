//! Generates the testkit's tables: the route of every operation.

use crate::model::Api;
use crate::output::{Files, HEADER};
use std::fmt::Write;

const TESTKIT: &str = "crates/lakefs-testkit";

pub fn generate(api: &Api, files: &mut Files) {
    let mut s = format!(
        "{HEADER}\n//! The route of every operation of the spec, in spec order.\n\n\
         /// Method, path template and authentication of every operation.\n\
         pub const ROUTES: &[crate::routes::Route] = &[\n"
    );
    for op in &api.operations {
        let _ = writeln!(
            s,
            "crate::routes::Route {{ operation_id: {:?}, method: {:?}, path: {:?}, needs_auth: {} }},",
            op.id, op.method, op.path, op.needs_auth
        );
    }
    s += "];\n";
    files.rust(format!("{TESTKIT}/src/generated/routes.rs"), s);
    files.rust(
        format!("{TESTKIT}/src/generated/mod.rs"),
        format!(
            "{HEADER}\n//! Tables generated from the lakeFS OpenAPI spec.\n\npub mod routes;\n"
        ),
    );
}
