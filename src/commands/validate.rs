//! `opsgenie-port validate`: every static check of the build, without building.

use crate::cli::Format;
use opsgenie_port_compiler::diag;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, format: Format) -> Result<ExitCode, String> {
    if !dir.is_dir() {
        return Err(format!("`{}` is not a directory", dir.display()));
    }
    let compiled = opsgenie_port_compiler::compile_dir_builtin(dir);
    let out = match format {
        Format::Human => {
            if compiled.diagnostics.is_empty() {
                String::new()
            } else {
                compiled.render_human()
            }
        }
        Format::Json => diag::render_json(&compiled.diagnostics, &compiled.sm),
        Format::Github => diag::render_github(&compiled.diagnostics, &compiled.sm),
    };
    print!("{out}");
    if !out.is_empty() && !out.ends_with('\n') {
        println!();
    }
    if compiled.has_errors() {
        return Ok(ExitCode::from(super::EXIT_FAILED));
    }
    if format == Format::Human {
        eprintln!("{}: mappings are valid", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
