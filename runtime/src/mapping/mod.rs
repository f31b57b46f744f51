//! Mappings as the rest of the runtime sees them: a [`Mapping`] of resources whose jq leaves are
//! either functions generated at build time or programs compiled at run time and interpreted
//! (a mapping edited in Port). Everything else — Port Ocean's rules for turning a raw Opsgenie
//! item into an entity — is implemented once here for both: first output per field, errors and
//! missing outputs become `null` plus a note, the selector must yield a boolean, identifier and
//! blueprint must be truthy, `itemsToParse` fans out.

mod interpreted;

use crate::jq::{self, Map, Projection, Value};
use opsgenie_port_compiler::backend::interp::Program;
use std::sync::{Arc, RwLock};

/// A whole port-app-config, ready to run.
#[derive(Debug)]
pub struct Mapping {
    pub origin: Origin,
    pub enable_merge_entity: bool,
    pub delete_dependent_entities: bool,
    pub create_missing_related_entities: bool,
    pub entity_deletion_threshold: f64,
    pub resources: Vec<Resource>,
    /// The blueprints the mapping was checked against, as a JSON array.
    pub blueprints_json: String,
    /// The port-app-config as JSON, the shape Port stores in `integration.config`.
    pub app_config_json: String,
    /// The Opsgenie schemas `(kind, JSON)` the mapping was checked against; a mapping read from
    /// Port at run time is checked against the compiled mapping's.
    pub schemas: &'static [(&'static str, &'static str)],
}

/// The mapping in use, shared by resyncs and webhook events: replaced as a whole when a resync
/// selects another, so a holder of one [`Current::get`] keeps a consistent mapping throughout.
#[derive(Clone, Debug)]
pub struct Current(Arc<RwLock<Arc<Mapping>>>);

impl Current {
    pub fn new(mapping: Arc<Mapping>) -> Current {
        Current(Arc::new(RwLock::new(mapping)))
    }

    pub fn get(&self) -> Arc<Mapping> {
        // A poisoned lock still holds a whole mapping: it is only ever replaced, never edited.
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set(&self, mapping: Arc<Mapping>) {
        match self.0.write() {
            Ok(mut guard) => *guard = mapping,
            Err(poisoned) => *poisoned.into_inner() = mapping,
        }
    }
}

/// Where a mapping came from, and so which back end runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Rust generated at build time from this mapping directory (as given to the build).
    Compiled { source: &'static str },
    /// The integration's mapping as Port holds it, compiled at run time and interpreted.
    Port,
    /// A mapping directory read at run time, interpreted.
    Dir(String),
}

impl Origin {
    /// `compiled` or `interpreted`: the back end that runs the leaves.
    pub fn backend(&self) -> &'static str {
        match self {
            Origin::Compiled { .. } => "compiled",
            Origin::Port | Origin::Dir(_) => "interpreted",
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Compiled { source } => write!(f, "the compiled mapping ({source})"),
            Origin::Port => f.write_str("the mapping held in Port (interpreted)"),
            Origin::Dir(dir) => write!(f, "the mapping in {dir} (interpreted)"),
        }
    }
}

/// One entry of `resources:`.
#[derive(Clone, Debug)]
pub struct Resource {
    pub index: usize,
    pub kind: &'static str,
    /// The blueprint, when the mapping's `blueprint` is a constant string.
    pub blueprint: Option<String>,
    pub options: SelectorOptions,
    /// Enrichment fields (`__team`, `__incidents`, …) some expression of this resource reads.
    pub enrichments: Vec<&'static str>,
    /// The part of a raw item the expressions read; decoding may skip the rest.
    pub projection: Projection,
    pub items_to_parse: Option<ItemsToParse>,
    /// `selector.query`.
    pub selector: Leaf,
    pub entity: EntityMapping,
}

/// Kind-specific selector keys.
#[derive(Clone, Debug, Default)]
pub struct SelectorOptions {
    pub include_members: Option<bool>,
    /// `apiQueryParams` as Opsgenie search terms: `(camelCase field, value)`.
    pub api_query: Vec<(String, String)>,
    pub expand: Option<String>,
}

/// `port.itemsToParse`.
#[derive(Clone, Debug)]
pub struct ItemsToParse {
    /// Its first output is the list to fan out.
    pub items: Leaf,
    /// `itemsToParseName` (default `item`).
    pub name: Arc<str>,
    /// With `itemsToParseTopLevelTransform`, this path is removed from the parent copy.
    pub remove_path: Option<Vec<String>>,
}

/// `port.entity.mappings`.
#[derive(Clone, Debug)]
pub struct EntityMapping {
    pub identifier: FieldValue,
    pub title: Option<Leaf>,
    pub blueprint: Leaf,
    pub icon: Option<Leaf>,
    pub team: Option<FieldValue>,
    pub properties: Vec<(Arc<str>, Leaf)>,
    pub relations: Vec<(Arc<str>, FieldValue)>,
}

/// One jq leaf of a mapping.
#[derive(Clone)]
pub struct Leaf {
    /// Where it sits: `identifier`, `properties.status`, `relations.team.rules.0.value`, …
    pub field: Arc<str>,
    pub eval: Eval,
}

/// How a leaf runs.
#[derive(Clone)]
pub enum Eval {
    /// A function generated at build time: the first output (Ocean's rule), lazily.
    Compiled(fn(&Value) -> jq::R<Option<Value>>),
    /// The same IR, compiled at run time, on the interpreter.
    Interpreted(Arc<Program>),
}

impl Leaf {
    pub fn compiled(field: &str, f: fn(&Value) -> jq::R<Option<Value>>) -> Leaf {
        Leaf {
            field: Arc::from(field),
            eval: Eval::Compiled(f),
        }
    }

    /// The first output of the leaf on `item`.
    pub fn first(&self, item: &Value) -> jq::R<Option<Value>> {
        match &self.eval {
            Eval::Compiled(f) => f(item),
            Eval::Interpreted(program) => program.first(item),
        }
    }
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.eval {
            Eval::Compiled(_) => "compiled",
            Eval::Interpreted(_) => "interpreted",
        };
        write!(f, "Leaf({}, {backend})", self.field)
    }
}

/// A mapping value: a jq leaf, or a search query whose leaves are jq (Port resolves it).
#[derive(Clone, Debug)]
pub enum FieldValue {
    Jq(Leaf),
    Search(SearchQuery),
}

/// `{combinator, rules}`.
#[derive(Clone, Debug)]
pub struct SearchQuery {
    pub combinator: Leaf,
    pub rules: Vec<SearchRule>,
}

#[derive(Clone, Debug)]
pub enum SearchRule {
    Rule {
        property: Leaf,
        operator: Leaf,
        value: Leaf,
    },
    Query(SearchQuery),
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

/// The pattern Port requires of an entity identifier (a string).
pub const IDENTIFIER_PATTERN: &str = "^(?!\\.{1,2}$)[\\p{L}0-9@_.+:\\\\/=-]+$";
/// The longest entity identifier Port takes, in characters.
pub const MAX_IDENTIFIER_CHARS: usize = 1000;

/// A Port entity built by a mapping.
#[derive(Debug, Clone)]
pub struct Entity {
    pub identifier: Value,
    pub blueprint: Value,
    pub title: Option<Value>,
    pub icon: Option<Value>,
    pub team: Option<Value>,
    pub properties: Vec<(Arc<str>, Value)>,
    pub relations: Vec<(Arc<str>, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldNote {
    pub field: Arc<str>,
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
            props.insert(k.clone(), v.clone());
        }
        m.insert("properties", Value::from(props));
        let mut rels = Map::with_capacity(self.relations.len());
        for (k, v) in &self.relations {
            rels.insert(k.clone(), v.clone());
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

    /// Why Port would refuse this entity for its identifier, in Port's words, or `None`. Port
    /// takes a string matching [`IDENTIFIER_PATTERN`] of at most [`MAX_IDENTIFIER_CHARS`]
    /// characters, or a search query (an object, which Port resolves to an entity). Ocean sends
    /// whatever the mapping produced and Port refuses the rest with 422, which fails the item
    /// and the resync; `map` and `plan` use this to say so without Port.
    ///
    /// The pattern's `\p{L}` (a Unicode letter) is checked as `char::is_alphabetic`, which
    /// takes a few more characters (letter numbers, combining vowel signs): an identifier
    /// refused here is one Port refuses, never one it accepts.
    pub fn identifier_refusal(&self) -> Option<String> {
        let id = match &self.identifier {
            Value::String(id) => id,
            Value::Object(_) => return None,
            _ => return Some("body/identifier must be string".to_owned()),
        };
        let chars = id.chars().count();
        if chars > MAX_IDENTIFIER_CHARS {
            return Some(format!(
                "body/identifier must NOT have more than {MAX_IDENTIFIER_CHARS} characters"
            ));
        }
        let allowed = |c: char| {
            c.is_alphabetic()
                || c.is_ascii_digit()
                || matches!(c, '@' | '_' | '.' | '+' | ':' | '\\' | '/' | '=' | '-')
        };
        if chars == 0 || &**id == "." || &**id == ".." || !id.chars().all(allowed) {
            return Some(format!(
                "body/identifier must match pattern \"{IDENTIFIER_PATTERN}\" (got {})",
                jq::tojson_string(&self.identifier)
            ));
        }
        None
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

impl Mapping {
    /// This mapping's settings with no resources (what runs while Port's mapping is unusable).
    pub fn shell(&self) -> Mapping {
        Mapping {
            origin: self.origin.clone(),
            enable_merge_entity: self.enable_merge_entity,
            delete_dependent_entities: self.delete_dependent_entities,
            create_missing_related_entities: self.create_missing_related_entities,
            entity_deletion_threshold: self.entity_deletion_threshold,
            resources: Vec::new(),
            blueprints_json: self.blueprints_json.clone(),
            app_config_json: self.app_config_json.clone(),
            schemas: self.schemas,
        }
    }

    /// This mapping without the resources at `indexes` (positions in `resources:`): what runs
    /// while Port cannot take their entities.
    pub fn without(&self, indexes: &[usize]) -> Mapping {
        Mapping {
            resources: self
                .resources
                .iter()
                .filter(|resource| !indexes.contains(&resource.index))
                .cloned()
                .collect(),
            ..self.shell()
        }
    }

    /// The constant blueprint of the resource at `index` (its position in `resources:`).
    pub fn blueprint_of(&self, index: usize) -> Option<&str> {
        self.resources
            .iter()
            .find(|r| r.index == index)
            .and_then(|r| r.blueprint.as_deref())
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
                Ok(item) => match self.select(&item) {
                    Ok(true) => self.map(&item),
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

    /// `selector.query` on one item (after fan-out): `Ok(true)` to map it, `Ok(false)` filtered,
    /// `Err` when it does not yield a boolean.
    pub fn select(&self, item: &Value) -> Result<bool, String> {
        match self.selector.first(item) {
            Ok(Some(Value::Bool(b))) => Ok(b),
            Ok(Some(other)) => Err(format!(
                "selector.query must yield a boolean, got {}",
                jq::tojson_string(&other)
            )),
            Ok(None) => Err("selector.query produced no output".into()),
            Err(e) => Err(format!("selector.query raised: {}", e.message())),
        }
    }

    /// The entity this resource makes of one item (the selector is not consulted). Fields are
    /// evaluated in the order identifier, title, blueprint, icon, team, properties, relations.
    pub fn map(&self, item: &Value) -> Mapped {
        let m = &self.entity;
        let mut notes = Vec::new();
        let identifier = value(&mut notes, &m.identifier, item);
        let title = m.title.as_ref().map(|l| field(&mut notes, l, item));
        let blueprint = field(&mut notes, &m.blueprint, item);
        let icon = m.icon.as_ref().map(|l| field(&mut notes, l, item));
        let team = m.team.as_ref().map(|v| value(&mut notes, v, item));
        let properties = m
            .properties
            .iter()
            .map(|(name, l)| (name.clone(), field(&mut notes, l, item)))
            .collect();
        let relations = m
            .relations
            .iter()
            .map(|(name, v)| (name.clone(), value(&mut notes, v, item)))
            .collect();
        let entity = Entity {
            identifier,
            blueprint,
            title,
            icon,
            team,
            properties,
            relations,
        };
        // Ocean keeps an entity only when identifier and blueprint are truthy.
        let outcome = if !jq::truthy(&entity.identifier) {
            Outcome::Skipped("identifier is null or false")
        } else if !jq::truthy(&entity.blueprint) {
            Outcome::Skipped("blueprint is null or false")
        } else {
            Outcome::Entity(entity)
        };
        Mapped { outcome, notes }
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
                    field: items.items.field.clone(),
                    error,
                }],
            }))]
        };
        let list = match items.items.first(raw) {
            Ok(Some(Value::Array(list))) => list,
            Ok(other) => {
                return skipped(
                    "itemsToParse did not yield an array",
                    other.map(|v| format!("not an array: {}", jq::tojson_string(&v))),
                )
            }
            Err(e) => return skipped("itemsToParse raised an error", Some(e.message())),
        };
        let parent = match &items.remove_path {
            Some(path) => remove_path(raw, path),
            None => raw.clone(),
        };
        let Value::Object(parent) = parent else {
            return Vec::new();
        };
        list.iter()
            .map(|element| {
                let mut item: Map = Map::clone(&parent);
                item.insert(items.name.clone(), element.clone());
                Ok(Value::from(item))
            })
            .collect()
    }
}

/// Ocean's rule for one field: the first output, or `null` with a note.
fn field(notes: &mut Vec<FieldNote>, leaf: &Leaf, item: &Value) -> Value {
    match leaf.first(item) {
        Ok(Some(v)) => v,
        Ok(None) => {
            notes.push(FieldNote {
                field: leaf.field.clone(),
                error: None,
            });
            Value::Null
        }
        Err(e) => {
            notes.push(FieldNote {
                field: leaf.field.clone(),
                error: Some(e.message()),
            });
            Value::Null
        }
    }
}

/// A mapping value: a leaf under [`field`]'s rule, or a search query built from its leaves.
fn value(notes: &mut Vec<FieldNote>, v: &FieldValue, item: &Value) -> Value {
    match v {
        FieldValue::Jq(leaf) => field(notes, leaf, item),
        FieldValue::Search(q) => search(notes, q, item),
    }
}

fn search(notes: &mut Vec<FieldNote>, q: &SearchQuery, item: &Value) -> Value {
    let combinator = field(notes, &q.combinator, item);
    let rules: Vec<Value> = q
        .rules
        .iter()
        .map(|rule| match rule {
            SearchRule::Rule {
                property,
                operator,
                value,
            } => {
                let mut m = Map::with_capacity(3);
                m.insert("property", field(notes, property, item));
                m.insert("operator", field(notes, operator, item));
                m.insert("value", field(notes, value, item));
                Value::from(m)
            }
            SearchRule::Query(inner) => search(notes, inner, item),
        })
        .collect();
    let mut m = Map::with_capacity(2);
    m.insert("combinator", combinator);
    m.insert("rules", Value::from(rules));
    Value::from(m)
}

fn remove_path(v: &Value, path: &[String]) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return Value::Null;
    };
    match v {
        Value::Object(map) => {
            let mut map = Map::clone(map);
            if rest.is_empty() {
                map.remove(first);
            } else if let Some(child) = map.get(first).cloned() {
                map.insert(first.as_str(), remove_path(&child, rest));
            }
            Value::from(map)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_port_refuses_are_told_apart() {
        let with = |identifier: Value| Entity {
            identifier,
            blueprint: Value::from("bp"),
            title: None,
            icon: None,
            team: None,
            properties: Vec::new(),
            relations: Vec::new(),
        };
        for accepted in [
            Value::from("a-b_c.d@e+f:g/h\\i=j"),
            Value::from("ünïcode"),
            Value::from("x".repeat(MAX_IDENTIFIER_CHARS).as_str()),
            jq::parse_json(br#"{"combinator": "and", "rules": []}"#).unwrap(),
        ] {
            assert_eq!(
                with(accepted.clone()).identifier_refusal(),
                None,
                "{accepted:?}"
            );
        }
        for (refused, reason) in [
            (Value::number(42.0), "body/identifier must be string"),
            (
                Value::from(vec![Value::from("a")]),
                "body/identifier must be string",
            ),
            (Value::Bool(true), "body/identifier must be string"),
            (Value::from("has space"), "must match pattern"),
            (Value::from(""), "must match pattern"),
            (Value::from(".."), "must match pattern"),
            (
                Value::from("x".repeat(MAX_IDENTIFIER_CHARS + 1).as_str()),
                "must NOT have more than 1000 characters",
            ),
        ] {
            let why = with(refused.clone()).identifier_refusal();
            assert!(
                why.as_deref().is_some_and(|w| w.contains(reason)),
                "{refused:?}: {why:?}"
            );
        }
    }

    #[test]
    fn port_json_is_to_value_written_out() {
        let entity = Entity {
            identifier: Value::from("a\"1"),
            blueprint: Value::from("bp"),
            title: Some(Value::Null),
            icon: None,
            team: Some(Value::from(vec![Value::from("t")])),
            properties: vec![
                (Arc::from("n"), Value::number(5.0)),
                (Arc::from("f"), Value::number(0.5)),
            ],
            relations: vec![(Arc::from("r"), Value::from("x"))],
        };
        let mut want = Vec::new();
        jq::write_port_json(&entity.to_value(), &mut want);
        assert_eq!(
            String::from_utf8(entity.to_port_json()),
            String::from_utf8(want)
        );
    }
}
