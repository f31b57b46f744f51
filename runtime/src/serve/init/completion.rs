//! What Port lacks of the built blueprints, computed from what it holds: the additions that
//! complete each blueprint, stage by stage. Pure (no I/O), so the rules are unit-tested here
//! and `initialize` and `preview` share them.
//!
//! The rules only ever add:
//! - a blueprint Port does not hold is created, without the later stages' keys (stage 1);
//! - a blueprint Port holds gets the schema properties it lacks (stage 1), then the relations,
//!   `teamInheritance` and `ownership` it lacks (stage 2), then the mirror, calculation and
//!   aggregation properties it lacks (stage 3);
//! - a member Port holds is never changed, even when its definition differs from the built one
//!   (it is reported in [`Completion::differing`]); members Port holds that the build does not
//!   know (a property a user added) are kept: every PATCH carries Port's section with the
//!   missing members added, so it means the same whether Port merges or replaces sections;
//!   titles, icons, descriptions and `schema.required` of an existing blueprint are left alone.
//!
//! Members are compared by key; a definition "differs" when a field the build sets has another
//! value in Port (fields Port adds on its own do not count).

pub use crate::port::blueprint_diff::identifier;
use serde_json::{Map, Value};

/// The order additions are made in: a relation needs its target blueprint, a mirror or
/// aggregation property needs the relation or the target's property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Missing blueprints created bare; missing schema properties added.
    Create,
    /// Missing relations, `teamInheritance`, `ownership`.
    Relations,
    /// Missing mirror, calculation and aggregation properties.
    Derived,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Create, Stage::Relations, Stage::Derived];

    /// How errors and logs name the stage.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Create => "stage 1 (create)",
            Stage::Relations => "stage 2 (relations)",
            Stage::Derived => "stage 3 (full definitions)",
        }
    }
}

/// Sections added member by member, and the stage each belongs to.
const KEYED_SECTIONS: [(&str, Stage); 4] = [
    ("relations", Stage::Relations),
    ("mirrorProperties", Stage::Derived),
    ("calculationProperties", Stage::Derived),
    ("aggregationProperties", Stage::Derived),
];

/// Sections added whole when Port has none.
const WHOLE_SECTIONS: [(&str, Stage); 2] = [
    ("teamInheritance", Stage::Relations),
    ("ownership", Stage::Relations),
];

/// What completes one built blueprint in Port.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Completion {
    pub identifier: String,
    /// Port does not hold the blueprint: it is created with this body (stage 1).
    pub create: Option<Value>,
    /// PATCH bodies adding what is missing, per stage (each `None` when nothing is).
    pub properties: Option<Value>,
    pub relations: Option<Value>,
    pub derived: Option<Value>,
    /// What is added to a blueprint Port holds, as `section.member` (`relations.ownerTeam`).
    pub added: Vec<String>,
    /// Members Port holds with another definition than the built one; kept as they are.
    pub differing: Vec<String>,
}

impl Completion {
    /// The additions that make `existing` (Port's blueprint, `None` when missing) hold
    /// everything of `wanted` (the built one).
    pub fn of(wanted: &Value, existing: Option<&Value>) -> Completion {
        let empty = Value::Object(Map::new());
        let mut completion = Completion {
            identifier: identifier(wanted),
            ..Completion::default()
        };
        if existing.is_none() {
            let later: Vec<&str> = KEYED_SECTIONS
                .iter()
                .chain(&WHOLE_SECTIONS)
                .map(|(key, _)| *key)
                .collect();
            let bare: Map<String, Value> = fields(wanted)
                .filter(|(key, _)| !later.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            completion.create = Some(Value::Object(bare));
        }
        // A created blueprint starts bare: its later stages add every section whole.
        let held = existing.unwrap_or(&empty);
        let created = existing.is_none();

        if !created {
            let missing = completion.missing_members(
                "schema.properties",
                wanted.pointer("/schema/properties"),
                held.pointer("/schema/properties"),
            );
            if !missing.is_empty() {
                let mut schema = held.get("schema").and_then(Value::as_object).cloned();
                let schema = schema.get_or_insert_with(Map::new);
                let properties = schema
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Map::new()));
                if !properties.is_object() {
                    *properties = Value::Object(Map::new());
                }
                if let Some(properties) = properties.as_object_mut() {
                    properties.extend(missing);
                }
                completion.properties = Some(object([("schema", Value::Object(schema.clone()))]));
            }
        }

        let mut patches: [Map<String, Value>; 2] = [Map::new(), Map::new()];
        let slot = |stage: Stage| usize::from(stage == Stage::Derived);
        for (section, stage) in KEYED_SECTIONS {
            let missing =
                completion.missing_members(section, wanted.get(section), held.get(section));
            if missing.is_empty() {
                continue;
            }
            let mut merged = held
                .get(section)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            merged.extend(missing);
            patches[slot(stage)].insert(section.to_owned(), Value::Object(merged));
        }
        for (section, stage) in WHOLE_SECTIONS {
            let Some(value) = wanted.get(section).filter(|value| !value.is_null()) else {
                continue;
            };
            match held.get(section).filter(|value| !value.is_null()) {
                None => {
                    patches[slot(stage)].insert(section.to_owned(), value.clone());
                    if !created {
                        completion.added.push(section.to_owned());
                    }
                }
                Some(current) if !contains(current, value) => {
                    completion.differing.push(section.to_owned());
                }
                Some(_) => {}
            }
        }
        let [relations, derived] = patches;
        completion.relations = (!relations.is_empty()).then_some(Value::Object(relations));
        completion.derived = (!derived.is_empty()).then_some(Value::Object(derived));
        if created {
            completion.added.clear();
        }
        completion
    }

    /// Members of `wanted` (an object of named definitions) that `held` lacks; records them in
    /// `added`, and members held with another definition in `differing`.
    fn missing_members(
        &mut self,
        section: &str,
        wanted: Option<&Value>,
        held: Option<&Value>,
    ) -> Map<String, Value> {
        let mut missing = Map::new();
        let Some(wanted) = wanted.and_then(Value::as_object) else {
            return missing;
        };
        let held = held.and_then(Value::as_object);
        for (name, definition) in wanted {
            match held.and_then(|held| held.get(name)) {
                None => {
                    missing.insert(name.clone(), definition.clone());
                    self.added.push(format!("{section}.{name}"));
                }
                Some(current) if !contains(current, definition) => {
                    self.differing.push(format!("{section}.{name}"));
                }
                Some(_) => {}
            }
        }
        missing
    }

    /// Whether Port holds everything already.
    pub fn is_complete(&self) -> bool {
        self.create.is_none()
            && self.properties.is_none()
            && self.relations.is_none()
            && self.derived.is_none()
    }

    /// The PATCH of `stage` for a blueprint Port holds (or that stage 1 created).
    pub fn patch(&self, stage: Stage) -> Option<&Value> {
        match stage {
            Stage::Create => self.properties.as_ref(),
            Stage::Relations => self.relations.as_ref(),
            Stage::Derived => self.derived.as_ref(),
        }
    }

    /// One line for logs and `plan`: `opsGenieService (relations.ownerTeam, …)` or
    /// `opsGenieAlert (new)`.
    pub fn describe(&self) -> String {
        if self.create.is_some() {
            return format!("{} (new)", self.identifier);
        }
        format!("{} ({})", self.identifier, self.added.join(", "))
    }
}

fn fields(value: &Value) -> impl Iterator<Item = (&String, &Value)> {
    value.as_object().into_iter().flatten()
}

fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

/// Whether `held` has every field `wanted` sets, with the same value (objects recursively,
/// numbers by value); fields only `held` has (Port's defaults) do not matter.
fn contains(held: &Value, wanted: &Value) -> bool {
    match (held, wanted) {
        (Value::Object(held), Value::Object(wanted)) => wanted
            .iter()
            .all(|(key, value)| held.get(key).is_some_and(|h| contains(h, value))),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => held == wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service() -> Value {
        json!({
            "identifier": "svc",
            "title": "Service",
            "icon": "OpsGenie",
            "schema": {
                "properties": {
                    "url": {"type": "string", "format": "url"},
                    "tags": {"type": "array"}
                },
                "required": []
            },
            "relations": {"ownerTeam": {"target": "team", "required": false, "many": false}},
            "mirrorProperties": {"oncallUsers": {"path": "ownerTeam.oncallUsers"}},
            "aggregationProperties": {"open": {"type": "number", "target": "incident",
                "calculationSpec": {"calculationBy": "entities", "func": "count"}}}
        })
    }

    /// What Port holds after the bare creation of stage 1 (its defaults included).
    fn bare_in_port() -> Value {
        json!({
            "identifier": "svc",
            "title": "Service",
            "icon": "OpsGenie",
            "schema": {
                "properties": {
                    "url": {"type": "string", "format": "url"},
                    "tags": {"type": "array"}
                },
                "required": []
            },
            "relations": {},
            "mirrorProperties": {},
            "calculationProperties": {},
            "aggregationProperties": {},
            "createdAt": "2026-01-01T00:00:00.000Z"
        })
    }

    #[test]
    fn a_missing_blueprint_is_created_bare_then_given_every_later_section() {
        let completion = Completion::of(&service(), None);
        let create = completion.create.clone().unwrap();
        assert_eq!(create["schema"], service()["schema"]);
        for key in ["relations", "mirrorProperties", "aggregationProperties"] {
            assert!(create.get(key).is_none(), "{key}");
        }
        assert_eq!(completion.properties, None);
        assert_eq!(
            completion.relations,
            Some(json!({"relations": service()["relations"]}))
        );
        assert_eq!(
            completion.derived,
            Some(json!({"mirrorProperties": service()["mirrorProperties"],
                        "aggregationProperties": service()["aggregationProperties"]}))
        );
        assert_eq!(completion.describe(), "svc (new)");
    }

    #[test]
    fn a_bare_blueprint_left_by_an_interrupted_start_gets_its_relations_and_derived_fields() {
        let completion = Completion::of(&service(), Some(&bare_in_port()));
        assert_eq!(completion.create, None);
        assert_eq!(completion.properties, None);
        assert_eq!(
            completion.relations,
            Some(json!({"relations": service()["relations"]}))
        );
        assert_eq!(
            completion.added,
            [
                "relations.ownerTeam",
                "mirrorProperties.oncallUsers",
                "aggregationProperties.open"
            ]
        );
        assert!(completion.differing.is_empty());
        assert!(!completion.is_complete());
    }

    #[test]
    fn a_complete_blueprint_needs_nothing_and_port_defaults_do_not_count_as_differences() {
        let mut held = bare_in_port();
        let wanted = service();
        for key in ["relations", "mirrorProperties", "aggregationProperties"] {
            held[key] = wanted[key].clone();
        }
        // Port fills in a relation title; the build did not set one.
        held["relations"]["ownerTeam"]["title"] = json!("Owner Team");
        let completion = Completion::of(&wanted, Some(&held));
        assert!(completion.is_complete(), "{completion:?}");
        assert!(completion.differing.is_empty());
    }

    #[test]
    fn only_missing_members_are_added_and_everything_held_is_kept() {
        let mut held = bare_in_port();
        // A user added a property and a relation of their own, and changed a built one.
        held["schema"]["properties"]["tier"] = json!({"type": "string"});
        held["schema"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("tags");
        held["schema"]["properties"]["url"] = json!({"type": "string", "title": "Link"});
        held["relations"] = json!({"mine": {"target": "svc", "required": false, "many": true}});
        held["title"] = json!("Renamed by a user");
        let completion = Completion::of(&service(), Some(&held));
        assert_eq!(
            completion.properties,
            Some(json!({"schema": {
                "properties": {
                    "tier": {"type": "string"},
                    "url": {"type": "string", "title": "Link"},
                    "tags": {"type": "array"}
                },
                "required": []
            }}))
        );
        assert_eq!(
            completion.relations,
            Some(json!({"relations": {
                "mine": {"target": "svc", "required": false, "many": true},
                "ownerTeam": {"target": "team", "required": false, "many": false}
            }}))
        );
        assert_eq!(completion.differing, ["schema.properties.url"]);
        assert!(completion
            .added
            .contains(&"schema.properties.tags".to_owned()));
        // Nothing in any patch touches the title.
        for stage in Stage::ALL {
            if let Some(patch) = completion.patch(stage) {
                assert!(patch.get("title").is_none());
            }
        }
    }

    #[test]
    fn whole_sections_are_added_only_when_absent() {
        let mut wanted = service();
        wanted["teamInheritance"] = json!({"path": "ownerTeam"});
        let mut held = bare_in_port();
        held["relations"] = wanted["relations"].clone();
        held["mirrorProperties"] = wanted["mirrorProperties"].clone();
        held["aggregationProperties"] = wanted["aggregationProperties"].clone();
        let completion = Completion::of(&wanted, Some(&held));
        assert_eq!(
            completion.relations,
            Some(json!({"teamInheritance": {"path": "ownerTeam"}}))
        );
        held["teamInheritance"] = json!({"path": "somewhereElse"});
        let completion = Completion::of(&wanted, Some(&held));
        assert!(completion.is_complete());
        assert_eq!(completion.differing, ["teamInheritance"]);
    }
}
