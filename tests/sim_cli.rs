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

/// Kills the child when the test ends, passed or failed (a panic must not leave it running).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 exchange on loopback (`Connection: close`): the status and the body.
fn http(base: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    use std::io::{Read, Write};
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

/// The sample alert's entity as the Port simulator holds it (`None` until written).
fn sample_alert_entity(port: &str) -> Option<serde_json::Value> {
    let (_, state) = http(port, "GET", "/_sim/state", &[]);
    let state: serde_json::Value = serde_json::from_str(&state).ok()?;
    state["entities"].as_array()?.iter().find_map(|e| {
        (e["identifier"] == opsgenie_port_sim::generate::SAMPLE_ALERT_ID)
            .then(|| e["entity"].clone())
    })
}

/// The walk-through with nothing but the two binaries and HTTP calls: `sim` posts the
/// Opsgenie webhook events of alert actions to `serve`, which updates Port.
#[test]
fn an_alert_closed_through_the_simulators_alert_api_is_closed_in_port_by_serve() {
    let bin = env!("CARGO_BIN_EXE_opsgenie-port");
    // serve's port, chosen by the OS, is needed before either starts (sim posts to it).
    let serve_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let webhook = format!("http://127.0.0.1:{serve_port}/integration/webhook");
    let mut sim = Running(
        Command::new(bin)
            .args(["sim", "--alerts", "40", "--webhook-url", &webhook])
            .stdout(Stdio::piped())
            .spawn()
            .expect("sim starts"),
    );
    let mut env = std::collections::HashMap::new();
    for line in BufReader::new(sim.0.stdout.take().expect("stdout")).lines() {
        let line = line.expect("utf-8");
        if let Some((name, value)) = line.strip_prefix("export ").and_then(|a| a.split_once('=')) {
            env.insert(name.to_string(), value.to_string());
        }
        if line == "opsgenie-port sync" {
            break;
        }
    }
    let port = env["OCEAN__PORT__BASE_URL"].clone();
    let opsgenie = env["OCEAN__INTEGRATION__CONFIG__API_URL"].clone();
    let key = env["OCEAN__INTEGRATION__CONFIG__API_TOKEN"].clone();
    let _serve = Running(
        Command::new(bin)
            .arg("serve")
            .env_remove("RUST_LOG")
            .envs(&env)
            .env("OCEAN__INTEGRATION__IDENTIFIER", "sim-webhook-test")
            .env("APPLICATION__PORT", serve_port.to_string())
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts"),
    );
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    // serve resyncs at its first start: the open sample alert reaches Port.
    wait_for("the first resync", &|| {
        sample_alert_entity(&port).is_some_and(|e| e["properties"]["status"] == "open")
    });
    let (status, accepted) = http(
        &opsgenie,
        "POST",
        &format!(
            "/v2/alerts/{}/close",
            opsgenie_port_sim::generate::SAMPLE_ALERT_ID
        ),
        &[("Authorization", &format!("GenieKey {key}"))],
    );
    assert_eq!(status, 202, "{accepted}");
    wait_for("the Close event applied", &|| {
        sample_alert_entity(&port).is_some_and(|e| e["properties"]["status"] == "closed")
    });
}

#[test]
fn sim_refuses_knobs_out_of_range() {
    let bin = env!("CARGO_BIN_EXE_opsgenie-port");
    for args in [
        &["sim", "--error-rate", "1.5"][..],
        &["sim", "--port-rate", "0"],
        &["sim", "--webhook-url", "ftp://example/hook"],
    ] {
        let out = Command::new(bin).args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty(), "{args:?}");
    }
}
