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

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: fault_runs [--runs N] [--alerts N] [--rate R] [--seed N] \
                     [--account-seed N] [--timeout-ms N] [--stall-ms N] [--kills N] \
                     [--opsgenie-latency-ms N] [--port-latency-ms N] [--binary PATH] \
                     [--only faults|kills]";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("fault_runs: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let known = [
        "--runs",
        "--alerts",
        "--rate",
        "--seed",
        "--account-seed",
        "--timeout-ms",
        "--stall-ms",
        "--kills",
        "--opsgenie-latency-ms",
        "--port-latency-ms",
        "--binary",
        "--only",
    ];
    let mut i = 0;
    while i < args.len() {
        if !known.contains(&args[i].as_str()) || i + 1 >= args.len() {
            return Err(format!("unexpected argument {:?}", args[i]));
        }
        i += 2;
    }
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    fn parsed<T: std::str::FromStr>(
        name: &str,
        text: Option<&String>,
        default: T,
    ) -> Result<T, String> {
        match text {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("{name} needs a number, got {text:?}")),
        }
    }
    let alerts = parsed("--alerts", value("--alerts"), 5_000usize)?;
    let account_seed = parsed("--account-seed", value("--account-seed"), 2026u64)?;
    let only = value("--only").map(String::as_str);
    if !matches!(only, None | Some("faults" | "kills")) {
        return Err("--only takes faults or kills".into());
    }
    let faults = runs::FaultRunsConfig {
        runs: parsed("--runs", value("--runs"), 10usize)?,
        alerts,
        account_seed,
        rate: parsed("--rate", value("--rate"), 0.3f64)?,
        fault_seed: parsed("--seed", value("--seed"), 1000u64)?,
        client_timeout: Duration::from_millis(parsed(
            "--timeout-ms",
            value("--timeout-ms"),
            2000u64,
        )?),
        stall: Duration::from_millis(parsed("--stall-ms", value("--stall-ms"), 3000u64)?),
    };
    if !(0.0..=1.0).contains(&faults.rate) || faults.stall <= faults.client_timeout {
        return Err("--rate must be in [0, 1] and --stall-ms above --timeout-ms".into());
    }
    let binary = match value("--binary") {
        Some(path) => PathBuf::from(path),
        // target/<profile>/examples/fault_runs → target/<profile>/opsgenie-port
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .parent()
            .and_then(|examples| examples.parent())
            .map(|dir| dir.join(format!("opsgenie-port{}", std::env::consts::EXE_SUFFIX)))
            .ok_or("cannot locate the target directory")?,
    };
    let kills = runs::KillRunsConfig {
        kills: parsed("--kills", value("--kills"), 10usize)?,
        alerts,
        account_seed,
        opsgenie_latency: Duration::from_millis(parsed(
            "--opsgenie-latency-ms",
            value("--opsgenie-latency-ms"),
            10u64,
        )?),
        port_latency: Duration::from_millis(parsed(
            "--port-latency-ms",
            value("--port-latency-ms"),
            20u64,
        )?),
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
