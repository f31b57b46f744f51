//! Opsgenie outgoing-webhook events (opsgenie-api.md §7): parsing with precise 400 messages, the
//! REST shape of a webhook alert, and the per-alert queue that applies events in order.
//!
//! Ordering: events for one alert run one at a time, in arrival order. Every non-`Delete` event
//! re-reads the alert from Opsgenie, so an event that arrives while another for the same alert
//! is waiting replaces the waiting one (both would produce the same result). Repeated and
//! out-of-order events therefore converge on Opsgenie's current state: a late `Create` for a
//! deleted alert finds it gone (404) and deletes the entity.

use super::apply::{Applied, Applier};
use super::log;
use super::metrics::Metrics;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};

/// The header carrying the shared secret (set it as a custom header in Opsgenie's Webhook
/// integration when `OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET` is configured).
pub const SECRET_HEADER: &str = "x-opsgenie-port-secret";

/// Actions Opsgenie's Webhook integration sends: the names seen in captured payloads plus those
/// of the UI triggers Port's setup guide enables (opsgenie-api.md §7.4). Anything else (custom
/// actions, future names) is acknowledged with 202 and ignored.
pub const KNOWN_ACTIONS: [&str; 20] = [
    "Create",
    "Acknowledge",
    "UnAcknowledge",
    "Close",
    "Delete",
    "AddNote",
    "AddTags",
    "RemoveTags",
    "AddTeam",
    "AddRecipient",
    "AddResponder",
    "AssignOwnership",
    "TakeOwnership",
    "Escalate",
    "Snooze",
    "UpdateDescription",
    "UpdateMessage",
    "UpdatePriority",
    "AddDetails",
    "RemoveDetails",
];

/// One accepted event.
#[derive(Clone, Debug)]
pub struct WebhookEvent {
    pub action: String,
    pub alert_id: String,
    /// The webhook's `alert` object (webhook shape).
    pub alert: Value,
    pub received: Instant,
}

impl WebhookEvent {
    pub fn is_delete(&self) -> bool {
        self.action == "Delete"
    }
}

/// What a request body is.
#[derive(Debug)]
pub enum Parsed {
    Event(WebhookEvent),
    /// A well-formed body with an action this integration does not handle.
    Ignored {
        action: String,
    },
}

/// Why a body was refused (HTTP 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPayload(pub String);

/// Parses a webhook body: a JSON object with a string `action` and, for known actions, an
/// `alert` object with a non-empty string `alertId`.
pub fn parse(body: &[u8]) -> Result<Parsed, BadPayload> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| BadPayload(format!("malformed JSON: {e}")))?;
    let Value::Object(mut fields) = value else {
        return Err(BadPayload(
            "the body must be a JSON object (Opsgenie's webhook payload)".into(),
        ));
    };
    let action = match fields.get("action") {
        Some(Value::String(action)) if !action.is_empty() => action.clone(),
        Some(_) => {
            return Err(BadPayload(
                "field `action` must be a non-empty string".into(),
            ))
        }
        None => return Err(BadPayload("missing field `action`".into())),
    };
    if !KNOWN_ACTIONS.contains(&action.as_str()) {
        return Ok(Parsed::Ignored { action });
    }
    let alert = match fields.remove("alert") {
        Some(Value::Object(alert)) => alert,
        Some(_) => return Err(BadPayload("field `alert` must be an object".into())),
        None => return Err(BadPayload("missing field `alert`".into())),
    };
    let alert_id = match alert.get("alertId") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.trim().to_owned(),
        Some(_) => {
            return Err(BadPayload(
                "field `alert.alertId` must be a non-empty string".into(),
            ))
        }
        None => return Err(BadPayload("missing field `alert.alertId`".into())),
    };
    Ok(Parsed::Event(WebhookEvent {
        action,
        alert_id,
        alert: Value::Object(alert),
        received: Instant::now(),
    }))
}

/// The metrics label for an action: known names as is, everything else `other` (bounded).
pub fn action_label(action: &str) -> &str {
    if KNOWN_ACTIONS.contains(&action) {
        action
    } else {
        "other"
    }
}

/// The webhook `alert` object in the REST shape the mapping is written for: `alertId` → `id`,
/// epoch-millisecond `createdAt` and nanosecond `updatedAt` → RFC 3339, numeric `priority` →
/// `P<n>`, `teams` → `[{id}]`. Used to compute identifiers when the alert cannot be fetched.
pub fn rest_shape(alert: &Value) -> Value {
    let mut out = Map::new();
    let Some(fields) = alert.as_object() else {
        return Value::Object(out);
    };
    for (key, value) in fields {
        match key.as_str() {
            "alertId" => {
                out.insert("id".into(), value.clone());
            }
            "createdAt" | "insertedAt" => {
                if let Some(millis) = value.as_i64() {
                    out.insert(key.clone(), json!(super::log::iso_millis(millis)));
                }
            }
            "updatedAt" => {
                // Nanoseconds (19 digits); tolerate milliseconds too.
                if let Some(stamp) = value.as_i64() {
                    let millis = if stamp > 100_000_000_000_000 {
                        stamp / 1_000_000
                    } else {
                        stamp
                    };
                    out.insert(key.clone(), json!(super::log::iso_millis(millis)));
                }
            }
            "priority" => {
                let priority = match value {
                    Value::Number(n) => json!(format!("P{n}")),
                    other => other.clone(),
                };
                out.insert(key.clone(), priority);
            }
            "teams" => {
                let teams: Vec<Value> = value
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .map(|team| match team {
                                Value::String(id) => json!({ "id": id }),
                                other => other.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(teams));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// Alerts processed at once. Each event costs a few Opsgenie and Port round trips and the
/// clients cap their own concurrency, so more workers would only queue inside the clients
/// while competing with the HTTP endpoint for CPU.
pub const MAX_CONCURRENT_ALERTS: usize = 32;

/// Per-alert queues in front of an [`Applier`].
#[derive(Clone)]
pub struct WebhookQueue {
    inner: Arc<QueueInner>,
}

struct QueueInner {
    applier: Arc<dyn Applier>,
    metrics: Arc<Metrics>,
    /// Alert id → the event waiting behind the running one (if any). Presence means a worker
    /// runs for that alert.
    slots: Mutex<HashMap<String, Option<WebhookEvent>>>,
    accepting: AtomicBool,
    idle: Notify,
    workers: Semaphore,
}

/// Why an event was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    ShuttingDown,
}

impl WebhookQueue {
    pub fn new(applier: Arc<dyn Applier>, metrics: Arc<Metrics>) -> Self {
        WebhookQueue {
            inner: Arc::new(QueueInner {
                applier,
                metrics,
                slots: Mutex::new(HashMap::new()),
                accepting: AtomicBool::new(true),
                idle: Notify::new(),
                workers: Semaphore::new(MAX_CONCURRENT_ALERTS),
            }),
        }
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, Option<WebhookEvent>>> {
        self.inner.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `event` behind any running event for the same alert.
    pub fn submit(&self, event: WebhookEvent) -> Result<(), Rejected> {
        if !self.inner.accepting.load(Ordering::Acquire) {
            return Err(Rejected::ShuttingDown);
        }
        self.inner.metrics.webhook_started();
        let mut slots = self.slots();
        match slots.get_mut(&event.alert_id) {
            Some(waiting) => {
                if let Some(replaced) = waiting.replace(event) {
                    self.inner
                        .metrics
                        .webhook_event(action_label(&replaced.action), "superseded");
                    self.inner.metrics.webhook_finished();
                }
            }
            None => {
                slots.insert(event.alert_id.clone(), None);
                drop(slots);
                let queue = self.clone();
                tokio::spawn(async move { queue.work(event).await });
            }
        }
        Ok(())
    }

    /// Applies `event`, then whatever queued up behind it, then retires the alert's slot.
    async fn work(self, mut event: WebhookEvent) {
        loop {
            let alert_id = event.alert_id.clone();
            // The semaphore is never closed, so acquiring only waits.
            let permit = self.inner.workers.acquire().await;
            self.apply(event).await;
            drop(permit);
            let next = {
                let mut slots = self.slots();
                match slots.get_mut(&alert_id).and_then(Option::take) {
                    Some(next) => Some(next),
                    None => {
                        slots.remove(&alert_id);
                        None
                    }
                }
            };
            match next {
                Some(next) => event = next,
                None => break,
            }
        }
        if self.inner.metrics.webhooks_in_flight() == 0 {
            self.inner.idle.notify_waiters();
        }
    }

    async fn apply(&self, event: WebhookEvent) {
        let label = action_label(&event.action).to_owned();
        let received = event.received;
        let result = if event.is_delete() {
            self.inner.applier.delete(&event).await
        } else {
            self.inner.applier.refresh(&event).await
        };
        let outcome = match result {
            Ok(applied) => applied.outcome(),
            Err(error) => {
                log::error(&format!(
                    "webhook {} for alert {}: {error}",
                    event.action, event.alert_id
                ));
                "failed"
            }
        };
        log::debug(&format!(
            "webhook {} for alert {}: {outcome}",
            event.action, event.alert_id
        ));
        self.inner.metrics.webhook_event(&label, outcome);
        self.inner.metrics.webhook_latency(received.elapsed());
        self.inner.metrics.webhook_finished();
    }

    /// Events accepted and not yet applied.
    pub fn pending(&self) -> u64 {
        self.inner.metrics.webhooks_in_flight()
    }

    /// Waits until every accepted event has been applied (or `limit` passed); true if idle.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.inner.idle.notified();
            if self.pending() == 0 {
                return true;
            }
            // Re-check periodically too: the last worker may finish between the check and
            // the registration above.
            let tick = tokio::time::Instant::now() + Duration::from_millis(20);
            if tokio::time::timeout_at(tick.min(deadline), notified)
                .await
                .is_err()
                && tokio::time::Instant::now() >= deadline
            {
                return self.pending() == 0;
            }
        }
    }

    /// Stops accepting events (new ones get 503) and waits for the accepted ones.
    pub async fn close(&self, limit: Duration) -> bool {
        self.inner.accepting.store(false, Ordering::Release);
        self.wait_idle(limit).await
    }
}

impl Applied {
    fn outcome(&self) -> &'static str {
        match (self.upserted, self.deleted) {
            (0, 0) => "unchanged",
            (_, 0) => "upserted",
            (0, _) => "deleted",
            _ => "upserted_and_deleted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(body: &str) -> String {
        match parse(body.as_bytes()) {
            Err(BadPayload(message)) => message,
            Ok(other) => panic!("accepted {body}: {other:?}"),
        }
    }

    #[test]
    fn refuses_malformed_and_misshapen_bodies_naming_the_field() {
        assert!(bad("{not json").starts_with("malformed JSON"));
        assert!(bad("[1]").contains("JSON object"));
        assert_eq!(bad("{}"), "missing field `action`");
        assert_eq!(
            bad(r#"{"action": 3}"#),
            "field `action` must be a non-empty string"
        );
        assert_eq!(bad(r#"{"action": "Close"}"#), "missing field `alert`");
        assert_eq!(
            bad(r#"{"action": "Close", "alert": {}}"#),
            "missing field `alert.alertId`"
        );
        assert_eq!(
            bad(r#"{"action": "Close", "alert": {"alertId": ""}}"#),
            "field `alert.alertId` must be a non-empty string"
        );
    }

    #[test]
    fn unknown_actions_are_ignored_without_needing_an_alert() {
        match parse(br#"{"action": "SomethingNew"}"#) {
            Ok(Parsed::Ignored { action }) => assert_eq!(action, "SomethingNew"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn accepts_an_escalate_payload_with_only_the_id() {
        match parse(br#"{"action": "Escalate", "alert": {"alertId": "a-1"}}"#) {
            Ok(Parsed::Event(event)) => {
                assert_eq!(event.alert_id, "a-1");
                assert!(!event.is_delete());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rest_shape_renames_and_converts_times() {
        let alert = json!({
            "alertId": "abc",
            "createdAt": 1_420_452_374_669_i64,
            "updatedAt": 1_420_452_374_669_001_603_i64,
            "priority": 3,
            "teams": ["t1"],
            "message": "m"
        });
        let rest = rest_shape(&alert);
        assert_eq!(rest["id"], "abc");
        assert!(rest.get("alertId").is_none());
        assert_eq!(rest["createdAt"], "2015-01-05T10:06:14.669Z");
        assert_eq!(rest["updatedAt"], "2015-01-05T10:06:14.669Z");
        assert_eq!(rest["priority"], "P3");
        assert_eq!(rest["teams"], json!([{"id": "t1"}]));
        assert_eq!(rest["message"], "m");
    }

    #[test]
    fn action_labels_are_bounded() {
        assert_eq!(action_label("Close"), "Close");
        assert_eq!(action_label("DropTables"), "other");
    }
}
