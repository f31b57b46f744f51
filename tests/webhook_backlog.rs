//! The small version of `examples/webhook_load.rs`'s stall run, in CI: 1 MB webhook events while
//! Opsgenie does not answer. The service's memory stays bounded (nothing of a body is kept once
//! parsed, the queue is bounded), events beyond the queue get 503 with `Retry-After`, and once
//! Opsgenie answers again every accepted event is applied. Its own test binary, so the process's
//! peak RSS is this test's alone.

#[allow(dead_code)]
#[path = "serve/support.rs"]
mod support;

use opsgenie_port::runtime::serve::limits::Limits;
use opsgenie_port_sim::generate::Account;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const BLUEPRINT: &str = "opsGenieAlert";
const ALERTS: usize = 150;
const EVENTS: usize = 200;
const CONNECTIONS: usize = 8;
const QUEUE: usize = 100;
const EVENT_BYTES: usize = 1_000_000;
const PEAK_RSS_LIMIT: u64 = 128 << 20;

/// `VmHWM` (peak resident set) of this process, in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `payload` grown to [`EVENT_BYTES`] by filling its empty `padding` string.
fn padded(payload: &str) -> Vec<u8> {
    let (head, tail) = payload
        .split_once(r#""padding":"""#)
        .expect("padding field");
    let mut body = Vec::with_capacity(EVENT_BYTES);
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(br#""padding":""#);
    body.resize(EVENT_BYTES - tail.len() - 1, b'x');
    body.push(b'"');
    body.extend_from_slice(tail.as_bytes());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_megabyte_events_while_opsgenie_stalls_stay_bounded_and_are_all_applied() {
    let sims = sims(Account::empty()).await;
    let ids: Vec<String> = (0..ALERTS).map(|i| format!("backlog-{i:04}")).collect();
    for id in &ids {
        sims.opsgenie
            .upsert_alert(rest_alert(id, &format!("message of {id}")))
            .unwrap();
    }
    let limits = Limits {
        queue_capacity: QUEUE,
        ..quick_retries()
    };
    let service = start_limited(&sims, limits).await;
    // The body of every event: Opsgenie's payload with a large `details` map (a forged one;
    // Opsgenie's own stay a few KiB), built when sent so the test holds only the bodies in flight.
    let payloads: Vec<String> = ids
        .iter()
        .map(|id| {
            let mut body = payload(&sims, "AddDetails", id);
            body["alert"]["details"] = serde_json::json!({ "padding": "" });
            body.to_string()
        })
        .collect();
    let payloads = Arc::new(payloads);
    sims.opsgenie.stall();

    let accepted = Arc::new(Mutex::new(BTreeSet::new()));
    let refused = Arc::new(Mutex::new(0usize));
    let mut senders = Vec::new();
    for connection in 0..CONNECTIONS {
        let (payloads, accepted, refused) = (payloads.clone(), accepted.clone(), refused.clone());
        let addr = service.addr();
        senders.push(tokio::spawn(async move {
            for event in (connection..EVENTS).step_by(CONNECTIONS) {
                let alert = event % ALERTS;
                let body = padded(&payloads[alert]);
                let response = http(
                    addr,
                    "POST",
                    "/integration/webhook",
                    &[("Content-Type", "application/json")],
                    &body,
                )
                .await;
                drop(body);
                match response.status {
                    202 => {
                        accepted.lock().unwrap().insert(alert);
                    }
                    503 => {
                        assert_eq!(response.header("retry-after"), Some("30"));
                        *refused.lock().unwrap() += 1;
                    }
                    other => panic!("event {event}: HTTP {other}: {}", response.body),
                }
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    let accepted: BTreeSet<usize> = accepted.lock().unwrap().clone();
    let refused = *refused.lock().unwrap();
    let in_flight = service.metrics().webhooks_in_flight();
    assert!(in_flight as usize <= QUEUE, "{in_flight}");
    assert!(refused > 0, "the queue filled up");
    assert!(accepted.len() >= QUEUE - CONNECTIONS, "{}", accepted.len());
    if let Some(peak) = peak_rss() {
        eprintln!(
            "{EVENTS} events of {EVENT_BYTES} bytes: {} accepted alerts, {refused} refused, \
             peak RSS {} MiB",
            accepted.len(),
            peak >> 20
        );
        assert!(peak <= PEAK_RSS_LIMIT, "peak RSS {} MiB", peak >> 20);
    }

    sims.opsgenie.resume();
    assert!(service.webhooks_idle(Duration::from_secs(60)).await);
    for (index, id) in ids.iter().enumerate() {
        let entity = sims.port.entity(BLUEPRINT, id);
        if accepted.contains(&index) {
            let entity = entity.unwrap_or_else(|| panic!("{id} accepted and not applied"));
            assert_eq!(entity["title"], format!("message of {id}"));
        } else {
            assert!(entity.is_none(), "{id} was refused every time");
        }
    }
    let metrics = service.metrics().render();
    let counted: f64 = metrics
        .lines()
        .filter(|line| line.starts_with("opsgenie_port_webhook_events_total{"))
        .filter(|line| !line.contains("outcome=\"queue_full\""))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(
        counted as usize,
        EVENTS - refused,
        "every accepted event is accounted for"
    );
    service.shutdown();
    service.wait().await.unwrap();
}
