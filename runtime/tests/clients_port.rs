//! The Port client against the Port simulator: tokens, batching, 413 fallback, per-entity
//! results, deletes, ownership, faults and the integration/blueprint endpoints.

use opsgenie_port_runtime::config::Config;
use opsgenie_port_runtime::http::{Pacing, RetryPolicy};
use opsgenie_port_runtime::port::{
    plan_batches, user_agent, PortClient, PortError, PortOptions, UpsertOptions, UpsertStatus,
};
use opsgenie_port_runtime::secret::Secret;
use opsgenie_port_sim::faults::{FaultConfig, FaultKind, RouteFault};
use opsgenie_port_sim::port::{self, PortSim, PortSimConfig, RateLimit};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const BULK_ROUTE: &str = "POST /v1/blueprints/{blueprint}/entities/bulk";
const SINGLE_ROUTE: &str = "POST /v1/blueprints/{blueprint}/entities";
const BP: &str = "testService";

fn blueprints() -> Vec<Value> {
    vec![
        json!({"identifier": "testTeam", "title": "Test Team", "schema": {"properties": {}}}),
        json!({
            "identifier": BP, "title": "Test Service",
            "schema": {"properties": {
                "status": {"type": "string", "enum": ["open", "closed"]},
                "count": {"type": "number"},
                "description": {"type": "string"}
            }},
            "relations": {"team": {"target": "testTeam", "required": false, "many": false}}
        }),
    ]
}

async fn sim(faults: FaultConfig) -> PortSim {
    port::start(PortSimConfig {
        faults,
        blueprints: blueprints(),
        ..PortSimConfig::default()
    })
    .await
    .expect("start simulator")
}

fn options() -> PortOptions {
    PortOptions {
        timeout: Duration::from_secs(10),
        retry: RetryPolicy::fast(11),
        ..PortOptions::default()
    }
}

fn client_as(sim: &PortSim, identifier: &str, options: PortOptions) -> PortClient {
    PortClient::with_options(
        &sim.base_url(),
        Secret::new(sim.client_id()),
        Secret::new(sim.client_secret()),
        user_agent("opsgenie", "0.1.0", identifier),
        options,
    )
    .unwrap()
}

fn entity(index: usize, description_len: usize) -> Value {
    json!({
        "identifier": format!("svc-{index:04}"),
        "title": format!("Service {index}"),
        "properties": {
            "status": if index % 2 == 0 { "open" } else { "closed" },
            "count": index,
            "description": "d".repeat(description_len)
        },
        "relations": {}
    })
}

fn count_status(results: &[opsgenie_port_runtime::port::UpsertResult], wanted: &str) -> usize {
    results
        .iter()
        .filter(|r| {
            matches!(
                (&r.status, wanted),
                (UpsertStatus::Created, "created")
                    | (UpsertStatus::Updated, "updated")
                    | (UpsertStatus::Failed(_), "failed")
            )
        })
        .count()
}

#[tokio::test]
async fn bulk_upserts_respect_count_and_size_and_report_per_entity() {
    let sim = sim(FaultConfig::none()).await;
    let client = client_as(
        &sim,
        "itest",
        PortOptions {
            batch_max_bytes: 3_000,
            ..options()
        },
    );
    let mut entities: Vec<Value> = (0..45).map(|i| entity(i, 300)).collect();
    // Two entities Port must refuse: a value outside the enum, a relation to a missing team.
    entities[7]["properties"]["status"] = json!("bogus");
    entities[30]["relations"]["team"] = json!("no-such-team");
    let upsert = UpsertOptions::default();

    let results = client
        .upsert_entities(BP, &entities, &upsert)
        .await
        .unwrap();
    assert_eq!(results.len(), 45);
    assert!(results.iter().enumerate().all(|(i, r)| r.index == i));
    assert_eq!(count_status(&results, "created"), 43);
    assert_eq!(count_status(&results, "failed"), 2);
    match &results[7].status {
        UpsertStatus::Failed(error) => {
            assert_eq!(error.status, 422, "{error}");
            assert!(!error.message.is_empty());
        }
        other => panic!("entity 7 should fail, got {other:?}"),
    }
    match &results[30].status {
        UpsertStatus::Failed(error) => assert_eq!(error.status, 404, "{error}"),
        other => panic!("entity 30 should fail, got {other:?}"),
    }
    assert_eq!(sim.entities(BP).len(), 43);

    let sizes: Vec<usize> = entities
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap().len())
        .collect();
    let planned = plan_batches(&sizes, 20, 3_000).len() as u64;
    assert!(
        planned > 3,
        "byte budget should split more than the count limit"
    );
    let counters = sim.counters();
    assert_eq!(counters.by_route.get(BULK_ROUTE).copied(), Some(planned));
    assert_eq!(counters.payload_too_large, 0);

    // Again: the same entities are now updates; create_missing_related_entities fixes #30.
    let upsert = UpsertOptions {
        merge: true,
        create_missing_related_entities: true,
        ..UpsertOptions::default()
    };
    let results = client
        .upsert_entities(BP, &entities, &upsert)
        .await
        .unwrap();
    assert_eq!(count_status(&results, "updated"), 43);
    assert_eq!(count_status(&results, "created"), 1);
    assert_eq!(count_status(&results, "failed"), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn payload_too_large_falls_back_to_single_upserts() {
    let sim = sim(FaultConfig::none()).await;
    // A byte budget above Port's 1 MiB makes the bulk request too large for the server.
    let client = client_as(
        &sim,
        "itest",
        PortOptions {
            batch_max_bytes: 8 << 20,
            ..options()
        },
    );
    let mut entities: Vec<Value> = (0..12).map(|i| entity(i, 150_000)).collect();
    entities.push(entity(99, 1_100_000)); // too large even alone
    let results = client
        .upsert_entities(BP, &entities, &UpsertOptions::default())
        .await
        .unwrap();
    assert_eq!(count_status(&results, "created"), 12);
    match &results[12].status {
        UpsertStatus::Failed(error) => assert_eq!(error.status, 413),
        other => panic!("oversized entity should fail, got {other:?}"),
    }
    let counters = sim.counters();
    assert!(counters.payload_too_large >= 2);
    assert_eq!(counters.by_route.get(SINGLE_ROUTE).copied(), Some(13));
    assert_eq!(sim.entities(BP).len(), 12);
    sim.shutdown().await;
}

#[tokio::test]
async fn token_is_reused_and_refreshed_after_expiry() {
    let sim = sim(FaultConfig::none()).await;
    let client = client_as(&sim, "itest", options());
    for index in 0..3 {
        let results = client
            .upsert_entities(BP, &[entity(index, 10)], &UpsertOptions::default())
            .await
            .unwrap();
        assert_eq!(count_status(&results, "created"), 1);
    }
    assert_eq!(client.token_fetches(), 1);
    assert_eq!(sim.counters().tokens_issued, 1);

    sim.expire_tokens();
    let results = client
        .upsert_entities(BP, &[entity(10, 10)], &UpsertOptions::default())
        .await
        .unwrap();
    assert_eq!(count_status(&results, "created"), 1);
    assert_eq!(client.token_fetches(), 2);
    assert!(sim.counters().unauthorized >= 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn token_is_refreshed_before_it_expires() {
    let sim = port::start(PortSimConfig {
        token_lifetime: Duration::from_secs(1),
        blueprints: blueprints(),
        ..PortSimConfig::default()
    })
    .await
    .unwrap();
    let client = client_as(&sim, "itest", options());
    assert!(client.get_blueprint(BP).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(client.get_blueprint(BP).await.unwrap().is_some());
    assert_eq!(client.token_fetches(), 2);
    assert_eq!(
        sim.counters().unauthorized,
        0,
        "the old token must not be sent"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_fail_with_a_clear_error_and_no_secret() {
    let sim = sim(FaultConfig::none()).await;
    let secret = "definitely-wrong-secret-42";
    let client = PortClient::with_options(
        &sim.base_url(),
        Secret::new(sim.client_id()),
        Secret::new(secret),
        user_agent("opsgenie", "0.1.0", "itest"),
        options(),
    )
    .unwrap();
    assert!(!format!("{client:?}").contains(secret));
    let error = client.get_blueprint(BP).await.unwrap_err();
    assert!(error.is_auth(), "{error}");
    let text = error.to_string();
    assert!(text.contains("OCEAN__PORT__CLIENT_SECRET"), "{text}");
    assert!(!text.contains(secret) && !text.contains('\n'), "{text}");
    assert_eq!(sim.counters().tokens_issued, 0);
    assert_eq!(
        sim.counters().requests,
        1,
        "a refused credential is not retried"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn bulk_delete_in_chunks_of_one_hundred() {
    let sim = sim(FaultConfig::none()).await;
    let client = client_as(&sim, "itest", options());
    let entities: Vec<Value> = (0..150).map(|i| entity(i, 5)).collect();
    client
        .upsert_entities(BP, &entities, &UpsertOptions::default())
        .await
        .unwrap();
    let ids: Vec<String> = (0..150).map(|i| format!("svc-{i:04}")).collect();
    let result = client.delete_entities(BP, &ids, true).await.unwrap();
    assert_eq!(result.deleted.len(), 150);
    assert!(result.failed.is_empty());
    assert!(sim.entities(BP).is_empty());
    assert_eq!(
        sim.counters()
            .by_route
            .get("POST /v1/blueprints/{blueprint}/bulk/entities/delete")
            .copied(),
        Some(2)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn ownership_follows_the_user_agent() {
    let sim = sim(FaultConfig::none()).await;
    let ours = client_as(&sim, "itest", options());
    let theirs = client_as(&sim, "other-install", options());
    let mine: Vec<Value> = (0..5).map(|i| entity(i, 5)).collect();
    let other: Vec<Value> = (100..103).map(|i| entity(i, 5)).collect();
    ours.upsert_entities(BP, &mine, &UpsertOptions::default())
        .await
        .unwrap();
    theirs
        .upsert_entities(BP, &other, &UpsertOptions::default())
        .await
        .unwrap();

    let mut pager = ours.datasource_entities("port-ocean/opsgenie/", "/itest/exporter", None);
    let mut owned = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        owned.extend(
            page.into_iter()
                .map(|e| e["identifier"].as_str().unwrap().to_owned()),
        );
    }
    owned.sort();
    assert_eq!(
        owned,
        (0..5).map(|i| format!("svc-{i:04}")).collect::<Vec<_>>()
    );

    let query = json!({"combinator": "and", "rules": [
        {"property": "$blueprint", "operator": "=", "value": BP}]});
    let all = ours.search_entities(&query, &["identifier"]).await.unwrap();
    assert_eq!(all.len(), 8);
    sim.shutdown().await;
}

#[tokio::test]
async fn converges_under_thirty_percent_faults() {
    let faults = FaultConfig {
        timeout_stall: Duration::from_secs(2),
        ..FaultConfig::all(0.3, 99)
    };
    let sim = sim(faults).await;
    let client = client_as(
        &sim,
        "itest",
        PortOptions {
            timeout: Duration::from_millis(500),
            retry: RetryPolicy::fast(15),
            ..options()
        },
    );
    let entities: Vec<Value> = (0..120).map(|i| entity(i, 50)).collect();
    let upsert = UpsertOptions {
        merge: true,
        ..UpsertOptions::default()
    };
    let results = client
        .upsert_entities(BP, &entities, &upsert)
        .await
        .unwrap();
    assert_eq!(count_status(&results, "failed"), 0, "{results:?}");
    assert_eq!(sim.entities(BP).len(), 120);

    let ids: Vec<String> = (0..60).map(|i| format!("svc-{i:04}")).collect();
    let deleted = client.delete_entities(BP, &ids, false).await.unwrap();
    assert_eq!(deleted.deleted.len() + deleted.failed.len(), 60);
    assert_eq!(sim.entities(BP).len(), 60 + deleted.failed.len());
    assert!(client.counters().retries > 0);
    assert!(sim.faults().injected() > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn throttling_honours_the_reset_header() {
    let sim = sim(FaultConfig::none()).await;
    sim.set_rate_limit(Some(RateLimit {
        limit: 5,
        period: Duration::from_secs(1),
    }));
    let client = client_as(
        &sim,
        "itest",
        PortOptions {
            retry: RetryPolicy {
                max_rate_limit_wait: Duration::from_secs(2),
                ..RetryPolicy::fast(6)
            },
            // The retry layer on its own: paced, the client would not meet a 429 here.
            pacing: Pacing::Off,
            ..options()
        },
    );
    for _ in 0..12 {
        assert!(client.get_blueprint(BP).await.unwrap().is_some());
    }
    let counters = client.counters();
    assert!(counters.rate_limit_waits > 0, "{counters:?}");
    assert!(sim.counters().rate_limited > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn client_from_configuration_owns_entities_by_identifier() {
    let sim = sim(FaultConfig::none()).await;
    let vars: HashMap<String, String> = [
        ("OCEAN__PORT__BASE_URL", format!("{}/", sim.base_url())),
        ("OCEAN__PORT__CLIENT_ID", sim.client_id().to_owned()),
        ("OCEAN__PORT__CLIENT_SECRET", sim.client_secret().to_owned()),
        ("OCEAN__INTEGRATION__IDENTIFIER", "cfg-install".to_owned()),
        ("OCEAN__INTEGRATION__CONFIG__API_TOKEN", "unused".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = Config::from_env_map(vars).unwrap();
    let client = PortClient::from_config(&config, "9.9.9").unwrap();
    client
        .upsert_entities(BP, &[entity(1, 5)], &UpsertOptions::default())
        .await
        .unwrap();
    let stored = sim.entity(BP, "svc-0001").expect("stored");
    let mut pager =
        client.datasource_entities("port-ocean/opsgenie/", "/cfg-install/exporter", None);
    let owned = pager.next_page().await.unwrap().unwrap();
    assert_eq!(owned.len(), 1, "{stored}");
    sim.shutdown().await;
}

#[tokio::test]
async fn integration_and_blueprint_endpoints() {
    let sim = sim(FaultConfig::none()).await;
    let client = client_as(&sim, "itest", options());

    assert_eq!(client.get_integration("itest").await.unwrap(), None);
    let created = client
        .create_integration(&json!({
            "installationId": "itest", "installationAppType": "opsgenie", "version": "0.1.0",
            "config": {}, "changelogDestination": {}, "createPortResourcesOrigin": "Empty"
        }))
        .await
        .unwrap();
    assert_eq!(created["installationId"], "itest");
    let config = json!({"deleteDependentEntities": true, "resources": []});
    client
        .patch_integration_config("itest", &config, true)
        .await
        .unwrap();
    let fetched = client.get_integration("itest").await.unwrap().unwrap();
    assert_eq!(fetched["config"], config);
    client
        .patch_integration("itest", &json!({"version": "0.1.1"}))
        .await
        .unwrap();
    client
        .update_resync_state("itest", &json!({"status": "running"}))
        .await
        .unwrap();
    assert_eq!(sim.resync_states("itest").len(), 1);
    assert_eq!(client.get_resync_request("itest").await.unwrap(), None);
    assert!(sim.request_resync("itest"));
    assert!(client.get_resync_request("itest").await.unwrap().is_some());
    let examples = vec![json!({"id": "a1"}), json!({"id": "a2"})];
    client
        .upload_kind_examples("itest", "alert", &examples)
        .await
        .unwrap();
    assert_eq!(sim.kind_examples("itest", "alert"), examples);

    assert_eq!(client.get_blueprint("newBp").await.unwrap(), None);
    let blueprint = json!({"identifier": "newBp", "title": "New", "schema": {"properties": {}}});
    client.create_blueprint(&blueprint).await.unwrap();
    let patched = client
        .patch_blueprint("newBp", &json!({"title": "Renamed"}))
        .await
        .unwrap();
    assert_eq!(patched["title"], "Renamed");
    assert!(client.get_blueprint("newBp").await.unwrap().is_some());
    client.delete_blueprint("newBp").await.unwrap();
    assert_eq!(client.get_blueprint("newBp").await.unwrap(), None);

    let error = client
        .create_blueprint(&json!({"title": "no id"}))
        .await
        .unwrap_err();
    assert!(
        matches!(error, PortError::Api { status: 422, .. }),
        "{error}"
    );

    // A Port failing every request: idempotent calls go through every attempt, the kind
    // examples (not repeated, as in Ocean) through one.
    sim.faults().set(FaultConfig {
        rate: 1.0,
        seed: 3,
        kinds: vec![FaultKind::ServerError],
        timeout_stall: Duration::from_secs(1),
    });
    let error = client
        .patch_integration("itest", &json!({"version": "0.1.2"}))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("after 11 attempts"), "{error}");
    let error = client.get_integration("itest").await.unwrap_err();
    assert!(error.to_string().contains("after 11 attempts"), "{error}");
    let error = client
        .upload_kind_examples("itest", "alert", &examples)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("after 1 attempt"), "{error}");
    sim.shutdown().await;
}

/// Sends of `route` the simulator saw.
fn sends(sim: &PortSim, route: &str) -> u64 {
    sim.counters().by_route.get(route).copied().unwrap_or(0)
}

const RESYNC_STATE: &str = "PATCH /v1/integration/{id}/resync-state";
const PATCH_INTEGRATION: &str = "PATCH /v1/integration/{id}";
const PATCH_CONFIG: &str = "PATCH /v1/integration/{id}/config";
const PATCH_BLUEPRINT: &str = "PATCH /v1/blueprints/{blueprint}";
const POST_BLUEPRINT: &str = "POST /v1/blueprints";
const GET_BLUEPRINT: &str = "GET /v1/blueprints/{blueprint}";
const POST_INTEGRATION: &str = "POST /v1/integration";
const GET_INTEGRATION: &str = "GET /v1/integration/{id}";
const TOKEN: &str = "POST /v1/auth/access_token";
const BULK_DELETE: &str = "POST /v1/blueprints/{blueprint}/bulk/entities/delete";
const SEARCH: &str = "POST /v1/entities/search";
const DATASOURCE: &str = "POST /v1/blueprints/entities/datasource-entities";

#[tokio::test]
async fn throttled_and_failing_writes_that_are_safe_to_repeat_are_retried() {
    let sim = sim(FaultConfig::none()).await;
    let client = client_as(&sim, "itest", options());
    // The token request: throttled twice, then issued.
    sim.faults().on_route(TOKEN, RouteFault::throttled(0), 2);
    client
        .create_integration(&json!({"installationId": "itest", "installationAppType": "opsgenie"}))
        .await
        .unwrap();
    assert_eq!(sends(&sim, TOKEN), 3);

    // Every idempotent write: a 429, a 503 and a 502, then the real answer.
    let faults = [
        RouteFault::throttled(0),
        RouteFault::server_error(503),
        RouteFault::server_error(502),
    ];
    for route in [
        RESYNC_STATE,
        PATCH_INTEGRATION,
        PATCH_CONFIG,
        PATCH_BLUEPRINT,
        BULK_ROUTE,
        BULK_DELETE,
        SEARCH,
        DATASOURCE,
    ] {
        for fault in &faults {
            sim.faults().on_route(route, fault.clone(), 1);
        }
    }
    client
        .update_resync_state("itest", &json!({"status": "running"}))
        .await
        .unwrap();
    client
        .patch_integration("itest", &json!({"arePortResourcesInitialized": true}))
        .await
        .unwrap();
    client
        .patch_integration_config("itest", &json!({"resources": []}), true)
        .await
        .unwrap();
    client
        .patch_blueprint(BP, &json!({"description": "patched"}))
        .await
        .unwrap();
    let results = client
        .upsert_entities(BP, &[entity(1, 5), entity(2, 5)], &UpsertOptions::default())
        .await
        .unwrap();
    assert_eq!(count_status(&results, "created"), 2);
    let found = client
        .search_entities(
            &json!({"combinator": "and", "rules": [
                {"property": "$blueprint", "operator": "=", "value": BP}]}),
            &["identifier"],
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    let mut pager = client.datasource_entities("port-ocean/opsgenie/", "/itest/exporter", None);
    assert_eq!(pager.next_page().await.unwrap().unwrap().len(), 2);
    let deleted = client
        .delete_entities(BP, &["svc-0001".to_owned()], true)
        .await
        .unwrap();
    assert_eq!(deleted.deleted, ["svc-0001"]);

    for route in [
        RESYNC_STATE,
        PATCH_INTEGRATION,
        PATCH_CONFIG,
        PATCH_BLUEPRINT,
        BULK_ROUTE,
        BULK_DELETE,
        SEARCH,
        DATASOURCE,
    ] {
        assert_eq!(
            sends(&sim, route),
            4,
            "{route}: three failures, then the answer"
        );
    }
    let stored = sim.integration("itest").unwrap();
    assert_eq!(stored["arePortResourcesInitialized"], true);
    assert_eq!(stored["config"], json!({"resources": []}));
    assert_eq!(sim.resync_states("itest").len(), 1);
    assert_eq!(sim.entities(BP).len(), 1);
    assert_eq!(client.counters().retries, 2 + 8 * 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_retry_waits_as_long_as_retry_after_asks() {
    let sim = sim(FaultConfig::none()).await;
    let client = client_as(
        &sim,
        "itest",
        PortOptions {
            retry: RetryPolicy {
                max_rate_limit_wait: Duration::from_secs(5),
                ..RetryPolicy::fast(11)
            },
            ..options()
        },
    );
    client
        .create_integration(&json!({"installationId": "itest"}))
        .await
        .unwrap();
    sim.faults()
        .on_route(RESYNC_STATE, RouteFault::throttled(1), 1);
    sim.faults().on_route(
        BULK_DELETE,
        RouteFault::Status {
            status: 503,
            retry_after: Some("1".into()),
        },
        1,
    );
    let started = std::time::Instant::now();
    client
        .update_resync_state("itest", &json!({"status": "completed"}))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    client
        .delete_entities(BP, &["nothing".to_owned()], true)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.counters().rate_limit_waits, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn creates_are_repeated_only_after_port_says_they_did_not_happen() {
    let sim = sim(FaultConfig::none()).await;
    let client = client_as(&sim, "itest", options());
    let blueprint = |id: &str| json!({"identifier": id, "title": id, "schema": {"properties": {}}});

    // Throttled before anything was written: Port holds no blueprint, so the POST is sent again.
    sim.faults()
        .on_route(POST_BLUEPRINT, RouteFault::throttled(0), 2);
    let created = client.create_blueprint(&blueprint("first")).await.unwrap();
    assert_eq!(created["identifier"], "first");
    assert_eq!(sends(&sim, POST_BLUEPRINT), 3);
    assert_eq!(
        sends(&sim, GET_BLUEPRINT),
        2,
        "looked up after each failure"
    );

    // Written, but the answer was lost: the lookup finds it and no second POST is sent (it
    // would be refused as a duplicate).
    sim.reset_counters();
    sim.faults()
        .on_route(POST_BLUEPRINT, RouteFault::LostAnswer { status: 502 }, 1);
    let created = client.create_blueprint(&blueprint("second")).await.unwrap();
    assert_eq!(created["identifier"], "second");
    assert_eq!(sends(&sim, POST_BLUEPRINT), 1);
    assert_eq!(sim.counters().by_status.get(&409), None);

    sim.faults()
        .on_route(POST_INTEGRATION, RouteFault::LostAnswer { status: 504 }, 1);
    let integration = client
        .create_integration(&json!({"installationId": "itest", "installationAppType": "opsgenie"}))
        .await
        .unwrap();
    assert_eq!(integration["installationId"], "itest");
    assert_eq!(sends(&sim, POST_INTEGRATION), 1);
    assert_eq!(sends(&sim, GET_INTEGRATION), 1);

    // A refusal is not transient: no lookup, no repeat.
    sim.reset_counters();
    let error = client
        .create_blueprint(&blueprint("first"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, PortError::Api { status: 409, .. }),
        "{error}"
    );
    assert_eq!(sends(&sim, POST_BLUEPRINT), 1);
    assert_eq!(sends(&sim, GET_BLUEPRINT), 0);

    // Failing for good: every attempt is looked up, and the error counts them all.
    sim.faults()
        .on_route(POST_BLUEPRINT, RouteFault::server_error(503), u64::MAX);
    let error = client
        .create_blueprint(&blueprint("third"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("after 11 attempts"), "{error}");
    assert_eq!(sends(&sim, POST_BLUEPRINT), 1 + 11);
    assert_eq!(client.get_blueprint("third").await.unwrap(), None);
    sim.shutdown().await;
}
