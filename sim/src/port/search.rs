//! Port's search-query language (`{combinator, rules}`), the two search routes, and the
//! datasource listing Ocean uses to find the entities it owns.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::http::{json_body, object_body, ok, ApiError, ApiResult, Query};
use super::store::{Store, StoredEntity};
use super::time::{format_iso, parse_iso_lenient};
use super::App;

/// A compiled query.
#[derive(Debug, Clone)]
pub enum Node {
    Group {
        all: bool,
        rules: Vec<Node>,
    },
    Rule {
        property: String,
        op: Op,
        value: Value,
    },
    RelatedTo {
        blueprint: String,
        ids: Vec<String>,
        direction: Option<Direction>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The matched entity points at the given one.
    Upstream,
    /// The given entity points at the matched one.
    Downstream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    In,
    NotIn,
    Contains,
    DoesNotContain,
    ContainsAny,
    BeginsWith,
    DoesNotBeginWith,
    EndsWith,
    DoesNotEndWith,
    Gt,
    Ge,
    Lt,
    Le,
    IsEmpty,
    IsNotEmpty,
    Between,
    NotBetween,
}

impl Op {
    fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "=" => Op::Eq,
            "!=" => Op::Ne,
            "in" => Op::In,
            "notIn" => Op::NotIn,
            "contains" => Op::Contains,
            "doesNotContains" => Op::DoesNotContain,
            "containsAny" => Op::ContainsAny,
            "beginsWith" => Op::BeginsWith,
            "doesNotBeginsWith" => Op::DoesNotBeginWith,
            "endsWith" => Op::EndsWith,
            "doesNotEndsWith" => Op::DoesNotEndWith,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "isEmpty" => Op::IsEmpty,
            "isNotEmpty" => Op::IsNotEmpty,
            "between" => Op::Between,
            "notBetween" => Op::NotBetween,
            _ => return None,
        })
    }

    fn needs_value(self) -> bool {
        !matches!(self, Op::IsEmpty | Op::IsNotEmpty)
    }
}

/// Compiles a query; errors are ajv-style messages about `path`.
pub fn compile(query: &Value, path: &str) -> Result<Node, String> {
    let Value::Object(query) = query else {
        return Err(format!("\"{path}\" must be object"));
    };
    let all = match query.get("combinator") {
        Some(Value::String(c)) if c == "and" => true,
        Some(Value::String(c)) if c == "or" => false,
        Some(_) => {
            return Err(format!(
                "\"{path}/combinator\" must be equal to one of the allowed values (and, or)"
            ))
        }
        None => {
            return Err(format!(
                "\"{path}\" must have required property 'combinator'"
            ))
        }
    };
    let rules = match query.get("rules") {
        Some(Value::Array(rules)) => rules,
        Some(_) => return Err(format!("\"{path}/rules\" must be array")),
        None => return Err(format!("\"{path}\" must have required property 'rules'")),
    };
    let rules = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| compile_rule(rule, &format!("{path}/rules/{index}")))
        .collect::<Result<_, _>>()?;
    Ok(Node::Group { all, rules })
}

fn compile_rule(rule: &Value, path: &str) -> Result<Node, String> {
    if rule.get("combinator").is_some() {
        return compile(rule, path);
    }
    let Value::Object(rule) = rule else {
        return Err(format!("\"{path}\" must be object"));
    };
    let operator = rule
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("\"{path}\" must have required property 'operator'"))?;
    if operator == "relatedTo" {
        let blueprint = rule
            .get("blueprint")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("\"{path}\" must have required property 'blueprint'"))?;
        let ids = match rule.get("value") {
            Some(Value::String(id)) => vec![id.clone()],
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|id| id.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| format!("\"{path}/value\" must be string or array of strings"))?,
            _ => return Err(format!("\"{path}\" must have required property 'value'")),
        };
        let direction = match rule.get("direction").and_then(Value::as_str) {
            None => None,
            Some("upstream") => Some(Direction::Upstream),
            Some("downstream") => Some(Direction::Downstream),
            Some(_) => {
                return Err(format!(
                    "\"{path}/direction\" must be equal to one of the allowed values"
                ))
            }
        };
        return Ok(Node::RelatedTo {
            blueprint: blueprint.to_string(),
            ids,
            direction,
        });
    }
    let op = Op::parse(operator)
        .ok_or_else(|| format!("\"{path}/operator\" must be equal to one of the allowed values"))?;
    let property = match rule.get("property") {
        Some(Value::String(property)) => property.clone(),
        Some(Value::Object(_)) => {
            return Err(format!(
                "\"{path}/property\": user-context properties are not supported by the simulator"
            ))
        }
        _ => return Err(format!("\"{path}\" must have required property 'property'")),
    };
    let value = rule.get("value").cloned().unwrap_or(Value::Null);
    if op.needs_value() && !rule.contains_key("value") {
        return Err(format!("\"{path}\" must have required property 'value'"));
    }
    if matches!(op, Op::In | Op::NotIn | Op::ContainsAny) && !value.is_array() {
        return Err(format!("\"{path}/value\" must be array"));
    }
    if matches!(op, Op::Between | Op::NotBetween) {
        let bound = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .and_then(parse_iso_lenient)
        };
        if bound("from").is_none() || bound("to").is_none() {
            return Err(format!(
                "\"{path}/value\" must be {{from, to}} date-times (presets are not supported by the simulator)"
            ));
        }
    }
    Ok(Node::Rule {
        property,
        op,
        value,
    })
}

/// The value a rule's `property` names on an entity (meta-properties start with `$`).
fn lookup(blueprint: &str, entity: &StoredEntity, property: &str) -> Value {
    match property {
        "$identifier" => Value::String(entity.identifier.clone()),
        "$title" => entity.title.clone().map_or(Value::Null, Value::String),
        "$icon" => entity.icon.clone().map_or(Value::Null, Value::String),
        "$blueprint" => Value::String(blueprint.to_string()),
        "$datasource" => Value::String(entity.datasource.clone()),
        "$team" => json!(entity.team),
        "$createdAt" => Value::String(format_iso(entity.created_at)),
        "$updatedAt" => Value::String(format_iso(entity.updated_at)),
        "$createdBy" => Value::String(entity.created_by.clone()),
        "$updatedBy" => Value::String(entity.updated_by.clone()),
        name => entity
            .properties
            .get(name)
            .or_else(|| entity.relations.get(name))
            .cloned()
            .unwrap_or(Value::Null),
    }
}

fn text_test(actual: &Value, expected: &Value, test: impl Fn(&str, &str) -> bool) -> bool {
    let Some(expected) = expected.as_str() else {
        return false;
    };
    match actual {
        Value::String(text) => test(text, expected),
        Value::Array(items) => items
            .iter()
            .any(|item| item.as_str().is_some_and(|text| test(text, expected))),
        _ => false,
    }
}

/// Orders numbers as numbers and date-time strings as instants.
fn compare(actual: &Value, expected: &Value) -> Option<std::cmp::Ordering> {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => {
            match (parse_iso_lenient(a), parse_iso_lenient(b)) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => Some(a.cmp(b)),
            }
        }
        _ => None,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn rule_matches(op: Op, actual: &Value, expected: &Value) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let listed = |list: &Value| {
        let list = list.as_array().map(Vec::as_slice).unwrap_or_default();
        match actual {
            Value::Array(items) => items.iter().any(|item| list.contains(item)),
            single => list.contains(single),
        }
    };
    match op {
        Op::Eq => actual == expected,
        Op::Ne => actual != expected,
        Op::In => listed(expected),
        Op::NotIn => !listed(expected),
        Op::Contains => text_test(actual, expected, |a, e| a.contains(e)),
        Op::DoesNotContain => !text_test(actual, expected, |a, e| a.contains(e)),
        Op::ContainsAny => expected.as_array().is_some_and(|options| {
            options
                .iter()
                .any(|option| text_test(actual, option, |a, e| a.contains(e)))
        }),
        Op::BeginsWith => text_test(actual, expected, |a, e| a.starts_with(e)),
        Op::DoesNotBeginWith => !text_test(actual, expected, |a, e| a.starts_with(e)),
        Op::EndsWith => text_test(actual, expected, |a, e| a.ends_with(e)),
        Op::DoesNotEndWith => !text_test(actual, expected, |a, e| a.ends_with(e)),
        Op::Gt => compare(actual, expected) == Some(Greater),
        Op::Ge => matches!(compare(actual, expected), Some(Greater | Equal)),
        Op::Lt => compare(actual, expected) == Some(Less),
        Op::Le => matches!(compare(actual, expected), Some(Less | Equal)),
        Op::IsEmpty => is_empty(actual),
        Op::IsNotEmpty => !is_empty(actual),
        Op::Between | Op::NotBetween => {
            let at = actual.as_str().and_then(parse_iso_lenient);
            let bound = |key: &str| {
                expected
                    .get(key)
                    .and_then(Value::as_str)
                    .and_then(parse_iso_lenient)
            };
            let inside = match (at, bound("from"), bound("to")) {
                (Some(at), Some(from), Some(to)) => from <= at && at <= to,
                _ => false,
            };
            inside == (op == Op::Between)
        }
    }
}

/// Whether an entity of `blueprint` matches a compiled query.
pub fn matches(node: &Node, store: &Store, blueprint: &str, entity: &StoredEntity) -> bool {
    match node {
        Node::Group { all: true, rules } => {
            rules.iter().all(|r| matches(r, store, blueprint, entity))
        }
        Node::Group { all: false, rules } => {
            rules.iter().any(|r| matches(r, store, blueprint, entity))
        }
        Node::Rule {
            property,
            op,
            value,
        } => rule_matches(*op, &lookup(blueprint, entity, property), value),
        Node::RelatedTo {
            blueprint: other,
            ids,
            direction,
        } => {
            let points_at_other = || {
                store
                    .relations_of(blueprint)
                    .iter()
                    .filter(|(_, target, _)| target == other)
                    .any(|(rel, _, _)| {
                        entity
                            .relation_targets(rel)
                            .iter()
                            .any(|id| ids.iter().any(|want| want == id))
                    })
            };
            let other_points_here = || {
                ids.iter().any(|id| {
                    store
                        .dependents_of(blueprint, &entity.identifier)
                        .iter()
                        .any(|(bp, dep)| bp == other && dep == id)
                })
            };
            match direction {
                Some(Direction::Upstream) => points_at_other(),
                Some(Direction::Downstream) => other_points_here(),
                None => points_at_other() || other_points_here(),
            }
        }
    }
}

/// Identifiers of `blueprint`'s entities matching `query` (422 when the query is malformed).
pub fn matching_ids(
    store: &Store,
    blueprint: &str,
    query: &Value,
) -> Result<Vec<String>, ApiError> {
    let node = compile(query, "query").map_err(ApiError::invalid)?;
    Ok(store
        .entities
        .get(blueprint)
        .into_iter()
        .flat_map(|entities| entities.values())
        .filter(|entity| matches(&node, store, blueprint, entity))
        .map(|entity| entity.identifier.clone())
        .collect())
}

/// Keeps only `include` paths (`identifier`, `properties.x`, `$title`, …) and drops `exclude`.
pub fn project(entity: Value, include: &[String], exclude: &[String]) -> Value {
    let Value::Object(full) = entity else {
        return entity;
    };
    let split = |path: &str| -> (String, Option<String>) {
        let path = path.strip_prefix('$').unwrap_or(path);
        match path.split_once('.') {
            Some((head, rest)) => (head.to_string(), Some(rest.to_string())),
            None => (path.to_string(), None),
        }
    };
    let mut out = if include.is_empty() {
        full.clone()
    } else {
        let mut picked = Map::new();
        for path in include {
            let (head, rest) = split(path);
            let Some(value) = full.get(&head) else {
                continue;
            };
            match (rest, value) {
                (None, value) => {
                    picked.insert(head, value.clone());
                }
                (Some(key), Value::Object(inner)) => {
                    let slot = picked
                        .entry(head)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let (Value::Object(slot), Some(v)) = (slot, inner.get(&key)) {
                        slot.insert(key, v.clone());
                    }
                }
                _ => {}
            }
        }
        picked
    };
    for path in exclude {
        match split(path) {
            (head, None) => {
                out.remove(&head);
            }
            (head, Some(key)) => {
                if let Some(Value::Object(inner)) = out.get_mut(&head) {
                    inner.remove(&key);
                }
            }
        }
    }
    Value::Object(out)
}

/// `POST /v1/entities/search`: the body is the query; not paginated.
pub(crate) async fn search_all(
    State(app): State<Arc<App>>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let body = json_body(&body)?;
    let node = compile(&body, "body").map_err(ApiError::invalid)?;
    let (include, exclude) = (query.all("include"), query.all("exclude"));
    let store = app.store();
    let entities: Vec<Value> = narrowed(&node, &store)
        .filter(|(bp, entity)| matches(&node, &store, bp, entity))
        .map(|(bp, entity)| project(entity.to_json(bp), &include, &exclude))
        .collect();
    Ok(ok(StatusCode::OK, json!({"entities": entities})))
}

/// The entities a query can match, narrowed the way Port's indexes would: an `and` group with
/// `$blueprint =` reads one blueprint, with `$identifier in`/`=` only those identifiers. Every
/// candidate is still checked with [`matches`]; this only keeps a search from scanning the
/// whole store (Ocean-style lookups of 50 identifiers against 100k entities).
fn narrowed<'a>(
    node: &Node,
    store: &'a Store,
) -> Box<dyn Iterator<Item = (&'a String, &'a StoredEntity)> + 'a> {
    let Node::Group { all: true, rules } = node else {
        return Box::new(store.all_entities());
    };
    let rule = |name: &str| {
        rules.iter().find_map(|rule| match rule {
            Node::Rule {
                property,
                op,
                value,
            } if property == name => Some((*op, value)),
            _ => None,
        })
    };
    let Some((Op::Eq, Value::String(blueprint))) = rule("$blueprint") else {
        return Box::new(store.all_entities());
    };
    let Some((blueprint, entities)) = store.entities.get_key_value(blueprint) else {
        return Box::new(std::iter::empty());
    };
    // Owned and deduplicated: each entity once, as a scan would give it.
    let ids: Option<std::collections::BTreeSet<String>> = match rule("$identifier") {
        Some((Op::In, Value::Array(ids))) => Some(
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        Some((Op::Eq, Value::String(id))) => Some([id.clone()].into()),
        _ => None,
    };
    match ids {
        Some(ids) => Box::new(
            ids.into_iter()
                .filter_map(move |id| entities.get(&id))
                .map(move |entity| (blueprint, entity)),
        ),
        None => Box::new(entities.values().map(move |entity| (blueprint, entity))),
    }
}

/// `POST /v1/blueprints/{bp}/entities/search`: `{query?, include?, exclude?, limit, from?}`.
pub(crate) async fn search_blueprint(
    State(app): State<Arc<App>>,
    Path(blueprint): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = object_body(&body)?;
    let node = match body.get("query") {
        None => None,
        Some(query) => Some(compile(query, "body/query").map_err(ApiError::invalid)?),
    };
    let strings = |key: &str| -> Result<Vec<String>, ApiError> {
        match body.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| ApiError::invalid(format!("body/{key} must be array of strings"))),
            Some(_) => Err(ApiError::invalid(format!("body/{key} must be array"))),
        }
    };
    let (include, exclude) = (strings("include")?, strings("exclude")?);
    let limit = page_limit(body.get("limit"), 200, 1000)?;
    let from = cursor_of(body.get("from"))?;
    let store = app.store();
    if !store.blueprints.contains_key(&blueprint) {
        return Err(ApiError::not_found(format!(
            "Blueprint with identifier \"{blueprint}\" was not found"
        )));
    }
    let mut matched = store
        .entities
        .get(&blueprint)
        .into_iter()
        .flat_map(|all| all.values())
        .filter(|e| {
            from.as_deref()
                .is_none_or(|from| e.identifier.as_str() > from)
        })
        .filter(|e| {
            node.as_ref()
                .is_none_or(|n| matches(n, &store, &blueprint, e))
        });
    let page: Vec<&StoredEntity> = matched.by_ref().take(limit).collect();
    let next = match (matched.next(), page.last()) {
        (Some(_), Some(last)) => Value::String(to_hex(&last.identifier)),
        _ => Value::Null,
    };
    let entities: Vec<Value> = page
        .iter()
        .map(|e| project(e.to_json(&blueprint), &include, &exclude))
        .collect();
    Ok(ok(
        StatusCode::OK,
        json!({"entities": entities, "next": next}),
    ))
}

/// `POST /v1/blueprints/entities/datasource-entities`: entities whose `$datasource` starts with
/// `datasource_prefix` and ends with `datasource_suffix`, last updated before `before`, in
/// pages of `limit` continued with `from`.
pub(crate) async fn datasource_entities(State(app): State<Arc<App>>, body: Bytes) -> ApiResult {
    let body = object_body(&body)?;
    let text = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::invalid(format!("body/{key} must be string"))),
    };
    let (prefix, suffix) = (text("datasource_prefix")?, text("datasource_suffix")?);
    let before = match body.get("before") {
        None | Some(Value::Null) => None,
        Some(Value::String(at)) => Some(
            parse_iso_lenient(at)
                .ok_or_else(|| ApiError::invalid("body/before must match format \"date-time\""))?,
        ),
        Some(_) => return Err(ApiError::invalid("body/before must be string")),
    };
    let limit = page_limit(body.get("limit"), 5000, 10_000)?;
    let from = cursor_of(body.get("from"))?;
    let store = app.store();
    let mut matched = after_cursor(&store, from.as_deref()).filter(|(_, e)| {
        e.datasource.starts_with(&prefix)
            && e.datasource.ends_with(&suffix)
            && e.datasource.len() >= prefix.len() + suffix.len()
            && before.is_none_or(|before| e.updated_at < before)
    });
    let page: Vec<(&String, &StoredEntity)> = matched.by_ref().take(limit).collect();
    let next = match (matched.next(), page.last()) {
        (Some(_), Some((bp, last))) => Value::String(to_hex(&cursor_key(bp, &last.identifier))),
        _ => Value::Null,
    };
    let entities: Vec<Value> = page.iter().map(|(bp, e)| e.to_json(bp)).collect();
    Ok(ok(
        StatusCode::OK,
        json!({"entities": entities, "next": next}),
    ))
}

/// Every entity after the cursor `from` (a [`cursor_key`]), in the store's order, without
/// scanning those before it: a listing of 100k entities in pages stays linear.
fn after_cursor<'a>(
    store: &'a Store,
    from: Option<&'a str>,
) -> impl Iterator<Item = (&'a String, &'a StoredEntity)> + 'a {
    use std::ops::Bound::{Excluded, Unbounded};
    let from = from.map(|from| from.split_once('\u{0}').unwrap_or((from, "")));
    let blueprints = match from {
        Some((blueprint, _)) => store
            .entities
            .range::<str, _>((std::ops::Bound::Included(blueprint), Unbounded)),
        None => store.entities.range::<str, _>(..),
    };
    blueprints.flat_map(move |(bp, entities)| {
        let rest = match from {
            Some((blueprint, id)) if blueprint == bp => {
                entities.range::<str, _>((Excluded(id), Unbounded))
            }
            _ => entities.range::<str, _>(..),
        };
        rest.map(move |(_, entity)| (bp, entity))
    })
}

/// Sorts like the store's iteration order (blueprint, then identifier).
fn cursor_key(blueprint: &str, identifier: &str) -> String {
    format!("{blueprint}\u{0}{identifier}")
}

fn page_limit(value: Option<&Value>, default: usize, max: usize) -> Result<usize, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 && n as usize <= max => Ok(n as usize),
            _ => Err(ApiError::invalid(format!(
                "body/limit must be an integer from 1 to {max}"
            ))),
        },
    }
}

/// Decodes a `from` cursor (opaque hex of the last key served).
fn cursor_of(value: Option<&Value>) -> Result<Option<String>, ApiError> {
    let bad = || ApiError::invalid("body/from is not a cursor returned as `next`");
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(hex)) => from_hex(hex).map(Some).ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

fn to_hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(hex: &str) -> Option<String> {
    if hex.len() % 2 != 0 || !hex.is_ascii() {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests;
