//! Port blueprints (`blueprints.json`) with spans, checked the way Port validates them.

use crate::diag::{Diagnostic, Diagnostics};
use crate::documents::json::parse_json;
use crate::documents::tree::{key_text, Node};
use crate::source::{SourceMap, Span};
use crate::suggest::help_did_you_mean;

/// One blueprint definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Blueprint {
    pub identifier: String,
    /// The whole definition.
    pub span: Span,
    /// The identifier's string literal.
    pub id_span: Span,
    pub title: Option<String>,
    /// `schema.properties`, in file order.
    pub properties: Vec<Property>,
    /// `schema.required`.
    pub required: Vec<String>,
    pub relations: Vec<Relation>,
    /// The whole definition, for creating the blueprint in Port.
    pub raw: serde_json::Value,
    /// `properties` by name: a mapping writing thousands of properties is checked in linear time.
    by_name: std::collections::HashMap<String, usize>,
}

impl Blueprint {
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.by_name.get(name).map(|&i| &self.properties[i])
    }

    pub fn relation(&self, name: &str) -> Option<&Relation> {
        self.relations.iter().find(|r| r.name == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Property {
    pub name: String,
    /// The property's key.
    pub span: Span,
    pub ty: PropType,
    /// `format`, e.g. `date-time`, `url`, `user`.
    pub format: Option<String>,
    pub enum_values: Option<Vec<serde_json::Value>>,
    /// For arrays: the `items` type and format.
    pub items: Option<(PropType, Option<String>)>,
    /// Listed in `schema.required`.
    pub required: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PropType {
    String,
    Number,
    Boolean,
    Array,
    Object,
}

impl PropType {
    pub const NAMES: &'static [&'static str] = &["string", "number", "boolean", "array", "object"];

    pub fn parse(name: &str) -> Option<PropType> {
        Some(match name {
            "string" => PropType::String,
            "number" => PropType::Number,
            "boolean" => PropType::Boolean,
            "array" => PropType::Array,
            "object" => PropType::Object,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PropType::String => "string",
            PropType::Number => "number",
            PropType::Boolean => "boolean",
            PropType::Array => "array",
            PropType::Object => "object",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    pub name: String,
    /// The relation's key.
    pub span: Span,
    /// Target blueprint identifier.
    pub target: String,
    pub target_span: Span,
    pub many: bool,
    pub required: bool,
}

/// Port's accepted string formats.
pub const FORMATS: &[&str] = &[
    "date-time",
    "url",
    "email",
    "idn-email",
    "ipv4",
    "ipv6",
    "markdown",
    "yaml",
    "user",
    "team",
    "timer",
    "proto",
    "labeled-url",
    "blueprints",
];

/// Loads a JSON array of blueprints (or one blueprint object) and checks it: property types
/// (E0310) and formats (E0313), relation targets among the loaded blueprints (E0305),
/// duplicate identifiers (E0311), identifier formats (E0312).
pub fn load_blueprints(
    sm: &mut SourceMap,
    path: &str,
    text: String,
    diags: &mut Diagnostics,
) -> Vec<Blueprint> {
    let file = sm.add(path, text);
    let Some(root) = parse_json(sm, file, diags) else {
        return Vec::new();
    };
    let blueprints = blueprints_from_root(&root, diags);
    check_relation_targets(&blueprints, diags);
    blueprints
}

/// The blueprints of a parsed document (a list of blueprint objects, or one), each checked on
/// its own; relation targets are not checked (see [`check_relation_targets`]).
pub fn blueprints_from_root(root: &Node, diags: &mut Diagnostics) -> Vec<Blueprint> {
    let items: Vec<&Node> = match (&root.as_seq(), root.as_map()) {
        (Some(items), _) => items.iter().collect(),
        (None, Some(_)) => vec![root],
        _ => {
            diags.push(
                Diagnostic::error(
                    "E0005",
                    format!(
                        "blueprints must be a list of blueprint objects, found {}",
                        root.type_name()
                    ),
                )
                .with_primary(root.span, "expected a list"),
            );
            return Vec::new();
        }
    };
    let mut blueprints: Vec<Blueprint> = Vec::new();
    for item in items {
        let Some(bp) = blueprint(item, diags) else {
            continue;
        };
        if let Some(first) = blueprints.iter().find(|b| b.identifier == bp.identifier) {
            diags.push(
                Diagnostic::error(
                    "E0311",
                    format!("blueprint `{}` is defined twice", bp.identifier),
                )
                .with_primary(bp.id_span, "defined again here")
                .with_secondary(first.id_span, "first defined here"),
            );
            continue;
        }
        blueprints.push(bp);
    }
    blueprints
}

/// Every relation target must be one of the loaded blueprints (Port rejects the blueprint
/// otherwise).
pub fn check_relation_targets(blueprints: &[Blueprint], diags: &mut Diagnostics) {
    let ids: Vec<&str> = blueprints.iter().map(|b| b.identifier.as_str()).collect();
    for bp in blueprints {
        for rel in &bp.relations {
            if !ids.contains(&rel.target.as_str()) {
                diags.push(
                    Diagnostic::error(
                        "E0305",
                        format!(
                            "relation `{}` of blueprint `{}` targets unknown blueprint `{}`",
                            rel.name, bp.identifier, rel.target
                        ),
                    )
                    .with_primary(rel.target_span, "no such blueprint")
                    .with_help_opt(help_did_you_mean(&rel.target, ids.iter().copied()))
                    .with_note("relation targets must be defined in the same blueprints file"),
                );
            }
        }
    }
}

/// Port's blueprint identifier rule: `^(?!\.{1,2}$)[\p{L}0-9@_.+:\\/-]+$`, at most 100 chars.
pub fn is_valid_blueprint_id(id: &str) -> bool {
    !id.is_empty()
        && id != "."
        && id != ".."
        && id.chars().count() <= 100
        && id
            .chars()
            .all(|c| c.is_alphabetic() || c.is_ascii_digit() || "@_.+:\\/-".contains(c))
}

/// Port's rule for property and relation keys: `^[A-Za-z0-9@_=\-]+$`, at most 100 chars.
pub fn is_valid_property_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 100
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@_=-".contains(c))
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    node.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

fn wrong_type(diags: &mut Diagnostics, node: &Node, what: &str, expected: &str) {
    diags.push(
        Diagnostic::error(
            "E0005",
            format!("{what} must be {expected}, found {}", node.type_name()),
        )
        .with_primary(node.span, format!("expected {expected}")),
    );
}

fn blueprint(node: &Node, diags: &mut Diagnostics) -> Option<Blueprint> {
    if node.as_map().is_none() {
        wrong_type(diags, node, "a blueprint", "an object");
        return None;
    }
    let Some(id_node) = get(node, "identifier") else {
        diags.push(
            Diagnostic::error("E0004", "blueprint without `identifier`").with_primary(
                Span::new(node.span.file, node.span.start, node.span.start + 1),
                "this blueprint",
            ),
        );
        return None;
    };
    let Some(identifier) = id_node.as_str() else {
        wrong_type(diags, id_node, "`identifier`", "a string");
        return None;
    };
    if !is_valid_blueprint_id(identifier) {
        diags.push(
            Diagnostic::error("E0312", format!("`{identifier}` is not a valid blueprint identifier"))
                .with_primary(id_node.span, "invalid identifier")
                .with_note("Port allows letters, digits and `@ _ . + : \\ / -`, up to 100 chars (not `.` or `..`)"),
        );
    }
    let what = format!("blueprint `{identifier}`");
    let title = get(node, "title")
        .and_then(|t| t.as_str())
        .map(str::to_string);

    let mut required: Vec<String> = Vec::new();
    let mut properties = Vec::new();
    if let Some(schema) = get(node, "schema") {
        if schema.as_map().is_none() {
            wrong_type(diags, schema, &format!("`schema` of {what}"), "an object");
        }
        if let Some(req) = get(schema, "required") {
            match req.as_seq() {
                Some(names) => {
                    for n in names {
                        match n.as_str() {
                            Some(s) => required.push(s.to_string()),
                            None => wrong_type(diags, n, "a `required` entry", "a string"),
                        }
                    }
                }
                None => wrong_type(diags, req, "`required`", "a list of property names"),
            }
        }
        if let Some(props) = get(schema, "properties") {
            match props.as_map() {
                Some(entries) => {
                    let mut seen = std::collections::HashSet::new();
                    let required: std::collections::HashSet<&str> =
                        required.iter().map(String::as_str).collect();
                    for (key, def) in entries {
                        if let Some(p) = property(key, def, &required, diags) {
                            if !seen.insert(p.name.clone()) {
                                diags.push(
                                    Diagnostic::error(
                                        "E0006",
                                        format!("duplicate property `{}`", p.name),
                                    )
                                    .with_primary(p.span, "duplicate"),
                                );
                                continue;
                            }
                            properties.push(p);
                        }
                    }
                }
                None => wrong_type(diags, props, "`schema.properties`", "an object"),
            }
        }
    }

    let mut relations = Vec::new();
    if let Some(rels) = get(node, "relations") {
        match rels.as_map() {
            Some(entries) => {
                for (key, def) in entries {
                    if let Some(r) = relation(key, def, diags) {
                        relations.push(r);
                    }
                }
            }
            None => wrong_type(diags, rels, &format!("`relations` of {what}"), "an object"),
        }
    }

    let by_name = properties
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.clone(), i))
        .collect();
    Some(Blueprint {
        identifier: identifier.to_string(),
        span: node.span,
        id_span: id_node.span,
        title,
        properties,
        required,
        relations,
        raw: node.to_json(),
        by_name,
    })
}

fn check_key(key: &Node, what: &str, diags: &mut Diagnostics) -> String {
    let name = key_text(key);
    if !is_valid_property_key(&name) {
        diags.push(
            Diagnostic::error(
                "E0312",
                format!("`{name}` is not a valid {what} identifier"),
            )
            .with_primary(key.span, "invalid identifier")
            .with_note("Port allows ASCII letters, digits and `@ _ = -`, up to 100 chars"),
        );
    }
    name
}

fn prop_type(
    node: Option<&Node>,
    what: &str,
    owner: Span,
    diags: &mut Diagnostics,
) -> Option<PropType> {
    let Some(node) = node else {
        diags.push(
            Diagnostic::error("E0004", format!("{what} has no `type`"))
                .with_primary(owner, "`type` is required")
                .with_note(format!(
                    "Port property types: {}",
                    PropType::NAMES.join(", ")
                )),
        );
        return None;
    };
    let Some(name) = node.as_str() else {
        wrong_type(diags, node, &format!("the `type` of {what}"), "a string");
        return None;
    };
    let ty = PropType::parse(name);
    if ty.is_none() {
        diags.push(
            Diagnostic::error("E0310", format!("unknown property type `{name}`"))
                .with_primary(node.span, "not a Port property type")
                .with_help_opt(
                    common_type_name(name)
                        .map(|t| format!("use `{t}`"))
                        .or_else(|| help_did_you_mean(name, PropType::NAMES.iter().copied())),
                )
                .with_note(format!(
                    "Port property types: {}",
                    PropType::NAMES.join(", ")
                )),
        );
    }
    ty
}

/// The Port type for type names from other languages (`integer` → `number`).
fn common_type_name(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "integer" | "int" | "float" | "double" | "decimal" => "number",
        "bool" => "boolean",
        "str" | "text" => "string",
        "list" => "array",
        "dict" | "map" => "object",
        _ => return None,
    })
}

fn format_of(def: &Node, diags: &mut Diagnostics) -> Option<String> {
    let node = get(def, "format")?;
    let Some(format) = node.as_str() else {
        wrong_type(diags, node, "`format`", "a string");
        return None;
    };
    if !FORMATS.contains(&format) {
        diags.push(
            Diagnostic::error("E0313", format!("unknown property format `{format}`"))
                .with_primary(node.span, "not a Port format")
                .with_help_opt(help_did_you_mean(format, FORMATS.iter().copied()))
                .with_note(format!("Port formats: {}", FORMATS.join(", "))),
        );
        return None;
    }
    Some(format.to_string())
}

fn property(
    key: &Node,
    def: &Node,
    required: &std::collections::HashSet<&str>,
    diags: &mut Diagnostics,
) -> Option<Property> {
    let name = check_key(key, "property", diags);
    let what = format!("property `{name}`");
    if def.as_map().is_none() {
        wrong_type(diags, def, &what, "an object");
        return None;
    }
    let ty = prop_type(get(def, "type"), &what, key.span, diags);
    let format = format_of(def, diags);
    let enum_values = match get(def, "enum") {
        Some(e) => match e.as_seq() {
            Some(values) => Some(values.iter().map(Node::to_json).collect()),
            None => {
                wrong_type(diags, e, &format!("`enum` of {what}"), "a list");
                None
            }
        },
        None => None,
    };
    let items = match (ty, get(def, "items")) {
        (Some(PropType::Array), Some(items)) if items.as_map().is_some() => {
            let item_ty = prop_type(
                get(items, "type"),
                &format!("`items` of {what}"),
                items.span,
                diags,
            );
            let item_format = format_of(items, diags);
            item_ty.map(|t| (t, item_format))
        }
        (_, Some(items)) if items.as_map().is_none() => {
            wrong_type(diags, items, &format!("`items` of {what}"), "an object");
            None
        }
        _ => None,
    };
    Some(Property {
        required: required.contains(name.as_str()),
        name,
        span: key.span,
        ty: ty?,
        format,
        enum_values,
        items,
    })
}

fn relation(key: &Node, def: &Node, diags: &mut Diagnostics) -> Option<Relation> {
    let name = check_key(key, "relation", diags);
    let what = format!("relation `{name}`");
    if def.as_map().is_none() {
        wrong_type(diags, def, &what, "an object");
        return None;
    }
    let flag = |field: &str, diags: &mut Diagnostics| match get(def, field) {
        Some(v) => v.as_bool().unwrap_or_else(|| {
            wrong_type(diags, v, &format!("`{field}` of {what}"), "a boolean");
            false
        }),
        None => false,
    };
    let many = flag("many", diags);
    let required = flag("required", diags);
    let Some(target) = get(def, "target") else {
        diags.push(
            Diagnostic::error("E0004", format!("{what} has no `target`"))
                .with_primary(key.span, "`target` is required"),
        );
        return None;
    };
    let Some(target_id) = target.as_str() else {
        wrong_type(
            diags,
            target,
            &format!("`target` of {what}"),
            "a blueprint identifier",
        );
        return None;
    };
    Some(Relation {
        name,
        span: key.span,
        target: target_id.to_string(),
        target_span: target.span,
        many,
        required,
    })
}
