//! The resync engine: Port Ocean's `sync_raw_all` for Opsgenie (ocean-core.md §3).
//!
//! The entities this integration owns are listed first (`listing`); then resources run in mapping
//! order, each page of raw items enriched, mapped, compared with the listing and what differs
//! upserted a few pages later at most (`pending`): memory follows the page size. After all
//! resources, stale entities are deleted — only when nothing at all went wrong (§3.7).

mod blueprints;
mod cancel;
mod decode;
mod diff;
mod drift;
mod enrich;
mod fetch;
mod listing;
mod pending;
mod plan;
mod reconcile;
mod retry;
mod select;
mod summary;
mod time;

pub use blueprints::{BlueprintUpdate, BlueprintUpdates, UpdateStatus};
pub use cancel::CancellationFlag;
pub use decode::project;
pub use enrich::supported as supported_enrichments;
pub use plan::{BlueprintPlan, PlanReport, PlannedDeletion};
pub use select::{read_port_mapping, Blocked, BlockedBy, Reason, Selection};
pub use summary::{
    DeletionOutcome, KindSummary, MappingUsed, NoProgress, Progress, ResyncReport, ResyncStatus,
    Traffic,
};
pub use time::format_iso_millis;

use crate::config::{Config, MappingSource};
use crate::http::HttpErrorKind;
use crate::jq::Value;
use crate::mapping::{Current, Entity, Mapping, Resource};
use crate::opsgenie::{OpsgenieClient, OpsgenieError};
use crate::port::{PortClient, PortError, UpsertOptions};
use crate::secret;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

/// How long an aborted resync waits for Port to take its `aborted` state (retries included).
const ABORTED_REPORT_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether a failed resync-state report ends the run: only when nothing else could succeed
/// either (credentials refused, no connection to Port at all after every retry). A status
/// Port keeps answering on that one route, or a timeout, does not.
fn state_report_stops_the_run(error: &PortError) -> bool {
    match error {
        PortError::Auth { .. } => true,
        PortError::Http(error) => error.kind == HttpErrorKind::Transport,
        _ => false,
    }
}

/// What a run needs besides the clients.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// Integration type (`opsgenie`): datasource prefix `port-ocean/{type}/`.
    pub integration_type: String,
    /// Installation id: datasource suffix `/{identifier}/exporter`, resync-state target.
    pub identifier: String,
    /// PATCH `/v1/integration/{id}/resync-state` before and after.
    pub report_resync_state: bool,
    /// Reported as `intervalInMinuets` (and `nextResync`).
    pub interval_minutes: Option<u64>,
    /// Enrichment detail calls in flight.
    pub enrichment_concurrency: usize,
    /// `OCEAN__SEND_RAW_DATA_EXAMPLES`: upload the first raw items of each resource to Port
    /// (they feed the mapping editor's preview).
    pub send_raw_data_examples: bool,
    /// `OCEAN__MAPPING_SOURCE`: run the mapping Port holds (default) or the built one.
    pub mapping_source: MappingSource,
    /// `OCEAN__UPDATE_BLUEPRINTS`: when the built mapping runs, first add to Port's blueprints
    /// what `blueprints.json` adds (a plan only lists it).
    pub update_blueprints: bool,
    /// `OCEAN__INITIALIZE_PORT_RESOURCES`: a plan counts on initialisation to create and
    /// complete the blueprints before a resync, as `sync` and `serve` do.
    pub initialize_port_resources: bool,
}

impl SyncSettings {
    pub fn from_config(config: &Config) -> Self {
        SyncSettings {
            integration_type: config.integration.kind.clone(),
            identifier: config.integration.identifier.clone(),
            report_resync_state: true,
            interval_minutes: config
                .scheduled_resync_interval
                .map(|interval| interval.as_secs() / 60),
            enrichment_concurrency: 5,
            send_raw_data_examples: config.send_raw_data_examples,
            mapping_source: config.mapping_source,
            update_blueprints: config.update_blueprints,
            initialize_port_resources: config.initialize_port_resources,
        }
    }
}

/// A failure of a sync operation; `Display` is one line with secrets masked.
#[derive(Clone, Debug)]
pub enum SyncError {
    Opsgenie(OpsgenieError),
    Port(PortError),
    /// The mapping cannot be applied (a selector that does not yield a boolean, …).
    Mapping(String),
    Aborted,
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SyncError::Opsgenie(error) => error.to_string(),
            SyncError::Port(error) => error.to_string(),
            SyncError::Mapping(message) => format!("mapping error: {message}"),
            SyncError::Aborted => "resync aborted".to_owned(),
        };
        f.write_str(&crate::http::one_line(&secret::mask(&text), 500))
    }
}

impl std::error::Error for SyncError {}

impl SyncError {
    /// Bad credentials on either side: nothing else can succeed.
    pub fn is_auth(&self) -> bool {
        match self {
            SyncError::Opsgenie(error) => error.is_auth(),
            SyncError::Port(error) => error.is_auth(),
            _ => false,
        }
    }
}

impl SyncError {
    /// Port could not be reached even after every retry: each later resource needs it too,
    /// so the run stops rather than wait through the same retries once per resource.
    pub fn is_port_unavailable(&self) -> bool {
        matches!(self, SyncError::Port(PortError::Http(_)))
    }

    /// No connection to Opsgenie at all (refused, DNS, TLS) after every retry: every kind
    /// would wait through the same retries. An error status or a timeout may be one endpoint's
    /// trouble, so those let the other kinds run.
    pub fn is_opsgenie_unreachable(&self) -> bool {
        matches!(self, SyncError::Opsgenie(OpsgenieError::Http(error)) if error.kind == HttpErrorKind::Transport)
    }

    /// Nothing else in this run can succeed: stop it.
    pub fn stops_the_run(&self) -> bool {
        self.is_auth() || self.is_port_unavailable() || self.is_opsgenie_unreachable()
    }
}

impl From<OpsgenieError> for SyncError {
    fn from(error: OpsgenieError) -> Self {
        SyncError::Opsgenie(error)
    }
}

impl From<PortError> for SyncError {
    fn from(error: PortError) -> Self {
        SyncError::Port(error)
    }
}

/// What [`Engine::upsert_entities`] did.
#[derive(Clone, Debug, Default)]
pub struct UpsertSummary {
    pub upserted: usize,
    pub failed: usize,
    /// `(blueprint, identifier, reason)` of refused entities.
    pub failures: Vec<(String, String, String)>,
    /// Positions of the refused entities in the input.
    pub failed_indexes: Vec<usize>,
    /// Positions of the entities Port created (the others of `upserted` were updated).
    pub created_indexes: Vec<usize>,
}

/// What [`Engine::delete_entities`] did.
#[derive(Clone, Debug, Default)]
pub struct DeleteSummary {
    pub deleted: usize,
    pub failed: usize,
}

/// What running the resources produced.
#[derive(Default)]
struct Pass {
    kinds: Vec<KindSummary>,
    errors: Vec<String>,
    aborted: bool,
    /// Bad credentials, Port unavailable or Opsgenie unreachable: nothing else can succeed.
    fatal: bool,
}

/// The resync engine; cheap to clone (shared between the resync loop and a webhook server).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    /// The mapping resyncs and webhook events run; replaced only between them.
    mapping: Current,
    /// The mapping built into the binary, and its normalised config (to compare Port's with).
    compiled: Arc<Mapping>,
    compiled_canonical: serde_json::Value,
    /// The last mapping compiled from Port's, reused while Port's stays the same.
    from_port: tokio::sync::Mutex<select::CompiledFromPort>,
    /// Built with a mapping other than the shipped default: running Port's instead is said
    /// loudly, once.
    custom_build: bool,
    warned_custom_build: AtomicBool,
    /// What the last blueprint check said, so `serve` says it once, not before every resync.
    blueprint_notice: std::sync::Mutex<String>,
    /// The entities not sent because Port's blueprint is stricter than the built one; replaced
    /// with the mapping in use.
    gate: std::sync::Mutex<Arc<blueprints::Gate>>,
    opsgenie: OpsgenieClient,
    port: PortClient,
    settings: SyncSettings,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("mapping", &self.mapping().origin)
            .field("settings", &self.inner.settings)
            .finish()
    }
}

impl Engine {
    /// An engine whose built-in mapping is `compiled`; which mapping each resync runs is
    /// selected at its start (see [`Engine::select_mapping`]).
    pub fn new(
        compiled: Arc<Mapping>,
        opsgenie: OpsgenieClient,
        port: PortClient,
        settings: SyncSettings,
    ) -> Self {
        let compiled_canonical = serde_json::from_str(&compiled.app_config_json)
            .ok()
            .and_then(|config| opsgenie_port_compiler::canonical_config(&config))
            .unwrap_or_default();
        let custom_build = opsgenie_port_compiler::shipped_default_canonical().as_ref()
            != Some(&compiled_canonical);
        Engine {
            inner: Arc::new(Inner {
                mapping: Current::new(compiled.clone()),
                compiled,
                compiled_canonical,
                from_port: Default::default(),
                custom_build,
                warned_custom_build: AtomicBool::new(false),
                blueprint_notice: Default::default(),
                gate: Default::default(),
                opsgenie,
                port,
                settings,
            }),
        }
    }

    /// The mapping in use: the one the last resync selected. A caller keeps the returned `Arc`
    /// for the whole of its work, so a change takes effect between resyncs and events only.
    pub fn mapping(&self) -> Arc<Mapping> {
        self.inner.mapping.get()
    }

    /// The handle webhook work reads the mapping in use through.
    pub fn current(&self) -> Current {
        self.inner.mapping.clone()
    }

    pub fn opsgenie(&self) -> &OpsgenieClient {
        &self.inner.opsgenie
    }

    pub fn port(&self) -> &PortClient {
        &self.inner.port
    }

    pub fn settings(&self) -> &SyncSettings {
        &self.inner.settings
    }

    /// The upsert flags of the compiled mapping (`enableMergeEntity`,
    /// `createMissingRelatedEntities`).
    pub fn upsert_options(&self) -> UpsertOptions {
        let mapping = self.mapping();
        UpsertOptions {
            merge: mapping.enable_merge_entity,
            create_missing_related_entities: mapping.create_missing_related_entities,
            extra_query: Vec::new(),
        }
    }

    /// A raw Opsgenie object reduced to what `resource` reads, as a jq value.
    pub fn decode(resource: &Resource, raw: &serde_json::Value) -> Value {
        decode::project(raw, &resource.projection)
    }

    /// Enrichment fields `resource` needs: those its expressions read, plus `__members` when
    /// a team resource sets `includeMembers: true` (as Ocean fetches them then).
    pub fn resource_enrichments(resource: &Resource) -> Vec<&'static str> {
        let mut fields: Vec<&'static str> = resource
            .enrichments
            .iter()
            .copied()
            .filter(|field| enrich::supported(resource.kind).contains(field))
            .collect();
        if resource.kind == "team"
            && resource.options.include_members == Some(true)
            && !fields.contains(&enrich::MEMBERS)
        {
            fields.push(enrich::MEMBERS);
        }
        fields
    }

    /// Enrichment fields any resource of `kind` needs.
    pub fn needed_enrichments(&self, kind: &str) -> Vec<&'static str> {
        let mut fields = Vec::new();
        let mapping = self.mapping();
        for resource in mapping.resources.iter().filter(|r| r.kind == kind) {
            for field in Engine::resource_enrichments(resource) {
                if !fields.contains(&field) {
                    fields.push(field);
                }
            }
        }
        fields
    }

    /// Adds the `__x` fields in `needed` to one raw item (e.g. a webhook alert) with the same
    /// semantics as a resync. No calls when `needed` is empty; `item` must be an object.
    pub async fn enrich_item(
        &self,
        kind: &str,
        item: &mut serde_json::Value,
        needed: &[&str],
    ) -> Result<(), SyncError> {
        let needed: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|field| enrich::supported(kind).contains(field))
            .collect();
        if needed.is_empty() {
            return Ok(());
        }
        let mut enricher = enrich::Enricher::new(
            self.inner.opsgenie.clone(),
            self.inner.settings.enrichment_concurrency,
        );
        let others: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|field| *field != enrich::RELATED_INCIDENT)
            .collect();
        let raw = Value::from_serde(item);
        enricher
            .prepare(kind, &others, std::slice::from_ref(&raw))
            .await?;
        let mut values = Vec::new();
        for field in &others {
            if let Some(value) = enricher.attach(kind, field, &raw) {
                values.push((*field, value));
            }
        }
        if needed.contains(&enrich::RELATED_INCIDENT) {
            let id = item.get("id").and_then(serde_json::Value::as_str);
            let incident = match id {
                Some(id) => enricher.related_incident(id).await?,
                None => Value::Null,
            };
            values.push((enrich::RELATED_INCIDENT, incident));
        }
        if let serde_json::Value::Object(object) = item {
            for (field, value) in values {
                object.insert(field.to_owned(), value.to_serde());
            }
        }
        Ok(())
    }

    /// Upserts entities grouped by blueprint with the mapping's flags. Refused entities are
    /// counted, not errors; `Err` only when Port itself fails (credentials, retries exhausted).
    pub async fn upsert_entities(&self, entities: &[Entity]) -> Result<UpsertSummary, SyncError> {
        let mut summary = UpsertSummary::default();
        for (blueprint, bodies) in fetch::group_by_blueprint(entities) {
            let part = self.upsert_bodies(&blueprint, &bodies).await?;
            summary.upserted += part.upserted;
            summary.failed += part.failed;
            summary.failures.extend(part.failures);
        }
        Ok(summary)
    }

    /// Upserts Port entity JSON of one blueprint (see [`Engine::upsert_entities`]).
    pub(super) async fn upsert_bodies(
        &self,
        blueprint: &str,
        bodies: &[serde_json::Value],
    ) -> Result<UpsertSummary, SyncError> {
        let mut summary = UpsertSummary::default();
        // Entities Port would refuse for a value its blueprint does not take yet are failed
        // here, as Port would fail them, instead of being sent for a 422 each.
        let gate = self
            .inner
            .gate
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let (sent, held_back) = gate.sort(blueprint, bodies);
        for (index, identifier, reason) in held_back {
            summary.failed += 1;
            summary.failed_indexes.push(index);
            summary
                .failures
                .push((blueprint.to_owned(), identifier, reason));
        }
        if sent.is_empty() {
            return Ok(summary);
        }
        let kept: Vec<serde_json::Value>;
        let bodies_sent = if sent.len() == bodies.len() {
            bodies
        } else {
            kept = sent.iter().map(|&index| bodies[index].clone()).collect();
            &kept
        };
        let results = self
            .inner
            .port
            .upsert_entities(blueprint, bodies_sent, &self.upsert_options())
            .await?;
        for result in results {
            // Back to the position in `bodies`.
            let Some(&index) = sent.get(result.index) else {
                continue;
            };
            match result.status {
                crate::port::UpsertStatus::Failed(error) => {
                    summary.failed += 1;
                    summary.failed_indexes.push(index);
                    summary.failures.push((
                        blueprint.to_owned(),
                        result.identifier,
                        secret::mask(&error.to_string()),
                    ));
                }
                crate::port::UpsertStatus::Created => {
                    summary.upserted += 1;
                    summary.created_indexes.push(index);
                }
                crate::port::UpsertStatus::Updated => summary.upserted += 1,
            }
        }
        Ok(summary)
    }

    /// Bulk-deletes `(blueprint, identifier)` pairs with the mapping's `deleteDependentEntities`.
    /// No ownership check (Ocean's `unregister_raw`).
    pub async fn delete_entities(
        &self,
        keys: &[(String, String)],
    ) -> Result<DeleteSummary, SyncError> {
        let mut by_blueprint: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (blueprint, identifier) in keys {
            by_blueprint
                .entry(blueprint.as_str())
                .or_default()
                .push(identifier.clone());
        }
        let mut summary = DeleteSummary::default();
        for (blueprint, ids) in by_blueprint {
            let result = self
                .inner
                .port
                .delete_entities(blueprint, &ids, self.mapping().delete_dependent_entities)
                .await?;
            summary.deleted += result.deleted.len();
            summary.failed += result.failed.len();
        }
        Ok(summary)
    }

    /// One full resync; every failure ends up in the report (this never panics on bad input).
    pub async fn resync(&self, cancel: &CancellationFlag) -> ResyncReport {
        self.resync_with_progress(cancel, &NoProgress).await
    }

    /// [`Engine::resync`], reporting each resource's progress to `progress`.
    pub async fn resync_with_progress(
        &self,
        cancel: &CancellationFlag,
        progress: &dyn Progress,
    ) -> ResyncReport {
        let started = Instant::now();
        let counters_before = (self.opsgenie().counters(), self.port().counters());
        let start_ms = crate::http::time::now_millis();
        let start_iso = format_iso_millis(start_ms);
        let mut errors: Vec<String> = Vec::new();
        let mut fatal = false;
        let reported = tokio::select! {
            biased;
            _ = cancel.cancelled() => Ok(()),
            reported = self.report_state("running", Some(&start_iso)) => reported,
        };
        if let Err(error) = reported {
            // The state is bookkeeping: a report Port keeps refusing (429, 5xx, after every
            // retry) is logged and the resync goes on. Only refused credentials or a Port that
            // cannot be reached at all stop it here, before touching Opsgenie: every later
            // call would fail the same way.
            if state_report_stops_the_run(&error) {
                errors.push(SyncError::from(error).to_string());
                fatal = true;
            }
        }
        let selection = if fatal {
            Selection::unselected(self.mapping())
        } else {
            self.select_mapping(false).await
        };
        let mapping = selection.mapping.clone();
        tracing::info!(
            mapping = %mapping.origin,
            backend = mapping.origin.backend(),
            reason = %selection.reason.describe(),
            resources = mapping.resources.len(),
            blocked = selection.blocked.len(),
            "resync started"
        );
        for warning in &selection.warnings {
            tracing::warn!(diagnostic = %warning, "the mapping in Port has a warning");
        }
        if let Some(failure) = &selection.failure {
            errors.push(failure.clone());
            fatal = true;
        }

        let relation_targets = reconcile::relation_targets(&mapping.blueprints_json);
        let mut generated = reconcile::Generated::new(&relation_targets);
        // Port's copies are listed before Opsgenie is read: what is compared is what Port holds
        // (an entity changed by hand is written again), and the deletion phase needs them.
        let (mut listing, mut aborted) = (None, false);
        match listing::Listing::read_unless(fatal, self, &mapping, cancel).await {
            Ok(listed) => listing = listed,
            Err(SyncError::Aborted) => aborted = true,
            Err(error) => {
                errors.push(format!("cannot list this integration's entities: {error}"));
                fatal = error.stops_the_run();
            }
        }
        let pass = if fatal || aborted {
            Pass::default()
        } else {
            let run = fetch::Run::resync(listing.as_mut());
            self.run_resources(cancel, &selection, &mut generated, run, progress)
                .await
        };
        errors.extend(pass.errors);
        let mut kinds = pass.kinds;
        aborted |= pass.aborted || cancel.is_cancelled();
        fatal |= pass.fatal;
        let deletion = reconcile::phase(
            self,
            &generated,
            listing.as_ref(),
            &start_iso,
            &mut kinds,
            &mut errors,
            aborted,
        )
        .await;
        let status = if aborted {
            ResyncStatus::Aborted
        } else if errors.is_empty() {
            ResyncStatus::Completed
        } else {
            ResyncStatus::Failed
        };
        if !fatal {
            // Logged by `report_state` when it fails; the outcome stands either way. After a
            // cancel it is bounded: the run has been asked to end now.
            let report = self.report_state(status.as_str(), None);
            if aborted {
                let _ = tokio::time::timeout(ABORTED_REPORT_LIMIT, report).await;
            } else {
                let _ = report.await;
            }
        }
        let report = ResyncReport {
            status,
            mapping: MappingUsed::of(&selection),
            blueprints: selection.blueprints.clone().unwrap_or_default(),
            kinds,
            errors,
            deletion,
            elapsed: started.elapsed(),
            traffic: summary::Traffic {
                opsgenie: self.opsgenie().counters().since(&counters_before.0),
                port: self.port().counters().since(&counters_before.1),
            },
        };
        tracing::info!(
            status = status.as_str(),
            elapsed_ms = report.elapsed.as_millis() as u64,
            "resync finished"
        );
        report
    }

    /// Runs every resource in mapping order (writing, or recording into `plan`), stopping at
    /// the first authentication failure or cancellation.
    async fn run_resources(
        &self,
        cancel: &CancellationFlag,
        selection: &Selection,
        generated: &mut reconcile::Generated,
        mut run: fetch::Run<'_>,
        progress: &dyn Progress,
    ) -> Pass {
        let mut enricher = enrich::Enricher::new(
            self.inner.opsgenie.clone(),
            self.inner.settings.enrichment_concurrency,
        );
        let mut pass = Pass::default();
        let mut refused = Vec::new();
        let mapping = &selection.mapping;
        for resource in &mapping.resources {
            if cancel.is_cancelled() {
                pass.aborted = true;
                break;
            }
            let run = fetch::ResourceRun::new(
                self,
                resource,
                &mut enricher,
                generated,
                run.reborrow(),
                &mut refused,
                progress,
            );
            let (summary, outcome) = run.run(cancel).await;
            pass.kinds.push(summary);
            match outcome {
                Ok(()) => {}
                Err(SyncError::Aborted) => {
                    pass.aborted = true;
                    break;
                }
                Err(error) => {
                    tracing::error!(kind = resource.kind, index = resource.index, error = %error, "resource failed");
                    pass.errors.push(format!(
                        "{} (resource {}): {error}",
                        resource.kind, resource.index
                    ));
                    if error.stops_the_run() {
                        pass.fatal = true;
                        break;
                    }
                }
            }
        }
        if !pass.aborted && !pass.fatal && !refused.is_empty() {
            let listing = run.listing.as_deref_mut();
            retry::upsert_refused(self, refused, &mut pass.kinds, listing).await;
        }
        // Resources that cannot run (Port's mapping cannot produce correct data for them, or
        // Port's blueprint cannot take their entities): nothing written for them, and their
        // errors keep this resync from deleting anything.
        for blocked in &selection.blocked {
            let error = match blocked.by {
                BlockedBy::Mapping => {
                    tracing::error!(index = blocked.index, kind = %blocked.kind, diagnostics = %blocked.diagnostics, "resource blocked by its mapping");
                    let first_line = blocked.diagnostics.lines().next().unwrap_or_default();
                    format!("blocked by the mapping in Port: {first_line}")
                }
                // Said once, before anything was written (`blueprints.rs`).
                BlockedBy::Blueprint => blocked.diagnostics.clone(),
            };
            pass.errors.push(format!(
                "{} (resource {}): {error}",
                blocked.kind, blocked.index
            ));
            pass.kinds.push(KindSummary {
                kind: select::static_kind(&blocked.kind),
                index: blocked.index,
                error: Some(error),
                ..KindSummary::default()
            });
        }
        pass.kinds.sort_by_key(|kind| kind.index);
        // Entities Port refused (or items whose selector did not yield a boolean) make the
        // run failed: its result is not the account's state, so nothing may be deleted. A
        // plan's predicted refusals are its findings, not its errors.
        for kind in &pass.kinds {
            let failed = kind.failed - kind.refused;
            if failed > 0 && kind.error.is_none() {
                pass.errors.push(format!(
                    "{} (resource {}): {failed} item(s) not written: Port refused the entity or the selector did not yield a boolean (each reason is in the log)",
                    kind.kind, kind.index
                ));
            }
        }
        pass
    }

    /// PATCHes resync-state; failures are logged, and returned so the caller can stop on bad
    /// credentials.
    async fn report_state(&self, status: &str, start: Option<&str>) -> Result<(), PortError> {
        let settings = &self.inner.settings;
        if !settings.report_resync_state {
            return Ok(());
        }
        let now = crate::http::time::now_millis();
        let interval = settings.interval_minutes.filter(|m| *m > 0);
        let next = interval.map(|m| format_iso_millis(now + (m as i64) * 60_000));
        let body = match start {
            Some(start) => json!({
                "status": status,
                "lastResyncStart": start,
                "lastResyncEnd": null,
                "nextResync": next,
                "intervalInMinuets": interval,
            }),
            None => json!({
                "status": status,
                "lastResyncEnd": format_iso_millis(now),
                "nextResync": next,
                "intervalInMinuets": interval,
            }),
        };
        match self
            .inner
            .port
            .update_resync_state(&settings.identifier, &body)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::warn!(status, error = %error, "cannot report the resync state to Port (bookkeeping only: the resync does not depend on it)");
                Err(error)
            }
        }
    }
}
