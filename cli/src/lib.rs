//! `opsgenie-port`'s command line: every subcommand, given the mapping the binary was built with.
//!
//! This crate does not depend on the generated mapping; the `opsgenie-port` package (its build
//! script, the generated code and a three-line `main`) depends on it. So a mapping edit
//! recompiles that generated code and relinks, and none of this (nor the runtime's generic code
//! this instantiates) — the rebuild bench in BENCHMARKS.md measures it.

mod cli;
mod commands;
mod progress;

use clap::error::ErrorKind;
use clap::Parser;
use opsgenie_port_runtime::mapping::Mapping;
use std::process::ExitCode;
use std::sync::Arc;

/// What the build compiled from the mapping directory (`opsgenie-port/src/generated.rs`).
#[derive(Clone, Copy)]
pub struct Built {
    /// The compiled mapping (built once, shared).
    pub mapping: fn() -> Arc<Mapping>,
    /// The Opsgenie source schemas it was checked against, `(kind, JSON schema)`.
    pub sources: &'static [(&'static str, &'static str)],
    /// The generated Rust source, for `expand`.
    pub source: &'static str,
}

/// Parses the command line and runs it with the built mapping; the binary's whole `main`.
pub fn main(built: Built) -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    match commands::run(cli, built) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(commands::EXIT_USAGE)
        }
    }
}

/// Help and version go to stdout (exit 0); a wrong command line is one line on stderr with
/// clap's hint, exit status 2.
fn usage_error(error: &clap::Error) -> ExitCode {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(commands::EXIT_USAGE)
        } else {
            ExitCode::SUCCESS
        };
    }
    eprintln!("{}", one_line(&error.render().to_string()));
    ExitCode::from(commands::EXIT_USAGE)
}

/// clap's message (error, its details, tips) on one line, without the usage block.
fn one_line(rendered: &str) -> String {
    let mut message: Vec<&str> = Vec::new();
    let mut tips: Vec<&str> = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        match line.strip_prefix("tip:") {
            Some(tip) => tips.push(tip.trim()),
            None if !line.is_empty() => message.push(line),
            None => {}
        }
    }
    let mut out = message.join(" ");
    if !tips.is_empty() {
        out.push_str(&format!(" ({})", tips.join("; ")));
    }
    out.push_str("; see --help");
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn clap_errors_become_one_line_with_their_tips() {
        let rendered =
            "error: unexpected argument '--detailed' found\n\n  tip: a similar argument \
                        exists: '--detailed-exitcode'\n\nUsage: opsgenie-port plan \
                        --detailed-exitcode\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "error: unexpected argument '--detailed' found (a similar argument exists: \
             '--detailed-exitcode'); see --help"
        );
        let missing = "error: the following required arguments were not provided:\n  --kind \
                       <KIND>\n\nUsage: opsgenie-port map --kind <KIND> [FILE]\n";
        assert_eq!(
            one_line(missing),
            "error: the following required arguments were not provided: --kind <KIND>; see --help"
        );
    }
}
