//! Sync benchmark: a full resync of 100k alerts, 2k incidents and 1k services (default mapping,
//! all enrichments) against both simulators, then a second resync and a plan of the unchanged
//! account. Prints wall time and API calls of each, and the peak RSS of the syncing process.
//!
//!     cargo run --release --example sync_bench [-- --alerts N --incidents N --services N]
//!
//! With `--port-rate N` (Port's budget, requests per second) and/or `--search-rate N` (Opsgenie's
//! search domain, requests per second) the simulators are rate limited; `--compare-pacing` then
//! runs only the first resync, once paced and once not (fresh simulators each time), and prints
//! the request rates and 429s of both; `--no-pacing` turns pacing off for the usual three runs.
//!
//! The simulators run in a child process (this program started with `--sims`), so the peak RSS
//! measured here is the engine's alone, not the simulated accounts'. Requests are counted by the
//! simulators (every one they served, bookkeeping and listings included), asked over the
//! child's stdin before and after each run.

use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::config::MappingSource;
use opsgenie_port::runtime::http::Pacing;
use opsgenie_port::runtime::opsgenie::{OpsgenieClient, OpsgenieOptions};
use opsgenie_port::runtime::port::{PortClient, PortOptions};
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::sync::{CancellationFlag, Engine, NoProgress, SyncSettings};
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::{self, DomainLimit, OpsgenieSimConfig, RateLimits};
use opsgenie_port_sim::port::{self, PortSimConfig, RateLimit};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const IDENTIFIER: &str = "bench-integration";

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |name: &str, default: usize| -> Result<usize, String> {
        match args.iter().position(|a| a == name) {
            Some(i) => args
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number")),
            None => Ok(default),
        }
    };
    let spec = GenSpec {
        seed: 2024,
        alerts: number("--alerts", 100_000)?,
        incidents: number("--incidents", 2_000)?,
        services: number("--services", 1_000)?,
        teams: 50,
        users: 500,
        schedules: 50,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let rate = |name: &str| -> Result<Option<u32>, String> {
        let rate = number(name, 0)?;
        Ok((rate > 0).then(|| u32::try_from(rate).unwrap_or(u32::MAX)))
    };
    let limits = Limits {
        port: rate("--port-rate")?,
        search: rate("--search-rate")?,
    };
    if args.iter().any(|a| a == "--sims") {
        return runtime.block_on(serve_sims(spec, limits));
    }
    if args.iter().any(|a| a == "--compare-pacing") {
        return compare_pacing(&runtime, &spec, &limits);
    }
    let pacing = !args.iter().any(|a| a == "--no-pacing");
    bench(&runtime, &spec, pacing)
}

/// The simulators' rate limits (requests per second), `None` for unlimited.
struct Limits {
    port: Option<u32>,
    search: Option<u32>,
}

/// Child mode: run both simulators, print their coordinates, stop when stdin closes.
async fn serve_sims(spec: GenSpec, limits: Limits) -> Result<(), String> {
    let account = Account::generate(&spec);
    let blueprints: Vec<Value> =
        serde_json::from_str(&compiled().blueprints_json).map_err(|e| e.to_string())?;
    let port = port::start(PortSimConfig {
        blueprints: dependency_order(blueprints),
        rate_limit: limits.port.map(|limit| RateLimit {
            limit,
            period: Duration::from_secs(1),
        }),
        ..PortSimConfig::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    // Port holds the built mapping, as initialisation leaves it: the compiled code runs.
    let config: Value =
        serde_json::from_str(&compiled().app_config_json).map_err(|e| e.to_string())?;
    port.create_integration(
        json!({"installationId": IDENTIFIER, "installationAppType": "opsgenie",
                                   "version": "0.1.0", "config": config}),
    )?;
    let mut rate_limits = RateLimits::default();
    if let Some(per_second) = limits.search {
        rate_limits.search = DomainLimit {
            per_second,
            per_minute: per_second.saturating_mul(60),
        };
    }
    let opsgenie = opsgenie::start(
        account,
        OpsgenieSimConfig {
            rate_limits,
            ..OpsgenieSimConfig::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    println!(
        "{}",
        json!({"opsgenie": opsgenie.base_url(), "key": opsgenie.api_key(), "port": port.base_url(),
               "id": port.client_id(), "secret": port.client_secret()})
    );
    // Each `counters` line on stdin is answered with what the simulators served so far.
    let (port, opsgenie) = (Arc::new(port), Arc::new(opsgenie));
    let (port_sim, opsgenie_sim) = (port.clone(), opsgenie.clone());
    tokio::task::spawn_blocking(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(line) if line.trim() == "counters" => println!(
                    "{}",
                    json!({"port": port_sim.counters(),
                           "opsgenie": opsgenie_sim.counters().values().sum::<u64>()})
                ),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    let counters = port.counters();
    eprintln!(
        "sims: Opsgenie served {} requests, Port created {} entities",
        opsgenie.counters().values().sum::<u64>(),
        counters.entities_created
    );
    Ok(())
}

/// Starts the simulators' child process; returns it, its coordinates and its counters.
fn spawn_sims() -> Result<(Child, Value, SimCounters), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(std::env::args().skip(1))
        .arg("--sims")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the simulators: {e}"))?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let mut stdout = BufReader::new(stdout);
    stdout.read_line(&mut line).map_err(|e| e.to_string())?;
    let sims: Value =
        serde_json::from_str(&line).map_err(|e| format!("simulators: {e}: {line}"))?;
    let counters = SimCounters {
        stdin: child.stdin.take().ok_or("no child stdin")?,
        stdout,
    };
    Ok((child, sims, counters))
}

/// An engine on the simulators at `sims`, pacing both clients or neither.
fn engine(sims: &Value, pacing: bool) -> Result<Engine, String> {
    let text = |key: &str| sims[key].as_str().unwrap_or_default().to_owned();
    let (port_pacing, opsgenie_pacing) = if pacing {
        (Pacing::Budget, Pacing::Adaptive)
    } else {
        (Pacing::Off, Pacing::Off)
    };
    let opsgenie = OpsgenieClient::new(
        &text("opsgenie"),
        Secret::new(text("key")),
        OpsgenieOptions {
            pacing: opsgenie_pacing,
            ..OpsgenieOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let port = PortClient::with_options(
        &text("port"),
        Secret::new(text("id")),
        Secret::new(text("secret")),
        opsgenie_port::runtime::port::user_agent("opsgenie", "0.1.0", IDENTIFIER),
        PortOptions {
            pacing: port_pacing,
            ..PortOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let settings = SyncSettings {
        integration_type: "opsgenie".into(),
        identifier: IDENTIFIER.into(),
        report_resync_state: true,
        interval_minutes: None,
        enrichment_concurrency: 5,
        send_raw_data_examples: true,
        mapping_source: MappingSource::Port,
        update_blueprints: false,
        initialize_port_resources: true,
    };
    Ok(Engine::new(compiled(), opsgenie, port, settings))
}

/// The first resync against rate-limited simulators, paced and then unpaced.
fn compare_pacing(
    runtime: &tokio::runtime::Runtime,
    spec: &GenSpec,
    limits: &Limits,
) -> Result<(), String> {
    let mut lines = Vec::new();
    for pacing in [true, false] {
        let (mut child, sims, counters) = spawn_sims()?;
        let engine = engine(&sims, pacing)?;
        let started = Instant::now();
        let report = runtime.block_on(engine.resync(&CancellationFlag::new()));
        let wall = started.elapsed();
        drop(counters);
        let _ = child.wait();
        print!("{}", report.render());
        if !report.is_success() {
            return Err(format!("resync failed: {:?}", report.errors));
        }
        let alert_time = report
            .kinds
            .iter()
            .filter(|k| k.kind == "alert")
            .map(|k| k.elapsed)
            .sum::<Duration>();
        let (port, search) = (report.traffic.port, report.traffic.opsgenie.kinds[0]);
        let rate = |requests: u64, over: Duration| requests as f64 / over.as_secs_f64().max(1e-9);
        let share = |part: u64, whole: u64| 100.0 * part as f64 / whole.max(1) as f64;
        lines.push(format!(
            "bench: {} first resync, {} alerts: wall {:.1}s; Port {} requests = {:.1}/s over the \
             run (limit {}), {} answered 429 ({:.2}%), waited {:.1}s paced + {:.1}s after 429s; \
             Opsgenie search {} requests = {:.1}/s over the run, {:.1}/s over the alert phase \
             ({:.1}s; limit {}), {} answered 429 ({:.2}%)",
            if pacing { "paced" } else { "unpaced" },
            spec.alerts,
            wall.as_secs_f64(),
            port.requests,
            rate(port.requests, wall),
            limits.port.map_or("none".into(), |l| format!("{l}/s")),
            port.throttled,
            share(port.throttled, port.requests),
            port.paced_wait.as_secs_f64(),
            port.rate_limit_wait.as_secs_f64(),
            search.requests,
            rate(search.requests, wall),
            rate(search.requests, alert_time),
            alert_time.as_secs_f64(),
            limits.search.map_or("none".into(), |l| format!("{l}/s")),
            search.throttled,
            share(search.throttled, search.requests),
        ));
    }
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

fn bench(runtime: &tokio::runtime::Runtime, spec: &GenSpec, pacing: bool) -> Result<(), String> {
    let (mut child, sims, counters) = spawn_sims()?;
    let engine = engine(&sims, pacing)?;
    let mut sims = counters;
    let rss_before = peak_rss_kib();
    let before = sims.read()?;
    let started = Instant::now();
    let report = runtime.block_on(engine.resync(&CancellationFlag::new()));
    let wall = started.elapsed();
    let served = sims.read()?.since(&before);
    print!("{}", report.render());
    println!(
        "bench: {} alerts, {} incidents, {} services: wall {:.1}s, {}, peak RSS {:.1} MiB \
         (before the resync {:.1} MiB)",
        spec.alerts,
        spec.incidents,
        spec.services,
        wall.as_secs_f64(),
        served.describe(),
        peak_rss_kib() as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
    if !report.is_success() {
        drop(sims);
        let _ = child.wait();
        return Err(format!("resync failed: {:?}", report.errors));
    }

    // The same account again: every entity compares equal, nothing is written.
    let before = sims.read()?;
    let started = Instant::now();
    let again = runtime.block_on(engine.resync(&CancellationFlag::new()));
    let wall = started.elapsed();
    let served = sims.read()?.since(&before);
    print!("{}", again.render());
    println!(
        "bench: second resync of the unchanged account: wall {:.1}s, {}, peak RSS {:.1} MiB",
        wall.as_secs_f64(),
        served.describe(),
        peak_rss_kib() as f64 / 1024.0
    );
    let before = sims.read()?;
    let started = Instant::now();
    let plan = runtime.block_on(engine.plan(&CancellationFlag::new(), &NoProgress));
    let wall = started.elapsed();
    let served = sims.read()?.since(&before);
    print!("{}", plan.render(3));
    println!(
        "bench: plan of the unchanged account: wall {:.1}s, {}, peak RSS {:.1} MiB",
        wall.as_secs_f64(),
        served.describe(),
        peak_rss_kib() as f64 / 1024.0
    );
    drop(sims);
    let _ = child.wait();
    if again.is_success() && plan.is_success() {
        Ok(())
    } else {
        Err(format!("failed: {:?} {:?}", again.errors, plan.errors))
    }
}

/// The simulators' own counts (every request they served, bookkeeping included), asked of the
/// child process over its stdin.
struct SimCounters {
    stdin: ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

/// What the simulators served in one run.
struct Served {
    opsgenie: u64,
    port: u64,
    by_route: std::collections::BTreeMap<String, u64>,
    written: u64,
}

impl SimCounters {
    fn read(&mut self) -> Result<Served, String> {
        writeln!(self.stdin, "counters").map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let counters: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
        let port = &counters["port"];
        let number = |value: &Value| value.as_u64().unwrap_or(0);
        Ok(Served {
            opsgenie: number(&counters["opsgenie"]),
            port: number(&port["requests"]),
            by_route: port["by_route"]
                .as_object()
                .map(|routes| routes.iter().map(|(k, v)| (k.clone(), number(v))).collect())
                .unwrap_or_default(),
            written: ["entities_created", "entities_updated", "entities_deleted"]
                .iter()
                .map(|key| number(&port[*key]))
                .sum(),
        })
    }
}

impl Served {
    fn since(&self, before: &Served) -> Served {
        Served {
            opsgenie: self.opsgenie - before.opsgenie,
            port: self.port - before.port,
            by_route: self
                .by_route
                .iter()
                .map(|(route, n)| (route.clone(), n - before.by_route.get(route).unwrap_or(&0)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            written: self.written - before.written,
        }
    }

    fn describe(&self) -> String {
        let route = |name: &str| self.by_route.get(name).copied().unwrap_or(0);
        let listing = route("POST /v1/blueprints/entities/datasource-entities");
        let bulk = route("POST /v1/blueprints/{blueprint}/entities/bulk");
        let searches = route("POST /v1/entities/search");
        format!(
            "{} Opsgenie + {} Port requests ({listing} listing, {bulk} bulk upserts, {searches} \
             searches, {} other), {} entities written",
            self.opsgenie,
            self.port,
            self.port - listing - bulk - searches,
            self.written
        )
    }
}

/// `VmHWM` of this process in KiB (0 where /proc is not available).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Relation targets first; mirror/aggregation properties dropped (they may point both ways).
fn dependency_order(mut pending: Vec<Value>) -> Vec<Value> {
    let mut done: Vec<String> = Vec::new();
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for mut blueprint in pending {
            let id = blueprint["identifier"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let ready = blueprint["relations"].as_object().is_none_or(|relations| {
                relations.values().all(|r| {
                    let target = r["target"].as_str().unwrap_or_default();
                    target == id || done.iter().any(|d| d == target)
                })
            });
            if ready {
                if let Some(fields) = blueprint.as_object_mut() {
                    fields.remove("mirrorProperties");
                    fields.remove("aggregationProperties");
                    fields.remove("calculationProperties");
                }
                done.push(id);
                ordered.push(blueprint);
            } else {
                rest.push(blueprint);
            }
        }
        pending = rest;
        if pending.len() == before {
            ordered.append(&mut pending);
        }
    }
    ordered
}
