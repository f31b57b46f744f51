//! `opsgenie-port map` on each raw payload of the seed document yields exactly the entity
//! libjq 1.8.2 + Port Ocean's rules give (`conformance/fixtures/seed-golden.jsonl`), and
//! `map --mapping mappings` (the same mapping, compiled at run time and interpreted) prints the
//! same bytes as the compiled `map` on the seed payloads and on 10,000 generated items per kind.

use opsgenie_port_sim::generate::{Account, AlertView, GenSpec};
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

fn map(kind: &str, raw: &str) -> (String, String) {
    map_with(&[], kind, raw)
}

/// `map` with `extra` arguments, `input` on stdin; stdout and stderr (the summary).
fn map_with(extra: &[&str], kind: &str, input: &str) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
        .arg("map")
        .args(extra)
        .args(["--kind", kind])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{input}\n").as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("binary finishes");
    assert!(
        out.status.success(),
        "map failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

#[test]
fn seed_payloads_map_to_golden_entities() {
    let golden = include_str!("../conformance/fixtures/seed-golden.jsonl");
    let mut checked = 0;
    for line in golden.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).expect("golden row");
        let kind = row["kind"].as_str().expect("kind");
        let (stdout, stderr) = map(kind, &row["raw"].to_string());
        let lines: Vec<&str> = stdout.lines().collect();
        match &row["entity"] {
            serde_json::Value::Null => {
                assert!(lines.is_empty(), "{kind}: expected no entity, got {stdout}")
            }
            want => {
                assert_eq!(
                    lines.len(),
                    1,
                    "{kind}: one entity expected, got {stdout}\n{stderr}"
                );
                let got: serde_json::Value = serde_json::from_str(lines[0]).expect("entity JSON");
                assert_eq!(&got, want, "{kind}: entity differs");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn null_fields_are_reported_on_stderr() {
    // The seed alert's `integration` is a string, so `.integration.name` raises in jq: null + note.
    let golden = include_str!("../conformance/fixtures/seed-golden.jsonl");
    let alert = golden
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("row"))
        .find(|r| r["kind"] == "alert")
        .expect("alert row");
    let (_, stderr) = map("alert", &alert["raw"].to_string());
    assert!(stderr.contains("properties.integration"), "{stderr}");
    assert!(stderr.contains("Cannot index string"), "{stderr}");
}

/// Both back ends on the same inputs: byte-identical entities and summaries.
fn assert_same_output(kind: &str, input: &str) -> usize {
    let compiled = map(kind, input);
    let interpreted = map_with(&["--mapping", "mappings"], kind, input);
    assert_eq!(compiled.0, interpreted.0, "{kind}: entities differ");
    assert_eq!(compiled.1, interpreted.1, "{kind}: summaries differ");
    compiled.0.lines().count()
}

#[test]
fn the_interpreted_mapping_prints_what_the_compiled_one_prints() {
    let golden = include_str!("../conformance/fixtures/seed-golden.jsonl");
    for line in golden.lines().filter(|l| !l.trim().is_empty()) {
        let row: Value = serde_json::from_str(line).expect("golden row");
        assert_same_output(row["kind"].as_str().unwrap(), &row["raw"].to_string());
    }

    let account = Account::generate(&GenSpec {
        seed: 9,
        alerts: 10_000,
        incidents: 10_000,
        services: 10_000,
        teams: 40,
        users: 200,
        schedules: 40,
    });
    let teams: Vec<Value> = account
        .teams
        .iter()
        .map(|t| account.team_json(t, true))
        .collect();
    let incidents: Vec<Value> = account
        .incidents
        .iter()
        .map(|i| account.incident_json(i))
        .collect();
    let services: Vec<Value> = account
        .services
        .iter()
        .map(|s| account.service_json(s))
        .collect();
    // Items with the enrichment fields a resync adds (what the mapping reads of them), some
    // missing, so both the values and the nulls are compared.
    let lines = |items: Vec<Value>| -> String {
        items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let alerts: Vec<Value> = account
        .alerts()
        .iter()
        .enumerate()
        .map(|(i, alert)| {
            let mut raw = alert.to_json(AlertView::Get);
            if i % 3 != 0 {
                raw["__relatedIncident"] = incidents[i % incidents.len()].clone();
            }
            raw
        })
        .collect();
    let enriched_incidents: Vec<Value> = incidents
        .iter()
        .enumerate()
        .map(|(i, incident)| {
            let mut raw = incident.clone();
            raw["__impactedServices"] = json!([services[i % services.len()]]);
            raw
        })
        .collect();
    let enriched_services: Vec<Value> = services
        .iter()
        .enumerate()
        .map(|(i, service)| {
            let mut raw = service.clone();
            if i % 4 != 0 {
                raw["__team"] = teams[i % teams.len()].clone();
                raw["__incidents"] = json!([incidents[i % incidents.len()]]);
                raw["__oncalls"] = json!({"onCallRecipients": [format!("user{i}@example.com")]});
            }
            raw
        })
        .collect();
    for (kind, items) in [
        ("alert", alerts),
        ("incident", enriched_incidents),
        ("service", enriched_services),
    ] {
        let count = items.len();
        assert_eq!(count, 10_000);
        let entities = assert_same_output(kind, &lines(items));
        assert!(entities > 9_000, "{kind}: {entities} entities");
    }
}
