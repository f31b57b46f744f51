//! The webhook queue's bounds and decisions against the simulators: a full queue answers 503,
//! invalid alert ids are refused at the door, a `Delete` deletes only when Opsgenie says the
//! alert is gone, and what Opsgenie cannot answer is kept and tried again.

use crate::support::*;
use opsgenie_port::runtime::logging::{subscriber, CaptureWriter, LogFormat, LogOptions};
use opsgenie_port::runtime::serve::limits::Limits;
use opsgenie_port::runtime::serve::Service;
use opsgenie_port_sim::faults::{FaultConfig, FaultKind};
use opsgenie_port_sim::generate::Account;
use serde_json::json;
use std::time::Duration;

const BLUEPRINT: &str = "opsGenieAlert";

async fn metrics_text(service: &Service) -> String {
    http(service.addr(), "GET", "/metrics", &[], b"").await.body
}

async fn accepted(sims: &Sims, service: &Service, action: &str, id: &str) {
    let response = post_webhook(service, &payload(sims, action, id), &[]).await;
    assert_eq!(response.status, 202, "{action} {id}: {}", response.body);
}

/// An alert in the simulator with its entity in Port (created by a `Create` event).
async fn alert_with_entity(sims: &Sims, service: &Service, id: &str, message: &str) {
    sims.opsgenie.upsert_alert(rest_alert(id, message)).unwrap();
    accepted(sims, service, "Create", id).await;
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert!(sims.port.entity(BLUEPRINT, id).is_some(), "{id} created");
}

fn faults(kind: FaultKind) -> FaultConfig {
    FaultConfig {
        rate: 1.0,
        seed: 1,
        kinds: vec![kind],
        timeout_stall: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_every_accepted_event_is_applied() {
    let sims = sims(Account::empty()).await;
    for i in 1..=5 {
        sims.opsgenie
            .upsert_alert(rest_alert(&format!("q-{i}"), &format!("alert {i}")))
            .unwrap();
    }
    let limits = Limits {
        queue_capacity: 5,
        ..quick_retries()
    };
    let service = start_limited(&sims, limits).await;
    sims.opsgenie.stall();
    for i in 1..=4 {
        accepted(&sims, &service, "Create", &format!("q-{i}")).await;
    }
    accepted(&sims, &service, "Close", "q-1").await; // waits behind q-1's running event
    accepted(&sims, &service, "AddTags", "q-1").await; // merged into the waiting one: free

    let refused = post_webhook(&service, &payload(&sims, "Create", "q-5"), &[]).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(refused.json()["error"], "queue_full");
    let text = metrics_text(&service).await;
    assert_eq!(metric(&text, "opsgenie_port_webhook_in_flight"), 5.0);
    assert_eq!(metric(&text, "opsgenie_port_webhook_queue_capacity"), 5.0);
    assert_eq!(
        metric(
            &text,
            "opsgenie_port_webhook_events_total{action=\"Create\",outcome=\"queue_full\"}"
        ),
        1.0
    );

    sims.opsgenie.resume();
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    for i in 1..=4 {
        let entity = sims.port.entity(BLUEPRINT, &format!("q-{i}"));
        assert_eq!(entity.expect("applied")["title"], format!("alert {i}"));
    }
    assert!(sims.port.entity(BLUEPRINT, "q-5").is_none(), "refused");
    accepted(&sims, &service, "Create", "q-5").await;
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert!(sims.port.entity(BLUEPRINT, "q-5").is_some());
    let text = metrics_text(&service).await;
    let superseded = "opsgenie_port_webhook_events_total{action=\"Close\",outcome=\"superseded\"}";
    assert_eq!(metric(&text, superseded), 1.0, "{text}");
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn shutdown_says_how_many_accepted_events_were_not_applied() {
    let capture = CaptureWriter::new();
    let options = LogOptions {
        level: "WARNING".into(),
        format: LogFormat::Json,
    };
    // The test's runtime is single-threaded: the service's tasks log through this subscriber.
    let _logs = tracing::subscriber::set_default(subscriber(&options, capture.clone()));
    // With a single dispatcher registered, tracing decides a callsite's interest with the
    // default of whichever thread hits it first — another test's thread (no subscriber: never).
    // A second dispatcher makes it ask every registered one, so this thread's sees its events.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let sims = sims(Account::empty()).await;
    let service = start_limited(&sims, quick_retries()).await;
    for id in ["s-1", "s-2", "s-3"] {
        sims.opsgenie.upsert_alert(rest_alert(id, "stuck")).unwrap();
    }
    sims.opsgenie.stall();
    for id in ["s-1", "s-2", "s-3"] {
        accepted(&sims, &service, "Create", id).await;
    }
    service.shutdown();
    service.wait().await.unwrap();
    let logs = capture.contents();
    assert!(
        logs.contains("3 accepted webhook events were not applied before the shutdown limit"),
        "{logs}"
    );
}

#[tokio::test]
async fn invalid_alert_ids_are_refused_at_the_door_and_hold_no_worker() {
    let sims = sims(Account::empty()).await;
    let service = start_limited(&sims, quick_retries()).await;
    alert_with_entity(&sims, &service, "real-1", "real").await;
    let gets = sims.opsgenie.counter("alerts.get");

    let huge = "a".repeat(70_000);
    for _ in 0..40 {
        let body = json!({"action": "Delete", "alert": {"alertId": huge}});
        let response = post_webhook(&service, &body, &[]).await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert!(response.json()["message"]
            .as_str()
            .unwrap()
            .contains("is not an Opsgenie alert id"));
    }
    for id in ["has space", "new\nline", "caf\u{e9}"] {
        let body = json!({"action": "Close", "alert": {"alertId": id}});
        assert_eq!(
            post_webhook(&service, &body, &[]).await.status,
            400,
            "{id:?}"
        );
    }
    assert_eq!(
        sims.opsgenie.counter("alerts.get"),
        gets,
        "nothing reached Opsgenie"
    );

    // A real Delete right behind them is applied at once.
    let delete = payload(&sims, "Delete", "real-1");
    assert!(sims.opsgenie.delete_alert("real-1"));
    let started = std::time::Instant::now();
    assert_eq!(post_webhook(&service, &delete, &[]).await.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(5)).await);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(sims.port.entity(BLUEPRINT, "real-1").is_none());
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn a_delete_for_an_alert_opsgenie_still_returns_upserts_it_instead() {
    let sims = sims(Account::empty()).await;
    let service = start_limited(&sims, quick_retries()).await;
    alert_with_entity(&sims, &service, "kept-1", "before").await;
    sims.opsgenie
        .upsert_alert(rest_alert("kept-1", "after"))
        .unwrap();

    // Forged (no secret is configured) or stale: Opsgenie still has the alert.
    let forged = json!({"action": "Delete", "alert": {"alertId": "kept-1"}});
    assert_eq!(post_webhook(&service, &forged, &[]).await.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    let entity = sims.port.entity(BLUEPRINT, "kept-1").expect("not deleted");
    assert_eq!(entity["title"], "after", "re-read and upserted");
    let text = metrics_text(&service).await;
    assert_eq!(
        metric(
            &text,
            "opsgenie_port_webhook_delete_checks_total{result=\"exists\"}"
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "opsgenie_port_webhook_events_total{action=\"Delete\",outcome=\"upserted\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "opsgenie_port_webhook_delete_checks_total{result=\"gone\"}"
        ),
        0.0
    );
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn a_delete_is_kept_and_retried_while_opsgenie_cannot_answer() {
    let sims = sims(Account::empty()).await;
    let service = start_limited(&sims, quick_retries()).await;
    alert_with_entity(&sims, &service, "gone-1", "doomed").await;
    let delete = payload(&sims, "Delete", "gone-1");
    assert!(sims.opsgenie.delete_alert("gone-1"));

    let unanswered = "opsgenie_port_webhook_delete_checks_total{result=\"unanswered\"}";
    let mut seen = 0.0;
    for (round, kind) in [
        FaultKind::ServerError,
        FaultKind::RateLimited,
        FaultKind::Timeout,
    ]
    .into_iter()
    .enumerate()
    {
        sims.opsgenie.faults().set(faults(kind));
        if round == 0 {
            assert_eq!(post_webhook(&service, &delete, &[]).await.status, 202);
        }
        let mut text = String::new();
        assert!(
            eventually(10, || {
                text = metrics_now(&service);
                metric(&text, unanswered) >= seen + 2.0
            })
            .await,
            "{kind:?}: {text}"
        );
        seen = metric(&text, unanswered);
        assert!(
            sims.port.entity(BLUEPRINT, "gone-1").is_some(),
            "{kind:?}: an error is not a 404"
        );
        assert_eq!(metric(&text, "opsgenie_port_webhook_in_flight"), 1.0);
    }

    sims.opsgenie.faults().set(FaultConfig::none());
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert!(
        sims.port.entity(BLUEPRINT, "gone-1").is_none(),
        "404: deleted"
    );
    let text = metrics_text(&service).await;
    assert_eq!(
        metric(
            &text,
            "opsgenie_port_webhook_delete_checks_total{result=\"gone\"}"
        ),
        1.0
    );
    assert!(metric(&text, "opsgenie_port_webhook_retries_total") >= 6.0);
    assert_eq!(
        metric(
            &text,
            "opsgenie_port_webhook_events_total{action=\"Delete\",outcome=\"deleted\"}"
        ),
        1.0
    );
    service.shutdown();
    service.wait().await.unwrap();
}

/// The metrics text without an HTTP round trip (for synchronous polling).
fn metrics_now(service: &Service) -> String {
    service.metrics().render()
}

#[tokio::test]
async fn a_later_event_does_not_erase_a_waiting_deletes_check() {
    let sims = sims(Account::empty()).await;
    let service = start_limited(&sims, quick_retries()).await;
    alert_with_entity(&sims, &service, "c-gone", "deleted in Opsgenie").await;
    alert_with_entity(&sims, &service, "c-kept", "still in Opsgenie").await;

    sims.opsgenie.stall();
    for id in ["c-gone", "c-kept"] {
        accepted(&sims, &service, "Close", id).await; // running, held by the stall
        accepted(&sims, &service, "Delete", id).await; // waiting
        accepted(&sims, &service, "Acknowledge", id).await; // merged into the waiting Delete
    }
    assert!(sims.opsgenie.delete_alert("c-gone"));
    sims.opsgenie.resume();
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);

    assert!(sims.port.entity(BLUEPRINT, "c-gone").is_none());
    assert!(sims.port.entity(BLUEPRINT, "c-kept").is_some());
    let text = metrics_text(&service).await;
    for (result, count) in [("gone", 1.0), ("exists", 1.0)] {
        let series = format!("opsgenie_port_webhook_delete_checks_total{{result=\"{result}\"}}");
        assert_eq!(metric(&text, &series), count, "{result}: {text}");
    }
    let superseded =
        "opsgenie_port_webhook_events_total{action=\"Acknowledge\",outcome=\"superseded\"}";
    assert_eq!(metric(&text, superseded), 2.0);
    service.shutdown();
    service.wait().await.unwrap();
}
