//! Shared by the `e2e` test modules: both simulators, clients and engines pointed at them, and an
//! independent (naive, 2023-style) computation of what the catalog should hold.

use opsgenie_port::runtime::config::MappingSource;
use opsgenie_port::runtime::http::RetryPolicy;
use opsgenie_port::runtime::jq;
use opsgenie_port::runtime::mapping::{Mapping, Outcome};
use opsgenie_port::runtime::opsgenie::{ListParams, OpsgenieClient, OpsgenieOptions, Resource};
use opsgenie_port::runtime::port::{PortClient, PortOptions};
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::sync::{Engine, SyncSettings};
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::{self, OpsgenieSim, OpsgenieSimConfig};
use opsgenie_port_sim::port::{self, PortSim, PortSimConfig};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

pub const IDENTIFIER: &str = "e2e-sync-integration";
pub const VERSION: &str = "0.1.0";

pub struct Sims {
    pub opsgenie: OpsgenieSim,
    pub port: PortSim,
}

/// A small generated account plus the documentation's sample objects.
pub fn small_account(seed: u64, alerts: usize) -> Account {
    Account::generate(&GenSpec {
        seed,
        alerts,
        incidents: 12,
        services: 8,
        teams: 4,
        users: 12,
        schedules: 4,
    })
}

/// [`small_account`] plus the documentation's sample services and incidents (two of those
/// services share a name, hence an identifier).
pub fn account_with_sample_services(seed: u64, alerts: usize) -> Account {
    let mut account = small_account(seed, alerts);
    let sample = Account::seed_sample();
    account.services.extend(sample.services);
    account.incidents.extend(sample.incidents);
    account
}

/// `(blueprint, identifier)` of Port's entity JSON.
pub fn entity_key(entity: &Value) -> (String, String) {
    (
        entity["blueprint"].as_str().unwrap_or_default().to_owned(),
        entity["identifier"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Starts both simulators; Port knows `registry`'s blueprints and the integration, whose
/// mapping is `registry`'s (as initialisation leaves it).
pub async fn start(
    account: Account,
    registry: &Mapping,
    opsgenie_config: OpsgenieSimConfig,
) -> Sims {
    let port_config = PortSimConfig {
        blueprints: blueprints_in_dependency_order(&registry.blueprints_json),
        ..PortSimConfig::default()
    };
    let port = port::start(port_config).await.expect("port sim");
    port.create_integration(json!({
        "installationId": IDENTIFIER,
        "installationAppType": "opsgenie",
        "version": VERSION,
        "config": serde_json::from_str::<Value>(&registry.app_config_json).expect("config JSON"),
    }))
    .expect("integration");
    let opsgenie = opsgenie::start(account, opsgenie_config)
        .await
        .expect("opsgenie sim");
    Sims { opsgenie, port }
}

/// Relation targets before the blueprints pointing at them.
pub fn blueprints_in_dependency_order(json: &str) -> Vec<Value> {
    let mut pending: Vec<Value> = serde_json::from_str(json).expect("blueprints JSON");
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|bp| {
            let targets: Vec<&str> = bp["relations"]
                .as_object()
                .map(|r| r.values().filter_map(|d| d["target"].as_str()).collect())
                .unwrap_or_default();
            let id = bp["identifier"].as_str().unwrap_or_default();
            // Mirror and aggregation properties may point both ways; the tests do not need them.
            let mut bp_clean = bp.clone();
            if let Some(fields) = bp_clean.as_object_mut() {
                for key in [
                    "mirrorProperties",
                    "aggregationProperties",
                    "calculationProperties",
                ] {
                    fields.remove(key);
                }
            }
            if targets.iter().all(|t| done.contains(*t) || *t == id) {
                done.insert(id.to_owned());
                ordered.push(bp_clean);
                false
            } else {
                true
            }
        });
        assert!(pending.len() < before, "blueprint relation cycle");
    }
    ordered
}

/// Retries fast enough for tests; timeouts short enough that stalled answers are retried.
pub fn opsgenie_client(sims: &Sims, key: &str) -> OpsgenieClient {
    opsgenie_client_paged(sims, key, 100)
}

/// Smaller pages mean more requests (more chances for injected faults).
pub fn opsgenie_client_paged(sims: &Sims, key: &str, page_size: usize) -> OpsgenieClient {
    let options = OpsgenieOptions {
        timeout: Duration::from_secs(2),
        retry: RetryPolicy::fast(12),
        page_size,
        ..OpsgenieOptions::default()
    };
    OpsgenieClient::new(&sims.opsgenie.base_url(), Secret::new(key), options).expect("client")
}

pub fn port_client(sims: &Sims) -> PortClient {
    port_client_batched(sims, 20)
}

pub fn port_client_batched(sims: &Sims, batch: usize) -> PortClient {
    let options = PortOptions {
        timeout: Duration::from_secs(2),
        retry: RetryPolicy::fast(12),
        batch_max_length: batch,
        ..PortOptions::default()
    };
    PortClient::with_options(
        &sims.port.base_url(),
        Secret::new(sims.port.client_id()),
        Secret::new(sims.port.client_secret()),
        port_user_agent(),
        options,
    )
    .expect("port client")
}

pub fn port_user_agent() -> String {
    opsgenie_port::runtime::port::user_agent("opsgenie", VERSION, IDENTIFIER)
}

pub fn engine(sims: &Sims, registry: &Arc<Mapping>) -> Engine {
    Engine::new(
        registry.clone(),
        opsgenie_client(sims, sims.opsgenie.api_key()),
        port_client(sims),
        settings(),
    )
}

/// An engine reading Opsgenie through `opsgenie` (another key, URL or retry policy).
pub fn engine_reading(sims: &Sims, registry: &Arc<Mapping>, opsgenie: OpsgenieClient) -> Engine {
    Engine::new(registry.clone(), opsgenie, port_client(sims), settings())
}

/// An engine making many small requests.
pub fn chatty_engine(sims: &Sims, registry: &Arc<Mapping>) -> Engine {
    Engine::new(
        registry.clone(),
        opsgenie_client_paged(sims, sims.opsgenie.api_key(), 10),
        port_client_batched(sims, 5),
        settings(),
    )
}

pub fn settings() -> SyncSettings {
    SyncSettings {
        integration_type: "opsgenie".into(),
        identifier: IDENTIFIER.into(),
        report_resync_state: true,
        interval_minutes: None,
        enrichment_concurrency: 5,
        send_raw_data_examples: true,
        mapping_source: MappingSource::Port,
        update_blueprints: false,
        initialize_port_resources: true,
    }
}

/// Every raw object of a list, read with a plain client (no engine code).
pub async fn list_all(
    client: &OpsgenieClient,
    resource: Resource,
    params: ListParams,
) -> Vec<Value> {
    let mut pager = client.list(resource, params);
    let mut all = Vec::new();
    while let Some(page) = pager.next_page().await.expect("list") {
        all.extend(page);
    }
    all
}

/// The catalog a resync should produce, computed naively: every list read in full, each
/// enrichment field looked up by brute force (the 2023 semantics), then `map_raw`.
/// Keys: (blueprint, identifier) -> entity JSON as the mapping builds it.
pub async fn expected_catalog(
    sims: &Sims,
    registry: &Arc<Mapping>,
) -> BTreeMap<(String, String), Value> {
    let client = opsgenie_client(sims, sims.opsgenie.api_key());
    let services = list_all(&client, Resource::Services, ListParams::none()).await;
    let incidents = list_all(&client, Resource::Incidents, ListParams::none()).await;
    let schedules = list_all(&client, Resource::Schedules, ListParams::none()).await;
    let mut catalog = BTreeMap::new();
    for resource in &registry.resources {
        let mut params = ListParams::none();
        if resource.kind != "schedule-oncall" {
            let terms: Vec<String> = resource
                .options
                .api_query
                .iter()
                .map(|(f, v)| format!("{f}:{v}"))
                .collect();
            params.query = (!terms.is_empty()).then(|| terms.join(" AND "));
            if let Some(expand) = &resource.options.expand {
                params.extra.push(("expand".into(), expand.clone()));
            }
        }
        let kind = Resource::for_kind(resource.kind).expect("kind");
        let fields = Engine::resource_enrichments(resource);
        // Items decoded from the response bytes, as `opsgenie-port map` decodes its input.
        let mut pager = client.list(kind, params);
        while let Some(page) = pager.next_page_values().await.expect("list") {
            for item in page {
                let raw = item.to_serde();
                let mut map = item
                    .as_object()
                    .map(|m| jq::Map::clone(m))
                    .unwrap_or_default();
                for field in &fields {
                    let value = naive_enrichment(
                        &client,
                        resource.kind,
                        field,
                        &raw,
                        &services,
                        &incidents,
                        &schedules,
                    )
                    .await;
                    map.insert(*field, jq::Value::from_serde(&value));
                }
                for mapped in resource.map_raw(&jq::Value::from(map)) {
                    if let Outcome::Entity(entity) = mapped.outcome {
                        let value: Value =
                            serde_json::from_slice(&entity.to_port_json()).expect("entity JSON");
                        catalog.insert((entity.blueprint_name(), entity.identifier_key()), value);
                    }
                }
            }
        }
    }
    catalog
}

async fn naive_enrichment(
    client: &OpsgenieClient,
    kind: &str,
    field: &str,
    raw: &Value,
    services: &[Value],
    incidents: &[Value],
    schedules: &[Value],
) -> Value {
    let id = raw["id"].as_str().unwrap_or_default();
    match (kind, field) {
        ("service", "__team") => match raw["teamId"].as_str() {
            Some(team) if !team.is_empty() => client
                .get_team(team)
                .await
                .expect("team")
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        ("service", "__incidents") => Value::Array(
            incidents
                .iter()
                .filter(|i| {
                    i["impactedServices"]
                        .as_array()
                        .is_some_and(|s| s.iter().any(|s| s == id))
                })
                .cloned()
                .collect(),
        ),
        ("service", "__oncalls") => {
            let team = raw["teamId"].as_str().unwrap_or_default();
            match schedules
                .iter()
                .find(|s| !team.is_empty() && s["ownerTeam"]["id"] == team)
            {
                Some(schedule) => client
                    .schedule_on_calls(schedule["id"].as_str().unwrap_or_default())
                    .await
                    .expect("on-calls")
                    .unwrap_or(Value::Null),
                None => Value::Null,
            }
        }
        ("incident", "__impactedServices") => Value::Array(
            raw["impactedServices"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|sid| services.iter().find(|s| &s["id"] == sid).cloned())
                .collect(),
        ),
        ("alert", "__relatedIncident") => {
            for incident in incidents {
                let ids = client
                    .incident_associated_alert_ids(incident["id"].as_str().unwrap_or_default())
                    .await
                    .expect("associated alerts");
                if ids.iter().any(|a| a == id) {
                    return incident.clone();
                }
            }
            Value::Null
        }
        ("team", "__members") => client
            .get_team(id)
            .await
            .expect("team")
            .map(|t| t["members"].clone())
            .unwrap_or(Value::Null),
        ("schedule" | "schedule-oncall", "__currentOncalls") => client
            .schedule_on_calls(id)
            .await
            .expect("on-calls")
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// Port's catalog reduced to what a mapping sets, keyed like [`expected_catalog`]. Only
/// entities written by this integration.
pub fn port_catalog(sims: &Sims) -> BTreeMap<(String, String), Value> {
    let mine = port_user_agent();
    sims.port
        .all_entities()
        .into_iter()
        .filter(|e| {
            let bp = e["blueprint"].as_str().unwrap_or_default();
            let id = e["identifier"].as_str().unwrap_or_default();
            sims.port.entity_datasource(bp, id).as_deref() == Some(mine.as_str())
        })
        .map(|e| (entity_key(&e), e))
        .collect()
}

/// Whether Port's stored entity holds what the mapping produced: identifier, title and every
/// property and relation the mapping set (Port drops nulls and may add defaults).
pub fn stored_matches(expected: &Value, stored: &Value) -> Result<(), String> {
    if expected["identifier"] != stored["identifier"] {
        return Err(format!(
            "identifier {} vs {}",
            expected["identifier"], stored["identifier"]
        ));
    }
    if let Some(title) = expected.get("title") {
        if title != &stored["title"] && !(title.is_null()) {
            return Err(format!("title {title} vs {}", stored["title"]));
        }
    }
    for section in ["properties", "relations"] {
        let Some(fields) = expected[section].as_object() else {
            continue;
        };
        for (name, value) in fields {
            let got = &stored[section][name];
            if value.is_null() && got.is_null() {
                continue;
            }
            if !json_equal(value, got) {
                return Err(format!(
                    "{section}.{name}: expected {value}, Port has {got}"
                ));
            }
        }
    }
    Ok(())
}

/// JSON equality with numbers compared by value (1 == 1.0).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Asserts that Port holds exactly `expected` (same keys, matching content).
pub fn assert_catalog(sims: &Sims, expected: &BTreeMap<(String, String), Value>) {
    let actual = port_catalog(sims);
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !actual.contains_key(*k))
        .take(5)
        .collect();
    // createMissingRelatedEntities: Port creates bare entities for relation targets not synced
    // (e.g. an alert's incident that the incident selector filtered out).
    let targets: BTreeSet<&str> = expected
        .values()
        .flat_map(|e| {
            e["relations"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values())
        })
        .flat_map(|v| match v {
            Value::String(id) => vec![id.as_str()],
            Value::Array(ids) => ids.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
        .collect();
    let extra: Vec<_> = actual
        .iter()
        .filter(|(k, e)| {
            let placeholder = targets.contains(k.1.as_str())
                && e["properties"]
                    .as_object()
                    .is_none_or(|p| p.values().all(Value::is_null));
            !expected.contains_key(*k) && !placeholder
        })
        .map(|(k, _)| k)
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?} ({} expected, {} in Port)",
        expected.len(),
        actual.len()
    );
    for (key, value) in expected {
        if let Err(problem) = stored_matches(value, &actual[key]) {
            panic!("{key:?}: {problem}");
        }
    }
}

/// `OCEAN__*` variables pointing the binary at the simulators; `overrides` replace them.
pub fn cli_env(sims: &Sims, overrides: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    let mut base = vec![
        ("OCEAN__PORT__CLIENT_ID", sims.port.client_id().to_owned()),
        (
            "OCEAN__PORT__CLIENT_SECRET",
            sims.port.client_secret().to_owned(),
        ),
        ("OCEAN__PORT__BASE_URL", sims.port.base_url()),
        (
            "OCEAN__INTEGRATION__CONFIG__API_URL",
            sims.opsgenie.base_url(),
        ),
        ("OCEAN__INTEGRATION__IDENTIFIER", IDENTIFIER.to_owned()),
        (
            "OCEAN__INTEGRATION__CONFIG__API_TOKEN",
            sims.opsgenie.api_key().to_owned(),
        ),
    ];
    base.retain(|(name, _)| !overrides.iter().any(|(n, _)| n == name));
    base.extend(overrides);
    base
}

/// Runs `opsgenie-port <args>` against the simulators (from a blocking thread, so the
/// in-process simulators keep serving).
pub async fn run_command(
    sims: &Sims,
    args: &[&str],
    env: Vec<(&'static str, String)>,
) -> std::process::Output {
    let env = cli_env(sims, env);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
            .args(args)
            .env_remove("RUST_LOG")
            .envs(env)
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run opsgenie-port")
    })
    .await
    .unwrap()
}

/// A second Opsgenie simulator over a copy of the account that refuses incident lists without a
/// query: the incident kind fails for good.
pub async fn strict_incident_copy(sims: &Sims) -> OpsgenieSim {
    opsgenie::start(
        sims.opsgenie.with_account(|a| a.clone()),
        OpsgenieSimConfig {
            strict_incident_query: true,
            ..OpsgenieSimConfig::default()
        },
    )
    .await
    .expect("strict opsgenie sim")
}

/// An alert entity this integration owns that no resync generates: whatever goes wrong, it must
/// still be there afterwards.
pub fn seed_stale_alert(sims: &Sims) {
    sims.port
        .insert_entity_as(
            &port_user_agent(),
            "opsGenieAlert",
            json!({"identifier": "stale-but-kept", "properties": {}, "relations": {}}),
        )
        .expect("seeded");
}
