//! Port simulator behaviour through its HTTP API, as a client sees it: auth, blueprints, entity writes.

use std::time::Duration;

use crate::support::*;
use opsgenie_port_sim::port::{self, PortSimConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn auth_reuses_tokens_and_rejects_bad_or_expired_ones() {
    let sim = port::start(PortSimConfig {
        token_lifetime: Duration::from_secs(30),
        ..Default::default()
    })
    .await
    .unwrap();
    let first = token(&sim).await;
    assert_eq!(first["ok"], true);
    assert_eq!(first["tokenType"], "Bearer");
    let expires_in = first["expiresIn"].as_u64().unwrap();
    assert!((1..=30).contains(&expires_in), "{expires_in}");
    assert_eq!(first["accessToken"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(token(&sim).await["accessToken"], first["accessToken"]);

    let http = reqwest::Client::new();
    let bad = http
        .post(format!("{}/v1/auth/access_token", sim.base_url()))
        .json(&json!({"clientId": sim.client_id(), "clientSecret": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(
        (body["ok"].clone(), body["error"].clone()),
        (json!(false), json!("unauthorized"))
    );
    assert!(!body.to_string().contains("wrong"), "secret echoed: {body}");
    let extra = http
        .post(format!("{}/v1/auth/access_token", sim.base_url()))
        .json(&json!({"clientId": "a", "clientSecret": "b", "x": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(extra.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let client = client_for(&sim, OCEAN_UA).await;
    assert_eq!(client.get("/v1/blueprints").await.0, StatusCode::OK);
    let anonymous = http
        .get(format!("{}/v1/blueprints", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let forged = Client {
        token: "nope".into(),
        ..client_for(&sim, OCEAN_UA).await
    };
    assert_eq!(
        forged.get("/v1/blueprints").await.0,
        StatusCode::UNAUTHORIZED
    );

    sim.expire_tokens();
    let (status, body) = client.get("/v1/blueprints").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized");
    let renewed = token(&sim).await;
    assert_ne!(renewed["accessToken"], first["accessToken"]);
    assert_eq!(sim.counters().tokens_issued, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn blueprint_validation_and_lifecycle() {
    let (sim, client) = setup().await;
    let (status, body) = client.get("/v1/blueprints/service").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["blueprint"]["relations"]["teams"]["many"], true);
    assert!(body["blueprint"]["createdAt"].is_string());

    let (status, body) = client.get("/v1/blueprints/nope").await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::NOT_FOUND, json!("not_found"))
    );
    assert_eq!(
        client.post("/v1/blueprints", team_blueprint()).await.0,
        StatusCode::CONFLICT
    );

    let invalid = [
        json!({"identifier": "has space", "title": "x", "schema": {"properties": {}}}),
        json!({"identifier": "a=b", "title": "x", "schema": {"properties": {}}}),
        json!({"identifier": "x", "schema": {"properties": {}}}),
        json!({"identifier": "x", "title": "x"}),
        json!({"identifier": "x", "title": "x", "schema": {"properties": {"p": {"type": "date"}}}}),
        json!({"identifier": "x", "title": "x", "schema": {"properties": {"p": {"type": "string", "format": "phone"}}}}),
        json!({"identifier": "x", "title": "x", "schema": {"properties": {"bad.key": {"type": "string"}}}}),
        json!({"identifier": "x", "title": "x", "schema": {"properties": {"p": {"type": "string", "enum": [1]}}}}),
        json!({"identifier": "x", "title": "x", "schema": {"properties": {}, "required": ["p"]}}),
        json!({"identifier": "x", "title": "x", "schema": {"properties": {}},
               "relations": {"r": {"target": "team", "many": false}}}),
        json!({"identifier": "x", "title": "x", "schema": {"properties": {}},
               "relations": {"r": {"target": "team", "many": false, "required": false, "extra": 1}}}),
    ];
    for blueprint in invalid {
        let (status, body) = client.post("/v1/blueprints", blueprint.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{blueprint} -> {body}"
        );
        assert_eq!(body["ok"], false);
        assert!(body["message"].is_string());
    }
    let dangling = json!({"identifier": "x", "title": "x", "schema": {"properties": {}},
        "relations": {"r": {"target": "ghost", "many": false, "required": false}}});
    assert_eq!(
        client.post("/v1/blueprints", dangling).await.0,
        StatusCode::NOT_FOUND
    );

    // Ocean's staged creation: bare, then relations, then the rest.
    let bare = json!({"identifier": "alert", "title": "Alert", "schema": {"properties": {"p": {"type": "string"}}}});
    assert_eq!(
        client.post("/v1/blueprints", bare).await.0,
        StatusCode::CREATED
    );
    let (status, body) = client
        .patch(
            "/v1/blueprints/alert",
            json!({"relations": {"svc": {"target": "service", "many": false, "required": false}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["blueprint"]["schema"]["properties"]["p"]["type"],
        "string"
    );
    let retype = json!({"schema": {"properties": {"p": {"type": "number"}}}});
    assert_eq!(
        client.patch("/v1/blueprints/alert", retype).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A blueprint others relate to, or with entities, cannot be deleted.
    assert_eq!(
        client
            .call(Method::DELETE, "/v1/blueprints/service", None)
            .await
            .0,
        StatusCode::CONFLICT
    );
    client
        .post(
            "/v1/blueprints/alert/entities?upsert=true",
            json!({"identifier": "a1"}),
        )
        .await;
    assert_eq!(
        client
            .call(Method::DELETE, "/v1/blueprints/alert", None)
            .await
            .0,
        StatusCode::CONFLICT
    );
    let (status, body) = client
        .call(
            Method::DELETE,
            "/v1/blueprints/alert/all-entities?delete_blueprint=true",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let migration = body["migrationId"].as_str().unwrap();
    let (_, body) = client.get(&format!("/v1/migrations/{migration}")).await;
    assert_eq!(body["migration"]["status"], "COMPLETE");
    assert!(sim
        .blueprints()
        .iter()
        .all(|bp| bp["identifier"] != "alert"));
    sim.shutdown().await;
}

#[tokio::test]
async fn entity_validation_rules() {
    let (sim, client) = setup().await;
    client
        .post(
            "/v1/blueprints/team/entities?upsert=true",
            json!({"identifier": "t1"}),
        )
        .await;
    let valid = json!({
        "identifier": "svc-1", "title": "Service 1",
        "properties": {"name": "n", "status": "open", "count": 2, "acked": false,
                        "createdAt": "2024-05-01T10:00:00.000Z", "owner": "a@b.io",
                        "tags": ["x"], "meta": {"k": 1}},
        "relations": {"ownerTeam": "t1", "teams": ["t1"]}
    });
    let (status, body) = client.post(UPSERT, valid.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["entity"]["identifier"], "svc-1");
    assert_eq!(body["entity"]["blueprint"], "service");

    let with = |path: &str, value: Value| {
        let mut entity = valid.clone();
        let (section, key) = path.split_once('.').unwrap();
        entity[section][key] = value;
        entity
    };
    let rejected = [
        with("properties.count", json!("2")),
        with("properties.acked", json!("no")),
        with("properties.status", json!("acked")),
        with("properties.createdAt", json!("2024-05-01")),
        with("properties.owner", json!("not-an-email")),
        with("properties.tags", json!(["x", 1])),
        with("properties.meta", json!([1])),
        with("properties.name", Value::Null),
        with("properties.unknown", json!(1)),
        with("relations.unknown", json!("t1")),
        with("relations.teams", json!("t1")),
        with("relations.ownerTeam", json!(["t1"])),
        json!({"identifier": "bad id", "properties": {"name": "n"}}),
        json!({"identifier": "..", "properties": {"name": "n"}}),
        json!({"identifier": "no-name", "properties": {}}),
    ];
    for entity in rejected {
        let (status, body) = client.post(UPSERT, entity.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{entity} -> {body}"
        );
        assert_eq!(body["error"], "invalid_request");
    }
    let (status, body) = client
        .post(UPSERT, with("relations.ownerTeam", json!("ghost")))
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::NOT_FOUND, json!("not_found"))
    );
    let (status, _) = client
        .post("/v1/blueprints/nope/entities?upsert=true", valid.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Without upsert an existing identifier conflicts.
    let (status, _) = client
        .post("/v1/blueprints/service/entities", valid.clone())
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // validation_only answers without persisting.
    let probe = with("properties.name", json!("probe"));
    let mut probe = probe;
    probe["identifier"] = json!("probe");
    let (status, _) = client
        .post(&format!("{UPSERT}&validation_only=true"), probe)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(sim.entity("service", "probe").is_none());

    // Missing targets become stubs owned by the caller.
    let stubbing = with("relations.teams", json!(["t2", "t3"]));
    let (status, _) = client
        .post(
            &format!("{UPSERT}&create_missing_related_entities=true"),
            stubbing,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(sim.entities("team").len(), 3);
    assert_eq!(
        sim.entity_datasource("team", "t3").as_deref(),
        Some(OCEAN_UA)
    );

    // Identifiers with reserved URL characters round-trip through the path.
    let odd = json!({"identifier": "a/b:c=d+e", "properties": {"name": "n"}});
    assert_eq!(client.post(UPSERT, odd).await.0, StatusCode::CREATED);
    let (status, body) = client
        .get("/v1/blueprints/service/entities/a%2Fb%3Ac%3Dd%2Be")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entity"]["identifier"], "a/b:c=d+e");
    assert_eq!(sim.counters().entity_errors, 18);
    sim.shutdown().await;
}

#[tokio::test]
async fn bulk_limits_and_per_item_results() {
    let (sim, client) = setup().await;
    let entity =
        |i: usize| json!({"identifier": format!("s{i}"), "properties": {"name": format!("n{i}")}});
    let too_many: Vec<Value> = (0..21).map(entity).collect();
    let (status, body) = client.post(BULK, json!({"entities": too_many})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let as_text = client
        .http
        .post(format!("{}{BULK}", client.base))
        .bearer_auth(&client.token)
        .header("content-type", "text/plain")
        .body(json!({"entities": [entity(1)]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(as_text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json!({"entities": [{"identifier": "big", "properties": {"name": "x".repeat(1024 * 1024)}}]});
    assert_eq!(
        client.post(BULK, huge).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        client.post(BULK, json!({"entities": []})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(sim.entities("service").is_empty());
    assert_eq!(sim.counters().payload_too_large, 2);

    let twenty: Vec<Value> = (0..20).map(entity).collect();
    let (status, body) = client.post(BULK, json!({"entities": twenty})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["entities"].as_array().unwrap().len(), 20);
    assert_eq!(
        body["entities"][7],
        json!({"identifier": "s7", "index": 7, "created": true})
    );

    let mixed = json!({"entities": [
        entity(0),
        {"identifier": "bad", "properties": {"name": 5}},
        {"identifier": "new", "properties": {"name": "x"}, "relations": {"ownerTeam": "ghost"}},
        entity(99),
    ]});
    let (status, body) = client.post(BULK, mixed).await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert_eq!(body["ok"], false);
    let created: Vec<(Value, Value)> = body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].clone(), e["created"].clone()))
        .collect();
    assert_eq!(created, [(json!(0), json!(false)), (json!(3), json!(true))]);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors[0]["index"], 1);
    assert_eq!(errors[0]["statusCode"], 422);
    assert_eq!(errors[1]["identifier"], "new");
    assert_eq!(errors[1]["statusCode"], 404);
    assert_eq!(errors[1]["error"], "not_found");
    assert_eq!(sim.entities("service").len(), 21);
    sim.shutdown().await;
}

#[tokio::test]
async fn merge_updates_in_place_and_replace_overwrites() {
    let (sim, client) = setup().await;
    client
        .post(
            "/v1/blueprints/team/entities?upsert=true",
            json!({"identifier": "t1"}),
        )
        .await;
    let first = json!({"identifier": "s", "title": "S", "team": "ops",
        "properties": {"name": "n", "count": 1, "status": "open"}, "relations": {"ownerTeam": "t1"}});
    client.post(UPSERT, first).await;
    let created_at = sim.entity("service", "s").unwrap()["createdAt"].clone();

    let partial = json!({"identifier": "s", "properties": {"count": 2}});
    let (status, body) = client.post(&format!("{UPSERT}&merge=true"), partial).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let merged = sim.entity("service", "s").unwrap();
    assert_eq!(
        merged["properties"],
        json!({"name": "n", "count": 2, "status": "open"})
    );
    assert_eq!(merged["relations"], json!({"ownerTeam": "t1"}));
    assert_eq!(
        (merged["title"].clone(), merged["team"].clone()),
        (json!("S"), json!(["ops"]))
    );

    let replacement = json!({"identifier": "s", "properties": {"name": "m"}});
    client.post(UPSERT, replacement).await;
    let replaced = sim.entity("service", "s").unwrap();
    assert_eq!(replaced["properties"], json!({"name": "m"}));
    assert_eq!(replaced["relations"], json!({}));
    assert_eq!(replaced["title"], Value::Null);
    assert_eq!(replaced["createdAt"], created_at);

    // Merging cannot drop a required property; replacing without it is refused.
    let unset = json!({"identifier": "s", "properties": {"name": null}});
    assert_eq!(
        client.post(&format!("{UPSERT}&merge=true"), unset).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (status, body) = client
        .patch(
            "/v1/blueprints/service/entities/s",
            json!({"properties": {"count": 9}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["entity"]["properties"],
        json!({"name": "m", "count": 9})
    );
    let counters = sim.counters();
    assert_eq!(
        (counters.entities_created, counters.entities_updated),
        (2, 3)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_delays_every_api_request_which_is_counted_on_arrival() {
    let latency = Duration::from_millis(300);
    let sim = port::start(PortSimConfig {
        latency,
        ..Default::default()
    })
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let client = client_for(&sim, OCEAN_UA).await;
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    assert_eq!(sim.counters().requests, 1);

    let create = tokio::spawn(async move { client.post("/v1/blueprints", team_blueprint()).await });
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while sim.counters().requests < 2 {
        assert!(std::time::Instant::now() < deadline, "request not counted");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Counted, not handled yet.
    assert!(sim.blueprints().is_empty());
    let (status, _) = create.await.unwrap();
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(sim.blueprints().len(), 1);
}
