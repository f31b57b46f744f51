//! `opsgenie-port sim`: both simulators standalone, for trying `sync`/`serve` by hand or for
//! another tool's tests. Prints the URLs and credentials, runs until interrupted. Rate limits,
//! faults and latency make a throttled or flaky run reproducible from the command line.

use crate::cli::SimArgs;
use opsgenie_port_sim::faults::FaultConfig;
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::{self as og_sim, DomainLimit, OpsgenieSimConfig, RateLimits};
use opsgenie_port_sim::port::{self as port_sim, PortSimConfig, RateLimit};
use std::process::ExitCode;
use std::time::Duration;

/// The two simulators' configurations from the flags.
fn configs(args: &SimArgs) -> Result<(OpsgenieSimConfig, PortSimConfig), String> {
    if !(0.0..=1.0).contains(&args.error_rate) {
        return Err(format!(
            "--error-rate must be in [0, 1], got {}",
            args.error_rate
        ));
    }
    if args.port_rate == Some(0) || args.opsgenie_rate == Some(0) {
        return Err("--port-rate and --opsgenie-rate must be at least 1".into());
    }
    if let Some(url) = &args.webhook_url {
        if reqwest::Url::parse(url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
            return Err(format!("--webhook-url must be an http(s) URL, got {url:?}"));
        }
    }
    let latency = Duration::from_millis(args.latency_ms);
    // Different fault draws for the two services, reproducible run to run.
    let faults = |seed: u64| match args.error_rate {
        0.0 => FaultConfig::none(),
        rate => FaultConfig::all(rate, seed),
    };
    let mut opsgenie = OpsgenieSimConfig {
        latency,
        faults: faults(args.seed),
        webhook_url: args.webhook_url.clone(),
        ..OpsgenieSimConfig::default()
    };
    if let Some(per_second) = args.opsgenie_rate {
        opsgenie.rate_limits = RateLimits::uniform(DomainLimit {
            per_second,
            per_minute: per_second.saturating_mul(60),
        });
    }
    let mut port = PortSimConfig {
        latency,
        faults: faults(!args.seed),
        ..PortSimConfig::default()
    };
    if let Some(limit) = args.port_rate {
        port.rate_limit = Some(RateLimit {
            limit,
            period: Duration::from_secs(1),
        });
    }
    Ok((opsgenie, port))
}

pub fn run(args: &SimArgs) -> Result<ExitCode, String> {
    let (opsgenie_config, port_config) = configs(args)?;
    let (alerts, seed) = (args.alerts, args.seed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let account = Account::generate(&GenSpec::typical(seed, alerts)).with_seed_sample();
        let alerts = account.alerts().len();
        let opsgenie = og_sim::start(account, opsgenie_config)
            .await
            .map_err(|e| format!("cannot start the Opsgenie simulator: {e}"))?;
        let port = port_sim::start(port_config)
            .await
            .map_err(|e| format!("cannot start the Port simulator: {e}"))?;
        println!(
            "Opsgenie simulator: {} ({alerts} alerts, seed {seed})",
            opsgenie.base_url()
        );
        println!(
            "Port simulator:     {} (state at /_sim/state)",
            port.base_url()
        );
        if let Some(url) = &args.webhook_url {
            println!("Alert API actions post webhook events to {url}");
        }
        println!("\nTo sync into it, in another shell:\n");
        println!(
            "export OCEAN__INTEGRATION__CONFIG__API_URL={}",
            opsgenie.base_url()
        );
        println!(
            "export OCEAN__INTEGRATION__CONFIG__API_TOKEN={}",
            opsgenie.api_key()
        );
        println!("export OCEAN__PORT__BASE_URL={}", port.base_url());
        println!("export OCEAN__PORT__CLIENT_ID={}", port.client_id());
        println!("export OCEAN__PORT__CLIENT_SECRET={}", port.client_secret());
        println!("opsgenie-port sync\n\nCtrl-C stops the simulators.");
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
        opsgenie.shutdown().await;
        port.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}
