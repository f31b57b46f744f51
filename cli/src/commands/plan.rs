//! `opsgenie-port plan`: what a resync would create, update and delete in Port, writing nothing.

use super::sync::{cancel_on_signal, prepare, Prepared};
use super::{EXIT_CHANGES, EXIT_FAILED, EXIT_INTERRUPTED};
use crate::cli::{Connection, PlanFormat};
use crate::Built;
use opsgenie_port_runtime::secret;
use opsgenie_port_runtime::serve::init;
use opsgenie_port_runtime::sync::{NoProgress, Progress};
use std::process::ExitCode;

pub struct PlanArgs {
    pub connection: Connection,
    /// `--update-blueprints`: list the blueprint changes a resync would make first.
    pub update_blueprints: bool,
    pub format: PlanFormat,
    /// Identifiers listed per blueprint and change in the text output.
    pub show: usize,
    /// Exit with [`EXIT_CHANGES`] when the plan is not empty.
    pub detailed_exitcode: bool,
    pub built: Built,
}

pub fn run(args: PlanArgs) -> Result<ExitCode, String> {
    let Prepared {
        config,
        engine,
        runtime,
        bars,
    } = prepare(
        &args.connection,
        args.update_blueprints,
        args.built,
        false,
        true,
    )?;
    let init_plan = super::sync::init_plan(&config, args.built)?;
    let (resources, report) = runtime.block_on(async {
        // What `sync` would create before its resync (read-only here).
        let resources = init::preview(engine.port(), &init_plan).await;
        let cancel = cancel_on_signal("plan");
        let progress: &dyn Progress = match &bars {
            Some(bars) => bars,
            None => &NoProgress,
        };
        (resources, engine.plan(&cancel, progress).await)
    });
    let resources = match resources {
        Ok(resources) => resources,
        Err(e) => {
            eprintln!("error: {}", secret::mask(&e.to_string()));
            return Ok(ExitCode::from(EXIT_FAILED));
        }
    };
    match args.format {
        PlanFormat::Text => {
            if resources.integration_missing {
                println!(
                    "Port: would create the integration {:?}",
                    init_plan.identifier
                );
            }
            if !resources.blueprints_to_create.is_empty() {
                println!(
                    "Port: would create the blueprints {}",
                    resources.blueprints_to_create.join(", ")
                );
            }
            if !resources.blueprints_to_complete.is_empty() {
                println!(
                    "Port: would add to the blueprints {}",
                    resources.blueprints_to_complete.join("; ")
                );
            }
            print!("{}", report.render(args.show));
        }
        PlanFormat::Json => {
            let mut json = report.to_json();
            json["portResources"] = serde_json::json!({
                "createIntegration": resources.integration_missing,
                "createBlueprints": resources.blueprints_to_create,
                "completeBlueprints": resources.blueprints_to_complete,
            });
            println!("{json}");
        }
    }
    for error in &report.errors {
        eprintln!("error: {}", secret::mask(error));
    }
    let changes = report.has_changes() || !resources.is_empty();
    Ok(if report.aborted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if !report.is_success() {
        ExitCode::from(EXIT_FAILED)
    } else if args.detailed_exitcode && changes {
        ExitCode::from(EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    })
}
