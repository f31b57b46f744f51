//! Port simulator behaviour through its HTTP API, as a client sees it: ownership, search, deletes, integration state, faults.

use std::time::Duration;

use crate::support::*;
use opsgenie_port_sim::faults::{FaultConfig, FaultKind};
use opsgenie_port_sim::port::{self, PortSimConfig, RateLimit};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn ownership_and_datasource_paging() {
    let (sim, ours) = setup().await;
    let older_version = client_for(&sim, "port-ocean/opsgenie/0.0.9/my-integration/exporter").await;
    let other_integration = client_for(&sim, "port-ocean/opsgenie/0.1.0/other/exporter").await;
    for i in 0..5 {
        let entity = json!({"identifier": format!("mine{i}"), "properties": {"name": "n"}});
        ours.post(UPSERT, entity).await;
    }
    older_version
        .post(
            UPSERT,
            json!({"identifier": "old", "properties": {"name": "n"}}),
        )
        .await;
    other_integration
        .post(
            UPSERT,
            json!({"identifier": "theirs", "properties": {"name": "n"}}),
        )
        .await;
    sim.insert_entity_as(
        "port-k8s-exporter/statekey/x",
        "team",
        json!({"identifier": "k8s"}),
    )
    .unwrap();
    // Taking over an entity makes it ours.
    other_integration
        .post(
            UPSERT,
            json!({"identifier": "taken", "properties": {"name": "n"}}),
        )
        .await;
    ours.post(
        UPSERT,
        json!({"identifier": "taken", "properties": {"name": "n"}}),
    )
    .await;
    assert_eq!(
        sim.entity_datasource("service", "taken").as_deref(),
        Some(OCEAN_UA)
    );
    assert_eq!(
        sim.entity_datasource("team", "k8s").as_deref(),
        Some("port-k8s-exporter/statekey/x")
    );

    let page = |from: Value, before: Option<String>| {
        let mut body = json!({
            "datasource_prefix": "port-ocean/opsgenie/",
            "datasource_suffix": "/my-integration/exporter",
            "limit": 3,
        });
        if !from.is_null() {
            body["from"] = from;
        }
        if let Some(before) = before {
            body["before"] = json!(before);
        }
        body
    };
    let mut seen = Vec::new();
    let mut from = Value::Null;
    let mut pages = 0;
    loop {
        let (status, body) = ours
            .post(
                "/v1/blueprints/entities/datasource-entities",
                page(from, None),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        for entity in body["entities"].as_array().unwrap() {
            seen.push(entity["identifier"].as_str().unwrap().to_string());
        }
        from = body["next"].clone();
        if from.is_null() {
            break;
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(
        seen,
        ["mine0", "mine1", "mine2", "mine3", "mine4", "old", "taken"]
    );

    let past = "2000-01-01T00:00:00Z".to_string();
    let (_, body) = ours
        .post(
            "/v1/blueprints/entities/datasource-entities",
            page(Value::Null, Some(past)),
        )
        .await;
    assert_eq!(body["entities"], json!([]));
    let taken_at = sim.entity("service", "taken").unwrap()["updatedAt"]
        .as_str()
        .unwrap()
        .to_string();
    let mut listed = Vec::new();
    let mut from = Value::Null;
    loop {
        let (_, body) = ours
            .post(
                "/v1/blueprints/entities/datasource-entities",
                page(from, Some(taken_at.clone())),
            )
            .await;
        listed.extend(
            body["entities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["identifier"].clone()),
        );
        from = body["next"].clone();
        if from.is_null() {
            break;
        }
    }
    assert!(!listed.contains(&json!("taken")), "{listed:?}");
    let bad = json!({"datasource_prefix": "x", "before": "yesterday"});
    assert_eq!(
        ours.post("/v1/blueprints/entities/datasource-entities", bad)
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn search_rules_and_includes() {
    let (sim, client) = setup().await;
    for (id, status, count) in [("a", "open", 1), ("b", "closed", 5), ("c", "open", 9)] {
        let entity =
            json!({"identifier": id, "properties": {"name": id, "status": status, "count": count}});
        client.post(UPSERT, entity).await;
    }
    sim.insert_entity_as(
        "someone-else",
        "service",
        json!({"identifier": "d", "properties": {"name": "d"}}),
    )
    .unwrap();
    let search = |query: Value| {
        client.post(
            "/v1/entities/search?include=identifier&include=properties.count",
            query,
        )
    };

    let ours = json!({"combinator": "and", "rules": [
        {"property": "$datasource", "operator": "contains", "value": "port-ocean/opsgenie/"},
        {"property": "$datasource", "operator": "contains", "value": "/my-integration/exporter"},
        {"property": "$blueprint", "operator": "=", "value": "service"},
        {"property": "$identifier", "operator": "in", "value": ["a", "b", "d"]},
    ]});
    let (status, body) = search(ours).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["entities"],
        json!([{"identifier": "a", "properties": {"count": 1}}, {"identifier": "b", "properties": {"count": 5}}])
    );

    let either = json!({"combinator": "or", "rules": [
        {"property": "status", "operator": "=", "value": "closed"},
        {"combinator": "and", "rules": [{"property": "count", "operator": ">", "value": 8}]},
    ]});
    let (_, body) = search(either).await;
    let ids: Vec<&str> = body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b", "c"]);

    let (status, body) = search(json!({"rules": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"].as_str().unwrap().contains("combinator"),
        "{body}"
    );

    let paged =
        json!({"query": {"combinator": "and", "rules": []}, "limit": 3, "include": ["identifier"]});
    let (_, first) = client
        .post("/v1/blueprints/service/entities/search", paged.clone())
        .await;
    assert_eq!(first["entities"].as_array().unwrap().len(), 3);
    let mut rest = paged;
    rest["from"] = first["next"].clone();
    let (_, second) = client
        .post("/v1/blueprints/service/entities/search", rest)
        .await;
    assert_eq!(second["entities"], json!([{"identifier": "d"}]));
    assert_eq!(second["next"], Value::Null);

    // Search identifiers resolve to the single matching entity.
    let by_query = json!({"identifier": {"combinator": "and", "rules": [
        {"property": "count", "operator": "=", "value": 9}]}, "properties": {"name": "renamed"}});
    let (status, body) = client.post(&format!("{UPSERT}&merge=true"), by_query).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        sim.entity("service", "c").unwrap()["properties"]["name"],
        "renamed"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn deletes_respect_dependents() {
    let (sim, client) = setup().await;
    for team in ["t1", "t2", "t3"] {
        client
            .post(
                "/v1/blueprints/team/entities?upsert=true",
                json!({"identifier": team}),
            )
            .await;
    }
    let service =
        json!({"identifier": "s1", "properties": {"name": "n"}, "relations": {"ownerTeam": "t1"}});
    client.post(UPSERT, service).await;

    let (status, body) = client
        .call(
            Method::DELETE,
            "/v1/blueprints/team/entities/t1?delete_dependents=false",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(sim.entity("team", "t1").is_some());
    let (status, _) = client
        .call(
            Method::DELETE,
            "/v1/blueprints/team/entities/ghost?delete_dependents=false",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let bulk = json!({"entities": ["t1", "t2", "ghost"]});
    let (_, body) = client
        .post(
            "/v1/blueprints/team/bulk/entities/delete?delete_dependents=false",
            bulk.clone(),
        )
        .await;
    assert_eq!(body["deletedEntities"], json!(["t2"]));
    let (status, body) = client
        .post(
            "/v1/blueprints/team/bulk/entities/delete?delete_dependents=true",
            bulk,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["deletedEntities"], json!(["t1"]));
    assert!(
        sim.entity("service", "s1").is_none(),
        "dependent should be gone"
    );
    let (status, _) = client
        .call(
            Method::DELETE,
            "/v1/blueprints/team/entities/t3?delete_dependents=true",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(sim.all_entities().is_empty());
    assert_eq!(sim.counters().entities_deleted, 4);
    let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let (status, _) = client
        .post(
            "/v1/blueprints/team/bulk/entities/delete?delete_dependents=true",
            json!({"entities": too_many}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    sim.shutdown().await;
}

#[tokio::test]
async fn integration_state_and_requests() {
    let sim = port::start(PortSimConfig {
        feature_flags: vec!["USE_PROVISIONED_DEFAULTS".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let client = client_for(&sim, "port-ocean/opsgenie/0.1.0/my-integration").await;
    assert_eq!(
        client.get("/v1/integration/my-integration").await.0,
        StatusCode::NOT_FOUND
    );
    let create = json!({"installationId": "my-integration", "installationAppType": "opsgenie",
        "version": "0.1.0", "config": {}, "changelogDestination": {}, "createPortResourcesOrigin": "Default",
        "actionsProcessingEnabled": false, "incrementalSyncEnabled": false});
    let (status, body) = client.post("/v1/integration", create.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["integration"]["integrationType"], "opsgenie");
    assert_eq!(
        client.post("/v1/integration", create).await.0,
        StatusCode::CONFLICT
    );

    let malformed = json!({"config": {"entityDeletionThreshold": 2, "resources": []}});
    let kindless = json!({"config": {"resources": [{"selector": {"query": "true"}}]}});
    for config in [malformed, kindless] {
        let (status, _) = client
            .patch("/v1/integration/my-integration/config", config)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let config =
        json!({"config": {"deleteDependentEntities": true, "resources": [{"kind": "alert"}]}});
    assert_eq!(
        client
            .patch("/v1/integration/my-integration/config", config.clone())
            .await
            .0,
        StatusCode::OK
    );
    // Saving a mapping asks for a resync, unless the request says `x-skip-resync: true`.
    let (_, body) = client
        .get("/v1/integration/my-integration/resync-request")
        .await;
    let saved = body["request"].clone();
    assert!(saved["updatedAt"].is_string(), "{body}");
    let skipped = client
        .http
        .patch(format!(
            "{}/v1/integration/my-integration/config",
            client.base
        ))
        .bearer_auth(&client.token)
        .header("user-agent", &client.user_agent)
        .header("x-skip-resync", "true")
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(skipped.status(), StatusCode::OK);
    let (_, body) = client
        .get("/v1/integration/my-integration/resync-request")
        .await;
    assert_eq!(body["request"], saved);
    let (_, body) = client
        .patch(
            "/v1/integration/my-integration",
            json!({"arePortResourcesInitialized": true, "version": "0.1.0"}),
        )
        .await;
    assert_eq!(body["integration"]["arePortResourcesInitialized"], true);
    assert_eq!(
        body["integration"]["config"]["resources"][0]["kind"],
        "alert"
    );

    let running = json!({"status": "running", "lastResyncStart": "2026-01-01T00:00:00Z",
        "lastResyncEnd": null, "nextResync": null, "intervalInMinuets": 60});
    let (_, body) = client
        .patch("/v1/integration/my-integration/resync-state", running)
        .await;
    assert!(body["integration"]["resyncState"]["updatedAt"].is_string());
    let done = json!({"status": "completed", "lastResyncEnd": "2026-01-01T00:01:00Z", "nextResync": null, "intervalInMinuets": 60});
    client
        .patch("/v1/integration/my-integration/resync-state", done)
        .await;
    let bogus = json!({"status": "done"});
    assert_eq!(
        client
            .patch("/v1/integration/my-integration/resync-state", bogus)
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let states: Vec<Value> = sim
        .resync_states("my-integration")
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(states, [json!("running"), json!("completed")]);
    let state = &sim.integration("my-integration").unwrap()["resyncState"];
    assert_eq!(
        (state["status"].clone(), state["lastResyncStart"].clone()),
        (json!("completed"), json!("2026-01-01T00:00:00Z"))
    );

    let (_, body) = client
        .get("/v1/integration/my-integration/resync-request")
        .await;
    assert_eq!(body["request"], saved);
    assert!(sim.request_resync("my-integration"));
    assert!(!sim.request_resync("missing"));
    let (_, body) = client
        .get("/v1/integration/my-integration/resync-request")
        .await;
    assert!(body["request"]["updatedAt"].is_string());
    assert_ne!(body["request"]["id"], saved["id"]);

    let examples = json!({"examples": [{"id": "a1", "message": "m"}]});
    assert_eq!(
        client
            .post(
                "/v1/integration/my-integration/kinds/alert/examples",
                examples
            )
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(sim.kind_examples("my-integration", "alert").len(), 1);
    let (_, body) = client.get("/v1/organization").await;
    assert_eq!(
        body["organization"]["featureFlags"],
        json!(["USE_PROVISIONED_DEFAULTS"])
    );

    let state: Value = reqwest::get(format!("{}/_sim/state", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state["integrations"]["my-integration"]["resyncStates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_and_rate_limits() {
    let (sim, client) = setup().await;
    let (status, _) = client.get("/v1/blueprints").await;
    assert_eq!(status, StatusCode::OK);

    sim.faults().set(only(FaultKind::ServerError));
    let (status, _) = client.get("/v1/blueprints").await;
    assert!(status.is_server_error(), "{status}");

    sim.faults().set(only(FaultKind::RateLimited));
    let response = client
        .http
        .get(format!("{}/v1/blueprints", sim.base_url()))
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        response.headers()["x-ratelimit-reset"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1_000_000_000
    );

    sim.faults().set(only(FaultKind::ConnectionReset));
    let outcome = client
        .http
        .get(format!("{}/v1/blueprints", sim.base_url()))
        .bearer_auth(&client.token)
        .send()
        .await;
    let failed = match outcome {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "a reset must surface as a transport error");

    sim.faults().set(only(FaultKind::TruncatedBody));
    let response = client
        .http
        .get(format!("{}/v1/blueprints", sim.base_url()))
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    sim.faults().set(only(FaultKind::Timeout));
    assert_eq!(client.get("/v1/blueprints").await.0, StatusCode::OK);
    sim.faults().set(FaultConfig::none());
    assert_eq!(sim.faults().injected(), 5);

    sim.set_rate_limit(Some(RateLimit {
        limit: 2,
        period: Duration::from_secs(3600),
    }));
    let response = client
        .http
        .get(format!("{}/v1/blueprints", sim.base_url()))
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-ratelimit-limit"], "2");
    assert_eq!(response.headers()["x-ratelimit-remaining"], "1");
    assert_eq!(response.headers()["x-ratelimit-period"], "3600");
    assert_eq!(client.get("/v1/blueprints").await.0, StatusCode::OK);
    let (status, body) = client.get("/v1/blueprints").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["ok"], false);
    // The budget rides on error answers too.
    let anonymous = client
        .http
        .get(format!("{}/v1/blueprints", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(anonymous.headers()["x-ratelimit-remaining"], "0");
    let counters = sim.counters();
    assert_eq!(counters.rate_limited, 3);
    assert_eq!(counters.faults_injected, 5);
    assert!(counters.by_route["GET /v1/blueprints"] >= 9);
    sim.reset_counters();
    assert_eq!(sim.counters().requests, 0);
    sim.shutdown().await;
}
