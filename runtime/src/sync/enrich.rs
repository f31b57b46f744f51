//! Demand-driven enrichment: the `__x` fields the seed mappings read, computed from indexes built
//! once per resync so Opsgenie calls grow linearly with the account (the 2023 Ocean code looked
//! up every alert against every incident).
//!
//! Semantics (ocean-core.md §8.7, §8.3):
//! - service `__team`: `GET /v2/teams/{teamId}` (cached per team);
//! - service `__incidents`: every incident whose `impactedServices` contains the service id;
//! - service `__oncalls`: on-calls (`flat=true`) of the first schedule whose `ownerTeam.id` is
//!   the service's team;
//! - incident `__impactedServices`: the service objects of `impactedServices`, in that order;
//! - alert `__relatedIncident`: the first incident whose associated alert ids contain the alert;
//! - team `__members`: `members` of `GET /v2/teams/{id}`;
//! - schedule / schedule-oncall `__currentOncalls`: on-calls (`flat=true`) of the schedule.
//!
//! A field that cannot be resolved (no team, no schedule, 404) is `null`; list fields are `[]`.

use crate::jq::{Map, Value};
use crate::opsgenie::{ListParams, OpsgenieClient, OpsgenieError, Resource};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use tokio::task::JoinSet;

pub const TEAM: &str = "__team";
pub const INCIDENTS: &str = "__incidents";
pub const ONCALLS: &str = "__oncalls";
pub const IMPACTED_SERVICES: &str = "__impactedServices";
pub const RELATED_INCIDENT: &str = "__relatedIncident";
pub const MEMBERS: &str = "__members";
pub const CURRENT_ONCALLS: &str = "__currentOncalls";

/// The enrichment fields a kind supports.
pub fn supported(kind: &str) -> &'static [&'static str] {
    match kind {
        "service" => &[TEAM, INCIDENTS, ONCALLS],
        "incident" => &[IMPACTED_SERVICES],
        "alert" => &[RELATED_INCIDENT],
        "team" => &[MEMBERS],
        "schedule" | "schedule-oncall" => &[CURRENT_ONCALLS],
        _ => &[],
    }
}

/// Per-resync caches and indexes. Lists are read at most once; detail objects once per id.
pub struct Enricher {
    client: OpsgenieClient,
    concurrency: usize,
    /// `GET /v2/teams/{id}` data by team id (`Null` when absent).
    teams: HashMap<String, Value>,
    /// On-calls data by schedule id (`Null` when absent).
    on_calls: HashMap<String, Value>,
    incidents: Option<Incidents>,
    /// Service objects by id.
    services: Option<HashMap<String, Value>>,
    /// Team id -> id of the first schedule it owns.
    schedule_of_team: Option<HashMap<String, String>>,
    /// Alert id -> index (into `incidents.all`) of the first incident associating it.
    incident_of_alert: Option<HashMap<String, usize>>,
}

struct Incidents {
    all: Vec<Value>,
    ids: Vec<String>,
    /// Service id -> indexes of incidents impacting it, in list order.
    by_service: HashMap<String, Vec<usize>>,
}

impl Enricher {
    pub fn new(client: OpsgenieClient, concurrency: usize) -> Self {
        Enricher {
            client,
            concurrency: concurrency.max(1),
            teams: HashMap::new(),
            on_calls: HashMap::new(),
            incidents: None,
            services: None,
            schedule_of_team: None,
            incident_of_alert: None,
        }
    }

    /// Makes every call `fields` need for `items` (raw objects of `kind`), so that [`attach`]
    /// can then run without I/O.
    ///
    /// [`attach`]: Enricher::attach
    pub async fn prepare(
        &mut self,
        kind: &str,
        fields: &[&str],
        items: &[Value],
    ) -> Result<(), OpsgenieError> {
        let wants = |field: &str| fields.contains(&field) && supported(kind).contains(&field);
        if wants(TEAM) || wants(MEMBERS) {
            let key = if kind == "team" { "id" } else { "teamId" };
            let ids = missing(items.iter().filter_map(|i| text(i, key)), &self.teams);
            let client = self.client.clone();
            let fetched = fetch_all(ids, self.concurrency, move |id| {
                let client = client.clone();
                async move { client.get_team(&id).await }
            })
            .await?;
            for (id, team) in fetched {
                self.teams.insert(id, to_jq(team));
            }
        }
        if wants(ONCALLS) {
            self.load_schedule_owners().await?;
            let owners = self.schedule_of_team.as_ref();
            let schedules = items
                .iter()
                .filter_map(|i| text(i, "teamId"))
                .filter_map(|team| owners.and_then(|o| o.get(team)).map(String::as_str));
            let ids = missing(schedules, &self.on_calls);
            self.fetch_on_calls(ids).await?;
        }
        if wants(CURRENT_ONCALLS) {
            let ids = missing(items.iter().filter_map(|i| text(i, "id")), &self.on_calls);
            self.fetch_on_calls(ids).await?;
        }
        if wants(INCIDENTS) {
            self.load_incidents().await?;
        }
        if wants(IMPACTED_SERVICES) {
            self.load_services().await?;
        }
        if wants(RELATED_INCIDENT) {
            self.load_alert_index().await?;
        }
        Ok(())
    }

    /// The value of `field` for one raw item of `kind`; [`prepare`](Enricher::prepare) must have
    /// run for it. Unsupported fields give `None` (left unset, so the mapping reads `null`).
    pub fn attach(&self, kind: &str, field: &str, raw: &Value) -> Option<Value> {
        if !supported(kind).contains(&field) {
            return None;
        }
        let value = match field {
            TEAM => text(raw, "teamId")
                .and_then(|team| self.teams.get(team))
                .cloned()
                .unwrap_or(Value::Null),
            MEMBERS => text(raw, "id")
                .and_then(|team| self.teams.get(team))
                .and_then(|team| team.as_object()?.get("members").cloned())
                .unwrap_or(Value::Null),
            ONCALLS => text(raw, "teamId")
                .and_then(|team| self.schedule_of_team.as_ref()?.get(team))
                .and_then(|schedule| self.on_calls.get(schedule))
                .cloned()
                .unwrap_or(Value::Null),
            CURRENT_ONCALLS => text(raw, "id")
                .and_then(|schedule| self.on_calls.get(schedule))
                .cloned()
                .unwrap_or(Value::Null),
            INCIDENTS => {
                let incidents = self.incidents.as_ref()?;
                text(raw, "id")
                    .and_then(|service| incidents.by_service.get(service))
                    .map(|indexes| indexes.iter().map(|&i| incidents.all[i].clone()).collect())
                    .unwrap_or_else(|| Value::from(Vec::new()))
            }
            IMPACTED_SERVICES => {
                let services = self.services.as_ref()?;
                field_of(raw, "impactedServices")
                    .and_then(Value::as_array)
                    .map(|ids| {
                        ids.iter()
                            .filter_map(Value::as_str)
                            .filter_map(|id| services.get(id).cloned())
                            .collect()
                    })
                    .unwrap_or_else(|| Value::from(Vec::new()))
            }
            RELATED_INCIDENT => {
                let incidents = self.incidents.as_ref()?;
                text(raw, "id")
                    .and_then(|alert| self.incident_of_alert.as_ref()?.get(alert))
                    .map(|&i| incidents.all[i].clone())
                    .unwrap_or(Value::Null)
            }
            _ => return None,
        };
        Some(value)
    }

    /// The first incident associating `alert_id`, scanning incidents in list order and stopping
    /// at the first match (a webhook enriches one alert; building the whole index would cost a
    /// call per incident).
    pub async fn related_incident(&mut self, alert_id: &str) -> Result<Value, OpsgenieError> {
        if let Some(index) = &self.incident_of_alert {
            let found = index.get(alert_id).copied();
            let incidents = self.incidents.as_ref();
            return Ok(found
                .and_then(|i| incidents.map(|inc| inc.all[i].clone()))
                .unwrap_or(Value::Null));
        }
        self.load_incidents().await?;
        let Some(incidents) = &self.incidents else {
            return Ok(Value::Null);
        };
        for (chunk_start, chunk) in incidents
            .ids
            .chunks(self.concurrency)
            .enumerate()
            .map(|(n, chunk)| (n * self.concurrency, chunk))
        {
            let client = self.client.clone();
            let fetched = fetch_all(chunk.to_vec(), self.concurrency, move |id| {
                let client = client.clone();
                async move { client.incident_associated_alert_ids(&id).await }
            })
            .await?;
            let by_id: HashMap<String, Vec<String>> = fetched.into_iter().collect();
            for (offset, id) in chunk.iter().enumerate() {
                if by_id
                    .get(id)
                    .is_some_and(|alerts| alerts.iter().any(|a| a == alert_id))
                {
                    return Ok(incidents.all[chunk_start + offset].clone());
                }
            }
        }
        Ok(Value::Null)
    }

    async fn fetch_on_calls(&mut self, ids: Vec<String>) -> Result<(), OpsgenieError> {
        let client = self.client.clone();
        let fetched = fetch_all(ids, self.concurrency, move |id| {
            let client = client.clone();
            async move { client.schedule_on_calls(&id).await }
        })
        .await?;
        for (id, on_calls) in fetched {
            self.on_calls.insert(id, to_jq(on_calls));
        }
        Ok(())
    }

    async fn load_schedule_owners(&mut self) -> Result<(), OpsgenieError> {
        if self.schedule_of_team.is_some() {
            return Ok(());
        }
        let mut owners = HashMap::new();
        let mut pager = self.client.list_schedules(false);
        while let Some(page) = pager.next_page_values().await? {
            for schedule in &page {
                let team = field_of(schedule, "ownerTeam").and_then(|team| text(team, "id"));
                if let (Some(team), Some(id)) = (team, text(schedule, "id")) {
                    owners
                        .entry(team.to_owned())
                        .or_insert_with(|| id.to_owned());
                }
            }
        }
        self.schedule_of_team = Some(owners);
        Ok(())
    }

    async fn load_incidents(&mut self) -> Result<(), OpsgenieError> {
        if self.incidents.is_some() {
            return Ok(());
        }
        let mut incidents = Incidents {
            all: Vec::new(),
            ids: Vec::new(),
            by_service: HashMap::new(),
        };
        let mut pager = self.client.list(Resource::Incidents, ListParams::none());
        while let Some(page) = pager.next_page_values().await? {
            for incident in page {
                let index = incidents.all.len();
                let services = field_of(&incident, "impactedServices").and_then(Value::as_array);
                for service in services
                    .into_iter()
                    .flat_map(|s| s.iter())
                    .filter_map(Value::as_str)
                {
                    let list = incidents.by_service.entry(service.to_owned()).or_default();
                    // An id listed twice still impacts the service once.
                    if list.last() != Some(&index) {
                        list.push(index);
                    }
                }
                incidents
                    .ids
                    .push(text(&incident, "id").unwrap_or_default().to_owned());
                incidents.all.push(incident);
            }
        }
        self.incidents = Some(incidents);
        Ok(())
    }

    async fn load_services(&mut self) -> Result<(), OpsgenieError> {
        if self.services.is_some() {
            return Ok(());
        }
        let mut services = HashMap::new();
        let mut pager = self.client.list(Resource::Services, ListParams::none());
        while let Some(page) = pager.next_page_values().await? {
            for service in page {
                if let Some(id) = text(&service, "id") {
                    let id = id.to_owned();
                    services.entry(id).or_insert(service);
                }
            }
        }
        self.services = Some(services);
        Ok(())
    }

    /// Alert id -> first incident associating it: one associated-alert-ids listing per incident.
    async fn load_alert_index(&mut self) -> Result<(), OpsgenieError> {
        if self.incident_of_alert.is_some() {
            return Ok(());
        }
        self.load_incidents().await?;
        let ids = self
            .incidents
            .as_ref()
            .map(|incidents| incidents.ids.clone())
            .unwrap_or_default();
        let client = self.client.clone();
        let fetched = fetch_all(ids.clone(), self.concurrency, move |id| {
            let client = client.clone();
            async move { client.incident_associated_alert_ids(&id).await }
        })
        .await?;
        let mut alerts_of: HashMap<String, Vec<String>> = fetched.into_iter().collect();
        let mut index = HashMap::new();
        // List order decides which incident is "first", not completion order.
        for (position, id) in ids.iter().enumerate() {
            for alert in alerts_of.remove(id).unwrap_or_default() {
                index.entry(alert).or_insert(position);
            }
        }
        self.incident_of_alert = Some(index);
        Ok(())
    }
}

fn field_of<'a>(item: &'a Value, key: &str) -> Option<&'a Value> {
    item.as_object()?.get(key)
}

/// A non-empty string field.
fn text<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    field_of(item, key)?.as_str().filter(|s| !s.is_empty())
}

fn to_jq(value: Option<serde_json::Value>) -> Value {
    value.map_or(Value::Null, |v| Value::from_serde(&v))
}

/// Distinct keys not yet in `cache`, in first-seen order.
fn missing<'a>(keys: impl Iterator<Item = &'a str>, cache: &HashMap<String, Value>) -> Vec<String> {
    let mut seen = HashSet::new();
    keys.filter(|key| !cache.contains_key(*key) && seen.insert(*key))
        .map(str::to_owned)
        .collect()
}

/// Runs `fetch` for every key with at most `limit` in flight; the first error cancels the rest.
async fn fetch_all<T, F, Fut>(
    keys: Vec<String>,
    limit: usize,
    fetch: F,
) -> Result<Vec<(String, T)>, OpsgenieError>
where
    T: Send + 'static,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T, OpsgenieError>> + Send + 'static,
{
    let mut results = Vec::with_capacity(keys.len());
    let mut tasks = JoinSet::new();
    let mut pending = keys.into_iter();
    loop {
        while tasks.len() < limit.max(1) {
            let Some(key) = pending.next() else { break };
            let future = fetch(key.clone());
            tasks.spawn(async move { (key, future.await) });
        }
        let Some(joined) = tasks.join_next().await else {
            return Ok(results);
        };
        match joined {
            Ok((key, Ok(value))) => results.push((key, value)),
            Ok((_, Err(error))) => return Err(error),
            Err(join_error) => {
                return Err(OpsgenieError::InvalidConfig(format!(
                    "enrichment task failed: {join_error}"
                )))
            }
        }
    }
}

/// Adds `fields` computed by `enricher` to a raw item (an object).
pub fn insert_fields(enricher: &Enricher, kind: &str, fields: &[&str], item: &mut Value) {
    let values: Vec<(&str, Value)> = fields
        .iter()
        .filter_map(|field| Some((*field, enricher.attach(kind, field, item)?)))
        .collect();
    if values.is_empty() {
        return;
    }
    let Value::Object(object) = item else { return };
    let mut map = Map::clone(object);
    for (field, value) in values {
        map.insert(field, value);
    }
    *item = Value::from(map);
}
