//! Reads the OpenAPI document (through `openapiv3`) into the shared [`Api`] model.

use crate::model::*;
use crate::naming::{field_name, pascal_case, snake_case};
use anyhow::{Context, Result, anyhow, bail};
use openapiv3::{
    AdditionalProperties, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema,
    SchemaKind, StatusCode, Type, VariantOrUnknownOrEmpty,
};
use std::path::Path;

pub fn load(path: &Path) -> Result<Api> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the spec at {}", path.display()))?;
    parse(&text)
}

pub fn parse(text: &str) -> Result<Api> {
    let doc: OpenAPI = serde_yaml::from_str(text).context("the spec is not valid OpenAPI 3")?;
    let mut reader = Reader {
        doc: &doc,
        api: Api::default(),
    };
    reader.read_schemas()?;
    reader.read_operations()?;
    Ok(reader.api)
}

struct Reader<'a> {
    doc: &'a OpenAPI,
    api: Api,
}

fn ref_name<'r>(reference: &'r str, kind: &str) -> Result<&'r str> {
    reference
        .strip_prefix(&format!("#/components/{kind}/"))
        .ok_or_else(|| anyhow!("unsupported reference {reference}"))
}

impl<'a> Reader<'a> {
    fn components(&self) -> Result<&'a openapiv3::Components> {
        self.doc
            .components
            .as_ref()
            .ok_or_else(|| anyhow!("the spec has no components"))
    }

    fn schema(&self, name: &str) -> Result<&'a Schema> {
        match self.components()?.schemas.get(name) {
            Some(ReferenceOr::Item(s)) => Ok(s),
            Some(ReferenceOr::Reference { reference }) => {
                self.schema(ref_name(reference, "schemas")?)
            }
            None => bail!("unknown schema {name}"),
        }
    }

    fn read_schemas(&mut self) -> Result<()> {
        let names: Vec<String> = self.components()?.schemas.keys().cloned().collect();
        for name in names {
            let schema = self.schema(&name)?;
            let kind = match &schema.schema_kind {
                SchemaKind::Type(Type::Object(obj)) if obj.properties.is_empty() => {
                    TypeKind::Alias(self.object_ty(&obj.additional_properties, &name)?)
                }
                SchemaKind::Type(Type::Array(_)) => TypeKind::Alias(self.schema_ty(schema, &name)?),
                _ => TypeKind::Struct(self.fields(&name, schema)?),
            };
            self.api.types.push(TypeDef {
                name,
                origin: Origin::Schema,
                kind,
            });
        }
        Ok(())
    }

    /// Collects the properties of an object schema, flattening `allOf`.
    fn collect_properties(
        &self,
        schema: &'a Schema,
        declared_in: &str,
        props: &mut Vec<(String, &'a ReferenceOr<Box<Schema>>, String)>,
        required: &mut Vec<String>,
    ) -> Result<()> {
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(obj)) => {
                for (k, v) in &obj.properties {
                    props.push((k.clone(), v, declared_in.to_string()));
                }
                required.extend(obj.required.iter().cloned());
            }
            SchemaKind::Any(any) => {
                for (k, v) in &any.properties {
                    props.push((k.clone(), v, declared_in.to_string()));
                }
                required.extend(any.required.iter().cloned());
            }
            SchemaKind::AllOf { all_of } => {
                for part in all_of {
                    match part {
                        ReferenceOr::Item(s) => {
                            self.collect_properties(s, declared_in, props, required)?
                        }
                        ReferenceOr::Reference { reference } => {
                            let name = ref_name(reference, "schemas")?;
                            self.collect_properties(self.schema(name)?, name, props, required)?
                        }
                    }
                }
            }
            other => bail!("unsupported object schema {other:?}"),
        }
        Ok(())
    }

    fn fields(&mut self, owner: &str, schema: &'a Schema) -> Result<Vec<Field>> {
        let mut props = Vec::new();
        let mut required = Vec::new();
        self.collect_properties(schema, owner, &mut props, &mut required)?;
        let mut fields: Vec<Field> = Vec::new();
        for (json_name, prop, declared_in) in props {
            // An enum inherited through allOf keeps the name of the schema that declares it.
            let context = format!("{declared_in}{}", pascal_case(&json_name));
            let ty = self.prop_ty(prop, &context, &declared_in, &json_name)?;
            let nullable = matches!(prop, ReferenceOr::Item(s) if s.schema_data.nullable);
            let constraints = match prop {
                ReferenceOr::Item(s) => constraints(s),
                ReferenceOr::Reference { .. } => Constraints::default(),
            };
            let field = Field {
                rust_name: field_name(&json_name),
                required: required.contains(&json_name),
                json_name,
                ty,
                nullable,
                constraints,
            };
            match fields.iter_mut().find(|f| f.json_name == field.json_name) {
                Some(existing) => *existing = field,
                None => fields.push(field),
            }
        }
        for f in &mut fields {
            f.required = required.contains(&f.json_name);
        }
        Ok(fields)
    }

    fn prop_ty(
        &mut self,
        prop: &ReferenceOr<Box<Schema>>,
        context: &str,
        owner: &str,
        property: &str,
    ) -> Result<Ty> {
        match prop {
            ReferenceOr::Reference { reference } => {
                Ok(Ty::Named(ref_name(reference, "schemas")?.to_string()))
            }
            ReferenceOr::Item(s) => {
                if let Some(values) = string_enum(s) {
                    let origin = Origin::Property {
                        schema: owner.to_string(),
                        property: property.to_string(),
                    };
                    return Ok(self.enum_ty(context, values, origin));
                }
                self.schema_ty(s, context)
            }
        }
    }

    /// Registers an inline enum once (allOf can reach the same property twice).
    fn enum_ty(&mut self, name: &str, values: Vec<String>, origin: Origin) -> Ty {
        if self.api.type_def(name).is_none() {
            self.api.types.push(TypeDef {
                name: name.to_string(),
                origin,
                kind: TypeKind::Enum(values),
            });
        }
        Ty::Named(name.to_string())
    }

    fn ref_or_ty(&mut self, r: &ReferenceOr<Box<Schema>>, context: &str) -> Result<Ty> {
        match r {
            ReferenceOr::Reference { reference } => {
                Ok(Ty::Named(ref_name(reference, "schemas")?.to_string()))
            }
            ReferenceOr::Item(s) => self.schema_ty(s, context),
        }
    }

    fn schema_ty(&mut self, s: &Schema, context: &str) -> Result<Ty> {
        Ok(match &s.schema_kind {
            SchemaKind::Type(Type::String(_)) => Ty::String,
            SchemaKind::Type(Type::Integer(_)) => Ty::Int,
            SchemaKind::Type(Type::Number(_)) => Ty::Float,
            SchemaKind::Type(Type::Boolean(_)) => Ty::Bool,
            SchemaKind::Type(Type::Array(arr)) => match &arr.items {
                Some(items) => Ty::List(Box::new(self.ref_or_ty(items, context)?)),
                None => Ty::List(Box::new(Ty::Json)),
            },
            SchemaKind::Type(Type::Object(obj)) => {
                if !obj.properties.is_empty() {
                    bail!("inline object with properties at {context} is not supported");
                }
                self.object_ty(&obj.additional_properties, context)?
            }
            // `type: object` with stray keywords (e.g. `items`) lands here: keep it as JSON.
            SchemaKind::Any(_) => Ty::Json,
            other => bail!("unsupported schema at {context}: {other:?}"),
        })
    }

    fn object_ty(&mut self, extra: &Option<AdditionalProperties>, context: &str) -> Result<Ty> {
        Ok(match extra {
            Some(AdditionalProperties::Schema(value)) => {
                let value = match value.as_ref() {
                    ReferenceOr::Reference { reference } => {
                        Ty::Named(ref_name(reference, "schemas")?.to_string())
                    }
                    ReferenceOr::Item(s) => self.schema_ty(s, context)?,
                };
                Ty::Map(Box::new(value))
            }
            Some(AdditionalProperties::Any(true)) => Ty::Map(Box::new(Ty::Json)),
            // Free-form object: the spec does not say what is inside.
            _ => Ty::Json,
        })
    }

    fn read_operations(&mut self) -> Result<()> {
        let doc = self.doc;
        for (path, item) in &doc.paths.paths {
            let item = match item {
                ReferenceOr::Item(i) => i,
                ReferenceOr::Reference { .. } => bail!("path references are not supported"),
            };
            for (method, op) in item.iter() {
                let operation = self.operation(path, method, op, &item.parameters)?;
                self.api.operations.push(operation);
            }
        }
        Ok(())
    }

    fn operation(
        &mut self,
        path: &str,
        method: &str,
        op: &'a openapiv3::Operation,
        shared_params: &[ReferenceOr<Parameter>],
    ) -> Result<Operation> {
        let id = op
            .operation_id
            .clone()
            .ok_or_else(|| anyhow!("{method} {path} has no operationId"))?;
        let group = op
            .tags
            .first()
            .cloned()
            .ok_or_else(|| anyhow!("{id} has no tag"))?;
        let mut params = Vec::new();
        for p in shared_params.iter().chain(&op.parameters) {
            let param = self.param(&id, p)?;
            params.retain(|q: &Param| q.name != param.name);
            params.push(param);
        }
        let body = match &op.request_body {
            None => None,
            Some(ReferenceOr::Reference { .. }) => {
                bail!("{id}: request body references unsupported")
            }
            Some(ReferenceOr::Item(rb)) => Some(self.body(&id, rb)?),
        };
        let mut responses = Vec::new();
        if let Some(default) = &op.responses.default {
            responses.push(self.response(&id, Status::Default, default)?);
        }
        for (code, r) in &op.responses.responses {
            let code = match code {
                StatusCode::Code(c) => *c,
                StatusCode::Range(_) => bail!("{id}: status ranges are unsupported"),
            };
            responses.push(self.response(&id, Status::Code(code), r)?);
        }
        responses.sort_by_key(|r| r.status);
        for placeholder in path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        {
            if !params
                .iter()
                .any(|p: &Param| p.name == placeholder && p.location == Location::Path)
            {
                bail!("{id}: the path {path} has {{{placeholder}}} but no such path parameter");
            }
        }
        let needs_auth = !matches!(&op.security, Some(reqs) if reqs.is_empty());
        let mut operation = Operation {
            rust_name: snake_case(&id),
            id,
            group,
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            params,
            body,
            responses,
            page_item: None,
            needs_auth,
            deprecated: op.deprecated,
        };
        operation.page_item = self.page_item(&operation);
        Ok(operation)
    }

    /// A list operation takes `after`/`amount` and answers `{pagination, results: [T]}`.
    fn page_item(&self, op: &Operation) -> Option<Ty> {
        let has = |n: &str| op.params.iter().any(|p| p.name == n);
        if !has("after") || !has("amount") {
            return None;
        }
        let Some(Ty::Named(list)) = op.successes().find_map(|r| r.json.clone()) else {
            return None;
        };
        let TypeKind::Struct(fields) = &self.api.type_def(&list)?.kind else {
            return None;
        };
        fields.iter().find(|f| f.json_name == "pagination")?;
        match &fields.iter().find(|f| f.json_name == "results")?.ty {
            Ty::List(item) => Some((**item).clone()),
            _ => None,
        }
    }

    fn param(&mut self, op_id: &str, p: &ReferenceOr<Parameter>) -> Result<Param> {
        let p = match p {
            ReferenceOr::Item(p) => p,
            ReferenceOr::Reference { reference } => {
                let name = ref_name(reference, "parameters")?;
                match self.components()?.parameters.get(name) {
                    Some(ReferenceOr::Item(p)) => p,
                    _ => bail!("{op_id}: unknown parameter {reference}"),
                }
            }
        };
        let (location, data) = match p {
            Parameter::Path { parameter_data, .. } => (Location::Path, parameter_data),
            Parameter::Query { parameter_data, .. } => (Location::Query, parameter_data),
            Parameter::Header { parameter_data, .. } => (Location::Header, parameter_data),
            Parameter::Cookie { .. } => bail!("{op_id}: cookie parameters are unsupported"),
        };
        let schema = match &data.format {
            ParameterSchemaOrContent::Schema(ReferenceOr::Item(s)) => s,
            _ => bail!("{op_id}: parameter {} needs an inline schema", data.name),
        };
        let context = format!("{}{}", pascal_case(op_id), pascal_case(&data.name));
        let ty = match string_enum(schema) {
            Some(values) => {
                let origin = Origin::Parameter {
                    operation: op_id.to_string(),
                    parameter: data.name.clone(),
                };
                self.enum_ty(&context, values, origin)
            }
            None => self.schema_ty(schema, &context)?,
        };
        let mut constraints = constraints(schema);
        if data.example.is_some() {
            constraints.example = data.example.clone();
        }
        Ok(Param {
            rust_name: field_name(&data.name),
            name: data.name.clone(),
            location,
            required: data.required || location == Location::Path,
            ty,
            constraints,
            deprecated: data.deprecated.unwrap_or(false),
        })
    }

    fn body(&mut self, op_id: &str, rb: &'a openapiv3::RequestBody) -> Result<Body> {
        let kind = if let Some(media) = rb.content.get("application/json") {
            let ty = match &media.schema {
                Some(ReferenceOr::Reference { reference }) => {
                    Ty::Named(ref_name(reference, "schemas")?.to_string())
                }
                Some(ReferenceOr::Item(s)) => {
                    if let SchemaKind::Type(Type::Object(obj)) = &s.schema_kind
                        && !obj.properties.is_empty()
                    {
                        let name = format!("{}Request", pascal_case(op_id));
                        let fields = self.fields(&name, s)?;
                        self.api.types.push(TypeDef {
                            name: name.clone(),
                            origin: Origin::RequestBody {
                                operation: op_id.to_string(),
                            },
                            kind: TypeKind::Struct(fields),
                        });
                        Ty::Named(name)
                    } else {
                        self.schema_ty(s, op_id)?
                    }
                }
                None => Ty::Json,
            };
            BodyKind::Json(ty)
        } else if rb.content.contains_key("application/octet-stream")
            || rb.content.contains_key("multipart/form-data")
        {
            BodyKind::Binary
        } else {
            bail!("{op_id}: unsupported request body {:?}", rb.content.keys())
        };
        Ok(Body {
            required: rb.required,
            kind,
        })
    }

    fn response(
        &mut self,
        op_id: &str,
        status: Status,
        r: &ReferenceOr<openapiv3::Response>,
    ) -> Result<Response> {
        let r = match r {
            ReferenceOr::Item(r) => r,
            ReferenceOr::Reference { reference } => {
                let name = ref_name(reference, "responses")?;
                match self.components()?.responses.get(name) {
                    Some(ReferenceOr::Item(r)) => r,
                    _ => bail!("{op_id}: unknown response {reference}"),
                }
            }
        };
        let json = match r
            .content
            .get("application/json")
            .and_then(|m| m.schema.as_ref())
        {
            Some(ReferenceOr::Reference { reference }) => {
                Some(Ty::Named(ref_name(reference, "schemas")?.to_string()))
            }
            Some(ReferenceOr::Item(s)) => Some(self.schema_ty(s, op_id)?),
            None => None,
        };
        Ok(Response {
            status,
            content_types: r.content.keys().cloned().collect(),
            json,
            headers: r.headers.keys().cloned().collect(),
        })
    }
}

fn string_enum(s: &Schema) -> Option<Vec<String>> {
    match &s.schema_kind {
        SchemaKind::Type(Type::String(st)) if !st.enumeration.is_empty() => {
            Some(st.enumeration.iter().flatten().cloned().collect())
        }
        _ => None,
    }
}

/// The validation keywords and the example of a string or integer schema.
fn constraints(s: &Schema) -> Constraints {
    let mut c = Constraints {
        example: s.schema_data.example.clone(),
        ..Constraints::default()
    };
    match &s.schema_kind {
        SchemaKind::Type(Type::String(st)) => {
            c.pattern = st.pattern.clone();
            c.format = format_name(&st.format);
        }
        SchemaKind::Type(Type::Integer(it)) => {
            c.format = format_name(&it.format);
            c.minimum = it.minimum.map(|m| m + i64::from(it.exclusive_minimum));
            c.maximum = it.maximum.map(|m| m - i64::from(it.exclusive_maximum));
        }
        _ => {}
    }
    c
}

/// The spec's spelling of a `format` (`date-time`, `int64`, or an unknown one as written).
fn format_name<T: serde::Serialize>(format: &VariantOrUnknownOrEmpty<T>) -> Option<String> {
    match format {
        VariantOrUnknownOrEmpty::Item(known) => serde_json::to_value(known)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string)),
        VariantOrUnknownOrEmpty::Unknown(name) => Some(name.clone()),
        VariantOrUnknownOrEmpty::Empty => None,
    }
}
