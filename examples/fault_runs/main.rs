//! The hardening issue's acceptance runs, as commands (see BENCHMARKS.md, "Fault and kill runs"):
//!
//!     cargo build --release                       # the kill runs run target/release/opsgenie-port
//!     cargo run --release --example fault_runs    # 10 fault runs and 10 kill points, 5,000 alerts
//!     cargo run --release --example fault_runs -- --runs 3 --alerts 1000 --rate 0.3 --kills 5
//!     cargo run --release --example fault_runs -- --only faults --seed 7
//!
//! Fault runs: a first sync (initialisation + resync, the engine in this process) per run on a
//! fresh pair of simulators, faults on 30 % of every call of both, compared with a fault-free
//! run of the same account. Kill runs: the binary's first `sync` on a fresh Port killed with
//! SIGKILL at points spread over initialisation and the resync, then one plain `sync`.
//! Exit status 1 when any check of any run fails. `FAULT_RUNS_LOG=DEBUG` shows the engine's log
//! (every retry and its wait) on stderr.

mod runs;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The hardening issue's fault and kill runs.
#[derive(Parser)]
struct Args {
    /// Fault runs (each on fresh simulators).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Alerts in the generated account (incidents, services, … scale with them).
    #[arg(long, default_value_t = 5_000)]
    alerts: usize,
    /// Probability of a fault on each request, on both simulators.
    #[arg(long, default_value_t = 0.3)]
    rate: f64,
    /// Run i draws its faults from seed + i.
    #[arg(long, default_value_t = 1000)]
    seed: u64,
    #[arg(long, default_value_t = 2026)]
    account_seed: u64,
    /// Both clients' timeout in the fault runs.
    #[arg(long, default_value_t = 2000)]
    timeout_ms: u64,
    /// How long a simulated timeout stalls (above --timeout-ms).
    #[arg(long, default_value_t = 3000)]
    stall_ms: u64,
    /// Kill points (40 % in initialisation, the rest in the resync).
    #[arg(long, default_value_t = 10)]
    kills: usize,
    #[arg(long, default_value_t = 10)]
    opsgenie_latency_ms: u64,
    #[arg(long, default_value_t = 20)]
    port_latency_ms: u64,
    /// The binary the kill runs run [default: target/<profile>/opsgenie-port].
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Only one of the two kinds of run.
    #[arg(long, value_parser = ["faults", "kills"])]
    only: Option<String>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("fault_runs: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<bool, String> {
    let only = args.only.as_deref();
    let faults = runs::FaultRunsConfig {
        runs: args.runs,
        alerts: args.alerts,
        account_seed: args.account_seed,
        rate: args.rate,
        fault_seed: args.seed,
        client_timeout: Duration::from_millis(args.timeout_ms),
        stall: Duration::from_millis(args.stall_ms),
    };
    if !(0.0..=1.0).contains(&faults.rate) || faults.stall <= faults.client_timeout {
        return Err("--rate must be in [0, 1] and --stall-ms above --timeout-ms".into());
    }
    let binary = match args.binary {
        Some(path) => path,
        // target/<profile>/examples/fault_runs → target/<profile>/opsgenie-port
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .parent()
            .and_then(|examples| examples.parent())
            .map(|dir| dir.join(format!("opsgenie-port{}", std::env::consts::EXE_SUFFIX)))
            .ok_or("cannot locate the target directory")?,
    };
    let kills = runs::KillRunsConfig {
        kills: args.kills,
        alerts: args.alerts,
        account_seed: args.account_seed,
        opsgenie_latency: Duration::from_millis(args.opsgenie_latency_ms),
        port_latency: Duration::from_millis(args.port_latency_ms),
        binary,
    };
    if only != Some("faults") && !kills.binary.is_file() {
        return Err(format!(
            "{} not found: the kill runs run the binary; `cargo build --release` first (or \
             pass --binary PATH, or --only faults)",
            kills.binary.display()
        ));
    }

    // The engine's log (retries, waits) on stderr: FAULT_RUNS_LOG=DEBUG (Ocean's level names).
    if let Ok(level) = std::env::var("FAULT_RUNS_LOG") {
        opsgenie_port::runtime::logging::init(&opsgenie_port::runtime::logging::LogOptions {
            level,
            format: opsgenie_port::runtime::logging::LogFormat::Text,
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let progress = |line: &str| eprintln!("  {line}");
    let mut passed = true;
    if only != Some("kills") {
        let report = runtime.block_on(runs::fault_runs(faults, progress));
        println!("{}", report.render());
        passed &= report.passed();
    }
    if only != Some("faults") {
        let report = runtime.block_on(runs::kill_runs(kills, progress));
        println!("{}", report.render());
        passed &= report.passed();
    }
    println!(
        "{}",
        if passed {
            "all checks passed"
        } else {
            "SOME CHECKS FAILED"
        }
    );
    Ok(passed)
}
