//! The command line a newcomer meets: every subcommand's `--help` is complete, a wrong flag is
//! one line with a hint and exit status 2, and the exit-status table is printed.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run opsgenie-port")
}

/// The subcommands the top-level help lists.
fn subcommands() -> Vec<String> {
    let out = run(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let commands = text
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("Options:").next())
        .expect("a Commands section");
    commands
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn top_level_help_lists_every_subcommand_and_the_exit_status_table() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let names = subcommands();
    for expected in [
        "validate", "map", "sync", "plan", "serve", "expand", "sim", "demo",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for code in ["  0 ", "  1 ", "  2 ", "  3 ", "  130 "] {
        assert!(
            text.contains(code),
            "exit status {code:?} documented:\n{text}"
        );
    }
}

#[test]
fn every_subcommand_help_has_a_description_examples_and_documented_options() {
    for name in subcommands() {
        let out = run(&[&name, "--help"]);
        assert!(out.status.success(), "{name} --help");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("Usage: opsgenie-port {name}")),
            "{name}: {text}"
        );
        assert!(text.contains("Examples:"), "{name} has examples:\n{text}");
        assert!(
            text.contains(&format!("opsgenie-port {name}")),
            "{name}'s examples use it"
        );
        // Every option is followed by its explanation (on the same line or the next).
        let options = text.split("Options:").nth(1).expect("an Options section");
        let lines: Vec<&str> = options.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            if !trimmed.starts_with('-') {
                continue;
            }
            let same_line = trimmed
                .split("  ")
                .skip(1)
                .any(|part| !part.trim().is_empty());
            let next_line = lines
                .get(i + 1)
                .is_some_and(|next| !next.trim().is_empty() && !next.trim_start().starts_with('-'));
            assert!(
                same_line || next_line,
                "{name}: `{trimmed}` is undocumented"
            );
        }
    }
}

#[test]
fn a_wrong_flag_is_one_line_with_a_hint_and_status_2() {
    for name in subcommands() {
        let out = run(&[&name, "--definitely-not-a-flag"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains("--help"), "{stderr}");
    }
    let out = run(&["plan", "--detailed"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("'--detailed-exitcode'"),
        "did-you-mean: {stderr}"
    );
    let out = run(&["snyc"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("'sync'"), "did-you-mean: {stderr}");
}
