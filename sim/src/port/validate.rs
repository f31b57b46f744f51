//! Port's validation rules: identifier patterns, blueprint definitions, and entity property
//! values against a blueprint's schema. Messages follow ajv's `<path> must …` style, which is
//! what Port's 422 answers carry.

use serde_json::{Map, Value};

use super::http::ApiError;
use super::time::parse_iso;

pub const PROPERTY_TYPES: [&str; 5] = ["string", "number", "boolean", "object", "array"];
pub const STRING_FORMATS: [&str; 14] = [
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

/// `^(?!\.{1,2}$)[\p{L}0-9@_.+:\\/=-]+$`, at most 1000 characters.
pub fn is_entity_identifier(id: &str) -> bool {
    identifier_like(id, 1000, true)
}

/// Blueprint identifiers: as entities but without `=`, at most 100 characters.
pub fn is_blueprint_identifier(id: &str) -> bool {
    identifier_like(id, 100, false)
}

fn identifier_like(id: &str, max_chars: usize, allow_equals: bool) -> bool {
    let count = id.chars().count();
    count > 0
        && count <= max_chars
        && id != "."
        && id != ".."
        && id.chars().all(|c| {
            c.is_alphabetic()
                || c.is_ascii_digit()
                || matches!(c, '@' | '_' | '.' | '+' | ':' | '\\' | '/' | '-')
                || (allow_equals && c == '=')
        })
}

/// Keys of properties, relations, mirror/calculation/aggregation properties:
/// `^[A-Za-z0-9@_=\-]+$`, at most 100 characters.
pub fn is_property_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 100
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '_' | '=' | '-'))
}

/// ajv's `email` format: dotted local part, at least two dotted domain labels.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// An absolute URI: `scheme:` followed by something, no whitespace (ajv's `uri`, simplified).
pub fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        && !rest.is_empty()
        && !text.chars().any(char::is_whitespace)
        && (!rest.starts_with("//") || rest.len() > 2)
}

/// Whether `text` satisfies a Port string `format`. `user`/`team` accept any string: Port shows
/// unknown users as unregistered rather than refusing them (inferred).
pub fn format_ok(format: &str, text: &str) -> bool {
    match format {
        "date-time" | "timer" => parse_iso(text).is_some(),
        "url" => is_url(text),
        "email" | "idn-email" => is_email(text),
        "ipv4" => text.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => text.parse::<std::net::Ipv6Addr>().is_ok(),
        _ => true,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, expected: &str) -> bool {
    type_name(value) == expected
}

/// Checks one property value against its definition; `path` names it in messages.
pub fn check_value(path: &str, definition: &Value, value: &Value) -> Result<(), String> {
    let expected = definition
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    if !has_type(value, expected) {
        return Err(format!("{path} must be {expected}"));
    }
    if let Some(Value::Array(allowed)) = definition.get("enum") {
        if !allowed.contains(value) {
            return Err(format!("{path} must be equal to one of the allowed values"));
        }
    }
    match value {
        Value::String(text) => {
            if let Some(format) = definition.get("format").and_then(Value::as_str) {
                if !format_ok(format, text) {
                    return Err(format!("{path} must match format \"{format}\""));
                }
            }
            let length = text.chars().count() as u64;
            if let Some(min) = definition.get("minLength").and_then(Value::as_u64) {
                if length < min {
                    return Err(format!("{path} must NOT have fewer than {min} characters"));
                }
            }
            if let Some(max) = definition.get("maxLength").and_then(Value::as_u64) {
                if length > max {
                    return Err(format!("{path} must NOT have more than {max} characters"));
                }
            }
        }
        Value::Number(number) => {
            let n = number.as_f64().unwrap_or(0.0);
            if let Some(min) = definition.get("minimum").and_then(Value::as_f64) {
                if n < min {
                    return Err(format!("{path} must be >= {min}"));
                }
            }
            if let Some(max) = definition.get("maximum").and_then(Value::as_f64) {
                if n > max {
                    return Err(format!("{path} must be <= {max}"));
                }
            }
        }
        Value::Array(items) => {
            let count = items.len() as u64;
            if let Some(min) = definition.get("minItems").and_then(Value::as_u64) {
                if count < min {
                    return Err(format!("{path} must NOT have fewer than {min} items"));
                }
            }
            if let Some(max) = definition.get("maxItems").and_then(Value::as_u64) {
                if count > max {
                    return Err(format!("{path} must NOT have more than {max} items"));
                }
            }
            if let Some(item_def) = definition.get("items").filter(|d| d.is_object()) {
                for (index, item) in items.iter().enumerate() {
                    check_value(&format!("{path}/{index}"), item_def, item)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Validates entity `properties` (already merged, when merging) against a blueprint.
pub fn check_properties(blueprint: &Value, properties: &Map<String, Value>) -> Result<(), String> {
    let schema = blueprint.get("schema");
    let definitions = schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    for (key, value) in properties {
        let Some(definition) = definitions.and_then(|d| d.get(key)) else {
            return Err(format!(
                "/properties must NOT have additional properties (\"{key}\" is not defined in blueprint)"
            ));
        };
        if value.is_null() {
            continue;
        }
        check_value(&format!("/properties/{key}"), definition, value)?;
    }
    let required = schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array);
    for key in required.into_iter().flatten().filter_map(Value::as_str) {
        if properties.get(key).is_none_or(Value::is_null) {
            return Err(format!("/properties must have required property '{key}'"));
        }
    }
    Ok(())
}

fn bad(message: String) -> ApiError {
    ApiError::invalid(message)
}

/// Validates a full blueprint definition. `known_blueprint` says whether a relation or
/// aggregation target exists (the blueprint itself counts).
pub fn check_blueprint(
    blueprint: &Map<String, Value>,
    known_blueprint: &dyn Fn(&str) -> bool,
) -> Result<(), ApiError> {
    let identifier = match blueprint.get("identifier") {
        Some(Value::String(id)) => id.as_str(),
        Some(_) => return Err(bad("body/identifier must be string".into())),
        None => return Err(bad("body must have required property 'identifier'".into())),
    };
    if !is_blueprint_identifier(identifier) {
        return Err(bad(format!(
            "body/identifier must match pattern \"^(?!\\.{{1,2}}$)[\\p{{L}}0-9@_.+:\\\\/-]+$\" (got \"{identifier}\")"
        )));
    }
    match blueprint.get("title") {
        Some(Value::String(t)) if !t.is_empty() && t.chars().count() <= 100 => {}
        Some(Value::String(_)) => {
            return Err(bad("body/title must have 1 to 100 characters".into()))
        }
        Some(_) => return Err(bad("body/title must be string".into())),
        None => return Err(bad("body must have required property 'title'".into())),
    }
    if let Some(description) = blueprint.get("description") {
        match description.as_str() {
            Some(d) if d.chars().count() <= 200 => {}
            Some(_) => {
                return Err(bad(
                    "body/description must NOT have more than 200 characters".into(),
                ))
            }
            None => return Err(bad("body/description must be string".into())),
        }
    }
    let schema = match blueprint.get("schema") {
        Some(Value::Object(schema)) => schema,
        Some(_) => return Err(bad("body/schema must be object".into())),
        None => return Err(bad("body must have required property 'schema'".into())),
    };
    let properties = match schema.get("properties") {
        Some(Value::Object(p)) => p,
        Some(_) => return Err(bad("body/schema/properties must be object".into())),
        None => {
            return Err(bad(
                "body/schema must have required property 'properties'".into()
            ))
        }
    };
    for (key, definition) in properties {
        check_property_definition(&format!("body/schema/properties/{key}"), key, definition)?;
    }
    match schema.get("required") {
        None => {}
        Some(Value::Array(required)) => {
            for name in required {
                let Some(name) = name.as_str() else {
                    return Err(bad("body/schema/required must be array of strings".into()));
                };
                if !properties.contains_key(name) {
                    return Err(bad(format!(
                        "body/schema/required: property \"{name}\" is not defined in schema/properties"
                    )));
                }
            }
        }
        Some(_) => return Err(bad("body/schema/required must be array".into())),
    }
    check_relations(blueprint.get("relations"), known_blueprint)?;
    check_keyed_section(blueprint, "mirrorProperties", |path, mirror| {
        let segments = mirror
            .get("path")
            .and_then(Value::as_str)
            .map(|p| p.split('.').count());
        match segments {
            Some(n) if n >= 2 => Ok(()),
            _ => Err(format!(
                "{path}/path must be a dotted path \"relation.property\""
            )),
        }
    })?;
    check_keyed_section(blueprint, "calculationProperties", |path, calc| {
        if !calc.get("calculation").is_some_and(Value::is_string) {
            return Err(format!("{path} must have required property 'calculation'"));
        }
        match calc.get("type").and_then(Value::as_str) {
            Some(t) if PROPERTY_TYPES.contains(&t) => Ok(()),
            _ => Err(format!(
                "{path}/type must be equal to one of the allowed values"
            )),
        }
    })?;
    check_keyed_section(blueprint, "aggregationProperties", |path, aggregation| {
        match aggregation.get("target").and_then(Value::as_str) {
            Some(target) if known_blueprint(target) => {}
            Some(target) => return Err(format!("{path}/target: blueprint \"{target}\" not found")),
            None => return Err(format!("{path} must have required property 'target'")),
        }
        if !aggregation
            .get("calculationSpec")
            .is_some_and(Value::is_object)
        {
            return Err(format!(
                "{path} must have required property 'calculationSpec'"
            ));
        }
        Ok(())
    })?;
    Ok(())
}

fn check_keyed_section(
    blueprint: &Map<String, Value>,
    section: &str,
    check: impl Fn(&str, &Map<String, Value>) -> Result<(), String>,
) -> Result<(), ApiError> {
    let entries = match blueprint.get(section) {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(entries)) => entries,
        Some(_) => return Err(bad(format!("body/{section} must be object"))),
    };
    for (key, entry) in entries {
        let path = format!("body/{section}/{key}");
        if !is_property_key(key) {
            return Err(bad(format!(
                "body/{section} property name \"{key}\" is invalid"
            )));
        }
        let Value::Object(entry) = entry else {
            return Err(bad(format!("{path} must be object")));
        };
        check(&path, entry).map_err(bad)?;
    }
    Ok(())
}

fn check_property_definition(path: &str, key: &str, definition: &Value) -> Result<(), ApiError> {
    if !is_property_key(key) {
        return Err(bad(format!(
            "body/schema/properties property name \"{key}\" must match pattern \"^[A-Za-z0-9@_=\\-]+$\""
        )));
    }
    let Value::Object(definition) = definition else {
        return Err(bad(format!("{path} must be object")));
    };
    let kind = match definition.get("type").and_then(Value::as_str) {
        Some(kind) if PROPERTY_TYPES.contains(&kind) => kind,
        Some(_) => {
            return Err(bad(format!(
                "{path}/type must be equal to one of the allowed values"
            )))
        }
        None => return Err(bad(format!("{path} must have required property 'type'"))),
    };
    if let Some(format) = definition.get("format") {
        let ok = format.as_str().is_some_and(|f| STRING_FORMATS.contains(&f));
        if !ok {
            return Err(bad(format!(
                "{path}/format must be equal to one of the allowed values"
            )));
        }
        if !matches!(kind, "string" | "array" | "object") {
            return Err(bad(format!(
                "{path}/format is not allowed for type \"{kind}\""
            )));
        }
    }
    if let Some(values) = definition.get("enum") {
        let Value::Array(values) = values else {
            return Err(bad(format!("{path}/enum must be array")));
        };
        if let Some(wrong) = values.iter().find(|v| !v.is_null() && !has_type(v, kind)) {
            return Err(bad(format!("{path}/enum value {wrong} must be {kind}")));
        }
    }
    if let Some(items) = definition.get("items") {
        if kind != "array" {
            return Err(bad(format!(
                "{path}/items is only allowed for type \"array\""
            )));
        }
        let item_type = items.get("type").and_then(Value::as_str);
        if !item_type.is_some_and(|t| PROPERTY_TYPES.contains(&t) && t != "array") {
            return Err(bad(format!(
                "{path}/items/type must be equal to one of the allowed values"
            )));
        }
        if let Some(format) = items.get("format") {
            if !format.as_str().is_some_and(|f| STRING_FORMATS.contains(&f)) {
                return Err(bad(format!(
                    "{path}/items/format must be equal to one of the allowed values"
                )));
            }
        }
    }
    if let Some(default) = definition.get("default") {
        let as_definition = Value::Object(definition.clone());
        check_value(&format!("{path}/default"), &as_definition, default).map_err(bad)?;
    }
    Ok(())
}

fn check_relations(
    relations: Option<&Value>,
    known_blueprint: &dyn Fn(&str) -> bool,
) -> Result<(), ApiError> {
    let relations = match relations {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(relations)) => relations,
        Some(_) => return Err(bad("body/relations must be object".into())),
    };
    for (key, relation) in relations {
        let path = format!("body/relations/{key}");
        if !is_property_key(key) {
            return Err(bad(format!(
                "body/relations property name \"{key}\" is invalid"
            )));
        }
        let Value::Object(relation) = relation else {
            return Err(bad(format!("{path} must be object")));
        };
        for field in relation.keys() {
            if !matches!(
                field.as_str(),
                "title" | "description" | "target" | "required" | "many"
            ) {
                return Err(bad(format!(
                    "{path} must NOT have additional properties (\"{field}\")"
                )));
            }
        }
        for field in ["target", "required", "many"] {
            if !relation.contains_key(field) {
                return Err(bad(format!("{path} must have required property '{field}'")));
            }
        }
        for field in ["required", "many"] {
            if !relation[field].is_boolean() {
                return Err(bad(format!("{path}/{field} must be boolean")));
            }
        }
        let Some(target) = relation["target"].as_str() else {
            return Err(bad(format!("{path}/target must be string")));
        };
        if !known_blueprint(target) {
            return Err(ApiError::not_found(format!(
                "Relation \"{key}\" targets blueprint \"{target}\", which was not found"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifiers_follow_ports_patterns() {
        assert!(is_entity_identifier("a-b_c.d@e+f:g/h\\i=j"));
        assert!(is_entity_identifier("ünïcode"));
        assert!(!is_entity_identifier(".."));
        assert!(!is_entity_identifier("has space"));
        assert!(!is_entity_identifier(""));
        assert!(!is_entity_identifier(&"x".repeat(1001)));
        assert!(!is_blueprint_identifier("a=b"));
        assert!(is_property_key("a=b"));
        assert!(!is_property_key("a.b"));
    }

    #[test]
    fn formats() {
        assert!(is_email("first.last@example.co"));
        assert!(!is_email("nobody@localhost"));
        assert!(!is_email("no-at-sign"));
        assert!(is_url("https://x.app.opsgenie.com/alert/1"));
        assert!(!is_url("not a url"));
        assert!(!is_url("example.com"));
        assert!(format_ok("date-time", "2024-01-01T00:00:00Z"));
        assert!(!format_ok("date-time", "yesterday"));
        assert!(format_ok("user", ""));
    }

    #[test]
    fn values_against_definitions() {
        let status = json!({"type": "string", "enum": ["open", "closed"]});
        assert!(check_value("/p", &status, &json!("open")).is_ok());
        assert!(check_value("/p", &status, &json!("acked")).is_err());
        assert!(check_value("/p", &status, &json!(3)).is_err());
        let tags = json!({"type": "array", "items": {"type": "string", "format": "email"}});
        assert!(check_value("/p", &tags, &json!(["a@b.io"])).is_ok());
        assert_eq!(
            check_value("/p", &tags, &json!(["a@b.io", "x"])).unwrap_err(),
            "/p/1 must match format \"email\""
        );
    }
}
