//! A normalised form of a loaded port-app-config, for asking "is the mapping Port holds the one
//! compiled in?".
//!
//! Built from the validated model, so that what does not change what Ocean runs does not
//! count: Ocean's defaults are explicit (`enableMergeEntity`, `deleteDependentEntities`,
//! `createMissingRelatedEntities` true, `entityDeletionThreshold` 0.9, `itemsToParseName`
//! `item`, `itemsToParseTopLevelTransform` true, empty `properties`/`relations`/
//! `exportEnvVariables`, `includeMembers` false), field-name aliases are folded
//! (`enable_merge_entity`, `is_seen`), `null` equals absent for optional leaves, numbers are
//! numbers (`1` and `1.0` alike), and jq leaves are compared as Ocean compiles them: after its
//! quote rewrite, trimmed. Unknown keys, which Ocean ignores, are not part of it. JSON object
//! equality ignores key order.

use super::jqtext::JqSource;
use super::model::*;
use serde_json::{json, Map, Value};

/// The normalised form of `config`.
pub fn canonical(config: &AppConfig) -> Value {
    json!({
        "enableMergeEntity": config.enable_merge_entity,
        "deleteDependentEntities": config.delete_dependent_entities,
        "createMissingRelatedEntities": config.create_missing_related_entities,
        "entityDeletionThreshold": config.entity_deletion_threshold,
        "resources": config.resources.iter().map(resource).collect::<Vec<_>>(),
    })
}

fn resource(r: &Resource) -> Value {
    json!({
        "kind": r.kind,
        "selector": selector(&r.kind, &r.selector),
        "port": port(&r.port),
    })
}

fn selector(kind: &str, s: &Selector) -> Value {
    let mut out = Map::new();
    out.insert("query".into(), jq(&s.query));
    out.insert(
        "exportEnvVariables".into(),
        json!(s.options.export_env_variables),
    );
    // Only the options the kind has (others were reported and are ignored, as in Ocean).
    match kind {
        "team" => {
            out.insert(
                "includeMembers".into(),
                json!(s.options.include_members.unwrap_or(false)),
            );
        }
        "schedule" => {
            out.insert(
                "apiQueryParams".into(),
                json!({ "expand": s.options.expand }),
            );
        }
        "alert" | "incident" => {
            let params: Map<String, Value> = s
                .options
                .api_query_params
                .iter()
                .map(|p| (p.name.clone(), param(&p.value)))
                .collect();
            out.insert("apiQueryParams".into(), Value::Object(params));
        }
        _ => {}
    }
    Value::Object(out)
}

fn param(v: &ParamValue) -> Value {
    match v {
        ParamValue::Str(s) => json!(s),
        ParamValue::Bool(b) => json!(b),
        ParamValue::Num(n) => json!(n),
    }
}

fn port(p: &PortSection) -> Value {
    let mut out = Map::new();
    if let Some(items) = &p.items_to_parse {
        out.insert("itemsToParse".into(), jq(items));
    }
    out.insert("itemsToParseName".into(), json!(p.items_to_parse_name));
    out.insert(
        "itemsToParseTopLevelTransform".into(),
        json!(p.items_to_parse_top_level_transform),
    );
    out.insert("entity".into(), json!({ "mappings": mappings(&p.entity) }));
    Value::Object(out)
}

fn mappings(m: &EntityMappings) -> Value {
    let mut out = Map::new();
    out.insert("identifier".into(), value(&m.identifier));
    out.insert("blueprint".into(), jq(&m.blueprint));
    if let Some(t) = &m.title {
        out.insert("title".into(), jq(t));
    }
    if let Some(i) = &m.icon {
        out.insert("icon".into(), jq(i));
    }
    if let Some(t) = &m.team {
        out.insert("team".into(), value(t));
    }
    let properties: Map<String, Value> = m
        .properties
        .iter()
        .map(|(name, _, src)| (name.clone(), jq(src)))
        .collect();
    out.insert("properties".into(), Value::Object(properties));
    let relations: Map<String, Value> = m
        .relations
        .iter()
        .map(|(name, _, v)| (name.clone(), value(v)))
        .collect();
    out.insert("relations".into(), Value::Object(relations));
    Value::Object(out)
}

fn value(v: &MappingValue) -> Value {
    match v {
        MappingValue::Jq(src) => jq(src),
        MappingValue::Search(q) => search(q),
    }
}

fn search(q: &SearchQuery) -> Value {
    let rules: Vec<Value> = q
        .rules
        .iter()
        .map(|r| match r {
            SearchRule::Rule {
                property,
                operator,
                value,
            } => json!({
                "property": jq(property),
                "operator": jq(operator),
                "value": jq(value),
            }),
            SearchRule::Query(inner) => search(inner),
        })
        .collect();
    json!({ "combinator": jq(&q.combinator), "rules": rules })
}

/// A leaf as Ocean compiles it (quote rewrite, trimmed); a number literal in canonical form,
/// so that `1`, `1.0` and `"1"` (which all yield the number one) compare equal.
fn jq(src: &JqSource) -> Value {
    let text = src.text.trim();
    Value::String(canonical_number(text).unwrap_or_else(|| text.to_string()))
}

fn canonical_number(text: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Number>(text).ok()?;
    let n: f64 = text.parse().ok()?;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: integers up to here are exact in f64
    Some(if n.fract() == 0.0 && n.abs() < EXACT {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_leaves_are_canonical() {
        assert_eq!(canonical_number("1.0").as_deref(), Some("1"));
        assert_eq!(canonical_number("1").as_deref(), Some("1"));
        assert_eq!(canonical_number("-2.50").as_deref(), Some("-2.5"));
        assert_eq!(canonical_number("1e2").as_deref(), Some("100"));
        assert_eq!(canonical_number(".id"), None);
        assert_eq!(canonical_number("1 + 1"), None);
    }
}
