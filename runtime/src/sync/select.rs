//! Which mapping a resync runs (live mappings). Port users edit the integration's mapping in
//! Port's UI and click Resync, as in Port Ocean; so by default every resync reads the mapping
//! Port holds and runs it: the compiled code when it is the mapping this binary was built with
//! (compared in a normalised form, not as text), otherwise the same compiler's checked plan of
//! Port's mapping on the interpreter — against the blueprints as Port holds them. A resource of
//! Port's mapping that cannot produce correct data is blocked (nothing written for it, no
//! deletions anywhere in that resync); warnings do not stop anything.
//!
//! `--mapping-source compiled` (GitOps) runs the built mapping and writes it to Port, so Port
//! shows what runs; an edit made in Port is overwritten then, with a warning naming it.

use super::blueprints::{BlueprintUpdates, Gate};
use super::drift;
use super::Engine;
use crate::config::MappingSource;
use crate::mapping::{Mapping, Origin};
use crate::port::{PortClient, PortError};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Why a mapping was selected: a stable label (for `/metrics`) and the sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Port holds the mapping this binary was built with.
    Same,
    /// Port holds another mapping: it runs, interpreted.
    Differs(Vec<String>),
    /// `--mapping-source compiled`.
    Pinned,
    /// The integration is not in Port yet (initialisation creates it with the compiled mapping).
    NoIntegration,
}

impl Reason {
    pub fn label(&self) -> &'static str {
        match self {
            Reason::Same => "same",
            Reason::Differs(_) => "differs",
            Reason::Pinned => "pinned",
            Reason::NoIntegration => "no-integration",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Reason::Same => "Port holds the mapping this binary was built with".to_owned(),
            Reason::Differs(names) => format!(
                "the mapping in Port differs from the built one in {}",
                names.join(", ")
            ),
            Reason::Pinned => {
                "--mapping-source compiled (OCEAN__MAPPING_SOURCE=compiled)".to_owned()
            }
            Reason::NoIntegration => {
                "the integration is not in Port yet; it is created with the built mapping"
                    .to_owned()
            }
        }
    }
}

/// The mapping one resync runs, and what else it must know about it.
#[derive(Clone, Debug)]
pub struct Selection {
    pub mapping: Arc<Mapping>,
    pub reason: Reason,
    /// Resources of Port's mapping that do not run this time: `(index, kind, diagnostics)`.
    pub blocked: Vec<Blocked>,
    /// Run-time warnings of Port's mapping, rendered (located by field path).
    pub warnings: Vec<String>,
    /// The mapping cannot run at all (Port's config unusable or unreadable): the resync fails
    /// and deletes nothing.
    pub failure: Option<String>,
    /// The built mapping runs: how Port's blueprints compare with the built ones, and what
    /// `--update-blueprints` did (see `blueprints.rs`).
    pub blueprints: Option<BlueprintUpdates>,
    /// The blueprints the run writes against as Port holds them (in a plan: as it would hold
    /// them after initialisation and `--update-blueprints`); `None` when not read.
    pub(super) blueprints_held: Option<Vec<Value>>,
    /// The entities not sent because Port's blueprint is stricter than the built one.
    pub(super) gate: Arc<Gate>,
    /// Whether `mapping` becomes the one webhook events use: not when Port could not be read
    /// (the last selection stays), yes when Port's mapping is unusable (`mapping` then has no
    /// resources, so events write nothing with a mapping the user replaced).
    replaces_current: bool,
}

/// A resource that does not run: nothing is written for it and nothing is deleted anywhere in
/// that resync.
#[derive(Clone, Debug)]
pub struct Blocked {
    pub index: usize,
    pub kind: String,
    /// Why: the diagnostics of Port's mapping, rendered as at build time but located by field
    /// path; or what Port's blueprint lacks of what the resource writes.
    pub diagnostics: String,
    pub by: BlockedBy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockedBy {
    /// The mapping edited in Port cannot produce correct data for it.
    Mapping,
    /// The built mapping runs and Port's blueprint cannot take its entities.
    Blueprint,
}

impl Selection {
    fn of(mapping: Arc<Mapping>, reason: Reason) -> Selection {
        Selection {
            mapping,
            reason,
            blocked: Vec::new(),
            warnings: Vec::new(),
            failure: None,
            blueprints: None,
            blueprints_held: None,
            gate: Arc::default(),
            replaces_current: true,
        }
    }

    /// Port's mapping cannot run: nothing does until it is fixed.
    fn unusable(compiled: &Mapping, reason: Reason, failure: String) -> Selection {
        let nothing = Mapping {
            origin: Origin::Port,
            resources: Vec::new(),
            blueprints_json: "[]".to_owned(),
            app_config_json: "{}".to_owned(),
            ..compiled.shell()
        };
        Selection {
            failure: Some(failure),
            ..Selection::of(Arc::new(nothing), reason)
        }
    }

    /// No selection was made (the run stopped before it could ask Port): `mapping` is reported.
    pub fn unselected(mapping: Arc<Mapping>) -> Selection {
        Selection::of(mapping, Reason::Same)
    }

    /// One line for logs and summaries: which mapping runs and why.
    pub fn headline(&self) -> String {
        format!("{} runs: {}", self.mapping.origin, self.reason.describe())
    }
}

/// The last mapping compiled from Port, kept while Port's config and blueprints stay the same.
#[derive(Default)]
pub(super) struct CompiledFromPort {
    inputs: Option<(Value, Vec<Value>)>,
    selection: Option<Selection>,
    /// Port's config as the last selection read it, to notice an edit.
    last_seen: Option<Value>,
}

impl Engine {
    /// Selects the mapping a resync (or `plan`, with `planning`) runs and makes it the one in
    /// use. With `--mapping-source compiled`, writes the built mapping to Port unless planning.
    pub async fn select_mapping(&self, planning: bool) -> Selection {
        let pinned = self.settings().mapping_source == MappingSource::Compiled;
        let mut selection = if pinned {
            Selection::of(self.inner.compiled.clone(), Reason::Pinned)
        } else {
            self.select_from_port().await
        };
        // The built mapping runs: its blueprints are the build's, which Port may lack. Checked
        // (and said) before anything is written, the pinned mapping included.
        if selection.failure.is_none() {
            match selection.mapping.origin {
                Origin::Compiled { .. } => self.check_blueprints(&mut selection, planning).await,
                _ => self.blueprints_not_applicable(&mut selection, planning),
            }
        }
        if pinned {
            self.pin_built_mapping(planning).await;
        }
        if selection.replaces_current {
            self.inner.mapping.set(selection.mapping.clone());
            *self.inner.gate.lock().unwrap_or_else(|e| e.into_inner()) = selection.gate.clone();
        }
        selection
    }

    /// Selects again when Port's mapping changed since the last selection (polling between
    /// resyncs, so webhook events follow an edit); `None` when it did not or cannot be read.
    pub async fn refresh_mapping(&self) -> Option<Selection> {
        let identifier = &self.settings().identifier;
        let integration = self.port().get_integration(identifier).await.ok()??;
        let config = integration.get("config").cloned().unwrap_or(Value::Null);
        if self.inner.from_port.lock().await.last_seen.as_ref() == Some(&config) {
            return None;
        }
        Some(self.select_mapping(false).await)
    }

    /// `--mapping-source compiled`: writes the built mapping to the integration in Port when
    /// Port's differs (unless planning), so Port shows what runs.
    async fn pin_built_mapping(&self, planning: bool) {
        let compiled = self.inner.compiled.clone();
        let identifier = &self.settings().identifier;
        let stored = match self.port().get_integration(identifier).await {
            Ok(Some(integration)) => integration.get("config").cloned().unwrap_or(Value::Null),
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(error = %error, "cannot read the integration's mapping from Port");
                return;
            }
        };
        let differing = self.differences_from_compiled(&stored);
        let config: Value = serde_json::from_str(&compiled.app_config_json).unwrap_or(Value::Null);
        self.inner.from_port.lock().await.last_seen = Some(if planning || differing.is_empty() {
            stored
        } else {
            config.clone()
        });
        if differing.is_empty() {
            return;
        }
        if planning {
            tracing::warn!(
                differing = %differing.join(", "),
                "the mapping in Port differs from the built one; a sync with --mapping-source compiled would overwrite it"
            );
            return;
        }
        match self
            .port()
            .patch_integration_config(identifier, &config, true)
            .await
        {
            Ok(_) => tracing::warn!(
                overwritten = %differing.join(", "),
                "the mapping edited in Port was overwritten with the built one (--mapping-source compiled)"
            ),
            Err(error) => tracing::warn!(
                error = %error,
                "cannot write the built mapping to Port; Port shows another mapping than the one that runs"
            ),
        }
    }

    async fn select_from_port(&self) -> Selection {
        let compiled = self.inner.compiled.clone();
        let identifier = &self.settings().identifier;
        let unreadable = |failure: String| Selection {
            failure: Some(failure),
            replaces_current: false,
            ..Selection::of(compiled.clone(), Reason::Same)
        };
        let config = match self.port().get_integration(identifier).await {
            Ok(Some(integration)) => integration.get("config").cloned().unwrap_or(Value::Null),
            Ok(None) => return Selection::of(compiled, Reason::NoIntegration),
            Err(error) => return unreadable(format!("cannot read the mapping from Port: {error}")),
        };
        self.inner.from_port.lock().await.last_seen = Some(config.clone());
        if is_empty_config(&config) {
            return Selection::unusable(
                &compiled,
                Reason::Differs(vec!["the whole mapping".to_owned()]),
                format!(
                    "the integration {identifier:?} has no mapping in Port (empty config); nothing to sync"
                ),
            );
        }
        let differing = self.differences_from_compiled(&config);
        if differing.is_empty() {
            return Selection::of(compiled, Reason::Same);
        }
        self.warn_custom_build(&differing);
        let blueprints = match self.port_blueprints(&config).await {
            Ok(blueprints) => blueprints,
            Err(error) => {
                return unreadable(format!(
                    "cannot read the blueprints of the mapping from Port: {error}"
                ))
            }
        };
        let mut cache = self.inner.from_port.lock().await;
        let inputs = (config, blueprints);
        if cache.inputs.as_ref() == Some(&inputs) {
            if let Some(selection) = &cache.selection {
                return Selection {
                    reason: Reason::Differs(differing),
                    ..selection.clone()
                };
            }
        }
        let selection = self.compile_port_mapping(&inputs.0, &inputs.1, differing);
        cache.inputs = Some(inputs);
        cache.selection = Some(selection.clone());
        selection
    }

    fn compile_port_mapping(
        &self,
        config: &Value,
        blueprints: &[Value],
        differing: Vec<String>,
    ) -> Selection {
        let schemas = self.inner.compiled.schemas;
        let compiled = opsgenie_port_compiler::compile_port(config, blueprints, schemas);
        let render = |ds: &[opsgenie_port_compiler::diag::Diagnostic]| -> String {
            ds.iter()
                .map(|d| opsgenie_port_compiler::diag::render_human(d, &compiled.sm))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let warnings: Vec<String> = compiled
            .diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .map(|d| opsgenie_port_compiler::diag::render_human(d, &compiled.sm))
            .collect();
        let blocked: Vec<Blocked> = compiled
            .blocked
            .iter()
            .map(|b| Blocked {
                index: b.index,
                kind: b.kind.clone().unwrap_or_else(|| "?".to_owned()),
                diagnostics: render(&b.diagnostics),
                by: BlockedBy::Mapping,
            })
            .collect();
        let Some(plan) = compiled.plan else {
            let failure = format!(
                "the mapping in Port cannot run:\n{}",
                compiled.render_human()
            );
            return Selection {
                blocked,
                warnings,
                ..Selection::unusable(&self.inner.compiled, Reason::Differs(differing), failure)
            };
        };
        let blueprints_json = serde_json::to_string(blueprints).unwrap_or_else(|_| "[]".into());
        let mapping = Mapping::interpreted(plan, Origin::Port, blueprints_json, config.to_string());
        Selection {
            blocked,
            warnings,
            ..Selection::of(Arc::new(mapping), Reason::Differs(differing))
        }
    }

    async fn port_blueprints(&self, config: &Value) -> Result<Vec<Value>, PortError> {
        port_blueprints(self.port(), config).await
    }

    /// A binary built with its own mapping that runs Port's (which differs) says so, loudly and
    /// once: which mapping runs, and the flag that would run the built one.
    fn warn_custom_build(&self, differing: &[String]) {
        let inner = &self.inner;
        if !inner.custom_build || inner.warned_custom_build.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::warn!(
            built_with = %inner.compiled.origin,
            differing = %differing.join(", "),
            "this binary was built with its own mapping, but Port holds a different one for the \
             integration: THE MAPPING HELD IN PORT RUNS (interpreted), not the built one; run with \
             --mapping-source compiled (OCEAN__MAPPING_SOURCE=compiled) to run the built mapping \
             and write it to Port"
        );
    }

    /// What differs between `stored` and the built mapping, in normalised form (defaults, key
    /// order, number spelling and field-name aliases do not count); empty when the same.
    fn differences_from_compiled(&self, stored: &Value) -> Vec<String> {
        let compiled = &self.inner.compiled_canonical;
        match opsgenie_port_compiler::canonical_config(stored) {
            Some(canonical) => drift::compare(&canonical, compiled),
            // Port's config does not even load: it differs, wholesale.
            None => vec!["the whole mapping".to_owned()],
        }
    }
}

/// The mapping Port holds for the integration and the blueprints it writes to, as Port holds
/// them (`validate --from-port`). `None` when Port does not know the integration.
pub async fn read_port_mapping(
    port: &PortClient,
    identifier: &str,
) -> Result<Option<(Value, Vec<Value>)>, PortError> {
    let Some(integration) = port.get_integration(identifier).await? else {
        return Ok(None);
    };
    let config = integration.get("config").cloned().unwrap_or(Value::Null);
    let blueprints = port_blueprints(port, &config).await?;
    Ok(Some((config, blueprints)))
}

/// The blueprints `config` writes to, as Port holds them (one Port does not have is left out:
/// the checks then block its resources). Their relations name their targets, which is all the
/// run needs of those.
async fn port_blueprints(port: &PortClient, config: &Value) -> Result<Vec<Value>, PortError> {
    let mut found = Vec::new();
    for identifier in opsgenie_port_compiler::mapping_blueprints(config) {
        if let Some(blueprint) = port.get_blueprint(&identifier).await? {
            found.push(blueprint);
        }
    }
    Ok(found)
}

/// A resource's kind as the summaries hold it: one of the kinds this integration reads, or
/// `unknown kind` (a blocked resource may name any).
pub(super) fn static_kind(kind: &str) -> &'static str {
    opsgenie_port_compiler::inputs::app_config::kinds::KNOWN_KINDS
        .iter()
        .copied()
        .find(|k| *k == kind)
        .unwrap_or("unknown kind")
}

/// Ocean skips a resync whose mapping is empty (`EmptyPortAppConfigError`).
fn is_empty_config(config: &Value) -> bool {
    match config {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}
