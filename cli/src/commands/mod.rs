//! Subcommand implementations.

mod demo;
mod map;
mod plan;
mod serve;
mod sim;
mod sync;
mod validate;

use crate::cli::{Cli, Command};
use crate::Built;
use std::process::ExitCode;

/// The operation ran and failed (mapping errors found, a resync or plan that failed, start-up
/// that failed).
pub const EXIT_FAILED: u8 = 1;
/// The input cannot be used: a wrong flag, missing configuration, no such file, a mapping file
/// that cannot be read (E0008).
pub const EXIT_USAGE: u8 = 2;
/// `plan --detailed-exitcode`: the plan succeeded and a resync would change something.
pub const EXIT_CHANGES: u8 = 3;
/// `sync` or `plan` stopped by Ctrl-C or SIGTERM (nothing was deleted).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs a parsed command line. `Err` is an unusable-input error (exit status 2).
pub fn run(cli: Cli, built: Built) -> Result<ExitCode, String> {
    match cli.command {
        Command::Validate {
            dir,
            format,
            from_port,
            explain,
            connection,
        } => match (explain, from_port) {
            (Some(code), _) => validate::explain(&code),
            (None, true) => validate::from_port(&connection, format, built),
            (None, false) => validate::run(&dir, format),
        },
        Command::Map {
            mapping,
            kind,
            resource,
            file,
        } => match mapping {
            Some(dir) => match map::load(&dir)? {
                Ok(mapping) => map::run(&mapping, &kind, resource, file.as_deref()),
                Err(failed) => Ok(failed),
            },
            None => map::run(&(built.mapping)(), &kind, resource, file.as_deref()),
        },
        Command::Sync {
            connection,
            no_resync_state,
            blueprints,
        } => sync::run(
            &connection,
            no_resync_state,
            blueprints.update_blueprints,
            built,
        ),
        Command::Plan {
            connection,
            blueprints,
            format,
            show,
            detailed_exitcode,
        } => plan::run(plan::PlanArgs {
            connection,
            update_blueprints: blueprints.update_blueprints,
            format,
            show,
            detailed_exitcode,
            built,
        }),
        Command::Serve {
            port,
            event_listener,
            initialize_port_resources,
            log_level,
            log_format,
            mapping_source,
            blueprints,
        } => serve::run(
            serve::ServeArgs {
                port,
                event_listener,
                initialize_port_resources,
                log_level,
                log_format,
                mapping_source,
                update_blueprints: blueprints.update_blueprints,
            },
            built,
        ),
        Command::Demo { alerts, output } => demo::run(alerts, &output, built),
        Command::Sim(args) => sim::run(&args),
        Command::Expand => {
            use std::io::Write;
            let written = std::io::stdout().write_all(built.source.as_bytes());
            match written {
                // `expand | head` closes the pipe early: not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write: {e}"))
                }
                _ => Ok(ExitCode::SUCCESS),
            }
        }
    }
}
