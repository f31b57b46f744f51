//! `opsgenie-port map` on each raw payload of the seed document yields exactly the entity
//! libjq 1.8.2 + Port Ocean's rules give (`conformance/fixtures/seed-golden.jsonl`).

use std::io::Write;
use std::process::{Command, Stdio};

fn map(kind: &str, raw: &str) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
        .args(["map", "--kind", kind])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{raw}\n").as_bytes())
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
