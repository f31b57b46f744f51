//! One resource of a resync: list its kind page by page, enrich, map, upsert each page before
//! fetching the next.

use super::diff::{self, Change};
use super::enrich::{self, Enricher};
use super::listing::{Listing, Verdict, Written};
use super::pending::{self, Held, Pending};
use super::plan::{self, PlanBook};
use super::reconcile::Generated;
use super::retry::Refused;
use super::summary::{KindSummary, Progress};
use super::{CancellationFlag, Engine, SyncError};
use crate::mapping::{Entity, FieldNote, Outcome, Resource};
use crate::opsgenie::{self, ListParams, Pager};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// Entities Port refused that are logged one by one (the rest are only counted).
const LOGGED_FAILURES: usize = 5;
/// Raw items per resource uploaded as examples (Ocean's number).
const RAW_EXAMPLES: usize = 5;

/// What the resources of a run compare with and write to: a plan's book, or a resync's
/// listing of Port's copies.
pub(super) struct Run<'a> {
    pub plan: Option<&'a mut PlanBook>,
    pub listing: Option<&'a mut Listing>,
}

impl<'a> Run<'a> {
    pub(super) fn plan(book: &'a mut PlanBook) -> Self {
        Run {
            plan: Some(book),
            listing: None,
        }
    }

    pub(super) fn resync(listing: Option<&'a mut Listing>) -> Self {
        Run {
            plan: None,
            listing,
        }
    }

    /// The same, for one resource.
    pub(super) fn reborrow(&mut self) -> Run<'_> {
        Run {
            plan: self.plan.as_deref_mut(),
            listing: self.listing.as_deref_mut(),
        }
    }
}

pub(super) struct ResourceRun<'a> {
    engine: &'a Engine,
    resource: &'a Resource,
    enricher: &'a mut Enricher,
    generated: &'a mut Generated,
    /// In a plan: where pages are recorded instead of written.
    plan: Option<&'a mut PlanBook>,
    /// In a resync: this integration's entities as Port held them at its start (`None` when
    /// they could not be listed: every comparison is then a search).
    listing: Option<&'a mut Listing>,
    /// Entities that differ from Port's, waiting to be written.
    pending: Pending,
    /// Entities Port refused, kept for a retry after every resource when Port does not create
    /// missing relation targets (a target may come from a later resource).
    refused: &'a mut Vec<Refused>,
    progress: &'a dyn Progress,
    enrichments: Vec<&'static str>,
    summary: KindSummary,
    /// Fields that produced no value: (field, error) -> count, logged once at the end.
    notes: BTreeMap<(std::sync::Arc<str>, Option<String>), u64>,
    logged_failures: usize,
    /// Entities of this resource so far (to notice an identifier mapped twice), and whether
    /// this resource wrote them.
    seen: HashMap<plan::Key, Wrote>,
    /// How many entities repeated an earlier one's identifier, and the first such identifier.
    repeated: (u64, Option<String>),
}

impl<'a> ResourceRun<'a> {
    pub(super) fn new(
        engine: &'a Engine,
        resource: &'a Resource,
        enricher: &'a mut Enricher,
        generated: &'a mut Generated,
        run: Run<'a>,
        refused: &'a mut Vec<Refused>,
        progress: &'a dyn Progress,
    ) -> Self {
        let Run { plan, listing } = run;
        ResourceRun {
            engine,
            resource,
            enricher,
            generated,
            plan,
            listing,
            pending: Pending::default(),
            refused,
            progress,
            enrichments: Engine::resource_enrichments(resource),
            summary: KindSummary {
                kind: resource.kind,
                index: resource.index,
                ..KindSummary::default()
            },
            notes: BTreeMap::new(),
            logged_failures: 0,
            seen: HashMap::new(),
            repeated: (0, None),
        }
    }

    /// Runs the resource; the summary is complete even when it stopped early.
    pub(super) async fn run(
        mut self,
        cancel: &CancellationFlag,
    ) -> (KindSummary, Result<(), SyncError>) {
        let started = Instant::now();
        let opsgenie_before = self.engine.opsgenie().counters().requests;
        let port_before = self.engine.port().counters().requests;
        tracing::info!(
            kind = self.resource.kind,
            index = self.resource.index,
            enrichments = ?self.enrichments,
            "resyncing resource"
        );
        self.progress
            .started(self.resource.kind, self.resource.index);
        let mut outcome = self.pages(cancel).await;
        // What the pages before a failed one produced is written, as Ocean writes each page; not
        // after an abort, nor when Port is the trouble.
        let flush = match &outcome {
            Ok(()) => true,
            Err(error) => matches!(error, SyncError::Opsgenie(_) | SyncError::Mapping(_)),
        };
        if flush {
            if let Err(error) = cancel.guard(self.flush(usize::MAX)).await {
                outcome = outcome.and(Err(error));
            }
        }
        self.log_notes();
        self.summary.opsgenie_calls = self.engine.opsgenie().counters().requests - opsgenie_before;
        self.summary.port_calls = self.engine.port().counters().requests - port_before;
        self.summary.elapsed = started.elapsed();
        if let Err(error) = &outcome {
            if !matches!(error, SyncError::Aborted) {
                self.summary.error = Some(error.to_string());
            }
        }
        let s = &self.summary;
        tracing::info!(
            kind = s.kind,
            index = s.index,
            fetched = s.fetched,
            mapped = s.mapped,
            filtered = s.filtered,
            skipped = s.skipped,
            failed = s.failed,
            created = s.created,
            updated = s.updated,
            unchanged = s.unchanged,
            opsgenie_calls = s.opsgenie_calls,
            port_calls = s.port_calls,
            elapsed_ms = s.elapsed.as_millis() as u64,
            "resource done"
        );
        self.progress.finished(&self.summary);
        (self.summary, outcome)
    }

    async fn pages(&mut self, cancel: &CancellationFlag) -> Result<(), SyncError> {
        let mut pager = self.pager()?;
        let mut selector_errors = Vec::new();
        let mut examples_sent = false;
        loop {
            if cancel.is_cancelled() {
                return Err(SyncError::Aborted);
            }
            let Some(mut page) = cancel.guard(pager.next_page_values()).await? else {
                break;
            };
            self.summary.fetched += page.len() as u64;
            let prepared = self
                .enricher
                .prepare(self.resource.kind, &self.enrichments, &page);
            cancel.guard(prepared).await?;
            let mut entities = Vec::new();
            for item in &mut page {
                enrich::insert_fields(self.enricher, self.resource.kind, &self.enrichments, item);
            }
            if !examples_sent && !page.is_empty() {
                examples_sent = true;
                self.send_examples(&page).await;
            }
            for item in page {
                for mapped in self.resource.map_raw(&item) {
                    self.note(&mapped.notes);
                    match mapped.outcome {
                        Outcome::Entity(entity) => match entity.identifier_refusal() {
                            None => entities.push(entity),
                            Some(reason) => self.refuse(&entity, reason),
                        },
                        Outcome::Filtered => self.summary.filtered += 1,
                        Outcome::Skipped(_) => self.summary.skipped += 1,
                        Outcome::SelectorError(message) => {
                            self.summary.failed += 1;
                            selector_errors.push(message);
                        }
                    }
                }
            }
            cancel.guard(self.write(entities)).await?;
            self.progress.advanced(&self.summary);
        }
        if let Some(first) = selector_errors.first() {
            return Err(SyncError::Mapping(format!(
                "{} item(s) failed the selector, e.g. {first}",
                selector_errors.len()
            )));
        }
        Ok(())
    }

    /// The list this kind reads, with the selector's options as request parameters.
    fn pager(&self) -> Result<Pager, SyncError> {
        let kind = self.resource.kind;
        let list = opsgenie::Resource::for_kind(kind).ok_or_else(|| {
            SyncError::Mapping(format!(
                "kind `{kind}` is not an Opsgenie kind this integration reads"
            ))
        })?;
        let options = &self.resource.options;
        let mut params = ListParams::none();
        // schedule-oncall reads plain schedules (Ocean passes no selector parameters).
        if kind != "schedule-oncall" {
            let terms: Vec<String> = options
                .api_query
                .iter()
                .map(|(field, value)| format!("{field}:{value}"))
                .collect();
            if !terms.is_empty() {
                params.query = Some(terms.join(" AND "));
            }
            if let Some(expand) = &options.expand {
                params.extra.push(("expand".to_owned(), expand.to_owned()));
            }
        }
        Ok(self.engine.opsgenie().list(list, params))
    }

    /// Uploads the first raw items (enriched, secrets masked) as the kind's examples, as Ocean
    /// does for the mapping editor. Not in a plan; a failure is logged, not an error.
    async fn send_examples(&self, page: &[crate::jq::Value]) {
        let settings = self.engine.settings();
        if self.plan.is_some() || !settings.send_raw_data_examples {
            return;
        }
        let examples: Vec<serde_json::Value> = page
            .iter()
            .take(RAW_EXAMPLES)
            .filter_map(|item| {
                let text = crate::secret::mask(&item.to_serde().to_string());
                serde_json::from_str(&text).ok()
            })
            .collect();
        let port = self.engine.port();
        let kind = self.resource.kind;
        if let Err(error) = port
            .upload_kind_examples(&settings.identifier, kind, &examples)
            .await
        {
            tracing::warn!(kind, error = %error, "cannot upload raw examples");
        }
    }

    /// An entity whose identifier Port refuses (not a string, or not its pattern): not sent,
    /// counted as failed with Port's reason — in a plan, listed as a refusal — as when Port
    /// answers 422, so the resync fails and deletes nothing.
    fn refuse(&mut self, entity: &Entity, reason: String) {
        self.summary.mapped += 1;
        self.summary.failed += 1;
        self.generated.add(entity);
        let (blueprint, identifier) = (entity.blueprint_name(), entity.identifier_key());
        if let Some(book) = self.plan.as_deref_mut() {
            self.summary.refused += 1;
            book.refuse(&blueprint, identifier, reason);
        } else if self.logged_failures < LOGGED_FAILURES {
            self.logged_failures += 1;
            tracing::warn!(
                kind = self.resource.kind,
                blueprint = %blueprint,
                identifier = %identifier,
                reason = %reason,
                "entity not written: Port refuses its identifier"
            );
        }
    }

    /// Compares one page's entities with Port and holds back those that differ (in a plan,
    /// records them); once [`pending::HOLD`] wait, the oldest are written.
    async fn write(&mut self, entities: Vec<Entity>) -> Result<(), SyncError> {
        if entities.is_empty() {
            return Ok(());
        }
        self.summary.mapped += entities.len() as u64;
        // Failed upserts count as generated too: Ocean never deletes what it just tried to write.
        for entity in &entities {
            self.generated.add(entity);
            let id = entity.identifier_key();
            let key = plan::key(&entity.blueprint_name(), &id);
            if let Entry::Vacant(slot) = self.seen.entry(key) {
                slot.insert(Wrote::No);
            } else {
                self.repeated.0 += 1;
                self.repeated.1.get_or_insert(id);
            }
        }
        let (entities, superseded) = pending::last_per_identifier(entities);
        self.summary.superseded += superseded;
        for (blueprint, bodies) in group_by_blueprint(&entities) {
            self.hold(blueprint, bodies).await?;
        }
        // A page may hold more than FLUSH entities (itemsToParse fans out): write until fewer
        // than HOLD wait.
        while self.pending.len() >= pending::HOLD {
            self.flush(pending::FLUSH).await?;
        }
        Ok(())
    }

    /// Compares bodies of one blueprint with Port: with the resync's listing, else (in a plan,
    /// or for what the listing cannot tell) with a search. Unchanged ones are counted (in a
    /// plan, recorded), the others held.
    async fn hold(
        &mut self,
        blueprint: String,
        bodies: Vec<serde_json::Value>,
    ) -> Result<(), SyncError> {
        let engine = self.engine;
        let (port, settings) = (engine.port(), engine.settings());
        if self.plan.is_some() {
            let compared = diff::classify(port, settings, &blueprint, &bodies, true).await?;
            for (body, compared) in bodies.into_iter().zip(compared) {
                let key = plan::key(&blueprint, &identifier_of(&body));
                self.summary.superseded += u64::from(self.pending.supersede(key));
                if compared.0 == Change::Unchanged {
                    self.record(&blueprint, &[body], vec![compared]).await?;
                    continue;
                }
                let held = Held {
                    key,
                    blueprint: blueprint.clone(),
                    body,
                    compared: Some(compared),
                    written: None,
                };
                self.pending.push(held);
            }
            return Ok(());
        }
        let resource = self.resource.index;
        let listing = self.listing.as_deref();
        let written: Vec<Option<Written>> = bodies
            .iter()
            .map(|body| listing.and_then(|l| l.written(resource, body)))
            .collect();
        let mut verdicts: Vec<Verdict> = bodies
            .iter()
            .zip(&written)
            .map(|(body, ours)| {
                // Written earlier by this resource (a repeat): Port's listed copy is stale.
                let key = plan::key(&blueprint, &identifier_of(body));
                match listing {
                    Some(_) if self.seen.get(&key) == Some(&Wrote::Yes) => Verdict::Unknown,
                    Some(listing) => listing.compare(&blueprint, body, *ours),
                    None => Verdict::Unknown,
                }
            })
            .collect();
        let unknown: Vec<usize> = (0..bodies.len())
            .filter(|&i| verdicts[i] == Verdict::Unknown)
            .collect();
        if !unknown.is_empty() {
            let asked: Vec<serde_json::Value> =
                unknown.iter().map(|&i| bodies[i].clone()).collect();
            let changes: Vec<Change> = match diff::classify(
                port, settings, &blueprint, &asked, false,
            )
            .await
            {
                Ok(compared) => compared.into_iter().map(|(change, _)| change).collect(),
                Err(error) if error.is_auth() => return Err(error.into()),
                Err(error) => {
                    // As Ocean: when the comparison fails, everything is written.
                    tracing::warn!(blueprint = %blueprint, error = %error, "cannot compare with Port; writing every entity");
                    vec![Change::Update; asked.len()]
                }
            };
            for (&i, change) in unknown.iter().zip(changes) {
                verdicts[i] = match change {
                    Change::Unchanged => Verdict::Unchanged,
                    Change::Create => Verdict::Create,
                    Change::Update => Verdict::Update,
                };
            }
        }
        for ((body, verdict), written) in bodies.into_iter().zip(verdicts).zip(written) {
            let key = plan::key(&blueprint, &identifier_of(&body));
            self.summary.superseded += u64::from(self.pending.supersede(key));
            if verdict == Verdict::Unchanged {
                self.summary.unchanged += 1;
                continue;
            }
            let held = Held {
                key,
                blueprint: blueprint.clone(),
                body,
                compared: None,
                written,
            };
            self.pending.push(held);
        }
        Ok(())
    }

    /// Writes (in a plan, records) up to `count` of the oldest held entities, per blueprint.
    async fn flush(&mut self, count: usize) -> Result<(), SyncError> {
        let mut groups: Vec<(String, Vec<Held>)> = Vec::new();
        for held in self.pending.take_oldest(count) {
            match groups.iter_mut().find(|(name, _)| *name == held.blueprint) {
                Some((_, group)) => group.push(held),
                None => groups.push((held.blueprint.clone(), vec![held])),
            }
        }
        for (blueprint, group) in groups {
            if self.plan.is_some() {
                let (bodies, compared): (Vec<_>, Vec<_>) = group
                    .into_iter()
                    .map(|held| (held.body, held.compared.unwrap_or((Change::Update, None))))
                    .unzip();
                self.record(&blueprint, &bodies, compared).await?;
            } else {
                self.upsert(&blueprint, group).await?;
            }
        }
        Ok(())
    }

    /// Records bodies in the plan with how they compared with Port.
    async fn record(
        &mut self,
        blueprint: &str,
        bodies: &[serde_json::Value],
        compared: Vec<diff::Compared>,
    ) -> Result<(), SyncError> {
        let Some(book) = self.plan.as_deref_mut() else {
            return Ok(());
        };
        let counts = book.record(blueprint, bodies, compared);
        self.engine.plan_placeholders(book).await?;
        self.summary.created += counts.created;
        self.summary.updated += counts.updated;
        self.summary.unchanged += counts.unchanged;
        self.summary.failed += counts.refused;
        self.summary.refused += counts.refused;
        Ok(())
    }

    /// Upserts held entities of one blueprint and counts what Port did.
    async fn upsert(&mut self, blueprint: &str, group: Vec<Held>) -> Result<(), SyncError> {
        let engine = self.engine;
        let (bodies, written): (Vec<serde_json::Value>, Vec<Option<Written>>) = group
            .into_iter()
            .map(|held| (held.body, held.written))
            .unzip();
        let result = engine.upsert_bodies(blueprint, &bodies).await?;
        let created = result.created_indexes.len();
        self.summary.created += created as u64;
        self.summary.updated += (result.upserted - created) as u64;
        self.summary.upserted += result.upserted as u64;
        self.summary.failed += result.failed as u64;
        let failed: HashSet<usize> = result.failed_indexes.iter().copied().collect();
        for (index, (body, ours)) in bodies.iter().zip(&written).enumerate() {
            if failed.contains(&index) {
                continue;
            }
            let key = plan::key(blueprint, &identifier_of(body));
            self.seen.insert(key, Wrote::Yes);
            if let Some(listing) = self.listing.as_deref_mut() {
                listing.wrote(blueprint, body, *ours);
            }
        }
        let retried = !engine.mapping().create_missing_related_entities;
        for (blueprint, identifier, reason) in &result.failures {
            if self.logged_failures < LOGGED_FAILURES {
                self.logged_failures += 1;
                tracing::warn!(
                    kind = self.resource.kind,
                    blueprint = %blueprint,
                    identifier = %identifier,
                    reason = %reason,
                    retried,
                    // Refused by Port, or held back as Port would refuse it (the reason
                    // says which).
                    "Port refused an entity, or would: not written"
                );
            }
        }
        if retried {
            for &index in &result.failed_indexes {
                self.refused.push(Refused {
                    resource: self.resource.index,
                    blueprint: blueprint.to_owned(),
                    body: bodies[index].clone(),
                });
            }
        }
        Ok(())
    }

    fn note(&mut self, notes: &[FieldNote]) {
        for note in notes {
            *self
                .notes
                .entry((note.field.clone(), note.error.clone()))
                .or_default() += 1;
        }
    }

    /// One warning per field, like Ocean's misconfiguration report, and one for identifiers the
    /// resource mapped more than once (only the last of them is written, unless more than
    /// [`pending::HOLD`] differing entities came between them).
    fn log_notes(&self) {
        if let (count, Some(example)) = &self.repeated {
            tracing::warn!(
                kind = self.resource.kind,
                index = self.resource.index,
                count,
                example = %example,
                superseded = self.summary.superseded,
                "entities share an identifier with an earlier one of the same resource; Port keeps the last one written, so the earlier ones are not written (`superseded` of them this time)"
            );
        }
        for ((field, error), count) in &self.notes {
            match error {
                None => tracing::warn!(
                    kind = self.resource.kind,
                    field = &**field,
                    count,
                    "mapping field produced no value; sent as null"
                ),
                Some(error) => tracing::warn!(
                    kind = self.resource.kind,
                    field = &**field,
                    count,
                    error = %error,
                    "mapping field raised an error; sent as null"
                ),
            }
        }
    }
}

fn identifier_of(body: &serde_json::Value) -> String {
    match body.get("identifier") {
        Some(serde_json::Value::String(id)) => id.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Whether a resource wrote an entity it mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wrote {
    No,
    Yes,
}

/// Port entity JSON per blueprint, blueprints in order of first appearance.
pub(super) fn group_by_blueprint(entities: &[Entity]) -> Vec<(String, Vec<serde_json::Value>)> {
    let mut groups: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for entity in entities {
        let blueprint = entity.blueprint_name();
        let body =
            serde_json::from_slice(&entity.to_port_json()).unwrap_or(serde_json::Value::Null);
        match groups.iter_mut().find(|(name, _)| *name == blueprint) {
            Some((_, bodies)) => bodies.push(body),
            None => groups.push((blueprint, vec![body])),
        }
    }
    groups
}
