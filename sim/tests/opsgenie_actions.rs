//! The Opsgenie simulator's Alert API writes over real HTTP: 202 with a request id, the request
//! status, validation, the state each action leaves, and the webhook events it posts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use opsgenie_port_sim::generate::{Account, SAMPLE_ALERT_ID};
use opsgenie_port_sim::opsgenie::{start, OpsgenieSim, OpsgenieSimConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn call(
    sim: &OpsgenieSim,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", sim.base_url());
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client
        .request(method, url)
        .header("Authorization", format!("GenieKey {}", sim.api_key()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The request's outcome from `GET /v2/alerts/requests/{id}`.
async fn outcome(sim: &OpsgenieSim, accepted: &Value) -> Value {
    let id = accepted["requestId"].as_str().expect("requestId");
    let (status, body) = call(sim, "GET", &format!("/v2/alerts/requests/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

async fn alert(sim: &OpsgenieSim, id: &str) -> (StatusCode, Value) {
    let (status, body) = call(sim, "GET", &format!("/v2/alerts/{id}"), None).await;
    (status, body["data"].clone())
}

#[tokio::test]
async fn create_answers_202_and_the_alert_is_readable_and_deduplicated_by_alias() {
    let sim = start(Account::empty(), OpsgenieSimConfig::default())
        .await
        .expect("bind");
    let body = json!({"message": "disk full", "alias": "disk-1", "tags": ["db"],
                      "priority": "P2", "details": {"host": "db1"}});
    let (status, accepted) = call(&sim, "POST", "/v2/alerts", Some(body.clone())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(accepted["result"], "Request will be processed");
    let done = outcome(&sim, &accepted).await;
    assert_eq!(done["isSuccess"], true, "{done}");
    let id = done["alertId"].as_str().expect("alertId").to_owned();
    let (status, created) = alert(&sim, &id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["message"], "disk full");
    assert_eq!(created["priority"], "P2");
    assert_eq!(created["tags"], json!(["db"]));
    assert_eq!(created["count"], 1);
    // The same alias while open: one more occurrence of the same alert, no new one.
    let (_, again) = call(&sim, "POST", "/v2/alerts", Some(body)).await;
    assert_eq!(outcome(&sim, &again).await["alertId"], id.as_str());
    assert_eq!(alert(&sim, &id).await.1["count"], 2);
    let (_, list) = call(&sim, "GET", "/v2/alerts", None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(sim.counter("alerts.create"), 2);
}

#[tokio::test]
async fn writes_outside_the_documented_limits_are_422_and_change_nothing() {
    let sim = start(Account::empty(), OpsgenieSimConfig::default())
        .await
        .expect("bind");
    let tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    for body in [
        json!({}),
        json!({"message": ""}),
        json!({"message": "x".repeat(131)}),
        json!({"message": "ok", "priority": "P9"}),
        json!({"message": "ok", "tags": tags}),
        json!({"message": "ok", "alias": "a".repeat(513)}),
        json!({"message": "ok", "details": {"n": 1}}),
        json!(["not", "an", "object"]),
    ] {
        let (status, reply) = call(&sim, "POST", "/v2/alerts", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {reply}");
    }
    let (_, list) = call(&sim, "GET", "/v2/alerts", None).await;
    assert_eq!(list["data"], json!([]));
    let (status, _) = reqwest::Client::new()
        .post(format!("{}/v2/alerts", sim.base_url()))
        .json(&json!({"message": "no key"}))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .expect("request");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn actions_change_the_alert_and_a_missing_alert_fails_in_the_request_status() {
    let sim = start(
        Account::empty().with_seed_sample(),
        OpsgenieSimConfig::default(),
    )
    .await
    .expect("bind");
    let path = |action: &str| format!("/v2/alerts/{SAMPLE_ALERT_ID}/{action}");
    let (status, _) = call(
        &sim,
        "POST",
        &path("acknowledge"),
        Some(json!({"user": "ann"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, a) = alert(&sim, SAMPLE_ALERT_ID).await;
    assert_eq!(a["acknowledged"], true);
    assert_eq!(a["report"]["acknowledgedBy"], "ann");

    call(
        &sim,
        "POST",
        &path("tags"),
        Some(json!({"tags": ["new", "other"]})),
    )
    .await;
    let (status, _) = call(
        &sim,
        "DELETE",
        &format!("{}?tags=other", path("tags")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let tags = alert(&sim, SAMPLE_ALERT_ID).await.1["tags"].clone();
    assert!(
        tags.as_array()
            .is_some_and(|t| t.contains(&json!("new")) && !t.contains(&json!("other"))),
        "{tags}"
    );
    let (status, _) = call(&sim, "POST", &path("tags"), Some(json!({"tags": []}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(&sim, "POST", &path("notes"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(
        &sim,
        "POST",
        &path("notes"),
        Some(json!({"note": "looking"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let (_, closed) = call(&sim, "POST", &path("close"), None).await;
    assert_eq!(outcome(&sim, &closed).await["status"], "Closed alert");
    assert_eq!(alert(&sim, SAMPLE_ALERT_ID).await.1["status"], "closed");

    let (status, deleted) = call(
        &sim,
        "DELETE",
        &format!("/v2/alerts/{SAMPLE_ALERT_ID}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(outcome(&sim, &deleted).await["isSuccess"], true);
    assert_eq!(alert(&sim, SAMPLE_ALERT_ID).await.0, StatusCode::NOT_FOUND);
    // Asynchronous, as Opsgenie: accepted, then failed in the request status.
    let (status, missing) = call(&sim, "POST", &path("close"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let failed = outcome(&sim, &missing).await;
    assert_eq!(failed["isSuccess"], false, "{failed}");
    let (status, _) = call(&sim, "GET", "/v2/alerts/requests/no-such-request", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A receiver that records each event with the status `GET /v2/alerts/{alertId}` answers when it
/// arrives. It looks the simulator up per event (`sim_url`), so it can start before it.
async fn receiver(
    sim_url: Arc<Mutex<String>>,
    key: String,
) -> (String, Arc<Mutex<Vec<(Value, u16)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/integration/webhook",
        post(move |axum::Json(event): axum::Json<Value>| {
            let (record, sim_url, key) = (record.clone(), sim_url.clone(), key.clone());
            async move {
                let base = sim_url.lock().unwrap().clone();
                let id = event["alert"]["alertId"].as_str().unwrap_or("").to_owned();
                let status = reqwest::Client::new()
                    .get(format!("{base}/v2/alerts/{id}"))
                    .header("Authorization", format!("GenieKey {key}"))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                record.lock().unwrap().push((event, status));
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/integration/webhook",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn each_action_is_posted_to_the_webhook_after_it_took_effect_in_order() {
    let sim_url = Arc::new(Mutex::new(String::new()));
    let config = OpsgenieSimConfig::default();
    let (url, seen) = receiver(sim_url.clone(), config.api_key.clone()).await;
    let sim = start(
        Account::empty().with_seed_sample(),
        OpsgenieSimConfig {
            webhook_url: Some(url),
            ..config
        },
    )
    .await
    .expect("bind");
    *sim_url.lock().unwrap() = sim.base_url();
    let path = |action: &str| format!("/v2/alerts/{SAMPLE_ALERT_ID}/{action}");
    call(
        &sim,
        "POST",
        "/v2/alerts",
        Some(json!({"message": "new one"})),
    )
    .await;
    call(&sim, "POST", &path("tags"), Some(json!({"tags": ["x"]}))).await;
    call(&sim, "POST", &path("notes"), Some(json!({"note": "n1"}))).await;
    call(&sim, "POST", &path("close"), Some(json!({"user": "bob"}))).await;
    call(
        &sim,
        "DELETE",
        &format!("/v2/alerts/{SAMPLE_ALERT_ID}"),
        None,
    )
    .await;
    // A failed action (no such alert) posts nothing.
    call(&sim, "POST", "/v2/alerts/missing/close", None).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < 5 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = seen.lock().unwrap().clone();
    let actions: Vec<&str> = seen
        .iter()
        .map(|(e, _)| e["action"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(actions, ["Create", "AddTags", "AddNote", "Close", "Delete"]);
    let (close, close_status) = &seen[3];
    assert_eq!(close["alert"]["alertId"], SAMPLE_ALERT_ID);
    assert_eq!(close["alert"]["username"], "bob");
    assert_eq!(
        *close_status, 200,
        "the alert still exists when Close is posted"
    );
    assert_eq!(seen[1].0["alert"]["addedTags"], "x");
    assert_eq!(seen[2].0["alert"]["note"], "n1");
    assert_eq!(
        seen[4].1, 404,
        "a Delete's alert is gone before its event is posted"
    );
    assert_eq!(
        seen[0].1, 200,
        "a created alert is readable when its event arrives"
    );
}
