//! Sync benchmark: a full resync of 100k alerts, 2k incidents and 1k services (default mapping,
//! all enrichments) against both simulators, then a second resync and a plan of the unchanged
//! account. Prints wall time and API calls of each, and the peak RSS of the syncing process.
//!
//!     cargo run --release --example sync_bench [-- --alerts N --incidents N --services N]
//!
//! The simulators run in a child process (this program started with `--sims`), so the peak RSS
//! measured here is the engine's alone, not the simulated accounts'. Requests are counted by the
//! simulators (every one they served, bookkeeping and listings included), asked over the
//! child's stdin before and after each run.

use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::config::MappingSource;
use opsgenie_port::runtime::opsgenie::{OpsgenieClient, OpsgenieOptions};
use opsgenie_port::runtime::port::PortClient;
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::sync::{CancellationFlag, Engine, NoProgress, SyncSettings};
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::{self, OpsgenieSimConfig};
use opsgenie_port_sim::port::{self, PortSimConfig};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

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
    if args.iter().any(|a| a == "--sims") {
        return runtime.block_on(serve_sims(spec));
    }
    bench(&runtime, &spec)
}

/// Child mode: run both simulators, print their coordinates, stop when stdin closes.
async fn serve_sims(spec: GenSpec) -> Result<(), String> {
    let account = Account::generate(&spec);
    let blueprints: Vec<Value> =
        serde_json::from_str(&compiled().blueprints_json).map_err(|e| e.to_string())?;
    let port = port::start(PortSimConfig {
        blueprints: dependency_order(blueprints),
        rate_limit: None,
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
    let opsgenie = opsgenie::start(account, OpsgenieSimConfig::default())
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

fn bench(runtime: &tokio::runtime::Runtime, spec: &GenSpec) -> Result<(), String> {
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
    let text = |key: &str| sims[key].as_str().unwrap_or_default().to_owned();

    let opsgenie = OpsgenieClient::new(
        &text("opsgenie"),
        Secret::new(text("key")),
        OpsgenieOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    let port = PortClient::new(
        &text("port"),
        Secret::new(text("id")),
        Secret::new(text("secret")),
        opsgenie_port::runtime::port::user_agent("opsgenie", "0.1.0", IDENTIFIER),
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
    let engine = Engine::new(compiled(), opsgenie, port, settings);
    let mut sims = SimCounters {
        stdin: child.stdin.take().ok_or("no child stdin")?,
        stdout,
    };
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
