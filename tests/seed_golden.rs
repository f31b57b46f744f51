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
    map_run(extra, kind, input, Some(0))
}

/// `map --kind kind` on `input`, expecting exit status `code`.
fn map_status(kind: &str, input: &str, code: Option<i32>) -> (String, String) {
    map_run(&[], kind, input, code)
}

fn map_run(extra: &[&str], kind: &str, input: &str, code: Option<i32>) -> (String, String) {
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
    // Written from another thread: `map` streams, writing entities while it reads.
    let mut stdin = child.stdin.take().expect("stdin");
    let input = format!("{input}\n");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("binary finishes");
    writer.join().unwrap().expect("write stdin");
    assert_eq!(
        out.status.code(),
        code,
        "map: {}",
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

/// The peak resident memory (`VmHWM`) of a running process, in bytes (Linux).
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `map` streams: 48 MiB of alerts (JSON lines, then one JSON array) written to its stdin while
/// it runs, and its peak memory measured before stdin closes, so before it could have read
/// everything. It used to read the whole input first (a 61 MB file took 582 MB).
#[test]
#[cfg(target_os = "linux")]
fn map_streams_its_input_in_bounded_memory() {
    use std::io::Read;
    const INPUT: usize = 48 << 20;
    const LIMIT: u64 = 32 << 20;
    let golden = include_str!("../conformance/fixtures/seed-golden.jsonl");
    let alert = golden
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("row"))
        .find(|r| r["kind"] == "alert")
        .expect("alert row")["raw"]
        .clone();
    for (extra, array) in [(&[][..], false), (&["--mapping", "mappings"][..], true)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
            .arg("map")
            .args(extra)
            .args(["--kind", "alert", "-"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        let mut stdout = child.stdout.take().unwrap();
        let entities = std::thread::spawn(move || {
            let mut text = Vec::new();
            stdout.read_to_end(&mut text).unwrap();
            text.iter().filter(|&&b| b == b'\n').count()
        });
        let mut stdin = std::io::BufWriter::new(child.stdin.take().unwrap());
        let (mut written, mut items) = (0, 0);
        if array {
            stdin.write_all(b"[\n").unwrap();
        }
        let mut raw = alert.clone();
        while written < INPUT {
            raw["id"] = json!(format!("alert-{items}-1700000000000"));
            let mut text = raw.to_string();
            text.push_str(if array { ",\n" } else { "\n" });
            if array && written + text.len() >= INPUT {
                text.replace_range(text.len() - 2.., "\n]\n");
            }
            stdin.write_all(text.as_bytes()).unwrap();
            written += text.len();
            items += 1;
        }
        stdin.flush().unwrap();
        let peak = peak_rss(child.id()).expect("VmHWM");
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(entities.join().unwrap(), items, "{stderr}");
        assert!(
            peak < LIMIT,
            "{extra:?}: {} MiB resident for {} MiB of input",
            peak >> 20,
            INPUT >> 20
        );
    }
}

/// A JSON array of items, pretty-printed documents and JSON lines are the same items: the
/// same entities and summary, from both back ends. Broken items are reported and do not stop
/// the others.
#[test]
fn input_shapes_give_the_same_entities() {
    let account = Account::generate(&GenSpec {
        seed: 3,
        alerts: 200,
        incidents: 10,
        services: 10,
        teams: 4,
        users: 10,
        schedules: 4,
    });
    let alerts: Vec<Value> = account
        .alerts()
        .iter()
        .map(|a| a.to_json(AlertView::Get))
        .collect();
    let lines: Vec<String> = alerts.iter().map(Value::to_string).collect();
    let jsonl = lines.join("\n");
    let want = map("alert", &jsonl);
    assert_eq!(want.0.lines().count(), 200, "{}", want.1);
    let array = format!("[{}]", lines.join(",\n"));
    let pretty: Vec<String> = alerts
        .iter()
        .map(|a| serde_json::to_string_pretty(a).unwrap())
        .collect();
    for input in [array, pretty.join("\n")] {
        assert_eq!(map("alert", &input), want);
        assert_same_output("alert", &input);
    }

    // A broken line among JSON lines, and a broken array element, spoil only themselves.
    let broken = format!("{}\n{{\"id\": \n{}", lines[0], lines[1]);
    let (stdout, stderr) = map_status("alert", &broken, Some(1));
    assert_eq!(stdout.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains("map: 3 input items, 2 entities"),
        "{stderr}"
    );
    assert!(stderr.contains("invalid JSON, item 2:"), "{stderr}");
    let broken = format!("[{}, {{\"id\": }}, {}]", lines[0], lines[1]);
    let (stdout, stderr) = map_status("alert", &broken, Some(1));
    assert_eq!(stdout.lines().count(), 2, "{stderr}");
    assert!(stderr.contains("invalid JSON, item 2:"), "{stderr}");
}

/// Port requires an entity identifier to be a string of its pattern: an item mapped to a number,
/// an array or a string with a space fails with Port's reason, as in a resync (nothing printed
/// for it, exit status 1), from both back ends.
#[test]
fn identifiers_port_refuses_fail_the_item() {
    let golden = include_str!("../conformance/fixtures/seed-golden.jsonl");
    let alert = golden
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("row"))
        .find(|r| r["kind"] == "alert")
        .expect("alert row")["raw"]
        .clone();
    let with_id = |id: Value| {
        let mut raw = alert.clone();
        raw["id"] = id;
        raw.to_string()
    };
    let input = [
        with_id(json!("fine-1700000000000")),
        with_id(json!(42)),
        with_id(json!(["a", "b"])),
        with_id(json!("has space")),
    ]
    .join("\n");
    for extra in [&[][..], &["--mapping", "mappings"][..]] {
        let (stdout, stderr) = map_run(extra, "alert", &input, Some(1));
        let ids: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["identifier"].clone())
            .collect();
        assert_eq!(ids, [json!("fine-1700000000000")], "{stderr}");
        for (item, reason) in [
            (2, "body/identifier must be string"),
            (3, "body/identifier must be string"),
            (4, "body/identifier must match pattern"),
        ] {
            let line = format!("  refused by Port, item {item}: {reason}");
            assert!(stderr.contains(&line), "{extra:?} {line}: {stderr}");
        }
    }
    assert_eq!(
        map_run(&[], "alert", &input, Some(1)),
        map_run(&["--mapping", "mappings"], "alert", &input, Some(1))
    );
}

/// `map … | head`: a reader that stops early is not an error.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    let raw: Value = serde_json::from_str(include_str!("fixtures/opsgenie/alert/seed-alert.json"))
        .expect("seed alert");
    let input: String = (0..50_000)
        .map(|i| {
            let mut alert = raw.clone();
            alert["id"] = json!(format!("alert-{i}"));
            alert.to_string() + "\n"
        })
        .collect();
    let path = std::env::temp_dir().join(format!(
        "opsgenie-port-map-pipe-{}.jsonl",
        std::process::id()
    ));
    std::fs::write(&path, input).expect("input written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
        .args(["map", "--kind", "alert"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    // The reader is gone (dropped above): the next writes find the pipe closed.
    let out = child.wait_with_output().expect("binary finishes");
    let _ = std::fs::remove_file(&path);
    assert!(first.contains("\"identifier\":\"alert-0\""), "{first}");
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
