//! Kill runs: the binary's first `sync` on a fresh Port killed with SIGKILL at chosen Port
//! request counts, then one plain `sync` that must leave the uninterrupted run's catalog.

use super::{account, describe, snapshot, Comparison, IDENTIFIER};
use opsgenie_port_sim::generate::Account;
use opsgenie_port_sim::opsgenie::{self, OpsgenieSim, OpsgenieSimConfig};
use opsgenie_port_sim::port::{self, PortSim, PortSimConfig};
use serde_json::json;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct KillRunsConfig {
    pub kills: usize,
    pub alerts: usize,
    pub account_seed: u64,
    pub opsgenie_latency: Duration,
    pub port_latency: Duration,
    /// The `opsgenie-port` binary.
    pub binary: PathBuf,
}

/// What Port held after a kill (once the requests in flight were handled).
#[derive(Clone, Debug)]
pub struct Held {
    pub blueprints: usize,
    /// Blueprints equal to the uninterrupted run's.
    pub complete_blueprints: usize,
    pub initialized: Option<bool>,
    pub entities: usize,
    pub last_state: Option<String>,
}

#[derive(Clone, Debug)]
pub struct KillPoint {
    /// `init` or `resync`.
    pub phase: &'static str,
    /// Killed when Port had received this many requests.
    pub target: u64,
    /// Since the start; `None`: the sync ended before reaching the target.
    pub killed_after: Option<Duration>,
    pub held: Held,
    pub rerun_elapsed: Duration,
    /// The rerun's exit status and the last lines of its error output when it failed.
    pub rerun: Result<(), String>,
    pub comparison: Comparison,
    pub last_state: Option<String>,
}

impl KillPoint {
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.killed_after.is_none() {
            failures.push("the sync finished before the kill point".into());
        }
        if let Err(e) = &self.rerun {
            failures.push(format!("rerun failed: {e}"));
        }
        if !self.comparison.is_equal() {
            failures.push(format!("catalog: {}", self.comparison.describe()));
        }
        if self.last_state.as_deref() != Some("completed") {
            failures.push(format!("last resync state {:?}", self.last_state));
        }
        failures
    }
}

pub struct KillRuns {
    pub config: KillRunsConfig,
    pub account: String,
    pub clean_elapsed: Duration,
    /// Port requests of the uninterrupted run: when the integration was marked initialised,
    /// and in all.
    pub init_requests: u64,
    pub total_requests: u64,
    pub init_elapsed: Duration,
    pub clean_entities: usize,
    pub clean_failures: Vec<String>,
    pub points: Vec<KillPoint>,
}

impl KillRuns {
    pub fn passed(&self) -> bool {
        self.clean_failures.is_empty() && self.points.iter().all(|p| p.failures().is_empty())
    }

    pub fn render(&self) -> String {
        let c = &self.config;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "kill runs: {} × `opsgenie-port sync` on a fresh Port, SIGKILL, then one plain \
             `sync`; account {}; latency Opsgenie {} ms, Port {} ms per request; binary {}",
            c.kills,
            self.account,
            c.opsgenie_latency.as_millis(),
            c.port_latency.as_millis(),
            c.binary.display()
        );
        let _ = writeln!(
            out,
            "uninterrupted run: {:.1}s, {} Port requests (initialised at request {}, {:.1}s), \
             {} entities{}",
            self.clean_elapsed.as_secs_f64(),
            self.total_requests,
            self.init_requests,
            self.init_elapsed.as_secs_f64(),
            self.clean_entities,
            if self.clean_failures.is_empty() {
                String::new()
            } else {
                format!(" — FAILED: {}", self.clean_failures.join("; "))
            }
        );
        let _ = writeln!(
            out,
            "{:>2} {:>6} {:>13} | Port then: {:>9} {:>5} {:>8} {:>9} | rerun {:>6} | result",
            "#", "phase", "killed at", "bp (full)", "flag", "entities", "state", "time"
        );
        for (i, point) in self.points.iter().enumerate() {
            let held = &point.held;
            let failures = point.failures();
            let flag = match held.initialized {
                None => "-",
                Some(true) => "true",
                Some(false) => "false",
            };
            let _ = writeln!(
                out,
                "{:>2} {:>6} {:>13} | {:>20} {:>5} {:>8} {:>9} | {:>10.1}s | {}",
                i + 1,
                point.phase,
                match point.killed_after {
                    Some(t) => format!("req {} {:.2}s", point.target, t.as_secs_f64()),
                    None => format!("req {} -", point.target),
                },
                format!("{} ({})", held.blueprints, held.complete_blueprints),
                flag,
                held.entities,
                held.last_state.as_deref().unwrap_or("-"),
                point.rerun_elapsed.as_secs_f64(),
                if failures.is_empty() {
                    "ok: rerun exit 0, catalog equal".to_owned()
                } else {
                    format!("FAILED: {}", failures.join("; "))
                }
            );
        }
        let passed = self
            .points
            .iter()
            .filter(|p| p.failures().is_empty())
            .count();
        let _ = writeln!(out, "{passed}/{} kill points passed", self.points.len());
        out
    }
}

async fn fresh_sims(account: Account, config: &KillRunsConfig) -> (OpsgenieSim, PortSim) {
    let opsgenie = opsgenie::start(
        account,
        OpsgenieSimConfig {
            latency: config.opsgenie_latency,
            ..OpsgenieSimConfig::default()
        },
    )
    .await
    .expect("Opsgenie simulator");
    let port = port::start(PortSimConfig {
        latency: config.port_latency,
        ..PortSimConfig::default()
    })
    .await
    .expect("Port simulator");
    (opsgenie, port)
}

fn sync_command(binary: &PathBuf, opsgenie: &OpsgenieSim, port: &PortSim) -> Command {
    let mut command = Command::new(binary);
    command
        .arg("sync")
        .env_remove("RUST_LOG")
        .env("OCEAN__PORT__CLIENT_ID", port.client_id())
        .env("OCEAN__PORT__CLIENT_SECRET", port.client_secret())
        .env("OCEAN__PORT__BASE_URL", port.base_url())
        .env("OCEAN__INTEGRATION__IDENTIFIER", IDENTIFIER)
        .env("OCEAN__INTEGRATION__CONFIG__API_URL", opsgenie.base_url())
        .env("OCEAN__INTEGRATION__CONFIG__API_TOKEN", opsgenie.api_key())
        // No `.env` file of the caller's.
        .current_dir(std::env::temp_dir());
    command
}

/// Runs `sync` to its end: `Ok` on exit status 0, else the status and the last lines of its
/// output.
async fn plain_sync(
    binary: &PathBuf,
    opsgenie: &OpsgenieSim,
    port: &PortSim,
) -> Result<(), String> {
    let mut command = sync_command(binary, opsgenie, port);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot run {}: {e}", binary_name(binary)))?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let tail: Vec<&str> = text.lines().rev().take(4).collect();
    Err(format!(
        "{}: {}",
        output.status,
        tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
    ))
}

fn binary_name(binary: &std::path::Path) -> String {
    binary.display().to_string()
}

/// The uninterrupted run, then one killed run and its rerun per kill point.
pub async fn kill_runs(config: KillRunsConfig, progress: impl Fn(&str)) -> KillRuns {
    let account = account(config.account_seed, config.alerts);
    let description = describe(&account);
    let settle = config.port_latency * 3 + Duration::from_millis(200);

    // The uninterrupted run: the reference catalog, and where initialisation ends.
    let (opsgenie, port) = fresh_sims(account.clone(), &config).await;
    let started = Instant::now();
    let mut child = sync_command(&config.binary, &opsgenie, &port)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", config.binary.display()));
    let mut init_mark = None;
    let status = loop {
        if init_mark.is_none()
            && port
                .integration(IDENTIFIER)
                .is_some_and(|i| i["arePortResourcesInitialized"] == json!(true))
        {
            init_mark = Some((port.counters().requests, started.elapsed()));
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let clean_elapsed = started.elapsed();
    tokio::time::sleep(settle).await;
    let reference = snapshot(&port);
    let total_requests = port.counters().requests;
    let mut clean_failures = Vec::new();
    if !status.success() {
        clean_failures.push(format!("uninterrupted sync: {status}"));
    }
    let (init_requests, init_elapsed) = init_mark.unwrap_or_else(|| {
        clean_failures.push("never marked initialised".into());
        (0, Duration::ZERO)
    });
    if reference.last_state.as_deref() != Some("completed")
        || reference.initialized() != Some(true)
        || reference.entities.len() < config.alerts
    {
        clean_failures.push(format!(
            "uninterrupted run left state {:?}, initialised {:?}, {} entities",
            reference.last_state,
            reference.initialized(),
            reference.entities.len()
        ));
    }
    opsgenie.shutdown().await;
    port.shutdown().await;
    progress(&format!(
        "uninterrupted run: {:.1}s, {total_requests} Port requests, initialised at {init_requests}",
        clean_elapsed.as_secs_f64()
    ));

    // Kill points: 40 % in initialisation, the rest in the resync, each at the middle of an
    // equal share of the phase's Port requests.
    let in_init = ((config.kills * 2 + 2) / 5).clamp(1, config.kills.max(1));
    let in_resync = config.kills.saturating_sub(in_init);
    let spread = |from: u64, to: u64, count: usize| -> Vec<u64> {
        (0..count)
            .map(|i| {
                let span = to.saturating_sub(from) as f64;
                from + ((i as f64 + 0.5) / count as f64 * span).round() as u64
            })
            .map(|n| n.max(1))
            .collect()
    };
    let mut targets: Vec<(&'static str, u64)> = Vec::new();
    if clean_failures.is_empty() {
        targets.extend(
            spread(0, init_requests, in_init)
                .into_iter()
                .map(|n| ("init", n)),
        );
        targets.extend(
            spread(init_requests, total_requests, in_resync)
                .into_iter()
                .map(|n| ("resync", n)),
        );
    }

    let mut points = Vec::new();
    for (index, (phase, target)) in targets.into_iter().enumerate() {
        let (opsgenie, port) = fresh_sims(account.clone(), &config).await;
        let started = Instant::now();
        let mut child = sync_command(&config.binary, &opsgenie, &port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts");
        let killed_after = loop {
            if port.counters().requests >= target {
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                break Some(started.elapsed());
            }
            if child.try_wait().expect("wait").is_some() {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        // Requests the killed process had sent are handled when their latency ends.
        tokio::time::sleep(settle).await;
        let then = snapshot(&port);
        let held = Held {
            blueprints: then.blueprints.len(),
            complete_blueprints: then
                .blueprints
                .iter()
                .filter(|(id, b)| reference.blueprints.get(*id) == Some(*b))
                .count(),
            initialized: then.initialized(),
            entities: then.entities.len(),
            last_state: then.last_state.clone(),
        };
        let rerun_started = Instant::now();
        let rerun = plain_sync(&config.binary, &opsgenie, &port).await;
        let rerun_elapsed = rerun_started.elapsed();
        tokio::time::sleep(settle).await;
        let after = snapshot(&port);
        let point = KillPoint {
            phase,
            target,
            killed_after,
            held,
            rerun_elapsed,
            rerun,
            comparison: Comparison::of(&after, &reference),
            last_state: after.last_state.clone(),
        };
        let failures = point.failures();
        progress(&format!(
            "kill point {}/{} ({phase}, Port request {target}): {}",
            index + 1,
            config.kills,
            if failures.is_empty() {
                "ok".to_owned()
            } else {
                failures.join("; ")
            }
        ));
        points.push(point);
        opsgenie.shutdown().await;
        port.shutdown().await;
    }
    KillRuns {
        config,
        account: description,
        clean_elapsed,
        init_requests,
        total_requests,
        init_elapsed,
        clean_entities: reference.entities.len(),
        clean_failures,
        points,
    }
}
