//! Blueprints, source schemas and mapping directories.

use opsgenie_port_compiler::diag::Diagnostics;
use opsgenie_port_compiler::inputs::blueprint::{load_blueprints, PropType};
use opsgenie_port_compiler::inputs::mapdir::{load_mapping_dir, load_mapping_texts};
use opsgenie_port_compiler::inputs::schema::{load_schema, Additional, Schema};
use opsgenie_port_compiler::source::SourceMap;
use std::path::{Path, PathBuf};

fn blueprints(
    json: &str,
) -> (
    SourceMap,
    Vec<opsgenie_port_compiler::inputs::blueprint::Blueprint>,
    Diagnostics,
) {
    let mut sm = SourceMap::new();
    let mut diags = Diagnostics::new();
    let bps = load_blueprints(&mut sm, "blueprints.json", json.to_string(), &mut diags);
    (sm, bps, diags)
}

fn codes_at(sm: &SourceMap, diags: &Diagnostics) -> Vec<(&'static str, usize, usize)> {
    diags
        .iter()
        .map(|d| {
            let s = d.primary.as_ref().expect("located").span;
            let (l, c) = sm.line_col(s.file, s.start);
            (d.code, l, c)
        })
        .collect()
}

#[test]
fn blueprints_are_modelled() {
    let json = r#"[
  {"identifier": "team", "title": "Team", "schema": {"properties": {}}},
  {"identifier": "alert",
   "schema": {
     "properties": {
       "status": {"type": "string", "enum": ["open", "closed"]},
       "tags": {"type": "array", "items": {"type": "string", "format": "user"}},
       "createdAt": {"type": "string", "format": "date-time"},
       "count": {"type": "number"}
     },
     "required": ["status"]
   },
   "relations": {"respondingTeam": {"target": "team", "many": true, "required": false}},
   "mirrorProperties": {}
  }
]"#;
    let (sm, bps, diags) = blueprints(json);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(bps.len(), 2);
    let alert = &bps[1];
    assert_eq!(alert.identifier, "alert");
    assert_eq!(
        &sm.text(alert.id_span.file)[alert.id_span.start..alert.id_span.end],
        "\"alert\""
    );
    let status = alert.property("status").unwrap();
    assert!(status.required);
    assert_eq!(status.ty, PropType::String);
    assert_eq!(status.enum_values.as_ref().unwrap().len(), 2);
    assert_eq!(
        alert.property("tags").unwrap().items,
        Some((PropType::String, Some("user".into())))
    );
    assert_eq!(
        alert.property("createdAt").unwrap().format.as_deref(),
        Some("date-time")
    );
    assert!(!alert.property("count").unwrap().required);
    let rel = alert.relation("respondingTeam").unwrap();
    assert!(rel.many && !rel.required);
    assert_eq!(rel.target, "team");
    assert_eq!(alert.required, ["status"]);
    assert_eq!(alert.raw["mirrorProperties"], serde_json::json!({}));
    assert_eq!(bps[0].title.as_deref(), Some("Team"));

    // A single object is accepted too.
    let (_, one, diags) = blueprints(r#"{"identifier": "x"}"#);
    assert!(diags.is_empty());
    assert_eq!(one.len(), 1);
}

#[test]
fn blueprint_errors() {
    let json = r#"[
  {"identifier": "a b", "schema": {"properties": {"n": {"type": "integer"}, "f": {"type": "string", "format": "datetime"}}}},
  {"identifier": "team", "relations": {"owner": {"target": "teem"}}},
  {"identifier": "team"},
  {"identifier": "x", "schema": {"properties": {"bad key": {"type": "strng"}}}}
]"#;
    let (sm, bps, diags) = blueprints(json);
    assert_eq!(
        codes_at(&sm, &diags),
        [
            ("E0312", 2, 18),
            ("E0310", 2, 65),
            ("E0313", 2, 111),
            ("E0311", 4, 18),
            ("E0312", 5, 49),
            ("E0310", 5, 69),
            ("E0305", 3, 60),
        ]
    );
    let helps: Vec<String> = diags.iter().map(|d| d.help.join(";")).collect();
    assert_eq!(helps[1], "use `number`");
    assert_eq!(helps[2], "did you mean `date-time`?");
    assert_eq!(helps[5], "did you mean `string`?");
    assert_eq!(helps[6], "did you mean `team`?");
    assert_eq!(bps.len(), 3, "the duplicate is dropped");

    let (sm, _, diags) = blueprints("[{\"identifier\": 1},\n 2, {\"title\": \"t\"}]");
    assert_eq!(
        codes_at(&sm, &diags),
        [("E0005", 1, 17), ("E0005", 2, 2), ("E0004", 2, 5)]
    );
    let (sm, _, diags) = blueprints("[{\"identifier\": \"a\",}]");
    assert_eq!(codes_at(&sm, &diags), [("E0002", 1, 21)]);
}

#[test]
fn schemas() {
    let json = r#"{
  "$comment": "c", "title": "t", "type": "object",
  "properties": {
    "id": {"type": "string"},
    "count": {"type": ["integer", "null"]},
    "details": {"type": "object", "additionalProperties": {"type": "string"}},
    "links": {"type": "object", "properties": {"web": {}}, "additionalProperties": false},
    "tags": {"type": "array", "items": {"type": "string", "enum": ["a"]}},
    "team": {"$ref": "team"},
    "free": {}
  },
  "additionalProperties": false
}"#;
    let mut sm = SourceMap::new();
    let mut diags = Diagnostics::new();
    let schema = load_schema(&mut sm, "alert.json", json.to_string(), &mut diags).unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    assert!(schema.field("nope").is_none());
    assert_eq!(
        schema.field_names(),
        ["id", "count", "details", "links", "tags", "team", "free"]
    );
    let Schema::Typed { types, .. } = schema.field("count").unwrap() else {
        panic!()
    };
    assert!(types.integer && types.null && !types.number);
    assert_eq!(
        schema.field("details").unwrap().field("any"),
        Some(&Schema::Typed {
            types: opsgenie_port_compiler::inputs::schema::TypeSet {
                string: true,
                ..Default::default()
            },
            properties: vec![],
            additional: Additional::Any,
            items: None,
            enum_values: None,
            description: None,
        })
    );
    assert!(schema.field("links").unwrap().field("api").is_none());
    assert_eq!(
        schema.field("links").unwrap().field("web"),
        Some(&Schema::Any)
    );
    assert_eq!(schema.field("team"), Some(&Schema::Ref("team".into())));
    assert_eq!(schema.field("free"), Some(&Schema::Any));

    let bad = r#"{"type": "objet", "propertiez": {}, "properties": {"a": []}}"#;
    let mut diags = Diagnostics::new();
    assert!(load_schema(&mut sm, "bad.json", bad.to_string(), &mut diags).is_none());
    let found: Vec<(&str, String)> = diags.iter().map(|d| (d.code, d.help.join(""))).collect();
    assert_eq!(
        found,
        [
            ("E0320", "did you mean `object`?".to_string()),
            ("E0003", "did you mean `properties`?".to_string()),
            ("E0320", String::new()),
        ]
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("front-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sources")).unwrap();
    dir
}

const CONFIG: &str = "resources:\n  - kind: user\n    selector:\n      query: 'true'\n    port:\n      entity:\n        mappings:\n          identifier: .id\n          blueprint: '\"u\"'\n";

#[test]
fn mapping_dirs() {
    let defaults = temp_dir("defaults");
    std::fs::write(defaults.join("sources/user.json"), r#"{"type": "object"}"#).unwrap();
    std::fs::write(defaults.join("sources/team.json"), r#"{"type": "object"}"#).unwrap();
    std::fs::write(defaults.join("sources/README.md"), "not json").unwrap();
    let dir = temp_dir("mine");
    std::fs::write(dir.join("port-app-config.yml"), CONFIG).unwrap();
    std::fs::write(dir.join("blueprints.json"), r#"[{"identifier": "u"}]"#).unwrap();
    std::fs::write(dir.join("sources/user.json"), r#"{"type": "string"}"#).unwrap();

    let mut diags = Diagnostics::new();
    let m = load_mapping_dir(&dir, &defaults.join("sources"), &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(m.config.as_ref().unwrap().resources.len(), 1);
    assert_eq!(m.blueprints.len(), 1);
    let Schema::Typed { types, .. } = &m.schemas["user"] else {
        panic!()
    };
    assert!(
        types.string,
        "the directory's own schema replaces the default"
    );
    assert!(m.schemas.contains_key("team"));
    for f in [
        "port-app-config.yml",
        "blueprints.json",
        "sources/user.json",
    ] {
        assert!(
            m.inputs.contains(&dir.join(f)),
            "{f} not in inputs: {:?}",
            m.inputs
        );
    }
    assert!(m.inputs.contains(&defaults.join("sources/team.json")));
    assert!(
        !m.inputs.contains(&defaults.join("sources/user.json")),
        "replaced default is not read"
    );

    // Missing config and blueprints.
    let empty = temp_dir("empty");
    let mut diags = Diagnostics::new();
    let m = load_mapping_dir(&empty, Path::new("/nonexistent"), &mut diags);
    assert!(m.config.is_none());
    let found: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(found, ["E0008", "E0008"]);
    assert!(diags
        .iter()
        .next()
        .unwrap()
        .message
        .starts_with("no port-app-config.yaml in"));

    // Inline texts (the proc macro).
    let mut diags = Diagnostics::new();
    let m = load_mapping_texts(
        ("inline.yaml", CONFIG.to_string()),
        ("inline.json", r#"[{"identifier": "u"}]"#.to_string()),
        &defaults.join("sources"),
        &mut diags,
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(m.sm.path(m.config.as_ref().unwrap().file), "inline.yaml");
    assert_eq!(m.schemas.len(), 2);

    for d in [defaults, dir, empty] {
        let _ = std::fs::remove_dir_all(d);
    }
}
