//! The hardening issue's acceptance runs in small, with the same code and checks as the full
//! command (`cargo run --release --example fault_runs`, see BENCHMARKS.md): fault runs of a
//! first sync under 30 % faults on every Opsgenie and Port call, and the binary's first `sync`
//! killed (SIGKILL) in initialisation and in the resync, each followed by a plain `sync`.

#[path = "../../examples/fault_runs/runs/mod.rs"]
mod harness;

use harness::*;
use std::time::Duration;

fn progress(line: &str) {
    eprintln!("  {line}");
}

/// One fault run (plus the clean run it is compared with); shorter timeouts than the full
/// command's so that a stalled call costs less than a second.
async fn one_fault_run(fault_seed: u64) {
    let alerts = 200;
    let report = fault_runs(
        FaultRunsConfig {
            runs: 1,
            alerts,
            account_seed: 2026,
            rate: 0.3,
            fault_seed,
            client_timeout: Duration::from_millis(500),
            stall: Duration::from_millis(800),
        },
        progress,
    )
    .await;
    let table = report.render();
    println!("{table}");
    assert!(report.passed(), "{table}");
    let run = &report.runs[0];
    // Faults were injected into both services, and the clients rode them out by retrying.
    let f = &run.figures;
    assert!(f.opsgenie_faults >= 3 && f.port_faults >= 10, "{table}");
    assert!(
        f.opsgenie_retries >= f.opsgenie_faults && f.port_retries >= f.port_faults / 2,
        "{table}"
    );
    // The clean catalog is the whole account: alerts (and the foreign entity), incidents,
    // services; the e2e sync tests check such a catalog field by field.
    let account = account(2026, alerts);
    assert_eq!(
        report.clean_entities,
        alerts + 1 + account.incidents.len() + account.services.len(),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_under_thirty_percent_faults_completes_with_the_clean_catalog_seed_1() {
    one_fault_run(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_under_thirty_percent_faults_completes_with_the_clean_catalog_seed_2() {
    one_fault_run(2).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_killed_in_initialisation_or_resync_is_repaired_by_one_plain_rerun() {
    let report = kill_runs(
        KillRunsConfig {
            kills: 3,
            alerts: 200,
            account_seed: 2026,
            opsgenie_latency: Duration::from_millis(10),
            port_latency: Duration::from_millis(20),
            binary: env!("CARGO_BIN_EXE_opsgenie-port").into(),
        },
        progress,
    )
    .await;
    let table = report.render();
    println!("{table}");
    assert!(report.passed(), "{table}");
    // The points landed where they were meant to: one before the integration was marked
    // initialised, two while the resync ran.
    let phases: Vec<_> = report.points.iter().map(|p| p.phase).collect();
    assert_eq!(phases, ["init", "resync", "resync"], "{table}");
    assert_ne!(report.points[0].held.initialized, Some(true), "{table}");
    for point in &report.points[1..] {
        assert_eq!(point.held.initialized, Some(true), "{table}");
        assert_eq!(point.held.last_state.as_deref(), Some("running"), "{table}");
        assert!(point.held.entities < report.clean_entities, "{table}");
    }
}
