//! `opsgenie-port sim`: both simulators standalone, for trying `sync`/`serve` by hand or for
//! another tool's tests. Prints the URLs and credentials, runs until interrupted.

use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::{self as og_sim, OpsgenieSimConfig};
use opsgenie_port_sim::port::{self as port_sim, PortSimConfig};
use std::process::ExitCode;

pub fn run(alerts: usize, seed: u64) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let account = Account::generate(&GenSpec::typical(seed, alerts)).with_seed_sample();
        let alerts = account.alerts().len();
        let opsgenie = og_sim::start(account, OpsgenieSimConfig::default())
            .await
            .map_err(|e| format!("cannot start the Opsgenie simulator: {e}"))?;
        let port = port_sim::start(PortSimConfig::default())
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
