//! Helpers the generated code uses. Not part of the public API.

use serde::{Deserialize, Deserializer};

/// Decodes `null` as the type's default, so that a required list sent as `null` is empty.
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A type whose lists and maps, at any depth, decode `null` as empty (a Go server sends `null`
/// for a nil slice or map, e.g. in `PolicyCondition`'s values). Serde's derive accepts `null`
/// only where the field itself is an `Option`; the generated code uses this for fields with a
/// collection inside a collection.
pub trait NullTolerant: Sized {
    /// Decodes the value, `null` lists and maps inside it as empty.
    fn deserialize_tolerant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// A value decoded through [`NullTolerant`].
struct Tolerant<T>(T);

impl<'de, T: NullTolerant> Deserialize<'de> for Tolerant<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize_tolerant(deserializer).map(Tolerant)
    }
}

impl<T: NullTolerant> NullTolerant for Vec<T> {
    fn deserialize_tolerant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Option::<Vec<Tolerant<T>>>::deserialize(deserializer)?;
        Ok(items.unwrap_or_default().into_iter().map(|t| t.0).collect())
    }
}

impl<T: NullTolerant> NullTolerant for std::collections::BTreeMap<String, T> {
    fn deserialize_tolerant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries =
            Option::<std::collections::BTreeMap<String, Tolerant<T>>>::deserialize(deserializer)?;
        Ok(entries
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect())
    }
}

impl<T: NullTolerant> NullTolerant for Option<T> {
    fn deserialize_tolerant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Tolerant<T>>::deserialize(deserializer)?.map(|t| t.0))
    }
}

/// Implements [`NullTolerant`] for types decoded as they are (the leaves of nested
/// collections).
#[macro_export]
#[doc(hidden)]
macro_rules! null_tolerant {
    ($($leaf:path),* $(,)?) => {
        $(
            impl $crate::support::NullTolerant for $leaf {
                fn deserialize_tolerant<'de, D: ::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::std::result::Result<Self, D::Error> {
                    <$leaf as ::serde::Deserialize>::deserialize(deserializer)
                }
            }
        )*
    };
}

null_tolerant!(String, bool, i64, f64, serde_json::Value);

/// Decodes a field with collections inside collections, `null` at any depth as empty.
pub fn nested_null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: NullTolerant,
{
    T::deserialize_tolerant(deserializer)
}

/// Defines a string enum that keeps values it does not know.
///
/// The generated enum is `#[non_exhaustive]`, has an `Unknown(String)` variant, converts from and
/// to `&str`, and (de)serialises as its string value.
#[macro_export]
#[doc(hidden)]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $value:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the SDK does not know, kept exactly as received.
            Unknown(String),
        }

        impl $name {
            /// Every value this version of the SDK knows, in spec order.
            pub const KNOWN: &'static [&'static str] = &[$($value),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                    Self::Unknown(other) => other.as_str(),
                }
            }

            /// Whether this is a value this version of the SDK does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl ::std::convert::From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $( $value => Self::$variant, )*
                    _ => Self::Unknown(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::default::Default for $name {
            /// An empty unknown value: what a required enum field decodes to when it is missing.
            fn default() -> Self {
                Self::Unknown(String::new())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(Self::from(String::deserialize(deserializer)?))
            }
        }
    };
}
