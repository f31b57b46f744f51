//! `opsgenie-port sync`: one full resync from Opsgenie into Port, like Ocean's ONCE mode.

use super::{EXIT_FAILED, EXIT_INTERRUPTED};
use crate::cli::Connection;
use crate::progress::Bars;
use crate::Built;
use opsgenie_port_runtime::config::Config;
use opsgenie_port_runtime::logging::{self, LogFormat, LogOptions};
use opsgenie_port_runtime::opsgenie::OpsgenieClient;
use opsgenie_port_runtime::port::PortClient;
use opsgenie_port_runtime::secret;
use opsgenie_port_runtime::serve::init::{self, InitPlan};
use opsgenie_port_runtime::sync::{
    CancellationFlag, Engine, NoProgress, Progress, ResyncStatus, SyncSettings,
};
use std::collections::HashMap;
use std::process::ExitCode;

/// The configuration, an engine on it and an async runtime: what `sync` and `plan` share.
pub struct Prepared {
    pub config: Config,
    pub engine: Engine,
    pub runtime: tokio::runtime::Runtime,
    /// Progress bars, when stderr is a terminal and logs are text.
    pub bars: Option<Bars>,
}

/// What `initializePortResources` creates in Port for this configuration and the compiled
/// mapping (the integration, the blueprints).
pub fn init_plan(config: &Config, built: Built) -> Result<InitPlan, String> {
    let mapping = (built.mapping)();
    InitPlan::from_json(
        &config.integration.identifier,
        &config.integration.kind,
        env!("CARGO_PKG_VERSION"),
        &mapping.app_config_json,
        &mapping.blueprints_json,
        config.initialize_port_resources,
    )
    .map_err(|e| e.to_string())
}

/// Reads the configuration (flags over `OCEAN__*`; `update_blueprints` is the flag, which only
/// ever turns it on), starts logging (above progress bars on a terminal unless
/// `--no-progress`) and builds the engine.
pub fn prepare(
    args: &Connection,
    update_blueprints: bool,
    built: Built,
    report_resync_state: bool,
    planning: bool,
) -> Result<Prepared, String> {
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
    set("OCEAN__MAPPING_SOURCE", &args.mapping_source);
    set(
        "OCEAN__UPDATE_BLUEPRINTS",
        &update_blueprints.then(|| "true".to_owned()),
    );
    let config = Config::from_env_with_overrides(overrides).map_err(|e| e.to_string())?;
    for secret in config.secrets() {
        secret::register(secret);
    }
    let format = match &args.log_format {
        None => LogFormat::Auto,
        Some(text) => LogFormat::parse(text)
            .ok_or_else(|| format!("--log-format must be auto, json or text, got {text:?}"))?,
    };
    let log_options = LogOptions {
        level: config.application.log_level.clone(),
        format,
    };
    let bars = if args.no_progress {
        None
    } else {
        Bars::for_terminal(format, planning)
    };
    match &bars {
        Some(bars) => bars.init_logging(&log_options),
        None => logging::init(&log_options),
    }

    let opsgenie = OpsgenieClient::from_config(&config).map_err(|e| e.to_string())?;
    let port =
        PortClient::from_config(&config, env!("CARGO_PKG_VERSION")).map_err(|e| e.to_string())?;
    let mut settings = SyncSettings::from_config(&config);
    settings.report_resync_state = report_resync_state;
    let engine = Engine::new((built.mapping)(), opsgenie, port, settings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(Prepared {
        config,
        engine,
        runtime,
        bars,
    })
}

/// A flag set by the first Ctrl-C (SIGINT) or SIGTERM: the run stops, reports `aborted` and
/// deletes nothing. A second signal exits at once.
pub fn cancel_on_signal(what: &'static str) -> CancellationFlag {
    let cancel = CancellationFlag::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::warn!("interrupted: aborting the {what} (nothing will be deleted)");
        on_signal.cancel();
        shutdown_signal().await;
        eprintln!("interrupted again: exiting now");
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    });
    cancel
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub fn run(
    connection: &Connection,
    no_resync_state: bool,
    update_blueprints: bool,
    built: Built,
) -> Result<ExitCode, String> {
    let Prepared {
        config,
        engine,
        runtime,
        bars,
    } = prepare(
        connection,
        update_blueprints,
        built,
        !no_resync_state,
        false,
    )?;
    let plan = init_plan(&config, built)?;
    let report = runtime.block_on(async {
        // As Ocean does at every start: the integration, and with initializePortResources the
        // blueprints, exist in Port before the first resync writes to them.
        if let Err(e) = init::initialize(engine.port(), &plan).await {
            return Err(format!("cannot initialise Port resources: {e}"));
        }
        let cancel = cancel_on_signal("resync");
        let progress: &dyn Progress = match &bars {
            Some(bars) => bars,
            None => &NoProgress,
        };
        Ok(engine.resync_with_progress(&cancel, progress).await)
    });
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {}", secret::mask(&e));
            return Ok(ExitCode::from(EXIT_FAILED));
        }
    };
    print!("{}", report.render());
    for error in &report.errors {
        eprintln!("error: {}", secret::mask(error));
    }
    Ok(match report.status {
        ResyncStatus::Completed => ExitCode::SUCCESS,
        ResyncStatus::Failed => ExitCode::from(EXIT_FAILED),
        ResyncStatus::Aborted => ExitCode::from(EXIT_INTERRUPTED),
    })
}
