//! `plan`: a resync that writes nothing. Everything is fetched, enriched, mapped and compared
//! with Port exactly as a resync does; the result says what a resync would create, update and
//! delete, per blueprint.

use super::diff::{self, Change, Compared};
use super::reconcile::{self, Generated};
use super::summary::{KindSummary, Progress};
use super::{CancellationFlag, Engine};
use crate::port::schema::Schemas;
use serde_json::{json, Value};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

/// What a resync would do to one blueprint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlueprintPlan {
    /// Identifiers a resync would create, in the order it would write them.
    pub create: Vec<String>,
    /// Identifiers whose content differs from Port's, or that another owner holds now.
    pub update: Vec<String>,
    pub unchanged: u64,
    /// Stale identifiers a resync would delete.
    pub delete: Vec<String>,
    /// `(identifier, reason)` of entities Port would refuse (a resync then fails).
    pub refuse: Vec<(String, String)>,
}

/// The reconciliation a resync would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlannedDeletion {
    /// Nothing would be deleted, and why.
    Skipped(String),
    Planned {
        candidates: u64,
        stale: u64,
        protected: u64,
    },
}

/// The result of [`Engine::plan`].
#[derive(Clone, Debug)]
pub struct PlanReport {
    /// The mapping a resync would run, and why.
    pub mapping: super::MappingUsed,
    pub blueprints: BTreeMap<String, BlueprintPlan>,
    /// Per resource, the counters a resync would report (`created`, `updated`, `unchanged`).
    pub kinds: Vec<KindSummary>,
    pub deletion: PlannedDeletion,
    /// What `--update-blueprints` would add to Port's blueprints (the built mapping runs).
    pub blueprint_updates: super::BlueprintUpdates,
    /// Every error, one line each; a plan with errors is not what a resync would do.
    pub errors: Vec<String>,
    pub aborted: bool,
    pub elapsed: Duration,
}

/// What a plan has decided so far, per `(blueprint, identifier)`. An entity a resync writes
/// again (a second resource, a repeated identifier, a placeholder Port created) is compared
/// with what Port would hold by then: Port's fields with the plan's earlier writes laid over.
#[derive(Default)]
pub(super) struct PlanBook {
    seen: HashMap<Key, Seen>,
    blueprints: BTreeMap<String, BlueprintPlan>,
    /// Blueprint -> relation -> target blueprint.
    relation_targets: BTreeMap<String, BTreeMap<String, String>>,
    /// Blueprints more than one resource writes (`None`: any, some blueprint is computed):
    /// their written fields are kept whole; for the others a hash is enough, as a repeat comes
    /// from the same mapping and sets the same fields.
    shared: Option<BTreeSet<String>>,
    /// `enableMergeEntity`: a write changes only the fields it sets.
    merge: bool,
    /// Targets of relations of written entities, per target blueprint: with
    /// `createMissingRelatedEntities`, Port creates those that do not exist.
    targets: BTreeMap<String, BTreeSet<String>>,
    /// Port's property checks, to predict the entities it would refuse.
    schemas: Schemas,
}

/// `(blueprint, identifier)` as 128 bits of hash: a plan of 100k entities keeps a few MB.
pub(super) type Key = (u64, u64);

pub(super) fn key(blueprint: &str, identifier: &str) -> Key {
    let mut first = DefaultHasher::new();
    (blueprint, identifier).hash(&mut first);
    let mut second = DefaultHasher::new();
    (0x9e37_u32, blueprint, identifier).hash(&mut second);
    (first.finish(), second.finish())
}

struct Seen {
    /// The net change since the plan started.
    net: Change,
    written: Option<Written>,
}

/// What the plan has written to an entity so far.
enum Written {
    Hash(u64),
    /// The fields written, merged in order.
    Fields(Value),
}

/// What one page of a resource would do, as a resync reports it.
#[derive(Default)]
pub(super) struct PageCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Writes Port would refuse (a resync counts them as failed).
    pub refused: u64,
}

impl PlanBook {
    pub(super) fn new(engine: &Engine) -> Self {
        let mapping = engine.mapping();
        let mut writers: BTreeMap<&str, usize> = BTreeMap::new();
        let mut computed = false;
        for resource in &mapping.resources {
            match &resource.blueprint {
                Some(blueprint) => *writers.entry(blueprint).or_default() += 1,
                None => computed = true,
            }
        }
        let shared = (!computed).then(|| {
            writers
                .into_iter()
                .filter(|(_, n)| *n > 1)
                .map(|(bp, _)| bp.to_owned())
                .collect()
        });
        PlanBook {
            relation_targets: super::reconcile::relation_targets(&mapping.blueprints_json),
            shared,
            merge: mapping.enable_merge_entity,
            ..PlanBook::default()
        }
    }

    /// Records one page of `blueprint`: the bodies and how each compares with Port.
    pub(super) fn record(
        &mut self,
        blueprint: &str,
        bodies: &[Value],
        compared: Vec<Compared>,
    ) -> PageCounts {
        let mut counts = PageCounts::default();
        let keep_fields = self.shared.as_ref().is_none_or(|s| s.contains(blueprint));
        for (body, (change, stored)) in bodies.iter().zip(compared) {
            let identifier = match body.get("identifier") {
                Some(Value::String(id)) => id.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let key = key(blueprint, &identifier);
            let plan = self.blueprints.entry(blueprint.to_owned()).or_default();
            // Port checks only what is written: an entity equal to what it holds is not.
            let mut refused = |identifier: String| match self.schemas.refusal(body) {
                Some(reason) => {
                    counts.refused += 1;
                    plan.refuse.push((identifier, reason));
                    true
                }
                None => false,
            };
            let Some(seen) = self.seen.get_mut(&key) else {
                if change != Change::Unchanged && refused(identifier.clone()) {
                    continue;
                }
                match change {
                    Change::Create => {
                        counts.created += 1;
                        plan.create.push(identifier.clone());
                    }
                    Change::Update => {
                        counts.updated += 1;
                        plan.update.push(identifier.clone());
                    }
                    Change::Unchanged => {
                        counts.unchanged += 1;
                        plan.unchanged += 1;
                    }
                }
                let written = (change != Change::Unchanged)
                    .then(|| written(keep_fields, None, body, self.merge));
                if written.is_some() {
                    self.note_targets(blueprint, body);
                }
                self.seen.insert(
                    key,
                    Seen {
                        net: change,
                        written,
                    },
                );
                continue;
            };
            let same = match &seen.written {
                // Never written by the plan: Port's fields are what it holds.
                None => change == Change::Unchanged,
                Some(Written::Hash(hash)) => *hash == body_hash(body),
                Some(Written::Fields(fields)) => {
                    let held = overlay(stored, fields, self.merge);
                    diff::unchanged(body, &held)
                }
            };
            if same {
                counts.unchanged += 1;
                continue;
            }
            if refused(identifier.clone()) {
                continue;
            }
            counts.updated += 1;
            let before = seen.written.take();
            seen.written = Some(written(keep_fields, before, body, self.merge));
            if seen.net == Change::Unchanged {
                seen.net = Change::Update;
                plan.unchanged -= 1;
                plan.update.push(identifier.clone());
            }
            self.note_targets(blueprint, body);
        }
        counts
    }

    /// Records an entity Port would refuse before comparing it with anything (its identifier).
    pub(super) fn refuse(&mut self, blueprint: &str, identifier: String, reason: String) {
        let plan = self.blueprints.entry(blueprint.to_owned()).or_default();
        plan.refuse.push((identifier, reason));
    }

    /// Records a placeholder Port creates for a relation target.
    fn record_placeholder(&mut self, blueprint: &str, identifier: String) {
        let plan = self.blueprints.entry(blueprint.to_owned()).or_default();
        plan.create.push(identifier.clone());
        let placeholder = json!({"identifier": identifier, "properties": {}, "relations": {}});
        let keep_fields = self.shared.as_ref().is_none_or(|s| s.contains(blueprint));
        let written = written(keep_fields, None, &placeholder, self.merge);
        self.seen.insert(
            key(blueprint, &identifier),
            Seen {
                net: Change::Create,
                written: Some(written),
            },
        );
    }

    fn note_targets(&mut self, blueprint: &str, body: &Value) {
        let (Some(relations), Some(Value::Object(values))) =
            (self.relation_targets.get(blueprint), body.get("relations"))
        else {
            return;
        };
        for (name, value) in values {
            let Some(target) = relations.get(name) else {
                continue;
            };
            let ids: Vec<&str> = match value {
                Value::String(id) => vec![id.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let set = self.targets.entry(target.clone()).or_default();
            set.extend(ids.into_iter().map(str::to_owned));
        }
    }

    /// Relation targets not planned yet, per blueprint; forgets the collected targets.
    fn unplanned_targets(&mut self) -> Vec<(String, Vec<String>)> {
        std::mem::take(&mut self.targets)
            .into_iter()
            .map(|(blueprint, ids)| {
                let ids = ids
                    .into_iter()
                    .filter(|id| !self.seen.contains_key(&key(&blueprint, id)))
                    .collect();
                (blueprint, ids)
            })
            .filter(|(_, ids): &(String, Vec<String>)| !ids.is_empty())
            .collect()
    }

    fn is_written(&self, blueprint: &str, identifier: &str) -> bool {
        self.seen
            .get(&key(blueprint, identifier))
            .is_some_and(|seen| seen.net != Change::Unchanged)
    }

    fn written(&self) -> u64 {
        self.blueprints
            .values()
            .map(|plan| (plan.create.len() + plan.update.len()) as u64)
            .sum()
    }
}

/// What the plan has written once `body` is written after `before`.
fn written(keep_fields: bool, before: Option<Written>, body: &Value, merge: bool) -> Written {
    if !keep_fields {
        return Written::Hash(body_hash(body));
    }
    match before {
        Some(Written::Fields(fields)) if merge => {
            Written::Fields(overlay(Some(fields), body, true))
        }
        _ => Written::Fields(body.clone()),
    }
}

/// `base` with `top`'s fields written over it: with `merge`, field by field (properties and
/// relations key by key); without, `top` replaces the entity.
fn overlay(base: Option<Value>, top: &Value, merge: bool) -> Value {
    let mut held = match base {
        Some(Value::Object(base)) if merge => base,
        _ => return top.clone(),
    };
    let Value::Object(top) = top else {
        return Value::Object(held);
    };
    for (key, value) in top {
        match (key.as_str(), value, held.get_mut(key)) {
            ("properties" | "relations", Value::Object(values), Some(Value::Object(slot))) => {
                for (name, value) in values {
                    slot.insert(name.clone(), value.clone());
                }
            }
            _ => {
                held.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(held)
}

fn body_hash(body: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    body.to_string().hash(&mut hasher);
    hasher.finish()
}

impl Engine {
    /// A dry-run resync: reads Opsgenie and Port, writes nothing (no upserts, no deletions, no
    /// resync-state), and reports what [`Engine::resync`] would change. Entities Port's
    /// property checks would refuse are listed apart (a resync with any of them fails).
    pub async fn plan(&self, cancel: &CancellationFlag, progress: &dyn Progress) -> PlanReport {
        let started = Instant::now();
        let selection = self.select_mapping(true).await;
        let mut book = PlanBook::new(self);
        book.schemas = self.schemas_for(&selection).await;
        let relation_targets = super::reconcile::relation_targets(&self.mapping().blueprints_json);
        let mut generated = Generated::new(&relation_targets);
        let pass = self
            .run_resources(
                cancel,
                &selection,
                &mut generated,
                super::fetch::Run::plan(&mut book),
                progress,
            )
            .await;
        let mut errors = pass.errors;
        let refused: usize = book.blueprints.values().map(|p| p.refuse.len()).sum();
        let deletion = if pass.aborted {
            PlannedDeletion::Skipped("the plan was interrupted".to_owned())
        } else if !errors.is_empty() {
            PlannedDeletion::Skipped(format!(
                "{}: a resync would not delete anything",
                super::summary::count_of(errors.len(), "error")
            ))
        } else if refused > 0 {
            PlannedDeletion::Skipped(format!(
                "Port would refuse {refused} {}: a resync would fail and delete nothing",
                if refused == 1 { "entity" } else { "entities" }
            ))
        } else {
            let is_written = |blueprint: &str, id: &str| book.is_written(blueprint, id);
            let found = reconcile::find_stale(self, &generated, book.written(), &is_written).await;
            match found {
                Ok(Ok(set)) => {
                    for (blueprint, identifier) in set.deletable {
                        let plan = book.blueprints.entry(blueprint).or_default();
                        plan.delete.push(identifier);
                    }
                    PlannedDeletion::Planned {
                        candidates: set.candidates,
                        stale: set.stale,
                        protected: set.protected,
                    }
                }
                Ok(Err(why)) => PlannedDeletion::Skipped(why),
                Err(error) => {
                    errors.push(format!("reconciliation: {error}"));
                    PlannedDeletion::Skipped(format!(
                        "cannot list this integration's entities: {error}"
                    ))
                }
            }
        };
        let mut kinds = pass.kinds;
        let mapping = self.mapping();
        for (blueprint, plan) in &mut book.blueprints {
            plan.delete.sort();
            // A resync counts deletions under the first resource of the blueprint.
            let first = kinds
                .iter_mut()
                .find(|k| mapping.blueprint_of(k.index) == Some(blueprint.as_str()));
            if let Some(kind) = first {
                kind.deleted = plan.delete.len() as u64;
            }
        }
        PlanReport {
            mapping: super::MappingUsed::of(&selection),
            blueprints: book.blueprints,
            kinds,
            deletion,
            blueprint_updates: selection.blueprints.clone().unwrap_or_default(),
            errors,
            aborted: pass.aborted,
            elapsed: started.elapsed(),
        }
    }
}

impl Engine {
    /// After a page is recorded: the relation targets Port would create as placeholders while
    /// writing it (`createMissingRelatedEntities`) — related to a written entity, neither
    /// planned so far nor in Port under any owner. Planned as creates, so a resource that
    /// writes one later is an update, as Port reports it.
    pub(super) async fn plan_placeholders(
        &self,
        book: &mut PlanBook,
    ) -> Result<(), crate::port::PortError> {
        if !self.mapping().create_missing_related_entities {
            book.targets.clear();
            return Ok(());
        }
        for (blueprint, ids) in book.unplanned_targets() {
            let wanted: Vec<&str> = ids.iter().map(String::as_str).collect();
            let include = ["identifier".to_owned()];
            let existing = diff::search(self.port(), &blueprint, &wanted, &include, None).await?;
            for id in ids {
                if !existing.contains_key(&id) {
                    book.record_placeholder(&blueprint, id);
                }
            }
        }
        Ok(())
    }
}

impl PlanReport {
    pub fn is_success(&self) -> bool {
        self.errors.is_empty() && !self.aborted
    }

    /// Whether a resync would write or delete anything (a write Port would refuse included).
    pub fn has_changes(&self) -> bool {
        self.blueprint_updates.would_write()
            || self.blueprints.values().any(|p| {
                !p.create.is_empty()
                    || !p.update.is_empty()
                    || !p.delete.is_empty()
                    || !p.refuse.is_empty()
            })
    }

    /// A table per blueprint, then up to `shown` identifiers of each change (none for 0).
    pub fn render(&self, shown: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "mapping: {}", self.mapping.headline);
        out.push_str(&self.blueprint_updates.render());
        let _ = writeln!(
            out,
            "{:<32} {:>8} {:>8} {:>9} {:>8} {:>8}",
            "blueprint", "create", "update", "unchanged", "delete", "refuse"
        );
        for (blueprint, plan) in &self.blueprints {
            let _ = writeln!(
                out,
                "{:<32} {:>8} {:>8} {:>9} {:>8} {:>8}",
                blueprint,
                plan.create.len(),
                plan.update.len(),
                plan.unchanged,
                plan.delete.len(),
                plan.refuse.len()
            );
        }
        for (blueprint, plan) in &self.blueprints {
            for (verb, ids) in [
                ("create", &plan.create),
                ("update", &plan.update),
                ("delete", &plan.delete),
            ] {
                if ids.is_empty() || shown == 0 {
                    continue;
                }
                let first: Vec<&str> = ids.iter().take(shown).map(String::as_str).collect();
                let more = ids.len().saturating_sub(shown);
                let tail = if more > 0 {
                    format!(" … and {more} more")
                } else {
                    String::new()
                };
                let _ = writeln!(out, "  {verb} {blueprint}: {}{tail}", first.join(", "));
            }
            // Each refusal on its own line: the reason is what the user has to fix.
            for (identifier, reason) in plan.refuse.iter().take(shown) {
                let _ = writeln!(out, "  refuse {blueprint} {identifier}: {reason}");
            }
            if shown > 0 && plan.refuse.len() > shown {
                let more = plan.refuse.len() - shown;
                let _ = writeln!(out, "  refuse {blueprint}: … and {more} more");
            }
        }
        match &self.deletion {
            PlannedDeletion::Skipped(why) => {
                let _ = writeln!(out, "deletion: a resync would delete nothing ({why})");
            }
            PlannedDeletion::Planned {
                candidates,
                stale,
                protected,
            } => {
                let _ = writeln!(
                    out,
                    "deletion: {} of {stale} stale would be deleted ({candidates} candidates, \
                     {protected} protected as relation targets)",
                    stale - protected
                );
            }
        }
        let total = |f: fn(&BlueprintPlan) -> usize| -> usize {
            self.blueprints.values().map(f).sum::<usize>()
        };
        let _ = writeln!(
            out,
            "plan {}: {} to create, {} to update, {} to delete, {} unchanged, {} refused by \
             Port ({:.1}s, {}; nothing was written)",
            if self.is_success() {
                "complete"
            } else {
                "incomplete"
            },
            total(|p| p.create.len()),
            total(|p| p.update.len()),
            total(|p| p.delete.len()),
            total(|p| p.unchanged as usize),
            total(|p| p.refuse.len()),
            self.elapsed.as_secs_f64(),
            super::summary::count_of(self.errors.len(), "error")
        );
        out
    }

    /// The whole plan as JSON (every identifier), for scripts and CI.
    pub fn to_json(&self) -> Value {
        let blueprints: serde_json::Map<String, Value> = self
            .blueprints
            .iter()
            .map(|(blueprint, plan)| {
                (
                    blueprint.clone(),
                    json!({
                        "create": plan.create,
                        "update": plan.update,
                        "unchanged": plan.unchanged,
                        "delete": plan.delete,
                        "refuse": plan.refuse.iter()
                            .map(|(identifier, reason)| json!({"identifier": identifier, "reason": reason}))
                            .collect::<Vec<_>>(),
                    }),
                )
            })
            .collect();
        let deletion = match &self.deletion {
            PlannedDeletion::Skipped(why) => json!({"skipped": why}),
            PlannedDeletion::Planned {
                candidates,
                stale,
                protected,
            } => json!({"candidates": candidates, "stale": stale, "protected": protected}),
        };
        json!({
            "status": if self.is_success() { "complete" } else { "incomplete" },
            "mapping": {
                "backend": self.mapping.backend,
                "origin": self.mapping.origin,
                "reason": self.mapping.reason,
                "headline": self.mapping.headline,
                "blockedResources": self.mapping.blocked,
            },
            "blueprints": blueprints,
            "blueprintUpdates": self.blueprint_updates.to_json(),
            "deletion": deletion,
            "errors": self.errors,
            "elapsedMs": self.elapsed.as_millis() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(merge: bool) -> PlanBook {
        PlanBook {
            shared: None,
            merge,
            ..PlanBook::default()
        }
    }

    fn compared(changes: &[Change]) -> Vec<Compared> {
        changes.iter().map(|c| (*c, None)).collect()
    }

    #[test]
    fn a_second_write_of_the_same_entity_is_compared_with_the_first() {
        let mut book = book(true);
        let a = json!({"identifier": "a", "properties": {"n": 1}});
        let a2 = json!({"identifier": "a", "properties": {"n": 2}});
        let b = json!({"identifier": "b", "properties": {}});
        let counts = book.record(
            "bp",
            &[a.clone(), b.clone()],
            compared(&[Change::Create, Change::Unchanged]),
        );
        assert_eq!(
            (counts.created, counts.updated, counts.unchanged),
            (1, 0, 1)
        );
        // Same content again: unchanged; new content: an update, still a create in the net plan.
        let counts = book.record(
            "bp",
            &[a.clone(), a2],
            compared(&[Change::Update, Change::Update]),
        );
        assert_eq!(
            (counts.created, counts.updated, counts.unchanged),
            (0, 1, 1)
        );
        let b2 = json!({"identifier": "b", "properties": {"x": 1}});
        book.record("bp", &[b2], compared(&[Change::Update]));
        let plan = &book.blueprints["bp"];
        assert_eq!(plan.create, ["a"]);
        assert_eq!(plan.update, ["b"]);
        assert_eq!(plan.unchanged, 0);
        assert!(book.is_written("bp", "a") && book.is_written("bp", "b"));
        assert_eq!(book.written(), 2);
    }

    #[test]
    fn with_merge_a_later_resource_compares_only_its_fields() {
        // Resource 1 writes `members`; resource 2 then writes `oncall` of the same team.
        let port = json!({"identifier": "t", "relations": {"members": ["u1"], "oncall": ["u2"]}});
        let first = json!({"identifier": "t", "relations": {"members": ["u1", "u3"]}});
        let second = json!({"identifier": "t", "relations": {"oncall": ["u2"]}});
        let mut merging = book(true);
        merging.record(
            "team",
            std::slice::from_ref(&first),
            vec![(Change::Update, Some(port.clone()))],
        );
        let counts = merging.record(
            "team",
            std::slice::from_ref(&second),
            vec![(Change::Unchanged, Some(port.clone()))],
        );
        assert_eq!(counts.unchanged, 1, "Port keeps oncall: nothing to write");
        // Without merge the first write replaced the entity: oncall is gone and comes back.
        let mut replacing = book(false);
        replacing.record("team", &[first], vec![(Change::Update, Some(port.clone()))]);
        let counts = replacing.record("team", &[second], vec![(Change::Unchanged, Some(port))]);
        assert_eq!(counts.updated, 1);
        assert_eq!(replacing.blueprints["team"].update, ["t"]);
    }

    #[test]
    fn the_text_lists_the_first_identifiers_and_the_json_all_of_them() {
        let plan = BlueprintPlan {
            create: vec!["a".into(), "b".into(), "c".into()],
            update: vec!["u".into()],
            unchanged: 4,
            delete: Vec::new(),
            refuse: vec![
                ("r1".into(), "/properties/status must be string".into()),
                ("r2".into(), "x".into()),
                ("r3".into(), "y".into()),
            ],
        };
        let report = PlanReport {
            mapping: Default::default(),
            blueprints: BTreeMap::from([("bp".to_owned(), plan)]),
            kinds: Vec::new(),
            deletion: PlannedDeletion::Planned {
                candidates: 5,
                stale: 0,
                protected: 0,
            },
            blueprint_updates: Default::default(),
            errors: Vec::new(),
            aborted: false,
            elapsed: Duration::ZERO,
        };
        let text = report.render(2);
        assert!(text.contains("  create bp: a, b … and 1 more\n"), "{text}");
        assert!(text.contains("  update bp: u\n"), "{text}");
        assert!(!text.contains("delete bp:"), "{text}");
        assert!(
            text.contains("  refuse bp r1: /properties/status must be string\n"),
            "{text}"
        );
        assert!(text.contains("  refuse bp: … and 1 more\n"), "{text}");
        assert!(text.contains(
            "plan complete: 3 to create, 1 to update, 0 to delete, 4 unchanged, 3 refused by Port"
        ));
        assert!(!report.render(0).contains("create bp:"));
        assert!(!report.render(0).contains("refuse bp"));
        let json = report.to_json();
        assert_eq!(json["blueprints"]["bp"]["create"], json!(["a", "b", "c"]));
        assert_eq!(
            json["blueprints"]["bp"]["refuse"][0],
            json!({"identifier": "r1", "reason": "/properties/status must be string"})
        );
        assert_eq!(json["status"], "complete");
        assert!(report.has_changes());
    }

    #[test]
    fn a_placeholder_written_later_is_an_update_of_a_create() {
        let mut book = book(true);
        book.record_placeholder("incident", "i1".into());
        let counts = book.record(
            "incident",
            &[json!({"identifier": "i1", "title": "x", "properties": {}, "relations": {}})],
            compared(&[Change::Create]),
        );
        assert_eq!((counts.created, counts.updated), (0, 1));
        assert_eq!(book.blueprints["incident"].create, ["i1"]);
        assert!(book.blueprints["incident"].update.is_empty());
    }

    #[test]
    fn writes_port_would_refuse_are_listed_apart_and_unchanged_entities_are_not_checked() {
        let mut book = book(false);
        book.schemas = Schemas::new(&[json!({"identifier": "alert", "schema": {"properties": {
            "status": {"type": "string", "enum": ["open", "closed"]}}}})]);
        let body = |id: &str, status: &str| json!({"identifier": id, "blueprint": "alert", "properties": {"status": status}, "relations": {}});
        let counts = book.record(
            "alert",
            &[body("a", "open"), body("b", "acked"), body("c", "acked")],
            compared(&[Change::Create, Change::Update, Change::Unchanged]),
        );
        assert_eq!(
            (
                counts.created,
                counts.updated,
                counts.unchanged,
                counts.refused
            ),
            (1, 0, 1, 1)
        );
        // A second resource writing `c` as Port holds it writes nothing: still not checked.
        let again = book.record(
            "alert",
            &[body("c", "acked")],
            compared(&[Change::Unchanged]),
        );
        assert_eq!((again.unchanged, again.refused), (1, 0));
        let plan = &book.blueprints["alert"];
        assert_eq!(plan.create, ["a"]);
        assert_eq!(
            plan.refuse,
            [(
                "b".to_owned(),
                "/properties/status must be equal to one of the allowed values".to_owned()
            )]
        );
    }
}
