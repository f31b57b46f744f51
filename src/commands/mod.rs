//! Subcommand implementations.

mod demo;
mod map;
mod serve;
mod sim;
mod sync;
mod validate;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Runs a parsed command line. `Err` is an unusable-input error (exit status 2).
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Validate { dir, format } => validate::run(&dir, format),
        Command::Map {
            kind,
            resource,
            file,
        } => map::run(&kind, resource, file.as_deref()),
        Command::Sync {
            port_base_url,
            opsgenie_api_url,
            identifier,
            log_level,
            log_format,
            no_resync_state,
        } => sync::run(sync::SyncArgs {
            port_base_url,
            opsgenie_api_url,
            identifier,
            log_level,
            log_format,
            no_resync_state,
        }),
        Command::Serve {
            port,
            event_listener,
            initialize_port_resources,
            log_level,
            log_format,
        } => serve::run(serve::ServeArgs {
            port,
            event_listener,
            initialize_port_resources,
            log_level,
            log_format,
        }),
        Command::Demo { alerts, output } => demo::run(alerts, &output),
        Command::Sim { alerts, seed } => sim::run(alerts, seed),
        Command::Expand => {
            print!("{}", opsgenie_port::generated::SOURCE);
            Ok(ExitCode::SUCCESS)
        }
    }
}
