//! `opsgenie-port sim` runs both simulators standalone and prints the variables that point
//! `sync` at them; following those instructions syncs the account.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn sync_against_the_standalone_simulators() {
    let bin = env!("CARGO_BIN_EXE_opsgenie-port");
    let mut sim = Command::new(bin)
        .args(["sim", "--alerts", "40"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("sim starts");
    let mut env = Vec::new();
    let mut lines = BufReader::new(sim.stdout.take().expect("stdout")).lines();
    for line in lines.by_ref() {
        let line = line.expect("utf-8");
        if let Some(assignment) = line.strip_prefix("export ") {
            let (name, value) = assignment.split_once('=').expect("NAME=value");
            env.push((name.to_string(), value.to_string()));
        }
        if line == "opsgenie-port sync" {
            break;
        }
    }
    assert_eq!(env.len(), 5, "{env:?}");
    // Before the first sync, `plan` lists the Port resources and entities it would create.
    let plan = Command::new(bin)
        .args(["plan", "--detailed-exitcode"])
        .env_remove("RUST_LOG")
        .envs(env.clone())
        .env("OCEAN__INTEGRATION__IDENTIFIER", "sim-cli-test")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("plan runs");
    let text = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(
        plan.status.code(),
        Some(3),
        "{text}\n{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(
        text.contains("would create the integration \"sim-cli-test\""),
        "{text}"
    );
    assert!(
        text.contains(
            "would create the blueprints opsGenieService, opsGenieIncident, opsGenieAlert"
        ),
        "{text}"
    );
    assert!(text.contains("plan complete: "), "{text}");
    assert!(
        text.contains(" 0 to update, 0 to delete, 0 unchanged"),
        "{text}"
    );
    let out = Command::new(bin)
        .arg("sync")
        .env_remove("RUST_LOG")
        .envs(env)
        .env("OCEAN__INTEGRATION__IDENTIFIER", "sim-cli-test")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("sync runs");
    let _ = sim.kill();
    let _ = sim.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("resync completed"), "{stdout}");
}
