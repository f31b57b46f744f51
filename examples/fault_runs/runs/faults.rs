//! Fault runs: a first sync of the engine in this process under faults on every call of both
//! simulators, compared with a fault-free run of the same account.

use super::{
    account, describe, snapshot, Comparison, Snapshot, FOREIGN, FOREIGN_OWNER, IDENTIFIER,
    SEEDED_BLUEPRINT, STALE, VERSION,
};
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::config::MappingSource;
use opsgenie_port::runtime::opsgenie::{OpsgenieClient, OpsgenieOptions};
use opsgenie_port::runtime::port::{user_agent, PortClient, PortOptions};
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::serve::init::{self, InitPlan};
use opsgenie_port::runtime::sync::{CancellationFlag, Engine, SyncSettings};
use opsgenie_port_sim::faults::FaultConfig;
use opsgenie_port_sim::generate::Account;
use opsgenie_port_sim::opsgenie::{self, OpsgenieSim, OpsgenieSimConfig};
use opsgenie_port_sim::port::{self, PortSim, PortSimConfig};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// How the fault runs are made.
#[derive(Clone, Debug)]
pub struct FaultRunsConfig {
    pub runs: usize,
    pub alerts: usize,
    pub account_seed: u64,
    /// Probability of a fault on each request, on both simulators.
    pub rate: f64,
    /// Run `i` (from 1) draws its faults from seed `fault_seed + i` on Opsgenie and from that
    /// seed's bit complement on Port (the tables show the Opsgenie one).
    pub fault_seed: u64,
    /// Both clients' timeout (the production default is 60 s).
    pub client_timeout: Duration,
    /// How long a simulated timeout stalls: longer than `client_timeout`, so the client gives
    /// up and sends again.
    pub stall: Duration,
}

/// One run's figures.
#[derive(Clone, Debug, Default)]
pub struct RunFigures {
    pub elapsed: Duration,
    pub opsgenie_requests: u64,
    pub opsgenie_faults: u64,
    pub port_requests: u64,
    pub port_faults: u64,
    pub opsgenie_retries: u64,
    pub port_retries: u64,
    /// Entities Port deleted during the run.
    pub deleted: u64,
}

#[derive(Clone, Debug)]
pub struct FaultRun {
    pub index: usize,
    /// Opsgenie's fault seed; Port's is its bit complement.
    pub opsgenie_seed: u64,
    pub figures: RunFigures,
    /// Initialisation and resync completed, with the resync's errors otherwise.
    pub completed: Result<(), String>,
    pub comparison: Comparison,
    /// Deletions other than the stale entity's.
    pub wrongful_deletions: u64,
    pub stale_deleted: bool,
    pub foreign_kept: bool,
    pub last_state: Option<String>,
}

impl FaultRun {
    /// Every failed check, empty when the run passed.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if let Err(e) = &self.completed {
            failures.push(format!("did not complete: {e}"));
        }
        if !self.comparison.is_equal() {
            failures.push(format!("catalog: {}", self.comparison.describe()));
        }
        if self.wrongful_deletions > 0 {
            failures.push(format!("{} wrongful deletions", self.wrongful_deletions));
        }
        if !self.stale_deleted {
            failures.push("stale entity kept".into());
        }
        if !self.foreign_kept {
            failures.push("foreign entity gone".into());
        }
        if self.last_state.as_deref() != Some("completed") {
            failures.push(format!("last resync state {:?}", self.last_state));
        }
        failures
    }
}

pub struct FaultRuns {
    pub config: FaultRunsConfig,
    pub account: String,
    pub clean: RunFigures,
    pub clean_entities: usize,
    /// Checks of the clean run itself (it must complete, delete the stale entity only, …).
    pub clean_failures: Vec<String>,
    pub runs: Vec<FaultRun>,
}

impl FaultRuns {
    pub fn passed(&self) -> bool {
        self.clean_failures.is_empty() && self.runs.iter().all(|r| r.failures().is_empty())
    }

    pub fn render(&self) -> String {
        let c = &self.config;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "fault runs: {} runs of a first sync (initialisation + resync), account {}; faults \
             on {:.0}% of every Opsgenie and Port call (429, 500/502/503, stall {:.1}s vs \
             client timeout {:.1}s, truncated body, connection reset)",
            c.runs,
            self.account,
            c.rate * 100.0,
            c.stall.as_secs_f64(),
            c.client_timeout.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "clean run (no faults): {:.1}s, {} Opsgenie + {} Port requests, {} entities in \
             Port, {} deleted{}",
            self.clean.elapsed.as_secs_f64(),
            self.clean.opsgenie_requests,
            self.clean.port_requests,
            self.clean_entities,
            self.clean.deleted,
            if self.clean_failures.is_empty() {
                String::new()
            } else {
                format!(" — FAILED: {}", self.clean_failures.join("; "))
            }
        );
        let _ = writeln!(
            out,
            "{:>3} {:>6} {:>7} | {:>8} {:>7} | {:>8} {:>7} | {:>8} {:>8} | {:>5} {:>8} | result",
            "run",
            "seed",
            "time",
            "O req",
            "O flt",
            "P req",
            "P flt",
            "O retry",
            "P retry",
            "lost",
            "wrongful"
        );
        let mut total = RunFigures::default();
        for run in &self.runs {
            let f = &run.figures;
            let failures = run.failures();
            let _ = writeln!(
                out,
                "{:>3} {:>6} {:>6.1}s | {:>8} {:>7} | {:>8} {:>7} | {:>8} {:>8} | {:>5} {:>8} | {}",
                run.index,
                run.opsgenie_seed,
                f.elapsed.as_secs_f64(),
                f.opsgenie_requests,
                f.opsgenie_faults,
                f.port_requests,
                f.port_faults,
                f.opsgenie_retries,
                f.port_retries,
                run.comparison.lost.len(),
                run.wrongful_deletions,
                if failures.is_empty() {
                    "ok: completed, catalog equal, stale deleted, foreign kept".to_owned()
                } else {
                    format!("FAILED: {}", failures.join("; "))
                }
            );
            total.elapsed += f.elapsed;
            total.opsgenie_requests += f.opsgenie_requests;
            total.opsgenie_faults += f.opsgenie_faults;
            total.port_requests += f.port_requests;
            total.port_faults += f.port_faults;
            total.opsgenie_retries += f.opsgenie_retries;
            total.port_retries += f.port_retries;
        }
        let passed = self.runs.iter().filter(|r| r.failures().is_empty()).count();
        let _ = writeln!(
            out,
            "{:>3} {:>6} {:>6.1}s | {:>8} {:>7} | {:>8} {:>7} | {:>8} {:>8} | {:>5} {:>8} | {passed}/{} passed",
            "all",
            "",
            total.elapsed.as_secs_f64(),
            total.opsgenie_requests,
            total.opsgenie_faults,
            total.port_requests,
            total.port_faults,
            total.opsgenie_retries,
            total.port_retries,
            self.runs.iter().map(|r| r.comparison.lost.len()).sum::<usize>(),
            self.runs.iter().map(|r| r.wrongful_deletions).sum::<u64>(),
            self.runs.len()
        );
        out
    }
}

/// Both simulators for one in-process run; Port holds the bare alert blueprint with the
/// foreign and the stale entity, and no integration.
async fn seeded_sims(account: Account, opsgenie_faults: FaultConfig) -> (OpsgenieSim, PortSim) {
    let opsgenie = opsgenie::start(
        account,
        OpsgenieSimConfig {
            faults: opsgenie_faults,
            ..OpsgenieSimConfig::default()
        },
    )
    .await
    .expect("Opsgenie simulator");
    let port = port::start(PortSimConfig::default())
        .await
        .expect("Port simulator");
    let built: Vec<Value> =
        serde_json::from_str(&compiled().blueprints_json).expect("built blueprints");
    let mut bare = built
        .into_iter()
        .find(|b| b["identifier"] == SEEDED_BLUEPRINT)
        .expect("the alert blueprint is built");
    if let Some(fields) = bare.as_object_mut() {
        for key in [
            "relations",
            "mirrorProperties",
            "calculationProperties",
            "aggregationProperties",
        ] {
            fields.remove(key);
        }
    }
    port.create_blueprint(bare).expect("seeded blueprint");
    let empty = json!({"properties": {}, "relations": {}});
    for (owner, identifier) in [
        (FOREIGN_OWNER.to_owned(), FOREIGN),
        (user_agent("opsgenie", VERSION, IDENTIFIER), STALE),
    ] {
        let mut entity = empty.clone();
        entity["identifier"] = json!(identifier);
        port.insert_entity_as(&owner, SEEDED_BLUEPRINT, entity)
            .expect("seeded entity");
    }
    // The resync lists owned entities updated before its start (millisecond timestamps).
    tokio::time::sleep(Duration::from_millis(20)).await;
    (opsgenie, port)
}

/// `sync`'s work in this process: initialisation, then one resync. Production client options
/// (pages of 100 with 5 Opsgenie requests in flight, bulk upserts of 20, 10 retries with
/// Ocean's backoff), except the timeout.
async fn first_sync(
    opsgenie: &OpsgenieSim,
    port: &PortSim,
    timeout: Duration,
) -> (Result<(), String>, u64, u64) {
    let opsgenie_client = OpsgenieClient::new(
        &opsgenie.base_url(),
        Secret::new(opsgenie.api_key()),
        OpsgenieOptions {
            timeout,
            ..OpsgenieOptions::default()
        },
    )
    .expect("Opsgenie client");
    let port_client = PortClient::with_options(
        &port.base_url(),
        Secret::new(port.client_id()),
        Secret::new(port.client_secret()),
        user_agent("opsgenie", VERSION, IDENTIFIER),
        PortOptions {
            timeout,
            ..PortOptions::default()
        },
    )
    .expect("Port client");
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
    let engine = Engine::new(compiled(), opsgenie_client, port_client, settings);
    let plan = InitPlan::from_json(
        IDENTIFIER,
        "opsgenie",
        VERSION,
        &compiled().app_config_json,
        &compiled().blueprints_json,
        true,
    )
    .expect("init plan");
    let outcome = match init::initialize(engine.port(), &plan).await {
        Err(e) => Err(format!("initialisation: {e}")),
        Ok(_) => {
            let report = engine.resync(&CancellationFlag::new()).await;
            if report.is_success() {
                Ok(())
            } else {
                Err(format!(
                    "resync {}: {}",
                    report.status.as_str(),
                    report.errors.join(" | ")
                ))
            }
        }
    };
    (
        outcome,
        engine.opsgenie().counters().retries,
        engine.port().counters().retries,
    )
}

async fn measured_run(
    account: Account,
    faults: Option<(FaultConfig, FaultConfig)>,
    timeout: Duration,
    settle: Duration,
) -> (Result<(), String>, RunFigures, Snapshot) {
    let (opsgenie_faults, port_faults) = match faults {
        Some((o, p)) => (o, Some(p)),
        None => (FaultConfig::none(), None),
    };
    let (opsgenie, port) = seeded_sims(account, opsgenie_faults).await;
    if let Some(faults) = port_faults {
        port.faults().set(faults);
    }
    let started = Instant::now();
    let (outcome, opsgenie_retries, port_retries) = first_sync(&opsgenie, &port, timeout).await;
    let elapsed = started.elapsed();
    // A stalled request the client gave up on is still handled when its stall ends: wait for
    // those late writes before looking.
    tokio::time::sleep(settle).await;
    let counters = port.counters();
    let figures = RunFigures {
        elapsed,
        opsgenie_requests: opsgenie.counters().values().sum(),
        opsgenie_faults: opsgenie.faults().injected(),
        port_requests: counters.requests,
        port_faults: port.faults().injected(),
        opsgenie_retries,
        port_retries,
        deleted: counters.entities_deleted,
    };
    let snapshot = snapshot(&port);
    opsgenie.shutdown().await;
    port.shutdown().await;
    (outcome, figures, snapshot)
}

/// The clean run, then `config.runs` fault runs, each on fresh simulators.
pub async fn fault_runs(config: FaultRunsConfig, progress: impl Fn(&str)) -> FaultRuns {
    let account = account(config.account_seed, config.alerts);
    let description = describe(&account);
    let settle = config.stall + Duration::from_millis(500);
    let (outcome, clean, reference) =
        measured_run(account.clone(), None, config.client_timeout, settle).await;
    let mut clean_failures = Vec::new();
    if let Err(e) = outcome {
        clean_failures.push(format!("did not complete: {e}"));
    }
    if !reference.has(FOREIGN) || reference.has(STALE) || clean.deleted != 1 {
        clean_failures.push(format!(
            "foreign kept {}, stale kept {}, {} deleted",
            reference.has(FOREIGN),
            reference.has(STALE),
            clean.deleted
        ));
    }
    let alert_entities = reference
        .entities
        .keys()
        .filter(|(b, _)| b == SEEDED_BLUEPRINT)
        .count();
    if alert_entities < config.alerts {
        clean_failures.push(format!(
            "{alert_entities} alert entities for {} alerts",
            config.alerts
        ));
    }
    progress(&format!(
        "clean run: {:.1}s, {} entities",
        clean.elapsed.as_secs_f64(),
        reference.entities.len()
    ));
    let mut runs = Vec::new();
    for index in 1..=config.runs {
        let opsgenie_seed = config.fault_seed + index as u64;
        let fault = |seed: u64| FaultConfig {
            timeout_stall: config.stall,
            ..FaultConfig::all(config.rate, seed)
        };
        let (completed, figures, held) = measured_run(
            account.clone(),
            Some((fault(opsgenie_seed), fault(!opsgenie_seed))),
            config.client_timeout,
            settle,
        )
        .await;
        let stale_deleted = !held.has(STALE);
        let run = FaultRun {
            index,
            opsgenie_seed,
            wrongful_deletions: figures.deleted.saturating_sub(u64::from(stale_deleted)),
            figures,
            completed,
            comparison: Comparison::of(&held, &reference),
            stale_deleted,
            foreign_kept: held.has(FOREIGN),
            last_state: held.last_state.clone(),
        };
        let failures = run.failures();
        progress(&format!(
            "fault run {index}/{}: {:.1}s, {}",
            config.runs,
            run.figures.elapsed.as_secs_f64(),
            if failures.is_empty() {
                "ok".to_owned()
            } else {
                failures.join("; ")
            }
        ));
        runs.push(run);
    }
    FaultRuns {
        config,
        account: description,
        clean,
        clean_entities: reference.entities.len(),
        clean_failures,
        runs,
    }
}
