//! The HTTP surface: bad webhook input, the shared secret, health, metrics, the path prefix.

use crate::support::*;
use opsgenie_port_sim::generate::Account;
use serde_json::json;
use std::sync::Arc;

async fn still_up(service: &opsgenie_port::runtime::serve::Service) {
    let live = http(
        service.addr(),
        "GET",
        &path(service, "/health/live"),
        &[],
        b"",
    )
    .await;
    assert_eq!(live.status, 200, "server still up");
}

#[tokio::test]
async fn bad_input_is_refused_and_the_server_stays_up() {
    let sims = sims(Account::empty()).await;
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    let webhook = path(&service, "/integration/webhook");
    let post = |body: Vec<u8>| {
        let webhook = webhook.clone();
        let addr = service.addr();
        async move {
            http(
                addr,
                "POST",
                &webhook,
                &[("Content-Type", "application/json")],
                &body,
            )
            .await
        }
    };

    let malformed = post(b"{\"action\": \"Create\", ".to_vec()).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    assert!(malformed.json()["message"]
        .as_str()
        .unwrap()
        .contains("malformed JSON"));
    still_up(&service).await;

    let no_alert_id = post(
        json!({"action": "Close", "alert": {"message": "x"}})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(no_alert_id.status, 400);
    assert_eq!(
        no_alert_id.json()["message"],
        "missing field `alert.alertId`"
    );
    let no_action = post(json!({"alert": {"alertId": "x"}}).to_string().into_bytes()).await;
    assert_eq!(no_action.status, 400);
    assert_eq!(no_action.json()["message"], "missing field `action`");
    still_up(&service).await;

    let unknown = post(
        json!({"action": "LaunchRocket", "alert": {"alertId": "x"}})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(unknown.status, 202);
    assert_eq!(unknown.json()["status"], "ignored");
    assert_eq!(sims.opsgenie.counter("alerts.get"), 0, "ignored: no fetch");
    still_up(&service).await;

    let mut huge = br#"{"action": "Create", "alert": {"alertId": "x", "description": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 1 << 20));
    huge.extend(br#""}}"#);
    let too_large = post(huge).await;
    assert_eq!(too_large.status, 413);
    still_up(&service).await;

    let metrics = http(service.addr(), "GET", &path(&service, "/metrics"), &[], b"").await;
    assert!(metrics
        .body
        .contains("opsgenie_port_webhook_events_total{action=\"unparsed\",outcome=\"invalid\"} 3"));
    assert!(metrics
        .body
        .contains("opsgenie_port_webhook_events_total{action=\"other\",outcome=\"ignored\"} 1"));
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn a_configured_secret_is_required() {
    let sims = sims(Account::empty()).await;
    let secret = "hook-secret-9f1c";
    let service = start(
        &sims,
        &[("OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET", secret)],
        Arc::new(CountingResync::default()),
    )
    .await;
    sims.opsgenie
        .upsert_alert(rest_alert("s-1", "guarded"))
        .unwrap();
    let body = payload(&sims, "Create", "s-1");

    let missing = post_webhook(&service, &body, &[]).await;
    assert_eq!(missing.status, 401);
    assert!(!missing.body.contains(secret));
    let wrong = post_webhook(&service, &body, &[("X-Opsgenie-Port-Secret", "guess")]).await;
    assert_eq!(wrong.status, 401);
    still_up(&service).await;
    assert!(sims.port.entity("opsGenieAlert", "s-1").is_none());

    let right = post_webhook(&service, &body, &[("X-Opsgenie-Port-Secret", secret)]).await;
    assert_eq!(right.status, 202, "{}", right.body);
    assert!(
        service
            .webhooks_idle(std::time::Duration::from_secs(10))
            .await
    );
    assert!(sims.port.entity("opsGenieAlert", "s-1").is_some());
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn health_and_metrics_respond_under_the_path_prefix() {
    let sims = sims(Account::empty()).await;
    let service = start(
        &sims,
        &[("OCEAN__PATH_PREFIX", "/opsgenie/")],
        Arc::new(CountingResync::default()),
    )
    .await;
    assert_eq!(path(&service, "/health/live"), "/opsgenie/health/live");

    let live = http(service.addr(), "GET", "/opsgenie/health/live", &[], b"").await;
    assert_eq!(live.status, 200);
    assert_eq!(live.json()["check"], "live");
    let ready = http(service.addr(), "GET", "/opsgenie/health/ready", &[], b"").await;
    assert_eq!(ready.status, 200, "ready once configured and Port answered");
    assert_eq!(ready.json()["status"], "healthy");
    let unprefixed = http(service.addr(), "GET", "/health/live", &[], b"").await;
    assert_eq!(unprefixed.status, 404);
    // Port's port-ocean chart before 0.16 probes Ocean's API page.
    let docs = http(service.addr(), "GET", "/opsgenie/docs", &[], b"").await;
    assert_eq!(docs.status, 200);
    assert!(docs.body.contains("/integration/webhook"), "{}", docs.body);

    let metrics = http(service.addr(), "GET", "/opsgenie/metrics", &[], b"").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert!(
        metrics.body.contains("opsgenie_port_mapping_drift 0"),
        "{}",
        metrics.body
    );
    assert!(metrics.body.contains("opsgenie_port_ready 1"));
    let port_requests = metrics
        .body
        .lines()
        .find(|line| line.starts_with("opsgenie_port_api_requests_total{api=\"port\"}"))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse::<f64>().ok())
        .expect("port request counter");
    assert!(port_requests > 0.0, "initialisation talked to Port");
    service.shutdown();
    service.wait().await.unwrap();
}
