//! Compiled mappings as the rest of the runtime sees them: a [`Registry`] of resources, each with
//! a generated `map` function from a raw Opsgenie item to an entity outcome, following Port
//! Ocean's rules (first output per field, errors and missing outputs become `null` plus a note,
//! the selector must yield a boolean, identifier and blueprint must be truthy, `itemsToParse`
//! fans out).

use crate::jq::{self, Map, Projection, Value};

/// Everything a build compiled from one mapping directory.
#[derive(Debug)]
pub struct Registry {
    /// The mapping directory the code was generated from (as given to the build).
    pub source: &'static str,
    pub enable_merge_entity: bool,
    pub delete_dependent_entities: bool,
    pub create_missing_related_entities: bool,
    pub entity_deletion_threshold: f64,
    pub resources: &'static [Resource],
    /// The blueprints as a JSON array (Port's blueprint definitions).
    pub blueprints_json: &'static str,
    /// The port-app-config as JSON, the shape Port stores in `integration.config`.
    pub app_config_json: &'static str,
}

/// One entry of `resources:`.
#[derive(Debug)]
pub struct Resource {
    pub index: usize,
    pub kind: &'static str,
    /// The blueprint, when the mapping's `blueprint` is a constant string.
    pub blueprint: Option<&'static str>,
    pub options: SelectorOptions,
    /// Enrichment fields (`__team`, `__incidents`, …) some expression of this resource reads.
    pub enrichments: &'static [&'static str],
    /// The part of a raw item the expressions read; decoding may skip the rest.
    pub projection: &'static Projection,
    pub items_to_parse: Option<ItemsToParse>,
    /// `selector.query` on one item (after `itemsToParse` fan-out): `Ok(true)` to map it.
    pub select: fn(&Value) -> Result<bool, String>,
    /// Maps one item (after fan-out) to an entity outcome; does not look at the selector.
    pub map: fn(&Value) -> Mapped,
    /// Field names in generated order (`identifier`, `properties.status`, …), for reports.
    pub fields: &'static [&'static str],
}

/// Kind-specific selector keys.
#[derive(Debug, Default)]
pub struct SelectorOptions {
    pub include_members: Option<bool>,
    /// `apiQueryParams` as Opsgenie search terms: `(camelCase field, value)`.
    pub api_query: &'static [(&'static str, &'static str)],
    pub expand: Option<&'static str>,
}

/// `port.itemsToParse`.
#[derive(Debug)]
pub struct ItemsToParse {
    /// The first output of the `itemsToParse` expression.
    pub items: fn(&Value) -> jq::R<Option<Value>>,
    /// `itemsToParseName` (default `item`).
    pub name: &'static str,
    /// With `itemsToParseTopLevelTransform`, this path is removed from the parent copy.
    pub remove_path: Option<&'static [&'static str]>,
}

/// The result of mapping one item.
#[derive(Debug, Clone)]
pub struct Mapped {
    pub outcome: Outcome,
    /// Fields that produced no output or an error (Ocean logs these as misconfigurations and
    /// sends `null`).
    pub notes: Vec<FieldNote>,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Entity(Entity),
    /// The selector yielded `false`: not an error.
    Filtered,
    /// The selector did not yield a boolean (Ocean counts this as an error for the resync).
    SelectorError(String),
    /// Identifier or blueprint not truthy: skipped, counted, not an error (Ocean's rule).
    Skipped(&'static str),
}

/// A Port entity built by a mapping.
#[derive(Debug, Clone)]
pub struct Entity {
    pub identifier: Value,
    pub blueprint: Value,
    pub title: Option<Value>,
    pub icon: Option<Value>,
    pub team: Option<Value>,
    pub properties: Vec<(&'static str, Value)>,
    pub relations: Vec<(&'static str, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldNote {
    pub field: &'static str,
    /// `None`: the expression produced no output; `Some(message)`: it raised this error.
    pub error: Option<String>,
}

impl Entity {
    /// The entity as Port's API takes it (and as `opsgenie-port map` prints it): keys that the
    /// mapping does not set are absent; `properties` and `relations` always present.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(7);
        m.insert("identifier", self.identifier.clone());
        if let Some(t) = &self.title {
            m.insert("title", t.clone());
        }
        m.insert("blueprint", self.blueprint.clone());
        if let Some(i) = &self.icon {
            m.insert("icon", i.clone());
        }
        if let Some(t) = &self.team {
            m.insert("team", t.clone());
        }
        let mut props = Map::with_capacity(self.properties.len());
        for (k, v) in &self.properties {
            props.insert(*k, v.clone());
        }
        m.insert("properties", Value::from(props));
        let mut rels = Map::with_capacity(self.relations.len());
        for (k, v) in &self.relations {
            rels.insert(*k, v.clone());
        }
        m.insert("relations", Value::from(rels));
        Value::from(m)
    }

    /// Port's wire JSON (numbers as Ocean sends them), the same document as [`Entity::to_value`]
    /// written directly: this runs once per synced item, so no intermediate map is built.
    pub fn to_port_json(&self) -> Vec<u8> {
        let mut out = String::with_capacity(1024);
        let field = |out: &mut String, name: &str, v: &Value, first: bool| {
            if !first {
                out.push(',');
            }
            jq::write_port_string(name, out);
            out.push(':');
            jq::write_port(v, out);
        };
        out.push('{');
        field(&mut out, "identifier", &self.identifier, true);
        if let Some(t) = &self.title {
            field(&mut out, "title", t, false);
        }
        field(&mut out, "blueprint", &self.blueprint, false);
        if let Some(i) = &self.icon {
            field(&mut out, "icon", i, false);
        }
        if let Some(t) = &self.team {
            field(&mut out, "team", t, false);
        }
        for (name, values) in [
            ("properties", &self.properties),
            ("relations", &self.relations),
        ] {
            out.push(',');
            jq::write_port_string(name, &mut out);
            out.push_str(":{");
            // Later entries win, as when inserting into a map (a mapping cannot repeat a key).
            for (i, (k, v)) in values.iter().enumerate() {
                field(&mut out, k, v, i == 0);
            }
            out.push('}');
        }
        out.push('}');
        out.into_bytes()
    }

    /// The identifier as a string key (Ocean normalises identifiers to strings for diffing).
    pub fn identifier_key(&self) -> String {
        match &self.identifier {
            Value::String(s) => s.to_string(),
            other => jq::tojson_string(other),
        }
    }

    pub fn blueprint_name(&self) -> String {
        match &self.blueprint {
            Value::String(s) => s.to_string(),
            other => jq::tojson_string(other),
        }
    }
}

impl Resource {
    /// Maps one raw item the way a resync does: `itemsToParse` fan-out, then the selector, then
    /// the mapping. One [`Mapped`] per produced item.
    pub fn map_raw(&self, raw: &Value) -> Vec<Mapped> {
        self.expand(raw)
            .into_iter()
            .map(|item| match item {
                Err(skipped) => *skipped,
                Ok(item) => match (self.select)(&item) {
                    Ok(true) => (self.map)(&item),
                    Ok(false) => Mapped {
                        outcome: Outcome::Filtered,
                        notes: Vec::new(),
                    },
                    Err(message) => Mapped {
                        outcome: Outcome::SelectorError(message),
                        notes: Vec::new(),
                    },
                },
            })
            .collect()
    }

    /// `itemsToParse` fan-out: the items to map, or one skipped outcome when the expression
    /// does not yield an array.
    pub fn expand(&self, raw: &Value) -> Vec<Result<Value, Box<Mapped>>> {
        let Some(items) = &self.items_to_parse else {
            return vec![Ok(raw.clone())];
        };
        let skipped = |reason: &'static str, error: Option<String>| {
            vec![Err(Box::new(Mapped {
                outcome: Outcome::Skipped(reason),
                notes: vec![FieldNote {
                    field: "itemsToParse",
                    error,
                }],
            }))]
        };
        let list = match (items.items)(raw) {
            Ok(Some(Value::Array(list))) => list,
            Ok(other) => {
                return skipped(
                    "itemsToParse did not yield an array",
                    other.map(|v| format!("not an array: {}", jq::tojson_string(&v))),
                )
            }
            Err(e) => return skipped("itemsToParse raised an error", Some(e.message())),
        };
        let parent = match items.remove_path {
            Some(path) => remove_path(raw, path),
            None => raw.clone(),
        };
        let Value::Object(parent) = parent else {
            return Vec::new();
        };
        list.iter()
            .map(|element| {
                let mut item: Map = Map::clone(&parent);
                item.insert(items.name, element.clone());
                Ok(Value::from(item))
            })
            .collect()
    }
}

fn remove_path(v: &Value, path: &[&str]) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return Value::Null;
    };
    match v {
        Value::Object(map) => {
            let mut map = Map::clone(map);
            if rest.is_empty() {
                map.remove(first);
            } else if let Some(child) = map.get(first).cloned() {
                map.insert(*first, remove_path(&child, rest));
            }
            Value::from(map)
        }
        other => other.clone(),
    }
}

/// Helpers the generated `map` functions call.
#[doc(hidden)]
pub mod build {
    use super::*;

    /// Ocean's rule for one field: the first output, or `null` with a note.
    pub fn field(
        notes: &mut Vec<FieldNote>,
        name: &'static str,
        result: jq::R<Option<Value>>,
    ) -> Value {
        match result {
            Ok(Some(v)) => v,
            Ok(None) => {
                notes.push(FieldNote {
                    field: name,
                    error: None,
                });
                Value::Null
            }
            Err(e) => {
                notes.push(FieldNote {
                    field: name,
                    error: Some(e.message()),
                });
                Value::Null
            }
        }
    }

    /// The selector: `Ok(true)` to map, `Ok(false)` filtered, `Err` when not a boolean.
    pub fn selector(result: jq::R<Option<Value>>) -> Result<bool, String> {
        match result {
            Ok(Some(Value::Bool(b))) => Ok(b),
            Ok(Some(other)) => Err(format!(
                "selector.query must yield a boolean, got {}",
                jq::tojson_string(&other)
            )),
            Ok(None) => Err("selector.query produced no output".into()),
            Err(e) => Err(format!("selector.query raised: {}", e.message())),
        }
    }

    /// Finishes an entity: Ocean keeps it only when identifier and blueprint are truthy.
    pub fn finish(entity: Entity, notes: Vec<FieldNote>) -> Mapped {
        let outcome = if !jq::truthy(&entity.identifier) {
            Outcome::Skipped("identifier is null or false")
        } else if !jq::truthy(&entity.blueprint) {
            Outcome::Skipped("blueprint is null or false")
        } else {
            Outcome::Entity(entity)
        };
        Mapped { outcome, notes }
    }

    /// A search-query value (`{combinator, rules}`) from already evaluated leaves.
    pub fn object(entries: Vec<(&'static str, Value)>) -> Value {
        let mut m = Map::with_capacity(entries.len());
        for (k, v) in entries {
            m.insert(k, v);
        }
        Value::from(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_json_is_to_value_written_out() {
        let entity = Entity {
            identifier: Value::from("a\"1"),
            blueprint: Value::from("bp"),
            title: Some(Value::Null),
            icon: None,
            team: Some(Value::from(vec![Value::from("t")])),
            properties: vec![("n", Value::number(5.0)), ("f", Value::number(0.5))],
            relations: vec![("r", Value::from("x"))],
        };
        let mut want = Vec::new();
        jq::write_port_json(&entity.to_value(), &mut want);
        assert_eq!(
            String::from_utf8(entity.to_port_json()),
            String::from_utf8(want)
        );
    }
}
