//! JSON parse/write round trips over every input of the Ocean fixture.

use super::super::*;
use super::fixture;

/// JSON equality with numbers compared by value (`3` equals `3.0`).
pub(super) fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| same_json(p, q)))
        }
        _ => a == b,
    }
}

#[test]
fn ocean_inputs_round_trip() {
    let text = fixture("ocean-expressions.jsonl");
    let mut count = 0;
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = record["id"].as_str().unwrap_or("?");
        let input = &record["input"];
        // serde_json's compact text is valid JSON that we must accept.
        let serde_text = serde_json::to_string(input).unwrap();
        let parsed =
            parse_json(serde_text.as_bytes()).unwrap_or_else(|e| panic!("{id}: parse failed: {e}"));
        // Same value as the serde conversion, and back to the same serde value.
        assert_eq!(parsed, Value::from_serde(input), "{id}");
        assert!(same_json(&parsed.to_serde(), input), "{id}");
        // Our writer's text parses back to an equal value and is a fixed point.
        let written = tojson_string(&parsed);
        let reparsed = parse_json(written.as_bytes())
            .unwrap_or_else(|e| panic!("{id}: reparse of {written} failed: {e}"));
        assert_eq!(reparsed, parsed, "{id}");
        assert_eq!(tojson_string(&reparsed), written, "{id}");
        // Port's writer produces JSON serde_json reads as the same value.
        let mut port = Vec::new();
        write_port_json(&parsed, &mut port);
        let back: serde_json::Value = serde_json::from_slice(&port).unwrap();
        assert!(same_json(&back, input), "{id}");
        count += 1;
    }
    assert!(count > 9_000, "only {count} inputs");
}

#[test]
fn fixture_lines_parse_like_serde() {
    // Whole fixture lines exercise escapes, unicode and nesting.
    let text = fixture("ocean-expressions.jsonl");
    for line in text.lines().take(2_000) {
        let ours = parse_json(line.as_bytes()).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(same_json(&ours.to_serde(), &theirs), "{line}");
    }
}

#[test]
fn literal_text_survives_round_trip() {
    for text in [
        "3.0",
        "1e-07",
        "1.50",
        "-0",
        "12345678909876543212345",
        "[1.0,{\"a\":2.50}]",
    ] {
        let v = parse_json(text.as_bytes()).unwrap();
        let again = parse_json(tojson_string(&v).as_bytes()).unwrap();
        assert_eq!(tojson_string(&again), tojson_string(&v), "{text}");
    }
    assert_eq!(tojson_string(&parse_json(b"3.0").unwrap()), "3.0");
    assert_eq!(tojson_string(&parse_json(b"1e-07").unwrap()), "1E-7");
}
