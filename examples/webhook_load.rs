//! Webhook load bench (a command, not a test): `cargo run --release --example webhook_load`.
//!
//! Starts both simulators and `serve` (WEBHOOKS_ONLY, the compiled default mapping, the real
//! engine for enrichment), fills the catalog with one resync, then posts Opsgenie webhook events
//! at a fixed rate while changing the simulated account the way the events describe — with
//! repeated and out-of-order (stale) payloads mixed in. At the end it checks that the catalog
//! matches Opsgenie exactly and that every event was accounted for, and prints latencies.
//!
//! Options (environment): `WEBHOOK_LOAD_RATE` (events/s, 1000), `WEBHOOK_LOAD_SECONDS` (10),
//! `WEBHOOK_LOAD_ALERTS` (alerts in the account, 2000), `WEBHOOK_LOAD_CONNECTIONS` (32).
//!
//! `WEBHOOK_LOAD_SCENARIO=stall` runs the backlog bench instead (see [`stall`]): large events
//! while Opsgenie does not answer, then Opsgenie recovers.

use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::config::Config;
use opsgenie_port::runtime::serve::{self, ServeParts};
use opsgenie_port::runtime::sync::{CancellationFlag, Engine, SyncSettings};
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::{self, webhook_payload, OpsgenieSim, OpsgenieSimConfig};
use opsgenie_port_sim::port::{self, PortSim, PortSimConfig};
use serde_json::Value;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

const IDENTIFIER: &str = "webhook-load";
const BLUEPRINT: &str = "opsGenieAlert";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tiny deterministic generator (xorshift) so runs are comparable.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[tokio::main]
async fn main() {
    if std::env::var("WEBHOOK_LOAD_SCENARIO").as_deref() == Ok("stall") {
        stall::run().await;
        return;
    }
    let rate = setting("WEBHOOK_LOAD_RATE", 1000).max(1);
    let seconds = setting("WEBHOOK_LOAD_SECONDS", 10).max(1);
    let alerts = setting("WEBHOOK_LOAD_ALERTS", 2000).max(10) as usize;
    let connections = setting("WEBHOOK_LOAD_CONNECTIONS", 32).max(1) as usize;

    let mut spec = GenSpec::typical(42, alerts);
    spec.incidents = 5;
    let og = opsgenie::start(Account::generate(&spec), OpsgenieSimConfig::default())
        .await
        .expect("opsgenie sim");
    let port = port::start(PortSimConfig {
        rate_limit: None,
        ..PortSimConfig::default()
    })
    .await
    .expect("port sim");
    let config = config(&og, &port);

    let mut parts =
        ServeParts::with_engine(config.clone(), compiled(), "bench").expect("serve parts");
    parts.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let service = serve::start(parts).await.expect("serve starts");
    initial_resync(&config).await;
    let initial = port.entities(BLUEPRINT).len();
    println!(
        "catalog after the initial resync: {initial} alerts; sending {rate} events/s for {seconds} s \
         over {connections} connections"
    );

    let latencies = Arc::new(Mutex::new(Vec::with_capacity((rate * seconds) as usize)));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
        senders.push(tx);
        workers.push(tokio::spawn(sender(
            service.addr(),
            rx,
            latencies.clone(),
            failures.clone(),
        )));
    }

    let counts = drive(&og, &senders, rate, seconds).await;
    drop(senders);
    for worker in workers {
        let _ = worker.await;
    }
    let sent_at = Instant::now();
    let idle = service.webhooks_idle(Duration::from_secs(120)).await;
    let drain = sent_at.elapsed();

    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_unstable();
    let failures = failures.lock().unwrap().clone();
    let mismatches = compare(&og, &port);
    let metrics = service.metrics().render();
    let accounted = accounted_events(&metrics);

    println!("\n## Result");
    println!("events sent: {} ({:?})", counts.total, counts);
    println!("HTTP failures: {}", failures.len());
    for failure in failures.iter().take(5) {
        println!("  {failure}");
    }
    println!(
        "webhook response latency (what the sender waits; opsgenie-port's added latency): \
         p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    );
    println!(
        "time inside the webhook endpoint (read, check, parse, queue): p99 ≤ {}",
        histogram_p99(&metrics, "opsgenie_port_webhook_response_seconds")
    );
    println!(
        "apply latency (received → applied in Port, incl. Opsgenie re-read, enrichment, upsert): \
         p99 ≤ {}",
        histogram_p99(&metrics, "opsgenie_port_webhook_duration_seconds")
    );
    println!("queue drained {drain:?} after the last event (idle: {idle})");
    println!(
        "events accounted in metrics: {accounted} of {} accepted",
        counts.total
    );
    println!(
        "Opsgenie calls: {}, Port calls: {}",
        og.counters().values().sum::<u64>(),
        port.counters().requests
    );
    println!(
        "final catalog vs Opsgenie: {} alerts in Opsgenie, {} entities, {} mismatches",
        og.with_account(|a| a.alerts().len()),
        port.entities(BLUEPRINT).len(),
        mismatches.len()
    );
    for mismatch in mismatches.iter().take(10) {
        println!("  {mismatch}");
    }
    service.shutdown();
    let _ = service.wait().await;
    let ok = failures.is_empty() && mismatches.is_empty() && accounted == counts.total && idle;
    println!("\n{}", if ok { "PASS" } else { "FAIL" });
    if !ok {
        std::process::exit(1);
    }
}

fn config(og: &OpsgenieSim, port: &PortSim) -> Config {
    let vars: HashMap<String, String> = [
        ("OCEAN__PORT__CLIENT_ID", port.client_id().to_owned()),
        (
            "OCEAN__PORT__CLIENT_SECRET",
            port.client_secret().to_owned(),
        ),
        ("OCEAN__PORT__BASE_URL", port.base_url()),
        (
            "OCEAN__INTEGRATION__CONFIG__API_TOKEN",
            og.api_key().to_owned(),
        ),
        ("OCEAN__INTEGRATION__CONFIG__API_URL", og.base_url()),
        ("OCEAN__INTEGRATION__IDENTIFIER", IDENTIFIER.to_owned()),
        ("OCEAN__EVENT_LISTENER__TYPE", "WEBHOOKS_ONLY".to_owned()),
        ("APPLICATION__PORT", "0".to_owned()),
        ("APPLICATION__LOG_LEVEL", "ERROR".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Config::from_env_map(vars).expect("config")
}

async fn initial_resync(config: &Config) {
    let port = opsgenie_port::runtime::port::PortClient::from_config(config, "bench").unwrap();
    let og = opsgenie_port::runtime::opsgenie::OpsgenieClient::from_config(config).unwrap();
    let engine = Engine::new(compiled(), og, port, SyncSettings::from_config(config));
    let report = engine.resync(&CancellationFlag::new()).await;
    assert!(report.is_success(), "{}", report.render());
}

#[derive(Debug, Default)]
struct Counts {
    total: u64,
    changes: u64,
    creates: u64,
    deletes: u64,
    repeated: u64,
    stale: u64,
}

/// Sends `rate` events per second for `seconds`, mutating the account before each change.
async fn drive(
    og: &OpsgenieSim,
    senders: &[mpsc::UnboundedSender<Vec<u8>>],
    rate: u64,
    seconds: u64,
) -> Counts {
    let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
    let mut ids: Vec<String> =
        og.with_account(|a| a.alerts().iter().map(|x| x.id.to_string()).collect());
    let mut history: Vec<Vec<u8>> = Vec::new();
    let mut counts = Counts::default();
    let total = rate * seconds;
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for seq in 0..total {
        ticker.tick().await;
        let roll = draw.below(100);
        let body: Vec<u8> = if roll < 10 && !history.is_empty() {
            counts.repeated += 1;
            let recent = history.len().saturating_sub(20);
            history[recent + draw.below(history.len() - recent)].clone()
        } else if roll < 15 && history.len() > 200 {
            counts.stale += 1;
            history[draw.below(history.len() - 200)].clone()
        } else if roll < 20 {
            counts.creates += 1;
            let id = format!("bench-{seq:08}-0000-4000-8000-000000000000-1717000000000");
            og.upsert_alert(serde_json::json!({
                "id": id, "message": format!("created {seq}"), "status": "open", "tags": ["bench"],
            }))
            .expect("new alert");
            ids.push(id.clone());
            payload(og, "Create", &id)
        } else if roll < 24 && ids.len() > 10 {
            counts.deletes += 1;
            let id = ids.swap_remove(draw.below(ids.len()));
            let body = payload(og, "Delete", &id);
            og.delete_alert(&id);
            body
        } else {
            counts.changes += 1;
            let id = ids[draw.below(ids.len())].clone();
            let action = match draw.below(5) {
                0 => {
                    og.with_account(|a| {
                        a.alerts_mut()
                            .update(&id, |x| x.message = format!("message {seq}").into())
                    });
                    "UpdateMessage"
                }
                1 => {
                    let mut ack = false;
                    og.with_account(|a| {
                        a.alerts_mut().update(&id, |x| {
                            x.acknowledged = !x.acknowledged;
                            ack = x.acknowledged;
                        })
                    });
                    if ack {
                        "Acknowledge"
                    } else {
                        "UnAcknowledge"
                    }
                }
                2 => {
                    og.with_account(|a| {
                        a.alerts_mut().update(&id, |x| {
                            if x.tags.len() >= 10 {
                                x.tags.remove(0);
                            }
                            x.tags.push(format!("t{}", seq % 50).into());
                        })
                    });
                    "AddTags"
                }
                3 => {
                    og.with_account(|a| a.alerts_mut().update(&id, |x| x.status = "closed".into()));
                    "Close"
                }
                _ => {
                    og.with_account(|a| {
                        a.alerts_mut()
                            .update(&id, |x| x.priority = format!("P{}", 1 + seq % 5).into())
                    });
                    "UpdatePriority"
                }
            };
            payload(og, action, &id)
        };
        history.push(body.clone());
        counts.total += 1;
        let _ = senders[(seq as usize) % senders.len()].send(body);
    }
    counts
}

fn payload(og: &OpsgenieSim, action: &str, id: &str) -> Vec<u8> {
    let alert = og
        .with_account(|a| a.alerts().get(id).cloned())
        .expect("alert exists");
    webhook_payload(action, &alert).to_string().into_bytes()
}

/// One keep-alive connection posting the bodies it receives; records each response latency.
async fn sender(
    addr: SocketAddr,
    mut bodies: mpsc::UnboundedReceiver<Vec<u8>>,
    latencies: Arc<Mutex<Vec<Duration>>>,
    failures: Arc<Mutex<Vec<String>>>,
) {
    let mut connection: Option<BufReader<TcpStream>> = None;
    while let Some(body) = bodies.recv().await {
        if connection.is_none() {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    connection = Some(BufReader::new(stream));
                }
                Err(e) => {
                    failures.lock().unwrap().push(format!("connect: {e}"));
                    continue;
                }
            }
        }
        let Some(stream) = connection.as_mut() else {
            continue;
        };
        let started = Instant::now();
        match post(stream, addr, &body).await {
            Ok(202) => latencies.lock().unwrap().push(started.elapsed()),
            Ok(status) => failures.lock().unwrap().push(format!("HTTP {status}")),
            Err(e) => {
                failures.lock().unwrap().push(format!("I/O: {e}"));
                connection = None;
            }
        }
    }
}

async fn post(
    stream: &mut BufReader<TcpStream>,
    addr: SocketAddr,
    body: &[u8],
) -> std::io::Result<u16> {
    let head = format!(
        "POST /integration/webhook HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    stream.get_mut().write_all(&request).await?;
    let mut status = 0u16;
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if status == 0 {
            status = trimmed
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        } else if let Some((name, value)) = trimmed.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut rest = vec![0u8; length];
    stream.read_exact(&mut rest).await?;
    Ok(status)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// Alerts in Opsgenie vs entities in Port: the fields the default mapping carries.
fn compare(og: &OpsgenieSim, port: &PortSim) -> Vec<String> {
    let mut mismatches = Vec::new();
    let entities: HashMap<String, Value> = port
        .entities(BLUEPRINT)
        .into_iter()
        .map(|e| (e["identifier"].as_str().unwrap_or_default().to_owned(), e))
        .collect();
    let alerts: Vec<(String, String, String, bool, Vec<String>, String)> = og.with_account(|a| {
        a.alerts()
            .iter()
            .map(|x| {
                (
                    x.id.to_string(),
                    x.message.to_string(),
                    x.status.to_string(),
                    x.acknowledged,
                    x.tags.iter().map(|t| t.to_string()).collect(),
                    x.priority.to_string(),
                )
            })
            .collect()
    });
    for (id, message, status, acknowledged, tags, priority) in &alerts {
        let Some(entity) = entities.get(id) else {
            mismatches.push(format!("{id}: missing in Port"));
            continue;
        };
        let props = &entity["properties"];
        let same = entity["title"] == message.as_str()
            && props["status"] == status.as_str()
            && props["acknowledged"] == *acknowledged
            && props["priority"] == priority.as_str()
            && props["tags"] == serde_json::json!(tags);
        if !same {
            mismatches.push(format!("{id}: differs: {entity}"));
        }
    }
    if entities.len() != alerts.len() {
        let known: std::collections::HashSet<&String> = alerts.iter().map(|a| &a.0).collect();
        for id in entities.keys().filter(|id| !known.contains(id)) {
            mismatches.push(format!("{id}: in Port but deleted in Opsgenie"));
        }
    }
    mismatches
}

/// Sum of `opsgenie_port_webhook_events_total` over outcomes of accepted events.
fn accounted_events(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("opsgenie_port_webhook_events_total{"))
        .filter(|l| !l.contains("action=\"unparsed\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// The smallest bound of histogram `name` holding 99 % of its observations.
fn histogram_p99(metrics: &str, name: &str) -> String {
    let prefix = format!("{name}_bucket{{le=\"");
    let buckets: Vec<(String, f64)> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .filter_map(|l| {
            let (bound, rest) = l.split_once("\"} ")?;
            Some((bound.to_owned(), rest.parse().ok()?))
        })
        .collect();
    let total = buckets.last().map_or(0.0, |b| b.1);
    buckets
        .iter()
        .find(|(_, count)| *count >= total * 0.99)
        .map(|(bound, _)| format!("{bound} s"))
        .unwrap_or_else(|| "n/a".into())
}

/// The backlog bench: `WEBHOOK_LOAD_SCENARIO=stall cargo run --release --example webhook_load`.
///
/// An empty catalog and an account of `WEBHOOK_LOAD_STALL_EVENTS` alerts (1500); Opsgenie stops
/// answering (the simulator holds every request); one event per alert, each padded to
/// `WEBHOOK_LOAD_EVENT_BYTES` (1,000,000) with a large `details` map, is posted over
/// `WEBHOOK_LOAD_CONNECTIONS` (32) keep-alive connections, streamed so the sender holds no body.
/// Refused events (503) are not sent again. Then Opsgenie answers again. It prints the peak RSS
/// of the whole process — the service plus both simulators and the sender, so an upper bound of
/// the service's — and checks that every accepted event was applied (its alert's entity matches
/// Opsgenie), that no refused alert has an entity, and that every accepted event is counted in
/// `/metrics`. `WEBHOOK_LOAD_QUEUE` overrides the queue capacity (default: the production one).
mod stall {
    use super::*;
    use opsgenie_port::runtime::serve::limits::Limits;
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    /// Resident set now (`VmRSS`) and at its peak (`VmHWM`), in bytes (Linux).
    fn rss() -> (u64, u64) {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|line| line.starts_with(name))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
                .map_or(0, |kib| kib * 1024)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    fn mib(bytes: u64) -> f64 {
        bytes as f64 / f64::from(1 << 20)
    }

    pub async fn run() {
        let events = setting("WEBHOOK_LOAD_STALL_EVENTS", 1500).max(1) as usize;
        let event_bytes = setting("WEBHOOK_LOAD_EVENT_BYTES", 1_000_000).max(1024) as usize;
        let connections = setting("WEBHOOK_LOAD_CONNECTIONS", 32).max(1) as usize;
        let mut limits = Limits::default();
        limits.queue_capacity =
            setting("WEBHOOK_LOAD_QUEUE", limits.queue_capacity as u64) as usize;

        let mut spec = GenSpec::typical(42, events);
        spec.incidents = 5;
        let og = opsgenie::start(Account::generate(&spec), OpsgenieSimConfig::default())
            .await
            .expect("opsgenie sim");
        let port = port::start(PortSimConfig {
            rate_limit: None,
            ..PortSimConfig::default()
        })
        .await
        .expect("port sim");
        let mut parts =
            ServeParts::with_engine(config(&og, &port), compiled(), "bench").expect("parts");
        parts.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
        parts.limits = limits.clone();
        let service = serve::start(parts).await.expect("serve starts");
        let ids: Vec<String> =
            og.with_account(|a| a.alerts().iter().map(|x| x.id.to_string()).collect());
        let (rss_start, _) = rss();
        println!(
            "{events} events of {event_bytes} bytes over {connections} connections while \
             Opsgenie stalls; queue capacity {}, body budget {} MiB; RSS at start {:.1} MiB",
            limits.queue_capacity,
            limits.body_budget_bytes >> 20,
            mib(rss_start)
        );

        // Sample RSS while the events arrive (VmHWM gives the peak too; the samples show when).
        let sampling = Arc::new(AtomicBool::new(true));
        let peak_sampled = Arc::new(AtomicU64::new(0));
        let sampler = {
            let (sampling, peak) = (sampling.clone(), peak_sampled.clone());
            tokio::spawn(async move {
                while sampling.load(Ordering::Relaxed) {
                    peak.fetch_max(rss().0, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };

        og.stall();
        let started = Instant::now();
        let bodies: Vec<String> = ids
            .iter()
            .map(|id| {
                let alert = og
                    .with_account(|a| a.alerts().get(id).cloned())
                    .expect("alert");
                let mut body = webhook_payload("AddDetails", &alert);
                body["alert"]["details"] = serde_json::json!({ "padding": "" });
                body.to_string()
            })
            .collect();
        let bodies = Arc::new(bodies);
        let accepted = Arc::new(Mutex::new(BTreeSet::new()));
        let refused = Arc::new(Mutex::new(BTreeSet::new()));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let mut senders = Vec::new();
        for connection in 0..connections {
            let (bodies, accepted, refused, failures) = (
                bodies.clone(),
                accepted.clone(),
                refused.clone(),
                failures.clone(),
            );
            let addr = service.addr();
            senders.push(tokio::spawn(async move {
                let mut stream: Option<BufReader<TcpStream>> = None;
                for index in (connection..bodies.len()).step_by(connections) {
                    if stream.is_none() {
                        match TcpStream::connect(addr).await {
                            Ok(s) => stream = Some(BufReader::new(s)),
                            Err(e) => {
                                failures.lock().unwrap().push(format!("connect: {e}"));
                                continue;
                            }
                        }
                    }
                    let Some(s) = stream.as_mut() else { continue };
                    match post_padded(s, addr, &bodies[index], event_bytes).await {
                        Ok((202, close)) => {
                            accepted.lock().unwrap().insert(index);
                            if close {
                                stream = None;
                            }
                        }
                        Ok((503, close)) => {
                            refused.lock().unwrap().insert(index);
                            if close {
                                stream = None;
                            }
                        }
                        Ok((status, _)) => {
                            failures.lock().unwrap().push(format!("HTTP {status}"));
                            stream = None;
                        }
                        Err(e) => {
                            failures.lock().unwrap().push(format!("I/O: {e}"));
                            stream = None;
                        }
                    }
                }
            }));
        }
        for sender in senders {
            let _ = sender.await;
        }
        let sent_in = started.elapsed();
        let accepted: BTreeSet<usize> = accepted.lock().unwrap().clone();
        let refused: BTreeSet<usize> = refused.lock().unwrap().clone();
        let failures = failures.lock().unwrap().clone();
        let in_flight = service.metrics().webhooks_in_flight();
        sampling.store(false, Ordering::Relaxed);
        let _ = sampler.await;
        let (rss_end, hwm) = rss();
        println!("\n## While Opsgenie stalls");
        println!(
            "sent in {sent_in:.2?}: {} accepted (202), {} refused (503 with Retry-After), {} \
             other failures; {in_flight} accepted events waiting",
            accepted.len(),
            refused.len(),
            failures.len()
        );
        for failure in failures.iter().take(5) {
            println!("  {failure}");
        }
        println!(
            "RSS: peak {:.1} MiB (sampled {:.1} MiB), now {:.1} MiB",
            mib(hwm),
            mib(peak_sampled.load(Ordering::Relaxed)),
            mib(rss_end)
        );

        og.resume();
        let resumed = Instant::now();
        let idle = service.webhooks_idle(Duration::from_secs(600)).await;
        let drained = resumed.elapsed();
        let entities: HashMap<String, Value> = port
            .entities(BLUEPRINT)
            .into_iter()
            .map(|e| (e["identifier"].as_str().unwrap_or_default().to_owned(), e))
            .collect();
        let mut lost = Vec::new();
        let mut stray = Vec::new();
        for (index, id) in ids.iter().enumerate() {
            let expected = og.alert_json(id).expect("alert");
            match (accepted.contains(&index), entities.get(id)) {
                (true, Some(entity)) if entity["title"] == expected["message"] => {}
                (true, other) => lost.push(format!("{id}: {other:?}")),
                (false, Some(_)) => stray.push(id.clone()),
                (false, None) => {}
            }
        }
        let metrics = service.metrics().render();
        let counted = metrics
            .lines()
            .filter(|l| l.starts_with("opsgenie_port_webhook_events_total{"))
            .filter(|l| !l.contains("action=\"unparsed\"") && !l.contains("queue_full"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum::<u64>();
        println!("\n## Once Opsgenie answers again");
        println!(
            "applied in {drained:.2?} (idle: {idle}): {} entities; accepted and not applied: \
             {}; refused alerts with an entity: {}; events counted in metrics: {counted} of {} \
             accepted",
            entities.len(),
            lost.len(),
            stray.len(),
            accepted.len()
        );
        for line in lost.iter().take(5) {
            println!("  lost {line}");
        }
        service.shutdown();
        let _ = service.wait().await;
        let ok = idle
            && lost.is_empty()
            && stray.is_empty()
            && failures.is_empty()
            && counted == accepted.len() as u64
            && accepted.len() + refused.len() == ids.len()
            && hwm <= 128 << 20;
        println!("\n{}", if ok { "PASS" } else { "FAIL" });
        if !ok {
            std::process::exit(1);
        }
    }

    /// Posts `payload` with its empty `padding` string grown so the body is `size` bytes, written
    /// in 64 KiB pieces; returns the status and whether the server closes the connection.
    async fn post_padded(
        stream: &mut BufReader<TcpStream>,
        addr: SocketAddr,
        payload: &str,
        size: usize,
    ) -> std::io::Result<(u16, bool)> {
        let (head, tail) = payload
            .split_once(r#""padding":"""#)
            .expect("padding field");
        let prefix = format!(r#"{head}"padding":""#);
        let suffix = format!(r#""{tail}"#);
        let padding = size.saturating_sub(prefix.len() + suffix.len());
        let request = format!(
            "POST /integration/webhook HTTP/1.1\r\nHost: {addr}\r\nContent-Type: \
             application/json\r\nContent-Length: {}\r\n\r\n{prefix}",
            prefix.len() + padding + suffix.len()
        );
        let writer = stream.get_mut();
        writer.write_all(request.as_bytes()).await?;
        let chunk = [b'x'; 64 << 10];
        let mut left = padding;
        while left > 0 {
            let n = left.min(chunk.len());
            writer.write_all(&chunk[..n]).await?;
            left -= n;
        }
        writer.write_all(suffix.as_bytes()).await?;
        let mut status = 0u16;
        let mut length = 0usize;
        let mut close = false;
        let mut line = String::new();
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed",
                ));
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if status == 0 {
                status = trimmed
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            } else if let Some((name, value)) = trimmed.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.trim().eq_ignore_ascii_case("close");
                }
            }
        }
        let mut rest = vec![0u8; length];
        stream.read_exact(&mut rest).await?;
        Ok((status, close))
    }
}
