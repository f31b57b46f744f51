//! The checks Port applies to an entity's properties when it is written — JSON type, `enum`,
//! string `format`, length and range limits, `required` — so `plan` can say which entities Port
//! would refuse instead of listing them as creates. Messages follow Port's (ajv's) wording.
//! Relations are not checked here: missing targets are the placeholders' business.

use crate::http::time::parse_rfc3339_millis;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Property definitions and required names of some blueprints, by identifier.
#[derive(Clone, Debug, Default)]
pub struct Schemas {
    blueprints: HashMap<String, BlueprintSchema>,
}

#[derive(Clone, Debug, Default)]
struct BlueprintSchema {
    properties: Map<String, Value>,
    required: Vec<String>,
}

impl Schemas {
    /// From blueprint objects as Port returns them (or as `blueprints.json` defines them).
    pub fn new(blueprints: &[Value]) -> Schemas {
        let blueprints = blueprints
            .iter()
            .filter_map(|blueprint| {
                let identifier = blueprint.get("identifier")?.as_str()?;
                let schema = blueprint.get("schema");
                let properties = schema
                    .and_then(|s| s.get("properties"))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let required = schema
                    .and_then(|s| s.get("required"))
                    .and_then(Value::as_array)
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(|n| n.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let checks = BlueprintSchema {
                    properties,
                    required,
                };
                Some((identifier.to_owned(), checks))
            })
            .collect();
        Schemas { blueprints }
    }

    /// Why Port would refuse the entity `body` (`{identifier, blueprint, properties, …}`), if
    /// it would. Entities of blueprints not known here pass: nothing can be predicted.
    pub fn refusal(&self, body: &Value) -> Option<String> {
        let blueprint = body.get("blueprint")?.as_str()?;
        let schema = self.blueprints.get(blueprint)?;
        let empty = Map::new();
        let properties = body
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (name, value) in properties {
            let Some(definition) = schema.properties.get(name) else {
                return Some(format!(
                    "/properties must NOT have additional properties (\"{name}\" is not defined in blueprint {blueprint})"
                ));
            };
            // A null value leaves the property unset.
            if !value.is_null() {
                if let Err(message) = check(&format!("/properties/{name}"), definition, value) {
                    return Some(message);
                }
            }
        }
        schema
            .required
            .iter()
            .find(|name| properties.get(name.as_str()).is_none_or(Value::is_null))
            .map(|name| format!("/properties must have required property '{name}'"))
    }

    /// [`Schemas::refusal`] for the properties `names` only (their value, their requirement):
    /// for the few properties whose definition in Port is known to be stricter than the one
    /// the mapping was built against.
    pub fn refusal_of(&self, body: &Value, names: &[String]) -> Option<String> {
        let blueprint = body.get("blueprint")?.as_str()?;
        let schema = self.blueprints.get(blueprint)?;
        let properties = body.get("properties").and_then(Value::as_object);
        for name in names {
            match properties
                .and_then(|p| p.get(name))
                .filter(|v| !v.is_null())
            {
                Some(value) => {
                    let Some(definition) = schema.properties.get(name) else {
                        continue;
                    };
                    if let Err(message) = check(&format!("/properties/{name}"), definition, value) {
                        return Some(message);
                    }
                }
                None if schema.required.contains(name) => {
                    return Some(format!("/properties must have required property '{name}'"));
                }
                None => {}
            }
        }
        None
    }
}

/// Whether `value` is of the blueprint property type `wanted` (an unknown type matches nothing).
fn is_of_type(value: &Value, wanted: &str) -> bool {
    match wanted {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

/// One value against its property definition; `path` names it in the message.
fn check(path: &str, definition: &Value, value: &Value) -> Result<(), String> {
    let number = |key: &str| definition.get(key).and_then(Value::as_f64);
    let wanted = definition
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    if !is_of_type(value, wanted) {
        return Err(format!("{path} must be {wanted}"));
    }
    if let Some(Value::Array(allowed)) = definition.get("enum") {
        if !allowed.contains(value) {
            return Err(format!("{path} must be equal to one of the allowed values"));
        }
    }
    let (size, unit, min_key, max_key) = match value {
        Value::String(text) => {
            let format = definition.get("format").and_then(Value::as_str);
            if let Some(format) = format.filter(|f| !has_format(f, text)) {
                return Err(format!("{path} must match format \"{format}\""));
            }
            (text.chars().count(), "characters", "minLength", "maxLength")
        }
        Value::Array(items) => {
            // Items are checked only against a typed definition: an untyped one predicts
            // nothing (better a refusal missed than one invented).
            if let Some(item) = definition.get("items").filter(|d| d.get("type").is_some()) {
                for (index, element) in items.iter().enumerate() {
                    check(&format!("{path}/{index}"), item, element)?;
                }
            }
            (items.len(), "items", "minItems", "maxItems")
        }
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or(0.0);
            if let Some(min) = number("minimum").filter(|min| n < *min) {
                return Err(format!("{path} must be >= {min}"));
            }
            if let Some(max) = number("maximum").filter(|max| n > *max) {
                return Err(format!("{path} must be <= {max}"));
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    let size = size as f64;
    if let Some(min) = number(min_key).filter(|min| size < *min) {
        return Err(format!("{path} must NOT have fewer than {min} {unit}"));
    }
    if let Some(max) = number(max_key).filter(|max| size > *max) {
        return Err(format!("{path} must NOT have more than {max} {unit}"));
    }
    Ok(())
}

/// Port's string formats; `user`, `team`, `markdown` and the other free-form ones take any
/// string (Port shows an unknown user as unregistered rather than refusing it).
fn has_format(format: &str, text: &str) -> bool {
    match format {
        "date-time" | "timer" => parse_rfc3339_millis(text).is_some(),
        "url" => is_absolute_uri(text),
        "email" | "idn-email" => is_email(text),
        "ipv4" => text.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => text.parse::<std::net::Ipv6Addr>().is_ok(),
        _ => true,
    }
}

/// `scheme:rest` with a letter-led scheme, no whitespace, and something after `//` if present.
fn is_absolute_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    scheme_ok && !rest.is_empty() && rest != "//" && !text.contains(char::is_whitespace)
}

/// `local@domain`: dot-separated atoms, a domain of at least two labels without edge hyphens.
fn is_email(text: &str) -> bool {
    const ATOM_EXTRAS: &str = "!#$%&'*+/=?^_`{|}~-";
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let atom = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ATOM_EXTRAS.contains(c))
    };
    let label = |part: &str| {
        !part.is_empty()
            && !part.starts_with('-')
            && !part.ends_with('-')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    local.split('.').all(atom) && domain.contains('.') && domain.split('.').all(label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Schemas {
        Schemas::new(&[json!({
            "identifier": "alert",
            "schema": {
                "properties": {
                    "status": {"type": "string", "enum": ["open", "closed"]},
                    "count": {"type": "number", "minimum": 0},
                    "createdAt": {"type": "string", "format": "date-time"},
                    "url": {"type": "string", "format": "url"},
                    "owner": {"type": "string", "format": "email"},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                    "message": {"type": "string", "maxLength": 5}
                },
                "required": ["status"]
            }
        })])
    }

    fn refusal(properties: Value) -> Option<String> {
        let body = json!({"identifier": "a", "blueprint": "alert", "properties": properties});
        schemas().refusal(&body)
    }

    #[test]
    fn valid_entities_pass_and_unknown_properties_do_not() {
        let valid = json!({"status": "open", "count": 3, "createdAt": "2023-09-27T16:07:06.6Z",
                           "url": "https://x.app.opsgenie.com/alert/1", "owner": "a.b@example.com",
                           "tags": ["p1"], "message": null});
        assert_eq!(refusal(valid), None);
        assert_eq!(
            refusal(json!({"status": "open", "createdBy": "x"})).as_deref(),
            Some("/properties must NOT have additional properties (\"createdBy\" is not defined in blueprint alert)")
        );
        // Entities of blueprints not known here cannot be predicted.
        let body = json!({"identifier": "a", "blueprint": "other", "properties": {"x": 1}});
        assert_eq!(schemas().refusal(&body), None);
    }

    #[test]
    fn only_the_named_properties_are_checked() {
        let names = |list: &[&str]| -> Vec<String> { list.iter().map(|n| n.to_string()).collect() };
        let body = json!({"identifier": "a", "blueprint": "alert",
                          "properties": {"status": "acked", "count": -1, "unknown": 1}});
        let schemas = schemas();
        assert_eq!(
            schemas.refusal_of(&body, &names(&["status"])).as_deref(),
            Some("/properties/status must be equal to one of the allowed values")
        );
        assert_eq!(
            schemas.refusal_of(&body, &names(&["count"])).as_deref(),
            Some("/properties/count must be >= 0")
        );
        // Not named: neither the unknown property nor the other values are looked at.
        assert_eq!(
            schemas.refusal_of(&body, &names(&["message", "unknown"])),
            None
        );
        let missing =
            json!({"identifier": "a", "blueprint": "alert", "properties": {"status": null}});
        assert_eq!(
            schemas.refusal_of(&missing, &names(&["status"])).as_deref(),
            Some("/properties must have required property 'status'")
        );
        let other = json!({"identifier": "a", "blueprint": "other", "properties": {"status": 1}});
        assert_eq!(schemas.refusal_of(&other, &names(&["status"])), None);
    }

    #[test]
    fn each_rule_is_reported_with_the_property_path() {
        for (properties, expected) in [
            (
                json!({"status": "acked"}),
                "/properties/status must be equal to one of the allowed values",
            ),
            (json!({"status": 1}), "/properties/status must be string"),
            (
                json!({}),
                "/properties must have required property 'status'",
            ),
            (
                json!({"status": null}),
                "/properties must have required property 'status'",
            ),
            (
                json!({"status": "open", "count": -1}),
                "/properties/count must be >= 0",
            ),
            (
                json!({"status": "open", "createdAt": "yesterday"}),
                "/properties/createdAt must match format \"date-time\"",
            ),
            (
                json!({"status": "open", "url": "not a url"}),
                "/properties/url must match format \"url\"",
            ),
            (
                json!({"status": "open", "owner": "someone"}),
                "/properties/owner must match format \"email\"",
            ),
            (
                json!({"status": "open", "tags": ["a", 2]}),
                "/properties/tags/1 must be string",
            ),
            (
                json!({"status": "open", "tags": ["a", "b", "c"]}),
                "/properties/tags must NOT have more than 2 items",
            ),
            (
                json!({"status": "open", "message": "too long"}),
                "/properties/message must NOT have more than 5 characters",
            ),
        ] {
            assert_eq!(
                refusal(properties.clone()).as_deref(),
                Some(expected),
                "{properties}"
            );
        }
    }
}
