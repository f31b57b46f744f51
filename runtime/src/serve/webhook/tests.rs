use super::*;
use crate::serve::apply::{ApplyError, BoxFuture};
use std::collections::VecDeque;

fn bad(body: &str) -> String {
    match parse(body.as_bytes()) {
        Err(BadPayload(message)) => message,
        Ok(other) => panic!("accepted {body}: {other:?}"),
    }
}

fn event(body: &str) -> WebhookEvent {
    match parse(body.as_bytes()) {
        Ok(Parsed::Event(event)) => event,
        other => panic!("{body}: {other:?}"),
    }
}

#[test]
fn refuses_malformed_and_misshapen_bodies_naming_the_field() {
    assert!(bad("{not json").starts_with("malformed JSON"));
    assert!(bad(r#"{"action": "Close"} x"#).starts_with("malformed JSON"));
    assert!(bad("[1]").contains("JSON object"));
    assert!(bad(r#""Close""#).contains("JSON object"));
    assert_eq!(bad("{}"), "missing field `action`");
    assert_eq!(
        bad(r#"{"action": 3}"#),
        "field `action` must be a non-empty string"
    );
    assert_eq!(
        bad(r#"{"action": {"a": [1]}}"#),
        "field `action` must be a non-empty string"
    );
    assert_eq!(bad(r#"{"action": "Close"}"#), "missing field `alert`");
    assert_eq!(
        bad(r#"{"action": "Close", "alert": ["x"]}"#),
        "field `alert` must be an object"
    );
    assert_eq!(
        bad(r#"{"action": "Close", "alert": {}}"#),
        "missing field `alert.alertId`"
    );
    assert_eq!(
        bad(r#"{"action": "Close", "alert": {"alertId": ""}}"#),
        "field `alert.alertId` must be a non-empty string"
    );
    assert_eq!(
        bad(r#"{"action": "Close", "alert": {"alertId": null}}"#),
        "field `alert.alertId` must be a non-empty string"
    );
}

#[test]
fn alert_ids_must_look_like_opsgenie_ids() {
    let long = "a".repeat(MAX_ALERT_ID_BYTES + 1);
    let huge = "a".repeat(70_000);
    for id in [
        long.as_str(),
        huge.as_str(),
        "a b",
        "tab\tid",
        "caf\u{e9}",
        "nul\u{0}",
    ] {
        let body = serde_json::json!({"action": "Delete", "alert": {"alertId": id}});
        let message = bad(&body.to_string());
        assert!(
            message.starts_with("field `alert.alertId` is not an Opsgenie alert id"),
            "{message}"
        );
        assert!(message.len() < 200, "the id is not echoed");
    }
    let longest = "a".repeat(MAX_ALERT_ID_BYTES);
    let body = serde_json::json!({"action": "Close", "alert": {"alertId": longest}});
    assert_eq!(event(&body.to_string()).alert_id, longest);
    let padded = r#"{"action": "Close", "alert": {"alertId": "  a-1\n"}}"#;
    assert_eq!(event(padded).alert_id, "a-1");
}

#[test]
fn only_the_action_and_the_alert_id_are_kept() {
    let body = serde_json::json!({
        "action": "Create",
        "alert": {
            "alertId": "a-1", "message": "m", "details": {"big": "x".repeat(100_000)},
            "tags": [[[[1]]]], "alertIdd": 3
        },
        "source": {"name": "web"}, "alertId": "top-level-is-not-it",
    });
    let event = event(&body.to_string());
    assert_eq!((event.action, event.alert_id.as_str()), ("Create", "a-1"));
    // Escaped names and values read like parsed JSON; the last of repeated keys counts.
    let escaped = r#"{"act\u0069on": "Del\u0065te", "alert": {"alertId": "x"},
                          "alert": {"alert\u0049d": "a\/2"}}"#;
    let event = self::event(escaped);
    assert_eq!((event.action, event.alert_id.as_str()), ("Delete", "a/2"));
    assert!(event.is_delete());
}

#[test]
fn deep_nesting_in_skipped_fields_is_scanned_without_recursion() {
    let depth = 200_000;
    let mut body = String::from(r#"{"action": "Close", "alert": {"alertId": "a", "x": "#);
    body.push_str(&"[".repeat(depth));
    body.push_str(&"]".repeat(depth));
    body.push_str("}}");
    assert_eq!(event(&body).alert_id, "a");
    let unbalanced = format!(r#"{{"action": {}"#, "[{\"a\":".repeat(depth));
    assert!(bad(&unbalanced).starts_with("malformed JSON"));
}

#[test]
fn unknown_actions_are_ignored_without_needing_an_alert() {
    match parse(br#"{"action": "SomethingNew"}"#) {
        Ok(Parsed::Ignored { action }) => assert_eq!(action, "SomethingNew"),
        other => panic!("{other:?}"),
    }
    let long = serde_json::json!({"action": "x".repeat(10_000)}).to_string();
    match parse(long.as_bytes()) {
        Ok(Parsed::Ignored { action }) => assert_eq!(action.len(), MAX_ECHOED_ACTION_CHARS),
        other => panic!("{other:?}"),
    }
}

#[test]
fn accepts_an_escalate_payload_with_only_the_id() {
    let event = event(r#"{"action": "Escalate", "alert": {"alertId": "a-1"}}"#);
    assert_eq!(event.alert_id, "a-1");
    assert!(!event.is_delete());
}

#[test]
fn action_labels_are_bounded() {
    assert_eq!(action_label("Close"), "Close");
    assert_eq!(action_label("DropTables"), "other");
}

#[test]
fn merging_keeps_a_delete_and_the_oldest_arrival() {
    let early = Instant::now();
    let late = early + Duration::from_millis(5);
    let work = |action: &'static str, received| Work {
        action,
        delete: action == "Delete",
        received,
    };
    let (merged, superseded) = work("Delete", early).merge(work("Create", late));
    assert_eq!(
        (merged.action, merged.delete, superseded),
        ("Delete", true, "Create")
    );
    assert_eq!(merged.received, early);
    let (merged, superseded) = work("Close", early).merge(work("Delete", late));
    assert_eq!(
        (merged.action, merged.delete, superseded),
        ("Delete", true, "Close")
    );
    let (merged, superseded) = work("Close", early).merge(work("AddTags", late));
    assert_eq!(
        (merged.action, merged.delete, superseded),
        ("AddTags", false, "Close")
    );
}

/// An applier that answers from a script and can be held while "applying".
struct Scripted {
    calls: Mutex<Vec<String>>,
    answers: Mutex<VecDeque<Result<Applied, ApplyError>>>,
    /// Each apply takes a permit first; none means every apply waits.
    gate: Semaphore,
}

impl Scripted {
    fn new(open: bool) -> Arc<Scripted> {
        Arc::new(Scripted {
            calls: Mutex::new(Vec::new()),
            answers: Mutex::new(VecDeque::new()),
            gate: Semaphore::new(if open { Semaphore::MAX_PERMITS } else { 0 }),
        })
    }

    fn answer(&self, answer: Result<Applied, ApplyError>) {
        self.answers.lock().unwrap().push_back(answer);
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn open(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

fn upserted() -> Applied {
    Applied {
        upserted: 1,
        ..Applied::default()
    }
}

impl Applier for Scripted {
    fn apply<'a>(&'a self, alert_id: &'a str) -> BoxFuture<'a, Result<Applied, ApplyError>> {
        Box::pin(async move {
            self.gate.acquire().await.expect("open").forget();
            self.calls.lock().unwrap().push(alert_id.to_owned());
            let answer = self.answers.lock().unwrap().pop_front();
            answer.unwrap_or_else(|| Ok(upserted()))
        })
    }
}

fn limits(capacity: usize) -> Limits {
    Limits {
        queue_capacity: capacity,
        retry_base: Duration::from_millis(1),
        retry_max: Duration::from_millis(5),
        ..Limits::default()
    }
}

fn queue(applier: &Arc<Scripted>, capacity: usize) -> (WebhookQueue, Arc<Metrics>) {
    let metrics = Metrics::new();
    let queue = WebhookQueue::new(applier.clone(), metrics.clone(), &limits(capacity));
    (queue, metrics)
}

fn metric(metrics: &Metrics, series: &str) -> u64 {
    metrics
        .render()
        .lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

async fn until(check: impl Fn() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("condition not reached");
}

#[tokio::test]
async fn a_full_queue_refuses_new_entries_but_merges_into_waiting_ones() {
    let applier = Scripted::new(false);
    let (queue, metrics) = queue(&applier, 3);
    assert_eq!(metric(&metrics, "opsgenie_port_webhook_queue_capacity"), 3);
    let submit = |action, id| queue.submit(WebhookEvent::new(action, id));
    assert_eq!(submit("Create", "a1"), Ok(()));
    assert_eq!(submit("Create", "a2"), Ok(()));
    assert_eq!(
        submit("Close", "a1"),
        Ok(()),
        "waits behind a1's running event"
    );
    assert_eq!(queue.pending(), 3);
    assert_eq!(submit("Create", "a3"), Err(Rejected::Full));
    assert_eq!(
        submit("Close", "a2"),
        Err(Rejected::Full),
        "needs a new entry"
    );
    assert_eq!(
        submit("AddTags", "a1"),
        Ok(()),
        "merged into the waiting one"
    );
    assert_eq!(queue.pending(), 3);
    applier.open();
    assert!(queue.wait_idle(Duration::from_secs(5)).await);
    let mut calls = applier.calls();
    calls.sort();
    assert_eq!(calls, ["a1", "a1", "a2"]);
    let events = |action: &str, outcome: &str| {
        metric(
            &metrics,
            &format!(
                "opsgenie_port_webhook_events_total{{action=\"{action}\",outcome=\"{outcome}\"}}"
            ),
        )
    };
    assert_eq!(events("Create", "upserted"), 2);
    assert_eq!(events("Close", "superseded"), 1);
    assert_eq!(events("AddTags", "upserted"), 1);
    assert_eq!(metric(&metrics, "opsgenie_port_webhook_in_flight"), 0);
    assert_eq!(submit("Create", "a3"), Ok(()), "room again");
}

#[tokio::test]
async fn a_later_event_keeps_a_waiting_deletes_check() {
    let applier = Scripted::new(false);
    let (queue, metrics) = queue(&applier, 10);
    queue.submit(WebhookEvent::new("Create", "a1")).unwrap();
    queue.submit(WebhookEvent::new("Delete", "a1")).unwrap();
    queue
        .submit(WebhookEvent::new("Acknowledge", "a1"))
        .unwrap();
    applier.answer(Ok(upserted()));
    applier.answer(Ok(Applied {
        deleted: 1,
        gone: true,
        ..Applied::default()
    }));
    applier.open();
    assert!(queue.wait_idle(Duration::from_secs(5)).await);
    assert_eq!(applier.calls(), ["a1", "a1"]);
    let text = metrics.render();
    assert!(
        text.contains("opsgenie_port_webhook_delete_checks_total{result=\"gone\"} 1"),
        "{text}"
    );
    assert!(text
        .contains("opsgenie_port_webhook_events_total{action=\"Delete\",outcome=\"deleted\"} 1"));
    assert!(text.contains(
        "opsgenie_port_webhook_events_total{action=\"Acknowledge\",outcome=\"superseded\"} 1"
    ));
}

#[tokio::test]
async fn unanswered_events_are_kept_and_tried_again() {
    let applier = Scripted::new(true);
    let (queue, metrics) = queue(&applier, 10);
    for _ in 0..3 {
        applier.answer(Err(ApplyError::transient("HTTP 503")));
    }
    applier.answer(Ok(Applied {
        upserted: 1,
        ..Applied::default()
    }));
    queue.submit(WebhookEvent::new("Delete", "a1")).unwrap();
    assert!(queue.wait_idle(Duration::from_secs(5)).await);
    assert_eq!(applier.calls().len(), 4);
    let text = metrics.render();
    assert!(
        text.contains("opsgenie_port_webhook_retries_total 3"),
        "{text}"
    );
    assert!(text.contains("opsgenie_port_webhook_delete_checks_total{result=\"unanswered\"} 3"));
    assert!(text.contains("opsgenie_port_webhook_delete_checks_total{result=\"exists\"} 1"));
    assert!(
        !text.contains("result=\"gone\""),
        "an error is never `gone`"
    );
    assert!(text
        .contains("opsgenie_port_webhook_events_total{action=\"Delete\",outcome=\"upserted\"} 1"));
}

#[tokio::test]
async fn events_arriving_during_a_retry_wait_merge_into_it() {
    let applier = Scripted::new(true);
    let metrics = Metrics::new();
    let limits = Limits {
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_millis(200),
        ..Limits::default()
    };
    let queue = WebhookQueue::new(applier.clone(), metrics.clone(), &limits);
    applier.answer(Err(ApplyError::transient("timed out")));
    queue.submit(WebhookEvent::new("Create", "a1")).unwrap();
    until(|| applier.calls().len() == 1).await;
    queue.submit(WebhookEvent::new("Close", "a1")).unwrap();
    assert_eq!(queue.pending(), 2);
    assert!(queue.wait_idle(Duration::from_secs(5)).await);
    assert_eq!(applier.calls().len(), 2, "one re-read served both");
    let text = metrics.render();
    assert!(text.contains(
        "opsgenie_port_webhook_events_total{action=\"Create\",outcome=\"superseded\"} 1"
    ));
    assert!(text
        .contains("opsgenie_port_webhook_events_total{action=\"Close\",outcome=\"upserted\"} 1"));
}

#[tokio::test]
async fn errors_that_cannot_change_are_not_tried_again() {
    let applier = Scripted::new(true);
    let (queue, metrics) = queue(&applier, 10);
    applier.answer(Err(ApplyError::permanent("Port refused opsGenieAlert/a1")));
    queue.submit(WebhookEvent::new("Close", "a1")).unwrap();
    assert!(queue.wait_idle(Duration::from_secs(5)).await);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(applier.calls(), ["a1"]);
    assert_eq!(metric(&metrics, "opsgenie_port_webhook_retries_total"), 0);
    assert!(metrics
        .render()
        .contains("opsgenie_port_webhook_events_total{action=\"Close\",outcome=\"failed\"} 1"));
}

#[tokio::test]
async fn closing_says_how_many_accepted_events_were_not_applied() {
    let applier = Scripted::new(false);
    let (queue, _) = queue(&applier, 10);
    for id in ["a1", "a2", "a3"] {
        queue.submit(WebhookEvent::new("Create", id)).unwrap();
    }
    queue.submit(WebhookEvent::new("Close", "a1")).unwrap();
    assert_eq!(queue.close(Duration::from_millis(30)).await, 4);
    assert_eq!(
        queue.submit(WebhookEvent::new("Create", "a4")),
        Err(Rejected::ShuttingDown)
    );
}
