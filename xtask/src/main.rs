//! `cargo xtask codegen [--spec PATH] [--check]`: generates the SDK's code from the lakeFS
//! OpenAPI spec.

mod docs;
mod gen_api;
mod gen_blocking;
mod gen_calls;
mod gen_fuzz;
mod gen_models;
mod gen_testkit;
mod model;
mod naming;
mod output;
mod spec;
#[cfg(test)]
mod tests;

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const DEFAULT_SPEC: &str = "../shared/lakefs/swagger.yml";

const USAGE: &str = "usage: cargo xtask codegen [--spec PATH] [--check]

  --spec PATH  the lakeFS OpenAPI spec (default: ../shared/lakefs/swagger.yml, relative to the
               workspace root)
  --check      write nothing; fail and name the files that differ from what would be generated";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug)]
struct Args {
    spec: PathBuf,
    check: bool,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let mut iter = args.iter();
    match iter.next().map(String::as_str) {
        Some("codegen") => {}
        _ => bail!("{USAGE}"),
    }
    let mut parsed = Args {
        spec: PathBuf::from(DEFAULT_SPEC),
        check: false,
    };
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--check" => parsed.check = true,
            "--spec" => match iter.next() {
                Some(p) => parsed.spec = PathBuf::from(p),
                None => bail!("--spec needs a path\n\n{USAGE}"),
            },
            "-h" | "--help" => bail!("{USAGE}"),
            other => bail!("unknown argument {other}\n\n{USAGE}"),
        }
    }
    Ok(parsed)
}

fn workspace_root() -> PathBuf {
    // xtask lives one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn run(args: Vec<String>) -> Result<ExitCode> {
    let args = parse_args(&args)?;
    let root = workspace_root();
    let spec_path = if args.spec.is_absolute() {
        args.spec.clone()
    } else {
        root.join(&args.spec)
    };
    let api = spec::load(&spec_path)?;
    let docs = docs::Docs::load(&root.join("xtask/api-docs.yaml"))?;
    let files = generate(&api, &docs).formatted()?;
    let stale = output::stale(&root, &files)?;
    if args.check {
        let differing = output::differing(&root, &files);
        if differing.is_empty() && stale.is_empty() {
            println!("generated code is up to date ({} files)", files.len());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("generated code is out of date; run `cargo xtask codegen`:");
        for p in differing {
            eprintln!("  differs: {}", p.display());
        }
        for p in stale {
            eprintln!("  no longer generated: {}", p.display());
        }
        return Ok(ExitCode::FAILURE);
    }
    for p in &stale {
        std::fs::remove_file(root.join(p))?;
        println!("removed {}", p.display());
    }
    let changed = output::write(&root, &files)?;
    for p in &changed {
        println!("wrote {}", p.display());
    }
    println!("{} files generated, {} changed", files.len(), changed.len());
    Ok(ExitCode::SUCCESS)
}

/// Every output, from the one model.
fn generate(api: &model::Api, docs: &docs::Docs) -> output::Files {
    let mut files = output::Files::default();
    gen_models::generate(api, docs, &mut files);
    gen_testkit::generate(api, &mut files);
    gen_fuzz::generate(api, &mut files);
    gen_api::generate(api, docs, &mut files);
    gen_calls::generate(api, &mut files);
    gen_blocking::generate(api, docs, &mut files);
    files
}
