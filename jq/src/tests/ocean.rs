//! Ocean fixture cases whose program is a plain path (`.a.b`, `.["k"]`, `[0]`),
//! optionally piped into `tostring` or `length`, evaluated with our operators
//! and compared with libjq 1.8.2's first output or error.

use super::super::*;
use super::fixture;

enum Step {
    Field(String),
    Index(f64),
}

/// Parses `.a.b["c"][0]`-style paths; `None` for anything else.
fn parse_path(text: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(".[\"") {
            let end = r.find("\"]")?;
            steps.push(Step::Field(r[..end].to_string()));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            steps.push(Step::Field(name.to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            steps.push(Step::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    (!steps.is_empty()).then_some(steps)
}

fn run(steps: &[Step], then: Option<&str>, input: &Value) -> R<Value> {
    let mut v = input.clone();
    for step in steps {
        v = match step {
            Step::Field(name) => index_field(&v, name)?,
            Step::Index(i) => index(&v, &Value::number(*i))?,
        };
    }
    match then {
        Some("tostring") => tostring(&v),
        Some("length") => length(&v),
        _ => Ok(v),
    }
}

/// What jq.py hands to Python, as serde_json sees it.
fn as_python(v: &Value) -> serde_json::Value {
    let mut out = Vec::new();
    write_port_json(v, &mut out);
    serde_json::from_slice(&out).unwrap()
}

fn same_number_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_number_json(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| same_number_json(p, q)))
        }
        _ => a == b,
    }
}

#[test]
fn plain_path_cases_match_libjq() {
    let text = fixture("ocean-expressions.jsonl");
    let (mut checked, mut errors) = (0, 0);
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let program = record["program"].as_str().unwrap().trim();
        let (path, then) = match program.split_once('|') {
            Some((p, f)) => (p.trim(), Some(f.trim())),
            None => (program, None),
        };
        if !matches!(then, None | Some("tostring") | Some("length")) {
            continue;
        }
        let Some(steps) = parse_path(path) else {
            continue;
        };
        // Our parser keeps the input's number literals as jq saw them.
        let ours = parse_json(line.as_bytes()).unwrap();
        let input = index_field(&ours, "input").unwrap();
        // Fixture inputs already went through Python, so Ocean-style parsing
        // must not change them.
        let input_text = tojson_string(&input);
        let via_python = parse_json_ocean(input_text.as_bytes()).unwrap();
        assert_eq!(tojson_string(&via_python), input_text);
        let id = record["id"].as_str().unwrap();
        let expect = &record["expect"];
        match run(&steps, then, &input) {
            Ok(v) => {
                let want = expect
                    .get("value")
                    .unwrap_or_else(|| panic!("{id}: {program}: expected {expect}, got {v:?}"));
                assert!(
                    same_number_json(&as_python(&v), want),
                    "{id}: {program}: got {v:?}, want {want}"
                );
            }
            Err(e) => {
                assert_eq!(
                    Some(e.message().as_str()),
                    expect["error"].as_str(),
                    "{id}: {program}"
                );
                errors += 1;
            }
        }
        checked += 1;
    }
    eprintln!("ocean plain paths: {checked} cases, {errors} errors");
    assert!(
        checked > 6_000 && errors > 100,
        "{checked} cases, {errors} errors"
    );
}
