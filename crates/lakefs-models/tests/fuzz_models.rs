//! Fuzzing on stable: one target per type of the spec. Each starts from the type's sample
//! document (built from the spec by the generator) and decodes a fixed number of seeded
//! mutations of it: JSON-aware ones (a value replaced by another of any type, removed,
//! duplicated, nested deeply) and raw byte ones (flips, cuts, insertions). Nothing may panic,
//! and whatever decodes must encode and decode again to the same value.
//!
//! `LAKEFS_FUZZ_CASES` sets the cases per target (CI's fuzz step runs more than the default).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fuzz_support/targets.rs"]
mod targets;

use serde_json::Value;

/// Cases per target in `cargo test`.
const DEFAULT_CASES: usize = 300;

/// SplitMix64: a small seeded generator, so that every run tries the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values a hostile or odd server may put anywhere.
fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => serde_json::json!(i64::MAX),
        3 => serde_json::json!(i64::MIN),
        4 => serde_json::json!(u64::MAX),
        5 => serde_json::json!(-1),
        6 => serde_json::json!(1.5e308),
        7 => serde_json::json!(0.5),
        8 => Value::String(String::new()),
        9 => Value::String("\u{0}\u{ffff}é🦀\"\\".into()),
        10 => Value::String("x".repeat(10_000)),
        11 => serde_json::json!([]),
        12 => serde_json::json!({}),
        13 => serde_json::json!([null, 1, "a", {"k": null}]),
        14 => serde_json::json!({"unknown_field": [1, {"deep": null}]}),
        _ => Value::String("1700000000".into()),
    }
}

/// Every place in a document, as paths of object keys and array indexes.
fn places(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(path.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                places(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Index(index));
                places(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// One mutation of `sample`.
fn mutate(sample: &Value, rng: &mut Rng) -> Vec<u8> {
    let mut doc = sample.clone();
    let mut all = Vec::new();
    places(&doc, &mut Vec::new(), &mut all);
    // Several JSON-aware changes, then sometimes raw damage.
    for _ in 0..1 + rng.below(3) {
        let path = all[rng.below(all.len())].clone();
        let Some(node) = at(&mut doc, &path) else {
            continue;
        };
        match rng.below(6) {
            0..=2 => *node = odd_value(rng),
            3 => {
                // Deep nesting where a value was.
                let depth = 1 + rng.below(200);
                let mut nested = odd_value(rng);
                for _ in 0..depth {
                    nested = Value::Array(vec![nested]);
                }
                *node = nested;
            }
            4 => match node {
                Value::Object(map) if !map.is_empty() => {
                    let key = map.keys().nth(rng.below(map.len())).cloned().unwrap();
                    map.remove(&key);
                }
                Value::Array(items) if !items.is_empty() => {
                    let copy = items[rng.below(items.len())].clone();
                    for _ in 0..rng.below(50) {
                        items.push(copy.clone());
                    }
                }
                other => *other = Value::Array(vec![other.clone()]),
            },
            _ => {
                if let Value::Object(map) = node {
                    map.insert(format!("field_{}", rng.below(1000)), odd_value(rng));
                }
            }
        }
    }
    let mut bytes = serde_json::to_vec(&doc).unwrap();
    if rng.below(4) == 0 && !bytes.is_empty() {
        match rng.below(4) {
            0 => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            2 => {
                let i = rng.below(bytes.len());
                let junk: &[u8] =
                    [&b"\xff\xfe"[..], b"\"", b"{", b"]", b"\\u12", b"1e99999"][rng.below(6)];
                bytes.splice(i..i, junk.iter().copied());
            }
            _ => {
                let i = rng.below(bytes.len());
                bytes.remove(i);
            }
        }
    }
    bytes
}

fn cases_per_target() -> usize {
    std::env::var("LAKEFS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

#[test]
fn no_mutated_document_panics_a_decoder() {
    let cases = cases_per_target();
    let mut panics = Vec::new();
    let (mut decoded, mut refused) = (0usize, 0usize);
    // Panics are expected to be caught and counted here, not printed one by one.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for (index, (name, sample, decode)) in targets::TARGETS.iter().enumerate() {
        let sample: Value = serde_json::from_str(sample).unwrap();
        // The sample itself decodes: the targets are live.
        assert!(
            decode(&serde_json::to_vec(&sample).unwrap()),
            "{name}'s sample"
        );
        let mut rng = Rng(0x5EED_0000 + index as u64);
        for case in 0..cases {
            let bytes = mutate(&sample, &mut rng);
            match std::panic::catch_unwind(|| decode(&bytes)) {
                Ok(true) => decoded += 1,
                Ok(false) => refused += 1,
                Err(_) => panics.push(format!(
                    "{name} case {case}: {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                )),
            }
        }
    }
    std::panic::set_hook(hook);
    println!(
        "fuzz: models: {} targets x {cases} cases = {} documents ({decoded} decoded, {refused} refused), {} panics",
        targets::TARGETS.len(),
        targets::TARGETS.len() * cases,
        panics.len()
    );
    assert!(panics.is_empty(), "{}", panics.join("\n"));
}
