//! Generates the fuzz targets of `lakefs-models`: one per type of the spec, each with a full
//! sample document built from the spec (every field, an unknown one too) and its decoder.

use crate::gen_models::Sampler;
use crate::model::*;
use crate::output::{Files, HEADER};
use std::fmt::Write;

pub fn generate(api: &Api, files: &mut Files) {
    let mut s = format!(
        "{HEADER}\n//! One fuzz target per type of the spec: its name, a sample document and its decoder.\n\n\
         /// Decodes `bytes` as `T`; what decodes must encode and decode again to the same value\n\
         /// (a failure there panics, and the fuzzer reports it).\n\
         fn decode<T>(bytes: &[u8]) -> bool\n\
         where\n    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,\n{{\n    \
             let Ok(value) = serde_json::from_slice::<T>(bytes) else {{ return false }};\n    \
             let again = serde_json::to_vec(&value).expect(\"a decoded value encodes\");\n    \
             let decoded: T = serde_json::from_slice(&again).expect(\"an encoded value decodes\");\n    \
             assert_eq!(decoded, value, \"the value changed through encoding\");\n    \
             true\n}}\n\n\
         /// A fuzz target: the type's name, a sample document, and its decoder.\n\
         pub type Target = (&'static str, &'static str, fn(&[u8]) -> bool);\n\n\
         /// Every type of the spec, in spec order.\n\
         pub const TARGETS: &[Target] = &[\n"
    );
    for t in &api.types {
        let mut sampler = Sampler { api, counter: 0 };
        let sample = sampler.sample(&Ty::Named(t.name.clone()), true, 0);
        let _ = writeln!(
            s,
            "    ({:?}, r#\"{sample}\"#, decode::<lakefs_models::{}>),",
            t.name, t.name
        );
    }
    s += "];\n";
    files.rust("crates/lakefs-models/tests/fuzz_support/targets.rs", s);
}
