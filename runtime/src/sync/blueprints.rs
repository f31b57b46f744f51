//! The built blueprints against Port's, at the start of each resync and plan that runs the
//! built mapping (`--mapping-source compiled`, or Port holds the built mapping).
//!
//! Blueprints are only created when missing, as in Ocean; so a build that adds a property,
//! relation or enum value to `blueprints.json` and to the mapping meets a Port whose blueprints
//! lack them, and Port refuses every entity with a 422. Instead, before anything is written:
//! - what Port lacks of what the mapping writes is said once, naming the blueprint, the
//!   members and what to do;
//! - a resource Port would refuse every entity of (its blueprint missing, a property or relation
//!   it writes missing, a type or cardinality that differs) does not run: nothing is sent for
//!   it, nothing is deleted anywhere in that resync (its error sees to that), the other
//!   resources sync — and webhook events skip it too, since they run the selected mapping;
//! - an enum value or a looser limit Port lacks concerns only the entities whose values need
//!   it: those are held back ([`Gate`]) and fail as Port would fail them, without the 422s;
//! - with `--update-blueprints` the additive changes ([`crate::port::blueprint_diff`]) are
//!   written first, stage by stage across all blueprints, then Port is read again and decides;
//!   `plan` only lists them, and predicts against the blueprints as they would be.
//!
//! A mapping edited in Port is checked against Port's blueprints by the live-mapping compiler
//! instead: there is no git definition to add then.

use super::select::{Blocked, BlockedBy, Selection};
use super::Engine;
use crate::port::blueprint_diff::{self, Diff, Refusing, Write, STAGES};
use crate::port::schema::Schemas;
use crate::port::PortError;
use crate::secret;
use crate::serve::init::completion::{Completion, Stage};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// How the check and `--update-blueprints` went, for summaries and `plan`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlueprintUpdates {
    pub update: UpdateStatus,
    /// Blueprints with additive changes or conflicts, as found before any write.
    pub blueprints: Vec<BlueprintUpdate>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum UpdateStatus {
    /// `--update-blueprints` is off: the changes are listed, not made.
    #[default]
    Off,
    /// On, in a plan: a resync would make the changes first.
    Planned,
    /// On: the changes were made.
    Applied,
    /// On, and a write failed (one line); what Port holds now decided what runs.
    Failed(String),
    /// Port's blueprints could not be read: nothing was compared.
    Unread(String),
    /// On, but the mapping held in Port runs: it is checked against Port's blueprints as they
    /// are, and there is no git definition to add.
    NotApplicable,
}

/// What one blueprint lacks in Port, or holds otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlueprintUpdate {
    pub identifier: String,
    /// Port does not hold it: it is created.
    pub create: bool,
    /// The additive changes: ``add property `tinyId` ``, …
    pub changes: Vec<String>,
    /// Differences no additive change resolves, left as Port holds them.
    pub conflicts: Vec<String>,
}

/// What a run does not send because Port's blueprint refuses a value the build allows (an
/// enum value, a looser limit Port lacks): per blueprint, the written properties concerned,
/// checked against Port's definitions — as Port would check them, without the 422s. Empty when
/// nothing is stricter, or the mapping held in Port runs.
#[derive(Debug, Default)]
pub(super) struct Gate {
    schemas: Schemas,
    properties: HashMap<String, Vec<String>>,
}

impl Gate {
    /// Whether some entities of `blueprint` are checked before they are sent.
    fn guards(&self, blueprint: &str) -> bool {
        self.properties.contains_key(blueprint)
    }

    /// Sorts entities of `blueprint`: the positions of those to send, and those held back
    /// `(position, identifier, reason)`.
    pub(super) fn sort(
        &self,
        blueprint: &str,
        bodies: &[Value],
    ) -> (Vec<usize>, Vec<(usize, String, String)>) {
        if !self.guards(blueprint) {
            return ((0..bodies.len()).collect(), Vec::new());
        }
        let (mut sent, mut held_back) = (Vec::new(), Vec::new());
        for (index, body) in bodies.iter().enumerate() {
            match self.refusal(blueprint, body) {
                None => sent.push(index),
                Some(reason) => {
                    let identifier = match body.get("identifier") {
                        Some(Value::String(id)) => id.clone(),
                        other => other.map(Value::to_string).unwrap_or_default(),
                    };
                    held_back.push((index, identifier, reason));
                }
            }
        }
        (sent, held_back)
    }

    /// Why Port would refuse `body`, an entity of `blueprint`, for such a value; `None` to
    /// send it.
    fn refusal(&self, blueprint: &str, body: &Value) -> Option<String> {
        let reason = self
            .schemas
            .refusal_of(body, self.properties.get(blueprint)?)?;
        Some(format!(
            "{reason} (not sent: Port's blueprint {blueprint} is stricter than blueprints.json; \
             --update-blueprints loosens it)"
        ))
    }
}

/// What to do about members Port lacks, for people.
const FIX: &str = "run with --update-blueprints (OCEAN__UPDATE_BLUEPRINTS=true) to add them to \
                   Port's blueprints (additions only: nothing Port holds is removed or \
                   narrowed), or add them to the blueprints in Port";
/// `--update-blueprints` while the mapping held in Port runs.
const NOT_APPLICABLE: &str = "blueprints: --update-blueprints does not apply: the mapping held \
                              in Port runs, checked against Port's blueprints as they are";
/// What to do about a type or cardinality that differs.
const FIX_INCOMPATIBLE: &str = "--update-blueprints does not change a property's type or a \
                                relation's cardinality: change the blueprint in Port or \
                                blueprints.json";

impl BlueprintUpdates {
    /// Whether a resync would change a blueprint (a plan with `--update-blueprints`).
    pub fn would_write(&self) -> bool {
        self.update == UpdateStatus::Planned
            && self.blueprints.iter().any(|b| !b.changes.is_empty())
    }

    /// Lines for the `sync` and `plan` summaries; empty when there is nothing to say.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let changes = self.blueprints.iter().any(|b| !b.changes.is_empty());
        let header = match &self.update {
            UpdateStatus::Unread(error) => {
                let _ = writeln!(
                    out,
                    "blueprints: not compared with blueprints.json: {error}"
                );
                return out;
            }
            UpdateStatus::NotApplicable => {
                out.push_str(NOT_APPLICABLE);
                out.push('\n');
                return out;
            }
            UpdateStatus::Failed(error) => {
                format!("--update-blueprints failed ({error}); it was to")
            }
            _ if !changes => String::new(),
            UpdateStatus::Off => {
                "Port's blueprints lack what blueprints.json defines; --update-blueprints would"
                    .to_owned()
            }
            UpdateStatus::Planned => "--update-blueprints: a resync would first".to_owned(),
            UpdateStatus::Applied => "updated in Port (--update-blueprints)".to_owned(),
        };
        if !header.is_empty() {
            let _ = writeln!(out, "blueprints: {header} (additions only):");
        } else if self.blueprints.iter().any(|b| !b.conflicts.is_empty()) {
            let _ = writeln!(out, "blueprints: differences no addition resolves:");
        }
        for blueprint in &self.blueprints {
            if blueprint.create {
                let _ = writeln!(out, "  create {}", blueprint.identifier);
            } else if !blueprint.changes.is_empty() {
                let _ = writeln!(
                    out,
                    "  update {}: {}",
                    blueprint.identifier,
                    blueprint.changes.join("; ")
                );
            }
            for conflict in &blueprint.conflicts {
                let _ = writeln!(
                    out,
                    "  left as Port holds it: {}: {conflict}",
                    blueprint.identifier
                );
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let (update, error) = match &self.update {
            UpdateStatus::Off => ("off", None),
            UpdateStatus::Planned => ("planned", None),
            UpdateStatus::Applied => ("applied", None),
            UpdateStatus::Failed(error) => ("failed", Some(error)),
            UpdateStatus::Unread(error) => ("unread", Some(error)),
            UpdateStatus::NotApplicable => ("not-applicable", None),
        };
        let blueprints: Vec<Value> = self
            .blueprints
            .iter()
            .map(|b| {
                json!({
                    "identifier": b.identifier,
                    "create": b.create,
                    "changes": b.changes,
                    "conflicts": b.conflicts,
                })
            })
            .collect();
        json!({"update": update, "error": error, "blueprints": blueprints})
    }
}

impl Engine {
    /// With `--update-blueprints` and the mapping held in Port running: says (once) that the
    /// flag does not apply.
    pub(super) fn blueprints_not_applicable(&self, selection: &mut Selection, planning: bool) {
        if !self.settings().update_blueprints {
            return;
        }
        if !planning {
            self.notice(tracing::Level::INFO, NOT_APPLICABLE);
        }
        selection.blueprints = Some(BlueprintUpdates {
            update: UpdateStatus::NotApplicable,
            blueprints: Vec::new(),
        });
    }

    /// Compares the blueprints of the built mapping `selection` runs with Port's; with
    /// `--update-blueprints` makes the additive changes (listed only when `planning`); blocks
    /// the resources Port would refuse every entity of. Says what it found once.
    pub(super) async fn check_blueprints(&self, selection: &mut Selection, planning: bool) {
        let built: Vec<Value> =
            serde_json::from_str(&selection.mapping.blueprints_json).unwrap_or_default();
        let mut updates = BlueprintUpdates {
            update: if self.settings().update_blueprints {
                UpdateStatus::Planned
            } else {
                UpdateStatus::Off
            },
            ..BlueprintUpdates::default()
        };
        let held = match self.read_blueprints(&built).await {
            Ok(held) => held,
            Err(error) => {
                // The resync meets the same trouble and reports it; nothing to block on.
                let error = secret::mask(&error.to_string());
                if !planning {
                    self.notice(
                        tracing::Level::WARN,
                        &format!(
                            "cannot compare the blueprints in Port with blueprints.json: {error}"
                        ),
                    );
                }
                updates.update = UpdateStatus::Unread(error);
                selection.blueprints = Some(updates);
                return;
            }
        };
        // From here on: the blueprints the run writes against.
        let mut held = if planning {
            self.after_initialisation(&built, held).await
        } else {
            held
        };
        let mut diffs = diff_all(&built, &held);
        updates.blueprints = listing(&diffs);
        if updates.update == UpdateStatus::Planned && diffs.iter().any(|d| !d.is_current()) {
            let results: Vec<Option<Value>> = diffs.iter().map(|d| d.result.clone()).collect();
            if planning {
                held = results;
            } else {
                updates.update = match self.write_blueprints(&diffs).await {
                    Ok(()) => UpdateStatus::Applied,
                    Err(error) => UpdateStatus::Failed(secret::mask(&error)),
                };
                // What Port holds now decides; unreadable, what was meant to be written (the
                // writes that failed left Port as it was read).
                match self.read_blueprints(&built).await {
                    Ok(now) => held = now,
                    Err(_) if updates.update == UpdateStatus::Applied => held = results,
                    Err(_) => {}
                }
            }
            diffs = diff_all(&built, &held);
        }

        let mut refused: Vec<(usize, &'static str, String, Refusing)> = Vec::new();
        let mut stricter: Vec<String> = Vec::new();
        let mut gated: HashMap<String, Vec<String>> = HashMap::new();
        for resource in &selection.mapping.resources {
            let Some(blueprint) = resource.blueprint.as_deref() else {
                continue;
            };
            let Some(diff) = diffs.iter().find(|d| d.identifier == blueprint) else {
                continue;
            };
            let properties: Vec<&str> = resource.entity.properties.iter().map(|p| &*p.0).collect();
            let relations: Vec<&str> = resource.entity.relations.iter().map(|r| &*r.0).collect();
            let refusing = diff.refusing(&properties, &relations);
            if !refusing.is_empty() {
                refused.push((
                    resource.index,
                    resource.kind,
                    blueprint.to_owned(),
                    refusing,
                ));
                continue;
            }
            for change in diff.stricter(&properties) {
                let line = format!("{blueprint}: {}", change.text);
                if !stricter.contains(&line) {
                    stricter.push(line);
                }
                let names = gated.entry(blueprint.to_owned()).or_default();
                if !names.contains(&change.member) {
                    names.push(change.member.clone());
                }
            }
        }
        if !planning {
            self.say(&updates, &refused, &stricter);
        }
        if !refused.is_empty() {
            let indexes: Vec<usize> = refused.iter().map(|r| r.0).collect();
            selection.mapping = Arc::new(selection.mapping.without(&indexes));
            for (index, kind, blueprint, refusing) in &refused {
                selection.blocked.push(Blocked {
                    index: *index,
                    kind: (*kind).to_owned(),
                    diagnostics: format!(
                        "{}: Port would refuse every entity, so nothing is written for this \
                         resource; {}",
                        what_lacks(blueprint, refusing),
                        fix(refusing, &updates.update)
                    ),
                    by: BlockedBy::Blueprint,
                });
            }
            selection.blocked.sort_by_key(|b| b.index);
        }
        let held: Vec<Value> = held.into_iter().flatten().collect();
        if !gated.is_empty() {
            selection.gate = Arc::new(Gate {
                schemas: Schemas::new(&held),
                properties: gated,
            });
        }
        selection.blueprints_held = Some(held);
        selection.blueprints = Some(updates);
    }

    /// The one message of a check, logged when it differs from the last one (`serve` checks at
    /// start and before each resync).
    fn say(
        &self,
        updates: &BlueprintUpdates,
        refused: &[(usize, &'static str, String, Refusing)],
        stricter: &[String],
    ) {
        let listed = updates.render();
        let mut parts: Vec<String> = Vec::new();
        let mut level = tracing::Level::INFO;
        if !refused.is_empty() {
            level = tracing::Level::ERROR;
            let lines: Vec<String> = refused
                .iter()
                .map(|(index, kind, blueprint, refusing)| {
                    format!(
                        "{kind} (resources[{index}]): {}",
                        what_lacks(blueprint, refusing)
                    )
                })
                .collect();
            let mut fixes: Vec<&str> = Vec::new();
            for (_, _, _, refusing) in refused {
                let fix = fix(refusing, &updates.update);
                if !fixes.contains(&fix) {
                    fixes.push(fix);
                }
            }
            parts.push(format!(
                "Port's blueprints cannot take what the built mapping writes: {}. Port would \
                 refuse every entity of these resources, so nothing is written for them and \
                 nothing is deleted in this resync; the other resources sync. To fix it: {}",
                lines.join("; "),
                fixes.join("; ")
            ));
        }
        if !stricter.is_empty() {
            if level == tracing::Level::INFO {
                level = tracing::Level::WARN;
            }
            parts.push(format!(
                "Port's blueprints are stricter than blueprints.json for what the built mapping \
                 writes: {}. The entities that need these changes are not sent (Port would \
                 refuse them) and the resync fails, deleting nothing; the others are written",
                stricter.join("; ")
            ));
        }
        if matches!(updates.update, UpdateStatus::Failed(_)) {
            level = tracing::Level::ERROR;
        }
        if !listed.is_empty() {
            parts.push(listed.trim_end().to_owned());
        }
        if updates.update == UpdateStatus::Off && !listed.is_empty() && refused.is_empty() {
            parts.push(
                "run with --update-blueprints (OCEAN__UPDATE_BLUEPRINTS=true) to make these \
                 changes"
                    .to_owned(),
            );
        }
        self.notice(level, &parts.join("\n"));
    }

    /// Logs `text` at `level` unless it is what was said last; an empty `text` says nothing
    /// and forgets the last (a finding that comes back is said again).
    fn notice(&self, level: tracing::Level, text: &str) {
        let text = secret::mask(text);
        let mut last = self
            .inner
            .blueprint_notice
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if *last == text || text.is_empty() {
            *last = text;
            return;
        }
        match level {
            tracing::Level::ERROR => tracing::error!("{text}"),
            tracing::Level::WARN => tracing::warn!("{text}"),
            _ => tracing::info!("{text}"),
        }
        *last = text;
    }

    /// Port's copy of each built blueprint (`None` where it has none), one GET each.
    async fn read_blueprints(&self, built: &[Value]) -> Result<Vec<Option<Value>>, PortError> {
        let mut held = Vec::with_capacity(built.len());
        for blueprint in built {
            let identifier = blueprint_diff::identifier(blueprint);
            held.push(self.port().get_blueprint(&identifier).await?);
        }
        Ok(held)
    }

    /// In a plan, Port's blueprints as initialisation would leave them before a resync (it
    /// runs first in `sync` and `serve` while the integration is not marked initialised).
    async fn after_initialisation(
        &self,
        built: &[Value],
        held: Vec<Option<Value>>,
    ) -> Vec<Option<Value>> {
        let settings = self.settings();
        if !settings.initialize_port_resources {
            return held;
        }
        let initialised = match self.port().get_integration(&settings.identifier).await {
            Ok(integration) => integration
                .and_then(|i| {
                    i.get("arePortResourcesInitialized")
                        .and_then(Value::as_bool)
                })
                .unwrap_or(false),
            // The plan meets the same trouble and reports it.
            Err(_) => return held,
        };
        if initialised {
            return held;
        }
        built
            .iter()
            .zip(held)
            .map(|(built, held)| Some(initialised_blueprint(built, held.as_ref())))
            .collect()
    }

    /// Makes the writes of every diff, stage by stage across all blueprints (a relation needs
    /// its target, a derived property its relation); stops at the first refusal.
    async fn write_blueprints(&self, diffs: &[Diff]) -> Result<(), String> {
        for (stage, label) in STAGES.iter().enumerate() {
            for diff in diffs {
                let written = match diff.write(stage) {
                    None => continue,
                    Some(Write::Create(body)) => self.port().create_blueprint(body).await,
                    Some(Write::Replace(body)) => {
                        self.port().put_blueprint(&diff.identifier, body).await
                    }
                };
                if let Err(error) = written {
                    return Err(format!("{label} of blueprint {}: {error}", diff.identifier));
                }
            }
        }
        Ok(())
    }

    /// The blueprints a run writes against, for a plan's predicted refusals: as the check left
    /// them when it ran (the built mapping), else Port's own where they exist (a user may have
    /// edited them) and the mapping's where `initializePortResources` would create them.
    pub(super) async fn schemas_for(&self, selection: &Selection) -> Schemas {
        if let Some(held) = &selection.blueprints_held {
            return Schemas::new(held);
        }
        let compiled: Vec<Value> =
            serde_json::from_str(&self.mapping().blueprints_json).unwrap_or_default();
        let mut blueprints = Vec::with_capacity(compiled.len());
        for blueprint in compiled {
            let identifier = blueprint["identifier"].as_str().unwrap_or_default();
            match self.port().get_blueprint(identifier).await {
                Ok(Some(in_port)) => blueprints.push(in_port),
                Ok(None) => blueprints.push(blueprint),
                Err(error) => {
                    // The plan itself will meet the same trouble and report it; refusals of
                    // this blueprint are predicted from the compiled schema meanwhile.
                    tracing::warn!(blueprint = identifier, error = %error, "cannot read the blueprint from Port");
                    blueprints.push(blueprint);
                }
            }
        }
        Schemas::new(&blueprints)
    }
}

fn diff_all(built: &[Value], held: &[Option<Value>]) -> Vec<Diff> {
    built
        .iter()
        .zip(held)
        .map(|(built, held)| Diff::of(built, held.as_ref()))
        .collect()
}

fn listing(diffs: &[Diff]) -> Vec<BlueprintUpdate> {
    diffs
        .iter()
        .filter(|d| !d.changes.is_empty() || !d.conflicts.is_empty())
        .map(|d| BlueprintUpdate {
            identifier: d.identifier.clone(),
            create: d
                .changes
                .iter()
                .any(|c| c.kind == blueprint_diff::ChangeKind::Create),
            changes: d.changes.iter().map(|c| c.text.clone()).collect(),
            conflicts: d.conflicts.iter().map(|c| c.text.clone()).collect(),
        })
        .collect()
}

/// ``blueprint opsGenieAlert in Port lacks property `tinyId`, relation `incident` ``.
fn what_lacks(blueprint: &str, refusing: &Refusing) -> String {
    let mut parts = Vec::new();
    if refusing.absent {
        parts.push(format!("blueprint {blueprint} is not in Port"));
    } else if !refusing.missing.is_empty() {
        parts.push(format!(
            "blueprint {blueprint} in Port lacks {}",
            refusing.missing.join(", ")
        ));
    }
    for text in &refusing.incompatible {
        parts.push(format!("blueprint {blueprint}: {text}"));
    }
    parts.join("; ")
}

fn fix(refusing: &Refusing, update: &UpdateStatus) -> &'static str {
    if refusing.absent || !refusing.missing.is_empty() {
        match update {
            UpdateStatus::Failed(_) => "--update-blueprints could not add them (see its error)",
            _ => FIX,
        }
    } else {
        FIX_INCOMPATIBLE
    }
}

/// What Port holds of `built` once initialisation completed it: its patches replace whole
/// top-level sections (see `completion.rs`).
fn initialised_blueprint(built: &Value, held: Option<&Value>) -> Value {
    let completion = Completion::of(built, held);
    let mut state = completion
        .create
        .clone()
        .or_else(|| held.cloned())
        .unwrap_or(Value::Null);
    for stage in Stage::ALL {
        if let (Some(Value::Object(patch)), Value::Object(state)) =
            (completion.patch(stage), &mut state)
        {
            for (key, value) in patch {
                state.insert(key.clone(), value.clone());
            }
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn updates(update: UpdateStatus) -> BlueprintUpdates {
        BlueprintUpdates {
            update,
            blueprints: vec![
                BlueprintUpdate {
                    identifier: "team".into(),
                    create: true,
                    changes: vec!["create the blueprint".into()],
                    conflicts: Vec::new(),
                },
                BlueprintUpdate {
                    identifier: "alert".into(),
                    create: false,
                    changes: vec![
                        "add property `tinyId`".into(),
                        "add relation `x` (to team)".into(),
                    ],
                    conflicts: vec!["property `count` is of type string in Port but number in \
                                     blueprints.json"
                        .into()],
                },
            ],
        }
    }

    #[test]
    fn the_summary_says_what_was_or_would_be_added_and_what_was_left() {
        let lines = "  create team\n  update alert: add property `tinyId`; add relation `x` (to \
                     team)\n  left as Port holds it: alert: property `count` is of type string \
                     in Port but number in blueprints.json\n";
        for (update, header) in [
            (
                UpdateStatus::Off,
                "Port's blueprints lack what blueprints.json defines; --update-blueprints would",
            ),
            (
                UpdateStatus::Planned,
                "--update-blueprints: a resync would first",
            ),
            (
                UpdateStatus::Applied,
                "updated in Port (--update-blueprints)",
            ),
            (
                UpdateStatus::Failed("stage 2 (relations) of blueprint alert: HTTP 422".into()),
                "--update-blueprints failed (stage 2 (relations) of blueprint alert: HTTP 422); \
                 it was to",
            ),
        ] {
            let text = updates(update).render();
            assert_eq!(
                text,
                format!("blueprints: {header} (additions only):\n{lines}")
            );
        }
        assert_eq!(
            updates(UpdateStatus::Unread("HTTP 503".into())).render(),
            "blueprints: not compared with blueprints.json: HTTP 503\n"
        );
        // Nothing to add: nothing said, but for what no addition resolves.
        assert_eq!(BlueprintUpdates::default().render(), "");
        let mut conflicts_only = updates(UpdateStatus::Planned);
        conflicts_only.blueprints.remove(0);
        conflicts_only.blueprints[0].changes.clear();
        assert!(!conflicts_only.would_write());
        assert_eq!(
            conflicts_only.render(),
            "blueprints: differences no addition resolves:\n  left as Port holds it: alert: \
             property `count` is of type string in Port but number in blueprints.json\n"
        );
    }

    #[test]
    fn the_gate_holds_back_only_entities_whose_checked_values_port_refuses() {
        let gate = Gate {
            schemas: Schemas::new(&[json!({"identifier": "alert", "schema": {"properties": {
                "status": {"type": "string", "enum": ["open"]},
                "message": {"type": "string", "maxLength": 1}}}})]),
            properties: HashMap::from([("alert".to_owned(), vec!["status".to_owned()])]),
        };
        let body = |id: Value, status: &str| {
            json!({"identifier": id, "blueprint": "alert",
                   "properties": {"status": status, "message": "longer than Port takes"}})
        };
        let bodies = [
            body(json!("a"), "open"),
            body(json!("b"), "closed"),
            body(json!(7), "closed"),
        ];
        let (sent, held_back) = gate.sort("alert", &bodies);
        // `message` is not checked: only what was found stricter in Port.
        assert_eq!(sent, [0]);
        let reason = "/properties/status must be equal to one of the allowed values (not \
                      sent: Port's blueprint alert is stricter than blueprints.json; \
                      --update-blueprints loosens it)";
        assert_eq!(
            held_back,
            [
                (1, "b".to_owned(), reason.to_owned()),
                (2, "7".to_owned(), reason.to_owned())
            ]
        );
        // Other blueprints, and an empty gate, send everything.
        assert_eq!(gate.sort("incident", &bodies).0, [0, 1, 2]);
        assert_eq!(Gate::default().sort("alert", &bodies).0, [0, 1, 2]);
    }

    #[test]
    fn the_json_names_the_outcome_and_every_change() {
        assert!(updates(UpdateStatus::Planned).would_write());
        assert!(!updates(UpdateStatus::Off).would_write());
        let json = updates(UpdateStatus::Failed("refused".into())).to_json();
        assert_eq!(json["update"], "failed");
        assert_eq!(json["error"], "refused");
        assert_eq!(
            json["blueprints"][0],
            json!({"identifier": "team", "create": true,
            "changes": ["create the blueprint"], "conflicts": []})
        );
        assert_eq!(updates(UpdateStatus::Off).to_json()["error"], Value::Null);
    }
}
