//! The one description of the API that every generated output is built from.
//!
//! `spec.rs` fills it from the OpenAPI document; the `gen_*` modules only read it.

/// Everything the generators need to know about the API.
#[derive(Debug, Default)]
pub struct Api {
    /// Component schemas first (in spec order), then the inline types the operations need.
    pub types: Vec<TypeDef>,
    /// Every operation, in spec order (path, then method).
    pub operations: Vec<Operation>,
}

impl Api {
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// Component schema names, in spec order.
    pub fn schema_names(&self) -> impl Iterator<Item = &str> {
        self.types.iter().filter_map(|t| match &t.origin {
            Origin::Schema => Some(t.name.as_str()),
            _ => None,
        })
    }

    /// The API groups (first tags), sorted, each with its operations in spec order.
    pub fn groups(&self) -> Vec<(String, Vec<&Operation>)> {
        let mut names: Vec<String> = self.operations.iter().map(|o| o.group.clone()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|g| {
                let ops = self.operations.iter().filter(|o| o.group == g).collect();
                (g, ops)
            })
            .collect()
    }
}

/// A Rust-side type, as used by a field, a parameter or a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Bool,
    /// Every integer is `i64`: sizes, counts and Unix timestamps outgrow `i32`.
    Int,
    Float,
    /// Free-form JSON the spec does not describe.
    Json,
    Named(String),
    List(Box<Ty>),
    Map(Box<Ty>),
}

/// Where a generated type comes from in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A component schema of the same name.
    Schema,
    /// An inline enum of a schema property.
    Property { schema: String, property: String },
    /// An inline enum of an operation parameter.
    Parameter {
        operation: String,
        parameter: String,
    },
    /// An inline JSON request body.
    RequestBody { operation: String },
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub origin: Origin,
    pub kind: TypeKind,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Struct(Vec<Field>),
    /// A string enum with its known values.
    Enum(Vec<String>),
    Alias(Ty),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub json_name: String,
    pub rust_name: String,
    pub ty: Ty,
    pub required: bool,
    pub nullable: bool,
    /// What the spec says a valid value looks like, for building samples.
    pub constraints: Constraints,
}

impl Field {
    /// Whether the Rust field is an `Option`.
    pub fn is_option(&self) -> bool {
        !self.required || self.nullable
    }
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// The operationId, exactly as in the spec.
    pub id: String,
    /// snake_case method name.
    pub rust_name: String,
    /// The first tag: the API group the operation belongs to.
    pub group: String,
    pub method: String,
    /// Path template relative to `/api/v1`, e.g. `/repositories/{repository}`.
    pub path: String,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Response>,
    /// The item type when the operation is a paginated list.
    pub page_item: Option<Ty>,
    pub needs_auth: bool,
    pub deprecated: bool,
}

impl Operation {
    pub fn pascal_name(&self) -> String {
        crate::naming::pascal_case(&self.id)
    }

    /// Documented success responses (2xx, and 3xx redirects).
    pub fn successes(&self) -> impl Iterator<Item = &Response> {
        self.responses
            .iter()
            .filter(|r| matches!(r.status, Status::Code(c) if (200..400).contains(&c)))
    }

    /// Documented error responses (4xx, 5xx and `default`).
    pub fn errors(&self) -> impl Iterator<Item = &Response> {
        self.responses
            .iter()
            .filter(|r| !matches!(r.status, Status::Code(c) if (200..400).contains(&c)))
    }

    pub fn required_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.required)
    }

    pub fn optional_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| !p.required)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub rust_name: String,
    pub location: Location,
    pub required: bool,
    pub ty: Ty,
    /// What the spec says a valid value looks like, for building samples.
    pub constraints: Constraints,
    /// Whether the spec marks the parameter deprecated.
    pub deprecated: bool,
}

/// The validation keywords and hints of a string or integer schema (a field or a parameter).
/// Only the generators of samples read them; the SDK's types do not enforce them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    /// `pattern` (an ECMA regex) of a string.
    pub pattern: Option<String>,
    /// `format` (`date-time`, `int64`, `binary`, ...).
    pub format: Option<String>,
    /// `example` of the schema, or of the parameter itself.
    pub example: Option<serde_json::Value>,
    /// Inclusive `minimum` of an integer.
    pub minimum: Option<i64>,
    /// Inclusive `maximum` of an integer.
    pub maximum: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub required: bool,
    pub kind: BodyKind,
}

#[derive(Debug, Clone)]
pub enum BodyKind {
    Json(Ty),
    /// Raw bytes (`application/octet-stream`, or a `multipart/form-data` file part).
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Code(u16),
    /// The spec's `default` response: any other status, in practice a server error.
    Default,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: Status,
    /// Content types in spec order; empty when the response has no body.
    pub content_types: Vec<String>,
    /// Type of the JSON body, when there is one.
    pub json: Option<Ty>,
    /// Names of documented response headers.
    pub headers: Vec<String>,
}
