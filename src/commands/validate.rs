//! `opsgenie-port validate`: every static check of the build, without building — of a mapping
//! directory, or (`--from-port`) of the mapping and blueprints Port holds, as a resync would
//! check them.

use crate::cli::{Connection, Format};
use opsgenie_port::generated;
use opsgenie_port_compiler::diag::{self, Diagnostic};
use opsgenie_port_compiler::source::SourceMap;
use opsgenie_port_runtime::config::Config;
use opsgenie_port_runtime::port::PortClient;
use opsgenie_port_runtime::secret;
use opsgenie_port_runtime::sync::read_port_mapping;
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, format: Format) -> Result<ExitCode, String> {
    if !dir.is_dir() {
        return Err(format!("`{}` is not a directory", dir.display()));
    }
    let checked = opsgenie_port_compiler::check_dir_builtin(dir);
    print_diagnostics(&checked.diagnostics, &checked.sm, format, || {
        checked.render_human()
    });
    if checked.has_unreadable_input() {
        return Ok(ExitCode::from(super::EXIT_USAGE));
    }
    if checked.has_errors() {
        return Ok(ExitCode::from(super::EXIT_FAILED));
    }
    if format == Format::Human {
        eprintln!("{}: mappings are valid", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `--from-port`: the integration's mapping as Port holds it, checked against Port's blueprints
/// and the schemas this binary was built with.
pub fn from_port(args: &Connection, format: Format) -> Result<ExitCode, String> {
    let mut overrides = HashMap::new();
    if let Some(url) = &args.port_base_url {
        overrides.insert("OCEAN__PORT__BASE_URL".to_owned(), url.clone());
    }
    if let Some(identifier) = &args.identifier {
        overrides.insert(
            "OCEAN__INTEGRATION__IDENTIFIER".to_owned(),
            identifier.clone(),
        );
    }
    let config = Config::from_env_with_overrides(overrides).map_err(|e| e.to_string())?;
    for secret in config.secrets() {
        secret::register(secret);
    }
    let port =
        PortClient::from_config(&config, env!("CARGO_PKG_VERSION")).map_err(|e| e.to_string())?;
    let identifier = config.integration.identifier.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let read = runtime.block_on(read_port_mapping(&port, &identifier));
    let (app_config, blueprints) = match read {
        Ok(Some(found)) => found,
        Ok(None) => return Err(format!("Port has no integration {identifier:?}")),
        Err(error) => return Err(format!("cannot read the mapping from Port: {error}")),
    };
    let compiled =
        opsgenie_port_compiler::compile_port(&app_config, &blueprints, generated::SOURCES);
    print_diagnostics(&compiled.diagnostics, &compiled.sm, format, || {
        compiled.render_human()
    });
    if compiled.plan.is_none() || !compiled.blocked.is_empty() {
        return Ok(ExitCode::from(super::EXIT_FAILED));
    }
    if format == Format::Human {
        eprintln!("the mapping Port holds for {identifier:?} is valid");
    }
    Ok(ExitCode::SUCCESS)
}

/// `--explain CODE`.
pub fn explain(code: &str) -> Result<ExitCode, String> {
    match diag::explain(code) {
        Some(text) => {
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        None => Err(format!(
            "no diagnostic code {code:?}; codes look like E0201 or W0001"
        )),
    }
}

fn print_diagnostics(
    diagnostics: &[Diagnostic],
    sm: &SourceMap,
    format: Format,
    human: impl FnOnce() -> String,
) {
    let out = match format {
        Format::Human if diagnostics.is_empty() => String::new(),
        Format::Human => human(),
        Format::Json => diag::render_json(diagnostics, sm),
        Format::Github => diag::render_github(diagnostics, sm),
    };
    print!("{out}");
    if !out.is_empty() && !out.ends_with('\n') {
        println!();
    }
}
