//! Opsgenie source schemas (`sources/<kind>.json`): the small JSON-Schema subset documented in
//! `mappings/sources/README.md`, used to check the paths mapping expressions read.

use crate::diag::{Diagnostic, Diagnostics};
use crate::documents::json::parse_json;
use crate::documents::tree::{key_text, Node, NodeKind};
use crate::source::SourceMap;
use crate::suggest::help_did_you_mean;

/// The shape of a raw value.
#[derive(Clone, Debug, PartialEq)]
pub enum Schema {
    /// `{}`: any JSON value.
    Any,
    /// `{"$ref": "<kind>"}`: the whole object schema of another kind.
    Ref(String),
    Typed {
        types: TypeSet,
        /// Declared object fields, in file order.
        properties: Vec<(String, Schema)>,
        additional: Additional,
        /// Array elements.
        items: Option<Box<Schema>>,
        enum_values: Option<Vec<serde_json::Value>>,
        description: Option<String>,
    },
}

impl Schema {
    /// The schema of field `name` of an object value, if the schema says anything about it:
    /// `Some(Any)` for schemaless objects and open ones, `None` when the field cannot exist.
    pub fn field(&self, name: &str) -> Option<&Schema> {
        const ANY: &Schema = &Schema::Any;
        match self {
            Schema::Any | Schema::Ref(_) => Some(ANY),
            Schema::Typed {
                properties,
                additional,
                ..
            } => match properties.iter().find(|(n, _)| n == name) {
                Some((_, s)) => Some(s),
                None => match additional {
                    Additional::Forbidden => None,
                    Additional::Any => Some(ANY),
                    Additional::Schema(s) => Some(s),
                },
            },
        }
    }

    /// Names of declared fields (for did-you-mean).
    pub fn field_names(&self) -> Vec<&str> {
        match self {
            Schema::Typed { properties, .. } => {
                properties.iter().map(|(n, _)| n.as_str()).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Which JSON types a value may have (`integer` is listed apart from `number`, as written).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TypeSet {
    pub null: bool,
    pub boolean: bool,
    pub number: bool,
    pub integer: bool,
    pub string: bool,
    pub array: bool,
    pub object: bool,
}

impl TypeSet {
    pub const NAMES: &'static [&'static str] = &[
        "null", "boolean", "number", "integer", "string", "array", "object",
    ];

    fn set(&mut self, name: &str) -> bool {
        let slot = match name {
            "null" => &mut self.null,
            "boolean" => &mut self.boolean,
            "number" => &mut self.number,
            "integer" => &mut self.integer,
            "string" => &mut self.string,
            "array" => &mut self.array,
            "object" => &mut self.object,
            _ => return false,
        };
        *slot = true;
        true
    }

    pub fn is_empty(&self) -> bool {
        *self == TypeSet::default()
    }
}

/// What keys an object may have besides its declared `properties`.
#[derive(Clone, Debug, PartialEq)]
pub enum Additional {
    /// `"additionalProperties": false`.
    Forbidden,
    /// Absent or `true` (JSON Schema's default).
    Any,
    Schema(Box<Schema>),
}

/// Keys we read; other JSON-Schema annotations are accepted and ignored.
const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "additionalProperties",
    "items",
    "enum",
    "description",
    "$ref",
];
const IGNORED: &[&str] = &[
    "$comment",
    "$schema",
    "$id",
    "title",
    "format",
    "examples",
    "default",
    "required",
    "deprecated",
];

/// Loads one schema file. Errors: E0002 (JSON syntax), E0320 (not the supported subset).
pub fn load_schema(
    sm: &mut SourceMap,
    path: &str,
    text: String,
    diags: &mut Diagnostics,
) -> Option<Schema> {
    let file = sm.add(path, text);
    let root = parse_json(sm, file, diags)?;
    let before = diags.error_count();
    let schema = convert(&root, diags);
    (diags.error_count() == before).then_some(schema)
}

fn unsupported(diags: &mut Diagnostics, node: &Node, message: String) {
    diags.push(
        Diagnostic::error("E0320", message)
            .with_primary(node.span, "")
            .with_note("source schemas use the JSON-Schema subset in mappings/sources/README.md"),
    );
}

fn convert(node: &Node, diags: &mut Diagnostics) -> Schema {
    let Some(entries) = node.as_map() else {
        unsupported(
            diags,
            node,
            format!("a schema must be an object, found {}", node.type_name()),
        );
        return Schema::Any;
    };
    let mut types = TypeSet::default();
    let mut typed = false;
    let mut properties = Vec::new();
    let mut additional = Additional::Any;
    let mut items = None;
    let mut enum_values = None;
    let mut description = None;
    let mut reference = None;
    for (key, value) in entries {
        let name = key_text(key);
        match name.as_str() {
            "type" => {
                typed = true;
                let names: Vec<&Node> = match &value.kind {
                    NodeKind::Seq(list) => list.iter().collect(),
                    _ => vec![value],
                };
                for t in names {
                    match t.as_str() {
                        Some(s) if types.set(s) => {}
                        Some(s) => diags.push(
                            Diagnostic::error("E0320", format!("unknown type `{s}`"))
                                .with_primary(t.span, "not a JSON type")
                                .with_help_opt(help_did_you_mean(
                                    s,
                                    TypeSet::NAMES.iter().copied(),
                                )),
                        ),
                        None => unsupported(
                            diags,
                            t,
                            "`type` must be a type name or a list of them".into(),
                        ),
                    }
                }
            }
            "properties" => match value.as_map() {
                Some(fields) => {
                    for (k, v) in fields {
                        let field = key_text(k);
                        if properties.iter().any(|(n, _)| *n == field) {
                            diags.push(
                                Diagnostic::error("E0006", format!("duplicate field `{field}`"))
                                    .with_primary(k.span, "duplicate"),
                            );
                            continue;
                        }
                        properties.push((field, convert(v, diags)));
                    }
                }
                None => unsupported(diags, value, "`properties` must be an object".into()),
            },
            "additionalProperties" => {
                additional = match (value.as_bool(), value.as_map()) {
                    (Some(true), _) => Additional::Any,
                    (Some(false), _) => Additional::Forbidden,
                    (None, Some(_)) => Additional::Schema(Box::new(convert(value, diags))),
                    _ => {
                        unsupported(
                            diags,
                            value,
                            "`additionalProperties` must be a boolean or a schema".into(),
                        );
                        Additional::Any
                    }
                }
            }
            "items" => items = Some(Box::new(convert(value, diags))),
            "enum" => match value.as_seq() {
                Some(vals) => enum_values = Some(vals.iter().map(Node::to_json).collect()),
                None => unsupported(diags, value, "`enum` must be a list".into()),
            },
            "description" => description = value.as_str().map(str::to_string),
            "$ref" => match value.as_str() {
                Some(r) => reference = Some(r.to_string()),
                None => unsupported(diags, value, "`$ref` must be a kind name".into()),
            },
            other if IGNORED.contains(&other) || other.starts_with("x-") => {}
            other => {
                let mut known: Vec<&str> = KEYWORDS.to_vec();
                known.extend(IGNORED);
                diags.push(
                    Diagnostic::error("E0003", format!("unsupported schema keyword `{other}`"))
                        .with_primary(key.span, "not part of the supported subset")
                        .with_help_opt(help_did_you_mean(other, known)),
                );
            }
        }
    }
    if let Some(r) = reference {
        if entries.len() > 1
            && entries.iter().any(|(k, _)| {
                k.as_str()
                    .is_some_and(|k| KEYWORDS.contains(&k) && k != "$ref" && k != "description")
            })
        {
            unsupported(
                diags,
                node,
                "`$ref` cannot be combined with other keywords".into(),
            );
        }
        return Schema::Ref(r);
    }
    if !typed {
        // No `type`: infer it from what is constrained, or accept anything.
        if !properties.is_empty() || additional != Additional::Any {
            types.object = true;
        } else if items.is_some() {
            types.array = true;
        } else if let Some(values) = &enum_values {
            for v in values {
                types.set(json_type(v));
            }
        } else {
            return Schema::Any;
        }
    }
    Schema::Typed {
        types,
        properties,
        additional,
        items,
        enum_values,
        description,
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}
