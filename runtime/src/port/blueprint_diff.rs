//! How a blueprint Port holds falls short of the one built into the binary (`blueprints.json`
//! from git), and the writes that close the gap (`--update-blueprints`). Pure (no I/O), so the
//! rules are unit-tested here and `sync`, `serve` and `plan` share them.
//!
//! Only what is unambiguously additive or looser is ever changed:
//! - a blueprint Port does not hold is created (bare, then relations, then derived properties,
//!   as initialisation does);
//! - properties, relations, mirror/calculation/aggregation properties Port lacks are added, and
//!   `teamInheritance`/`ownership` when Port has none — a new property is not made required and
//!   a new relation is added as not required: requiring them would refuse the entities Port
//!   already holds;
//! - enum values Port lacks are added (with their colours);
//! - limits Port has and the build loosens are loosened: a `required` the build dropped, a
//!   larger `maxLength`/`maxItems`/`maximum`, a smaller `minLength`/`minItems`/`minimum`, a
//!   limit or `pattern` the build does not set at all.
//!
//! Nothing is removed or narrowed, and whatever Port holds that the build does not know (a
//! property a user added, titles, icons, formats) is kept: each write is Port's whole blueprint
//! with the additions merged in, sent with `PUT` (replace), so it means the same whatever
//! Port's PATCH merges. What cannot be changed additively — a property's type (Port refuses to
//! change it), a relation's target or cardinality, a part of Port's JSON that is not of the
//! documented shape — is a [`Conflict`], left as Port holds it.

use serde_json::{Map, Value};

/// Fields Port adds to a blueprint it returns; not part of what is written back.
const AUDIT_FIELDS: [&str; 4] = ["createdAt", "createdBy", "updatedAt", "updatedBy"];

/// Sections a created blueprint gets in stage 2 (they may point at other blueprints).
const RELATION_SECTIONS: [&str; 3] = ["relations", "teamInheritance", "ownership"];

/// Sections added member by member in stage 3, and how a member is named for people.
const DERIVED_SECTIONS: [(&str, &str); 3] = [
    ("mirrorProperties", "mirror property"),
    ("calculationProperties", "calculation property"),
    ("aggregationProperties", "aggregation property"),
];

/// `(limit, whether larger is looser)`: the property limits that can be loosened.
const LIMITS: [(&str, bool); 6] = [
    ("maxLength", true),
    ("maxItems", true),
    ("maximum", true),
    ("minLength", false),
    ("minItems", false),
    ("minimum", false),
];

/// The order writes are made in, across all blueprints: a relation needs its target blueprint,
/// a derived property the relation or the target's property.
pub const STAGES: [&str; 3] = [
    "stage 1 (blueprints and schema properties)",
    "stage 2 (relations)",
    "stage 3 (mirror, calculation and aggregation properties)",
];

/// One stage of [`Diff::of`]: adds to the blueprint (`state`) what `built` has.
type Stage = fn(&mut Diff, built: &Map<String, Value>, state: &mut Map<String, Value>);

/// One additive change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// The property or relation it concerns (empty for the blueprint as a whole and for other
    /// sections).
    pub member: String,
    /// For people: ``add property `tinyId` ``.
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Port does not hold the blueprint.
    Create,
    Property,
    Relation,
    /// Enum values added to a property (or to its items).
    EnumValues,
    /// A limit loosened (`required` dropped, a larger `maxLength`, …).
    Loosen,
    /// A mirror, calculation or aggregation property, `teamInheritance`, `ownership`.
    Other,
}

/// A difference no additive change resolves; left as Port holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub member: String,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// A property's type differs: Port refuses every value of the built type.
    Type,
    /// A relation's `many` differs: Port refuses every value of the built shape.
    Many,
    /// A relation's target differs.
    Target,
    /// Port's JSON is not of the documented shape there.
    Unreadable,
}

/// A write of one blueprint; the body is the whole blueprint.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// `POST /v1/blueprints`.
    Create(Value),
    /// `PUT /v1/blueprints/{id}`.
    Replace(Value),
}

/// What one built blueprint finds in Port.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    pub identifier: String,
    pub changes: Vec<Change>,
    pub conflicts: Vec<Conflict>,
    /// The write of each of [`STAGES`] (`None` when that stage changes nothing).
    pub writes: [Option<Write>; 3],
    /// The blueprint as Port holds it once every write is made (`None`: Port does not hold it
    /// and nothing would create it — the built one is not a JSON object).
    pub result: Option<Value>,
}

impl Diff {
    /// Compares `built` (from `blueprints.json`) with `held` (Port's, `None` when missing).
    pub fn of(built: &Value, held: Option<&Value>) -> Diff {
        let mut diff = Diff {
            identifier: identifier(built),
            ..Diff::default()
        };
        let Some(built) = built.as_object() else {
            diff.result = held.cloned();
            return diff;
        };
        let held = match held {
            None => {
                diff.create(built);
                return diff;
            }
            Some(Value::Object(held)) => held,
            Some(_) => {
                diff.conflict(
                    ConflictKind::Unreadable,
                    "",
                    "Port's blueprint is not an object",
                );
                diff.result = held.cloned();
                return diff;
            }
        };
        let mut state = held.clone();
        for field in AUDIT_FIELDS {
            state.remove(field);
        }
        let stages: [Stage; 3] = [Diff::schema, Diff::relations, Diff::derived];
        for (stage, apply) in stages.into_iter().enumerate() {
            let before = diff.changes.len();
            apply(&mut diff, built, &mut state);
            if diff.changes.len() > before {
                diff.writes[stage] = Some(Write::Replace(Value::Object(state.clone())));
            }
        }
        diff.result = Some(if diff.is_current() {
            Value::Object(held.clone())
        } else {
            Value::Object(state)
        });
        diff
    }

    /// Whether Port holds everything additive already (conflicts aside).
    pub fn is_current(&self) -> bool {
        self.changes.is_empty()
    }

    /// The writes of stage `index` of [`STAGES`].
    pub fn write(&self, stage: usize) -> Option<&Write> {
        self.writes.get(stage).and_then(Option::as_ref)
    }

    /// What makes Port refuse every entity a resource writing `properties` and `relations`
    /// sends to this blueprint: the blueprint missing, a property or relation it lacks, a type
    /// or cardinality that differs. One phrase each: ``property `tinyId` ``.
    pub fn refusing(&self, properties: &[&str], relations: &[&str]) -> Refusing {
        let mut refusing = Refusing::default();
        for change in &self.changes {
            let member = change.member.as_str();
            match change.kind {
                ChangeKind::Create => refusing.absent = true,
                ChangeKind::Property if properties.contains(&member) => {
                    refusing.missing.push(format!("property `{member}`"));
                }
                ChangeKind::Relation if relations.contains(&member) => {
                    refusing.missing.push(format!("relation `{member}`"));
                }
                _ => {}
            }
        }
        for conflict in &self.conflicts {
            let written = match conflict.kind {
                ConflictKind::Type => properties.contains(&conflict.member.as_str()),
                ConflictKind::Many => relations.contains(&conflict.member.as_str()),
                _ => false,
            };
            if written {
                refusing.incompatible.push(conflict.text.clone());
            }
        }
        refusing
    }

    /// Changes that make Port take values of written properties it refuses now (enum values,
    /// looser limits): Port refuses only the entities that need them.
    pub fn stricter(&self, properties: &[&str]) -> Vec<&Change> {
        self.changes
            .iter()
            .filter(|c| matches!(c.kind, ChangeKind::EnumValues | ChangeKind::Loosen))
            .filter(|c| properties.contains(&c.member.as_str()))
            .collect()
    }

    /// Stage 1 of a missing blueprint is its creation without the later sections; stages 2 and
    /// 3 add them (each write the whole blueprint so far).
    fn create(&mut self, built: &Map<String, Value>) {
        self.changes.push(Change {
            kind: ChangeKind::Create,
            member: String::new(),
            text: "create the blueprint".to_owned(),
        });
        let later = |key: &str| {
            RELATION_SECTIONS.contains(&key) || DERIVED_SECTIONS.iter().any(|(s, _)| *s == key)
        };
        let mut state: Map<String, Value> = built
            .iter()
            .filter(|(key, _)| !later(key) && !AUDIT_FIELDS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        self.writes[0] = Some(Write::Create(Value::Object(state.clone())));
        let sections: [Vec<&str>; 2] = [
            RELATION_SECTIONS.to_vec(),
            DERIVED_SECTIONS.iter().map(|(s, _)| *s).collect(),
        ];
        for (stage, keys) in sections.iter().enumerate() {
            let mut added = false;
            for key in keys {
                let value = built.get(*key).filter(|v| !is_empty(v));
                if let Some(value) = value {
                    state.insert((*key).to_owned(), value.clone());
                    added = true;
                }
            }
            if added {
                self.writes[stage + 1] = Some(Write::Replace(Value::Object(state.clone())));
            }
        }
        self.result = Some(Value::Object(state));
    }

    /// Stage 1: schema properties, their enum values and limits, `schema.required`.
    fn schema(&mut self, built: &Map<String, Value>, state: &mut Map<String, Value>) {
        let Some(built_properties) = built
            .get("schema")
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
        else {
            return;
        };
        let built_required: Vec<&str> = built
            .get("schema")
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(schema) = self.section(state, "schema", "schema") else {
            return;
        };
        let Some(properties) = self.section(schema, "properties", "schema.properties") else {
            return;
        };
        for (name, definition) in built_properties {
            match properties.get_mut(name) {
                None => {
                    let mut text = format!("add property `{name}`");
                    if built_required.contains(&name.as_str()) {
                        text.push_str(
                            " (not required: that would refuse the entities Port holds without it)",
                        );
                    }
                    properties.insert(name.clone(), definition.clone());
                    self.change(ChangeKind::Property, name, text);
                }
                Some(held) => self.property(name, definition, held),
            }
        }
        // A requirement Port has that the build dropped, for properties the build defines (a
        // user's own properties keep theirs).
        if let Some(Value::Array(required)) = schema.get_mut("required") {
            let mut dropped = Vec::new();
            required.retain(|name| match name.as_str() {
                Some(name)
                    if built_properties.contains_key(name) && !built_required.contains(&name) =>
                {
                    dropped.push(name.to_owned());
                    false
                }
                _ => true,
            });
            for name in dropped {
                let text = format!("no longer require property `{name}`");
                self.change(ChangeKind::Loosen, &name, text);
            }
        }
    }

    /// A property both hold: its type must match; enum values and limits are loosened.
    fn property(&mut self, name: &str, built: &Value, held: &mut Value) {
        let Some(held) = held.as_object_mut() else {
            let text = format!("property `{name}` in Port is not an object");
            self.conflict(ConflictKind::Unreadable, name, &text);
            return;
        };
        let built_type = built.get("type").and_then(Value::as_str);
        let held_type = held.get("type").and_then(Value::as_str);
        if let (Some(built_type), Some(held_type)) = (built_type, held_type) {
            if built_type != held_type {
                let held_type = shown(held_type);
                let text = format!(
                    "property `{name}` is of type {held_type} in Port but {built_type} in \
                     blueprints.json"
                );
                self.conflict(ConflictKind::Type, name, &text);
                return;
            }
        }
        self.enum_values(name, "", built, held);
        if let (Some(built_items), Some(Value::Object(held_items))) =
            (built.get("items"), held.get_mut("items"))
        {
            self.enum_values(name, "items of ", built_items, held_items);
        }
        for (limit, larger_is_looser) in LIMITS {
            let Some(current) = held.get(limit).and_then(Value::as_f64) else {
                continue;
            };
            let text = match built.get(limit) {
                None => {
                    held.remove(limit);
                    format!("drop {limit} {current} of property `{name}`")
                }
                Some(wanted) => match wanted.as_f64() {
                    Some(w)
                        if (larger_is_looser && w > current)
                            || (!larger_is_looser && w < current) =>
                    {
                        held.insert(limit.to_owned(), wanted.clone());
                        format!("{limit} of property `{name}` {current} → {wanted}")
                    }
                    _ => continue,
                },
            };
            self.change(ChangeKind::Loosen, name, text);
        }
        if held.contains_key("pattern") && built.get("pattern").is_none() {
            held.remove("pattern");
            self.change(
                ChangeKind::Loosen,
                name,
                format!("drop the pattern of property `{name}`"),
            );
        }
    }

    /// Adds the enum values of `built` that `held` (a property or its `items`) lacks, with their
    /// colours. A `held` without an enum takes any value already.
    fn enum_values(
        &mut self,
        name: &str,
        what: &str,
        built: &Value,
        held: &mut Map<String, Value>,
    ) {
        let Some(wanted) = built.get("enum").and_then(Value::as_array) else {
            return;
        };
        let values = match held.get_mut("enum") {
            None | Some(Value::Null) => return,
            Some(Value::Array(values)) => values,
            Some(_) => {
                let text = format!("the enum of {what}property `{name}` in Port is not an array");
                self.conflict(ConflictKind::Unreadable, name, &text);
                return;
            }
        };
        let missing: Vec<&Value> = wanted
            .iter()
            .filter(|value| !values.iter().any(|held| same(held, value)))
            .collect();
        if missing.is_empty() {
            return;
        }
        values.extend(missing.iter().map(|value| (*value).clone()));
        let colors = built.get("enumColors").and_then(Value::as_object);
        if let (Some(colors), None | Some(Value::Object(_))) = (colors, held.get("enumColors")) {
            let held_colors = held
                .entry("enumColors")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(held_colors) = held_colors.as_object_mut() {
                for value in &missing {
                    let color = value.as_str().and_then(|v| Some((v, colors.get(v)?)));
                    if let Some((value, color)) = color {
                        held_colors
                            .entry(value.to_owned())
                            .or_insert_with(|| color.clone());
                    }
                }
            }
        }
        let shown: Vec<String> = missing.iter().map(|value| value.to_string()).collect();
        let text = format!(
            "add enum value{} {} to {what}property `{name}`",
            if missing.len() == 1 { "" } else { "s" },
            shown.join(", ")
        );
        self.change(ChangeKind::EnumValues, name, text);
    }

    /// Stage 2: relations, `teamInheritance`, `ownership`.
    fn relations(&mut self, built: &Map<String, Value>, state: &mut Map<String, Value>) {
        if let Some(built_relations) = built.get("relations").and_then(Value::as_object) {
            if let Some(relations) = self.section(state, "relations", "relations") {
                for (name, definition) in built_relations {
                    match relations.get_mut(name) {
                        None => self.add_relation(relations, name, definition),
                        Some(held) => self.relation(name, definition, held),
                    }
                }
            }
        }
        for section in ["teamInheritance", "ownership"] {
            let wanted = built.get(section).filter(|v| !is_empty(v));
            if let (Some(wanted), true) = (wanted, state.get(section).is_none_or(is_empty)) {
                state.insert(section.to_owned(), wanted.clone());
                self.change(ChangeKind::Other, "", format!("add {section}"));
            }
        }
    }

    fn add_relation(&mut self, relations: &mut Map<String, Value>, name: &str, built: &Value) {
        let mut definition = built.clone();
        let target = built.get("target").and_then(Value::as_str).unwrap_or("?");
        let mut text = format!("add relation `{name}` (to {target})");
        if let Some(Value::Bool(required)) = definition.get_mut("required") {
            if *required {
                *required = false;
                text.push_str(
                    " (not required: that would refuse the entities Port holds without it)",
                );
            }
        }
        relations.insert(name.to_owned(), definition);
        self.change(ChangeKind::Relation, name, text);
    }

    /// A relation both hold: target and cardinality must match; `required` is loosened.
    fn relation(&mut self, name: &str, built: &Value, held: &mut Value) {
        let Some(held) = held.as_object_mut() else {
            let text = format!("relation `{name}` in Port is not an object");
            self.conflict(ConflictKind::Unreadable, name, &text);
            return;
        };
        if let Some(target) = built.get("target") {
            if held.get("target") != Some(target) {
                let held_target = shown(&held.get("target").unwrap_or(&Value::Null).to_string());
                let text = format!(
                    "relation `{name}` targets {held_target} in Port but {target} in \
                     blueprints.json"
                );
                self.conflict(ConflictKind::Target, name, &text);
                return;
            }
        }
        let many = |value: Option<&Value>| value.and_then(Value::as_bool).unwrap_or(false);
        let (built_many, held_many) = (many(built.get("many")), many(held.get("many")));
        if built_many != held_many {
            let shape = |many: bool| if many { "many" } else { "single" };
            let text = format!(
                "relation `{name}` is {} in Port but {} in blueprints.json",
                shape(held_many),
                shape(built_many)
            );
            self.conflict(ConflictKind::Many, name, &text);
            return;
        }
        let required = |value: Option<&Value>| value == Some(&Value::Bool(true));
        if required(held.get("required")) && !required(built.get("required")) {
            held.insert("required".to_owned(), Value::Bool(false));
            let text = format!("no longer require relation `{name}`");
            self.change(ChangeKind::Loosen, name, text);
        }
    }

    /// Stage 3: mirror, calculation and aggregation properties Port lacks.
    fn derived(&mut self, built: &Map<String, Value>, state: &mut Map<String, Value>) {
        for (section, noun) in DERIVED_SECTIONS {
            let Some(wanted) = built.get(section).and_then(Value::as_object) else {
                continue;
            };
            if wanted.is_empty() {
                continue;
            }
            let Some(held) = self.section(state, section, section) else {
                continue;
            };
            for (name, definition) in wanted {
                if !held.contains_key(name) {
                    held.insert(name.clone(), definition.clone());
                    self.change(ChangeKind::Other, "", format!("add {noun} `{name}`"));
                }
            }
        }
    }

    /// `parent[key]` as an object to add to: created when absent or null; `None` (and a
    /// conflict) when Port has something else there.
    fn section<'a>(
        &mut self,
        parent: &'a mut Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a mut Map<String, Value>> {
        let slot = parent
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if slot.is_null() {
            *slot = Value::Object(Map::new());
        }
        if !slot.is_object() {
            let text = format!("`{path}` in Port is not an object; left as it is");
            self.conflict(ConflictKind::Unreadable, "", &text);
        }
        slot.as_object_mut()
    }

    fn change(&mut self, kind: ChangeKind, member: &str, text: String) {
        self.changes.push(Change {
            kind,
            member: member.to_owned(),
            text,
        });
    }

    fn conflict(&mut self, kind: ConflictKind, member: &str, text: &str) {
        self.conflicts.push(Conflict {
            kind,
            member: member.to_owned(),
            text: text.to_owned(),
        });
    }
}

/// What Port lacks, or holds otherwise, of what a resource writes: every entity is refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refusing {
    /// Port does not hold the blueprint.
    pub absent: bool,
    /// ``property `tinyId` ``, ``relation `incident` ``: the additive changes add these.
    pub missing: Vec<String>,
    /// Type or cardinality differences: no additive change resolves them.
    pub incompatible: Vec<String>,
}

impl Refusing {
    pub fn is_empty(&self) -> bool {
        !self.absent && self.missing.is_empty() && self.incompatible.is_empty()
    }
}

/// A built blueprint's identifier (empty when it has none).
pub fn identifier(blueprint: &Value) -> String {
    blueprint
        .get("identifier")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A value from Port as messages show it: one line, bounded (Port's JSON is untrusted).
fn shown(text: &str) -> String {
    crate::http::one_line(text, 60)
}

/// An absent section: null, `{}`.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// JSON equality with numbers compared by value (`1` and `1.0` are one enum value).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
