//! `opsgenie-port sync`: one full resync from Opsgenie into Port, like Ocean's ONCE mode.

use opsgenie_port::generated::REGISTRY;
use opsgenie_port_runtime::config::Config;
use opsgenie_port_runtime::logging::{self, LogFormat, LogOptions};
use opsgenie_port_runtime::opsgenie::OpsgenieClient;
use opsgenie_port_runtime::port::PortClient;
use opsgenie_port_runtime::secret;
use opsgenie_port_runtime::serve::init::{self, InitPlan};
use opsgenie_port_runtime::sync::{CancellationFlag, Engine, SyncSettings};
use std::collections::HashMap;
use std::process::ExitCode;

/// Command-line overrides of the `OCEAN__*` configuration.
#[derive(Debug, Default)]
pub struct SyncArgs {
    pub port_base_url: Option<String>,
    pub opsgenie_api_url: Option<String>,
    pub identifier: Option<String>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
    pub no_resync_state: bool,
}

pub fn run(args: SyncArgs) -> Result<ExitCode, String> {
    let mut overrides = HashMap::new();
    let mut set = |name: &str, value: &Option<String>| {
        if let Some(value) = value {
            overrides.insert(name.to_owned(), value.clone());
        }
    };
    set("OCEAN__PORT__BASE_URL", &args.port_base_url);
    set(
        "OCEAN__INTEGRATION__CONFIG__API_URL",
        &args.opsgenie_api_url,
    );
    set("OCEAN__INTEGRATION__IDENTIFIER", &args.identifier);
    set("APPLICATION__LOG_LEVEL", &args.log_level);
    let config = Config::from_env_with_overrides(overrides).map_err(|e| e.to_string())?;
    for secret in config.secrets() {
        secret::register(secret);
    }
    let format = match &args.log_format {
        None => LogFormat::Auto,
        Some(text) => LogFormat::parse(text)
            .ok_or_else(|| format!("--log-format must be auto, json or text, got {text:?}"))?,
    };
    logging::init(&LogOptions {
        level: config.application.log_level.clone(),
        format,
    });

    let opsgenie = OpsgenieClient::from_config(&config).map_err(|e| e.to_string())?;
    let port =
        PortClient::from_config(&config, env!("CARGO_PKG_VERSION")).map_err(|e| e.to_string())?;
    let mut settings = SyncSettings::from_config(&config);
    settings.report_resync_state = !args.no_resync_state;
    let engine = Engine::new(&REGISTRY, opsgenie, port, settings);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let plan = InitPlan::from_json(
        &config.integration.identifier,
        &config.integration.kind,
        env!("CARGO_PKG_VERSION"),
        REGISTRY.app_config_json,
        REGISTRY.blueprints_json,
        config.initialize_port_resources,
    )
    .map_err(|e| e.to_string())?;
    let report = runtime.block_on(async {
        // As Ocean does at every start: the integration, and with initializePortResources the
        // blueprints, exist in Port before the first resync writes to them.
        if let Err(e) = init::initialize(engine.port(), &plan).await {
            return Err(format!("cannot initialise Port resources: {e}"));
        }
        let cancel = CancellationFlag::new();
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::warn!("interrupted: aborting the resync (nothing will be deleted)");
                on_signal.cancel();
            }
        });
        Ok(engine.resync(&cancel).await)
    });
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {}", secret::mask(&e));
            return Ok(ExitCode::from(1));
        }
    };
    print!("{}", report.render());
    for error in &report.errors {
        eprintln!("error: {}", secret::mask(error));
    }
    Ok(if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
