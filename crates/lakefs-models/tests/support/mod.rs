//! Checks shared by the generated round-trip tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::{Serialize, de::DeserializeOwned};
use std::fmt::Debug;
use std::str::FromStr;

/// `input` decodes into `T`, and `T` encodes to exactly `expected` (input minus unknown fields).
pub fn round_trip<T: DeserializeOwned + Serialize + Debug>(input: &str, expected: &str) {
    let value: T = serde_json::from_str(input).unwrap_or_else(|e| {
        panic!(
            "{} does not decode: {e}\n{input}",
            std::any::type_name::<T>()
        )
    });
    let encoded = serde_json::to_value(&value).expect("encodes");
    let expected: serde_json::Value = serde_json::from_str(expected).expect("expected is JSON");
    assert_eq!(
        encoded,
        expected,
        "{} does not re-encode to the same JSON",
        std::any::type_name::<T>()
    );
}

/// `{}` decodes (an older server may omit any field) into the type's default.
pub fn decodes_with_defaults<T: DeserializeOwned + Default + PartialEq + Debug>() {
    let value: T = serde_json::from_str("{}").unwrap_or_else(|e| {
        panic!(
            "{} does not decode from {{}}: {e}",
            std::any::type_name::<T>()
        )
    });
    assert_eq!(value, T::default());
}

/// Known values map to known variants and back; an unknown value survives a round trip.
pub fn enum_round_trip<T>(known: &[&str])
where
    T: DeserializeOwned + Serialize + Debug + FromStr + ToString,
{
    for value in known {
        let json = serde_json::to_string(value).unwrap();
        let decoded: T = serde_json::from_str(&json).unwrap();
        assert!(
            !format!("{decoded:?}").starts_with("Unknown"),
            "{value} decoded as {decoded:?}"
        );
        assert_eq!(serde_json::to_string(&decoded).unwrap(), json);
        assert_eq!(decoded.to_string(), *value);
    }
    let future = "\"a_value_from_a_newer_server\"";
    let decoded: T = serde_json::from_str(future).unwrap();
    assert!(format!("{decoded:?}").starts_with("Unknown"), "{decoded:?}");
    assert_eq!(serde_json::to_string(&decoded).unwrap(), future);
}
