//! `opsgenie-port serve`: the always-on mode (webhooks, polling / scheduled resyncs); the work
//! is in `opsgenie_port_runtime::serve`.

use crate::Built;
use opsgenie_port_runtime::config::Config;
use opsgenie_port_runtime::logging::{self, LogFormat, LogOptions};
use opsgenie_port_runtime::serve::{self, ServeError, ServeParts};
use std::collections::HashMap;
use std::process::ExitCode;

/// Command-line overrides of the `OCEAN__*` / `APPLICATION__*` configuration.
#[derive(Debug, Default)]
pub struct ServeArgs {
    pub port: Option<u16>,
    pub event_listener: Option<String>,
    pub initialize_port_resources: Option<bool>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
    pub mapping_source: Option<String>,
    /// `--update-blueprints`: sets OCEAN__UPDATE_BLUEPRINTS (absent, the environment decides).
    pub update_blueprints: bool,
}

pub fn run(args: ServeArgs, built: Built) -> Result<ExitCode, String> {
    let mut overrides = HashMap::new();
    let mut set = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            overrides.insert(name.to_owned(), value);
        }
    };
    set("APPLICATION__PORT", args.port.map(|port| port.to_string()));
    set("OCEAN__EVENT_LISTENER__TYPE", args.event_listener);
    set(
        "OCEAN__INITIALIZE_PORT_RESOURCES",
        args.initialize_port_resources.map(|flag| flag.to_string()),
    );
    set("APPLICATION__LOG_LEVEL", args.log_level);
    set("OCEAN__MAPPING_SOURCE", args.mapping_source);
    set(
        "OCEAN__UPDATE_BLUEPRINTS",
        args.update_blueprints.then(|| "true".to_owned()),
    );
    let config = Config::from_env_with_overrides(overrides).map_err(|e| e.to_string())?;
    let format = match &args.log_format {
        None => LogFormat::Auto,
        Some(text) => LogFormat::parse(text)
            .ok_or_else(|| format!("--log-format must be auto, json or text, got {text:?}"))?,
    };
    logging::init(&LogOptions {
        level: config.application.log_level.clone(),
        format,
    });

    let parts = ServeParts::with_engine(config, (built.mapping)(), env!("CARGO_PKG_VERSION"))
        .map_err(|e| e.to_string())?;
    match serve::run_blocking(parts) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(ServeError::Config(detail)) => Err(detail),
        Err(error) => {
            eprintln!("error: {error}");
            Ok(ExitCode::from(super::EXIT_FAILED))
        }
    }
}
