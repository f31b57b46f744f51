//! Parser tests: offsets of errors, literals, projections, and the two readers agreeing.

use super::*;
use crate::json::tojson_string;

fn round_trip(text: &str) -> String {
    tojson_string(&parse_json(text.as_bytes()).unwrap())
}

#[test]
fn parses_and_keeps_literals() {
    assert_eq!(
        round_trip(r#" {"a": [1, 1.0, 1.50, -0, 1e-07, 12345678909876543212345], "b": null} "#),
        r#"{"a":[1,1.0,1.50,-0,1E-7,12345678909876543212345],"b":null}"#
    );
    assert_eq!(
        round_trip(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#),
        "\"a\\\"\\\\/\\b\\f\\n\\r\\té😀\""
    );
    assert_eq!(round_trip(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    assert_eq!(round_trip(r#""\ud800x""#), "\"\u{FFFD}x\"");
    assert_eq!(round_trip("\u{feff} [1]"), "[1]");
}

#[test]
fn ocean_numbers_pass_through_python() {
    let v = parse_json_ocean(br#"[1.50, 1E5, -0, 3.0, 12345678909876543212345, 1e-07]"#).unwrap();
    assert_eq!(
        tojson_string(&v),
        "[1.5,100000.0,0,3.0,12345678909876543212345,1E-7]"
    );
    let p = Projection::some(vec![("a", Projection::ALL)], None);
    let v = parse_json_projected_ocean(br#"{"a":2.50,"b":1}"#, &p).unwrap();
    assert_eq!(tojson_string(&v), r#"{"a":2.5}"#);
}

#[test]
fn rejects_bad_json_with_offsets() {
    for (text, offset) in [
        ("", 0),
        ("[1,]", 3),
        ("{\"a\" 1}", 5),
        ("01", 1),
        ("1.", 2),
        ("[1 2]", 3),
        ("\"abc", 4),
        ("\"a\u{1}\"", 2),
        ("nul", 0),
        ("{1:2}", 1),
        ("true false", 5),
        ("\"\\x\"", 2),
        ("-", 1),
    ] {
        let err = parse_json(text.as_bytes()).unwrap_err();
        assert_eq!(err.offset, offset, "{text:?}: {err}");
    }
    // The deepest accepted document parses, prints and compares without
    // exhausting a test thread's stack.
    let ok = format!(
        "{}{}",
        "[".repeat(MAX_PARSING_DEPTH),
        "]".repeat(MAX_PARSING_DEPTH)
    );
    let v = parse_json(ok.as_bytes()).unwrap();
    assert_eq!(tojson_string(&v), ok);
    assert!(crate::compare(&v, &v.clone()).is_eq() && v == v.clone());
    let deep = "[".repeat(MAX_PARSING_DEPTH + 1);
    assert!(parse_json(deep.as_bytes())
        .unwrap_err()
        .message
        .contains("depth"));
}

/// The recursive descent and the iterative machine agree on every document: same values,
/// same errors at the same offsets (random token soups and mutated documents).
#[test]
fn recursive_and_iterative_readers_agree() {
    const TOKENS: &[&str] = &[
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        "\"a\"",
        "\"b\"",
        "\"\\u00e9\\n\"",
        "1",
        "-2.50",
        "1e999",
        "null",
        "true",
        "fals",
        "\"x",
        " ",
        "01",
        "\"\\q\"",
        "\u{1}",
    ];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let team = Projection::some(vec![("a", Projection::ALL)], None);
    let projections = [
        Projection::ALL,
        Projection::some(
            vec![("a", Projection::ALL), ("b", team.clone())],
            Some(team),
        ),
    ];
    let mut accepted = 0;
    for case in 0..4_000 {
        let mut doc = String::new();
        if case % 2 == 0 {
            for _ in 0..next(40) {
                doc.push_str(TOKENS[next(TOKENS.len())]);
            }
        } else {
            // Well-formed nesting around a token, sometimes cut short.
            let mut closers = Vec::new();
            for _ in 0..next(8) {
                let array = next(2) == 0;
                doc.push_str(if array { "[1," } else { "{\"b\":[],\"a\":" });
                closers.push(if array { "]" } else { "}" });
            }
            doc.push_str(TOKENS[6 + next(8)]);
            let cut = next(closers.len() + 1) / 4;
            for closer in closers.iter().rev().skip(cut) {
                doc.push_str(closer);
            }
        }
        for projection in &projections {
            let mode = Mode::of(projection);
            let recursive = parse_with_recursion(doc.as_bytes(), false, mode, RECURSION);
            let iterative = parse_with_recursion(doc.as_bytes(), false, mode, 0);
            accepted += usize::from(recursive.is_ok());
            assert_eq!(recursive, iterative, "{doc:?}");
        }
    }
    assert!(accepted > 1_000, "{accepted}");
}

#[test]
fn projection_keeps_selected_fields_and_validates_the_rest() {
    let team = Projection::some(vec![("name", Projection::ALL)], None);
    let root = Projection::some(
        vec![
            ("id", Projection::ALL),
            ("teams", Projection::some(vec![], Some(team))),
            ("tags", Projection::some(vec![], None)),
        ],
        None,
    );
    let text = br#"{"id":"x","skip":{"deep":[1,{"k":"v"}]},"teams":[{"name":"a","id":1},5],"tags":["p","q"]}"#;
    let v = parse_json_projected(text, &root).unwrap();
    assert_eq!(
        tojson_string(&v),
        r#"{"id":"x","teams":[{"name":"a"},5],"tags":[null,null]}"#
    );
    let bad = br#"{"id":"x","skip":{"deep":[1,}}"#;
    assert!(parse_json_projected(bad, &root).is_err());
}
