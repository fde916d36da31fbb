//! Tests of the generator as a whole: reading a small spec into the model, and the check
//! that catches hand edits.

use crate::model::{Location, Origin, Ty, TypeKind};
use crate::{output, spec};

const MINI_SPEC: &str = r##"
openapi: "3.0.0"
info: {title: mini, version: "1"}
paths:
  /repositories/{repository}/things:
    parameters:
      - {in: path, name: repository, required: true, schema: {type: string}}
    get:
      operationId: listThings
      tags: [things, extra]
      parameters:
        - {in: query, name: after, schema: {type: string}}
        - {in: query, name: amount, schema: {type: integer}}
        - {in: query, name: type, schema: {type: string, enum: [a_b, c]}}
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingList"}
        404:
          description: nope
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
  /healthcheck:
    get:
      operationId: healthCheck
      tags: [healthCheck]
      security: []
      responses:
        204: {description: fine}
components:
  schemas:
    Error:
      type: object
      required: [message]
      properties:
        message: {type: string}
    Pagination:
      type: object
      required: [has_more, next_offset]
      properties:
        has_more: {type: boolean}
        next_offset: {type: string}
    Thing:
      type: object
      required: [id, type]
      properties:
        id: {type: string}
        type: {type: string, enum: [big, small]}
        firstName: {type: string}
        size: {type: integer, format: int64}
        tags: {type: object, additionalProperties: {type: string}}
        free: {type: object}
    ThingList:
      type: object
      required: [pagination, results]
      properties:
        pagination: {$ref: "#/components/schemas/Pagination"}
        results: {type: array, items: {$ref: "#/components/schemas/Thing"}}
    SpecialThing:
      allOf:
        - $ref: "#/components/schemas/Thing"
        - type: object
          required: [extra]
          properties:
            extra: {type: boolean}
"##;

#[test]
fn a_spec_becomes_the_shared_model() {
    let api = spec::parse(MINI_SPEC).unwrap();
    let schemas: Vec<&str> = api.schema_names().collect();
    assert_eq!(
        schemas,
        ["Error", "Pagination", "Thing", "ThingList", "SpecialThing"]
    );

    let TypeKind::Struct(fields) = &api.type_def("Thing").unwrap().kind else {
        panic!("struct")
    };
    let field = |n: &str| fields.iter().find(|f| f.json_name == n).unwrap();
    assert_eq!(field("type").rust_name, "type_");
    assert_eq!(field("type").ty, Ty::Named("ThingType".into()));
    assert!(field("type").required);
    assert_eq!(field("firstName").rust_name, "first_name");
    assert_eq!(field("size").ty, Ty::Int);
    assert_eq!(field("tags").ty, Ty::Map(Box::new(Ty::String)));
    assert_eq!(field("free").ty, Ty::Json);
    assert!(
        matches!(&api.type_def("ThingType").unwrap().kind, TypeKind::Enum(v) if v == &["big", "small"])
    );

    // allOf merges properties and required lists; the inherited enum keeps its declaring name.
    let TypeKind::Struct(special) = &api.type_def("SpecialThing").unwrap().kind else {
        panic!("struct")
    };
    let names: Vec<&str> = special.iter().map(|f| f.json_name.as_str()).collect();
    assert_eq!(
        names,
        ["id", "type", "firstName", "size", "tags", "free", "extra"]
    );
    assert!(
        special
            .iter()
            .find(|f| f.json_name == "extra")
            .unwrap()
            .required
    );
    assert_eq!(special[1].ty, Ty::Named("ThingType".into()));

    let list = api
        .operations
        .iter()
        .find(|o| o.id == "listThings")
        .unwrap();
    assert_eq!(list.group, "things", "the FIRST tag is the group");
    assert_eq!(list.rust_name, "list_things");
    assert_eq!(list.page_item, Some(Ty::Named("Thing".into())));
    assert!(list.needs_auth);
    let repository = list.params.iter().find(|p| p.name == "repository").unwrap();
    assert_eq!(repository.location, Location::Path);
    assert!(repository.required);
    let kind = list.params.iter().find(|p| p.name == "type").unwrap();
    assert_eq!(kind.ty, Ty::Named("ListThingsType".into()));
    assert!(matches!(
        &api.type_def("ListThingsType").unwrap().origin,
        Origin::Parameter { operation, parameter } if operation == "listThings" && parameter == "type"
    ));
    assert_eq!(list.errors().count(), 1);

    let health = api
        .operations
        .iter()
        .find(|o| o.id == "healthCheck")
        .unwrap();
    assert!(!health.needs_auth);
    assert_eq!(health.page_item, None);
}

#[test]
fn generation_is_deterministic() {
    let api = spec::parse(MINI_SPEC).unwrap();
    let docs = crate::docs::Docs::default();
    let first = crate::generate(&api, &docs).formatted().unwrap();
    let again = crate::generate(&spec::parse(MINI_SPEC).unwrap(), &docs)
        .formatted()
        .unwrap();
    assert_eq!(first, again);
    assert!(first.values().all(|c| c.starts_with(output::HEADER)));
}

#[test]
fn the_check_names_hand_edited_and_stale_files() {
    let api = spec::parse(MINI_SPEC).unwrap();
    let files = crate::generate(&api, &crate::docs::Docs::default())
        .formatted()
        .unwrap();
    let root = std::env::temp_dir().join(format!("xtask-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    output::write(&root, &files).unwrap();
    assert!(output::differing(&root, &files).is_empty());
    assert!(output::stale(&root, &files).unwrap().is_empty());

    let (edited, content) = files.iter().next().unwrap();
    std::fs::write(root.join(edited), content.replace("pub ", "pub(crate) ")).unwrap();
    let stale = std::path::Path::new("crates/lakefs-models/src/generated/old.rs");
    std::fs::write(root.join(stale), format!("{}\n", output::HEADER)).unwrap();
    assert_eq!(output::differing(&root, &files), vec![edited.clone()]);
    assert_eq!(
        output::stale(&root, &files).unwrap(),
        vec![stale.to_path_buf()]
    );
    std::fs::remove_dir_all(&root).unwrap();
}
