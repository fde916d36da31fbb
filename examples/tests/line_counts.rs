//! The high-level seed workflow stays short: at most 25 code lines and two `use` lines,
//! counted as the issue counts them (rustfmt'd lines that are not blank, not comments, not
//! `println!`, without the line that starts the embedded fake).

/// Code lines and `use` lines of a rustfmt'd example.
fn count(source: &str) -> (usize, usize) {
    let (mut code, mut uses, mut open_print) = (0, 0, 0i32);
    for line in source.lines().map(str::trim) {
        let balance = line.matches('(').count() as i32 - line.matches(')').count() as i32;
        if open_print > 0 {
            open_print += balance;
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if line.starts_with("println!(") || line.starts_with("eprintln!(") {
            open_print = balance;
            continue;
        }
        if line.contains("connect().await") {
            continue; // starts the embedded fake when no lakeFS is configured
        }
        uses += usize::from(line.starts_with("use "));
        code += 1;
    }
    (code, uses)
}

#[test]
fn the_highlevel_workflow_is_at_most_25_lines_with_two_imports() {
    let source = include_str!("../highlevel_workflow.rs");
    let (code, uses) = count(source);
    assert!(code <= 25, "{code} code lines");
    assert!(uses <= 2, "{uses} use lines");
}

#[test]
fn the_counter_skips_what_it_should() {
    let sample =
        "use a;\n\n// comment\nfn f() {\n    println!(\n        \"x\"\n    );\n    let x = 1;\n}\n";
    assert_eq!(count(sample), (4, 1));
}
