//! Bodies of Opsgenie's outgoing webhook (opsgenie-api.md §7), for tests that post them to the
//! integration's `/integration/webhook`, and the sender that posts the simulator's own events.

use serde_json::{json, Map, Value};

use crate::generate::{Alert, Rng};

/// The webhook body Opsgenie posts when `action` (`Create`, `Close`, `Acknowledge`, `Delete`,
/// `Escalate`, `AddNote`, a custom action name, …) happens to `alert`.
///
/// Differences from the REST shape: `alertId` instead of `id`, `createdAt` in epoch milliseconds,
/// `updatedAt` in epoch nanoseconds, `teams`/`recipients` as plain id lists. `Escalate` carries only
/// `alertId`; description and details come only with `Create`. Ids are deterministic per
/// `(action, alert id)`.
pub fn webhook_payload(action: &str, alert: &Alert) -> Value {
    let key = alert
        .id
        .bytes()
        .chain(action.bytes())
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut rng = Rng::for_entity(key, b"webhook", 0);
    let mut body = Map::new();
    if action == "Escalate" {
        body.insert("alert".into(), json!({ "alertId": &*alert.id }));
    } else {
        // Sub-millisecond digits make the nanosecond stamp look like a real one.
        let mut nanos = |ms: i64| ms * 1_000_000 + rng.below(1_000_000) as i64;
        let updated_ns = nanos(alert.updated_at);
        let inserted_ns = nanos(alert.created_at);
        let username = if alert.owner.is_empty() {
            "Alert API"
        } else {
            &*alert.owner
        };
        let mut a = json!({
            "alertId": &*alert.id,
            "message": &*alert.message,
            "tags": alert.tags.iter().map(|t| &**t).collect::<Vec<_>>(),
            "tinyId": &*alert.tiny_id,
            "entity": &*alert.entity,
            "alias": &*alert.alias,
            "createdAt": alert.created_at,
            "updatedAt": updated_ns,
            "username": username,
            "userId": "",
            "source": &*alert.source,
            "priority": &*alert.priority,
            "teams": alert.teams.iter().map(|t| &**t).collect::<Vec<_>>(),
            "recipients": alert.responders.iter().map(|r| &*r.id).collect::<Vec<_>>(),
        });
        if action == "Create" {
            a["insertedAt"] = inserted_ns.into();
            a["description"] = (*alert.description).into();
            a["details"] = Value::Object(
                alert
                    .details
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::from(&**v)))
                    .collect(),
            );
        }
        body.insert("alert".into(), a);
    }
    body.insert("action".into(), action.into());
    body.insert("source".into(), json!({ "name": "", "type": "API" }));
    body.insert("integrationId".into(), rng.uuid().into());
    body.insert("integrationName".into(), "Webhook".into());
    body.insert("integrationType".into(), "Webhook".into());
    body.insert(
        "alertFlowContext".into(),
        json!({ "requestId": rng.uuid(), "traceId": rng.uuid(), "content": {} }),
    );
    Value::Object(body)
}

/// Events waiting to be posted; a full queue makes the action that adds one wait.
const QUEUE: usize = 1_000;

/// Starts the task that posts each event to `url`, one at a time in order, as Opsgenie's
/// Webhook integration does (JSON body, no signature). A failed post is reported on stderr and
/// not retried: the receiver's own resync repairs what it missed, as with Opsgenie.
pub(super) fn spawn_sender(url: String) -> tokio::sync::mpsc::Sender<Value> {
    let (sender, mut events) = tokio::sync::mpsc::channel::<Value>(QUEUE);
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        while let Some(event) = events.recv().await {
            let action = event["action"].as_str().unwrap_or("?").to_owned();
            match client.post(&url).json(&event).send().await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    eprintln!("opsgenie sim: webhook {action}: HTTP {}", response.status())
                }
                Err(e) => eprintln!("opsgenie sim: webhook {action}: {e}"),
            }
        }
    });
    sender
}
