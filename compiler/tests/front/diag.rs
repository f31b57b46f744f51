//! Diagnostic renderers: rustc-style text, JSON lines, GitHub annotations.

use opsgenie_port_compiler::diag::{
    render_all_human, render_github, render_human, render_json, Diagnostic, Diagnostics,
    MAX_DIAGNOSTICS,
};
use opsgenie_port_compiler::source::{FileId, SourceMap, Span};

fn yaml_map() -> (SourceMap, FileId) {
    let mut sm = SourceMap::new();
    let mut text = String::new();
    for i in 1..=11 {
        text.push_str(&format!("# line {i}\n"));
    }
    text.push_str("          title: .mesage\n");
    text.push_str("\tdescription: .é + .x\n");
    text.push_str("          multi: >-\n            .a\n            | .b\n");
    let f = sm.add("mappings/port-app-config.yaml", text);
    (sm, f)
}

/// The span of the first occurrence of `needle` in the file.
fn find(sm: &SourceMap, f: FileId, needle: &str) -> Span {
    let start = sm.text(f).find(needle).expect("needle in text");
    Span::new(f, start, start + needle.len())
}

#[test]
fn human_rendering_matches_rustc_style() {
    let (sm, f) = yaml_map();
    let d = Diagnostic::error("E0201", "`alert` has no field `mesage`")
        .with_primary(find(&sm, f, ".mesage"), "unknown field")
        .with_help("did you mean `message`?");
    let expected = "\
error[E0201]: `alert` has no field `mesage`
  --> mappings/port-app-config.yaml:12:18
   |
12 |           title: .mesage
   |                  ^^^^^^^ unknown field
   |
   = help: did you mean `message`?
";
    assert_eq!(render_human(&d, &sm), expected);
}

#[test]
fn tabs_unicode_secondary_labels_and_notes() {
    let (sm, f) = yaml_map();
    let d = Diagnostic::warning("E0400", "may be null")
        .with_primary(find(&sm, f, ".x"), "")
        .with_secondary(find(&sm, f, ".é"), "this one too")
        .with_secondary(find(&sm, f, ".mesage"), "earlier")
        .with_note("first note")
        .with_help("two\nlines");
    // The tab shows as 4 columns in the snippet (1 in the column number); `é` is one column.
    let expected = "\
warning[E0400]: may be null
  --> mappings/port-app-config.yaml:13:20
   |
12 |           title: .mesage
   |                  ------- earlier
13 |     description: .é + .x
   |                       ^^
   |                  -- this one too
   |
   = note: first note
   = help: two
     lines
";
    assert_eq!(render_human(&d, &sm), expected);
}

#[test]
fn multi_line_spans_underline_the_first_line() {
    let (sm, f) = yaml_map();
    let span = find(&sm, f, ".a\n            | .b");
    let d = Diagnostic::error("E0100", "bad").with_primary(span, "here");
    let expected = "\
error[E0100]: bad
  --> mappings/port-app-config.yaml:15:13
   |
15 |             .a
   |             ^^ here (continues to line 16)
";
    assert_eq!(render_human(&d, &sm), expected);
}

#[test]
fn labels_in_other_files_and_no_span() {
    let (mut sm, f) = yaml_map();
    let g = sm.add(
        "blueprints.json",
        "[\n  {\"identifier\": \"x\"}\n]\n".to_string(),
    );
    let d = Diagnostic::error("E0301", "unknown blueprint")
        .with_primary(find(&sm, f, ".mesage"), "")
        .with_secondary(find(&sm, g, "\"x\""), "defined here");
    let text = render_human(&d, &sm);
    assert!(
        text.contains("  --> mappings/port-app-config.yaml:12:18\n"),
        "{text}"
    );
    assert!(text.contains("  ::: blueprints.json:2:18\n"), "{text}");
    assert!(text.contains(" 2 |   {\"identifier\": \"x\"}\n"), "{text}");
    assert!(
        text.contains("   |                  --- defined here\n"),
        "{text}"
    );

    let bare = Diagnostic::error("E0008", "no port-app-config.yaml in `x`").with_help("add one");
    assert_eq!(
        render_human(&bare, &sm),
        "error[E0008]: no port-app-config.yaml in `x`\n  = help: add one\n"
    );
}

#[test]
fn summary_line_counts_errors_and_warnings() {
    let (sm, _) = yaml_map();
    let e = Diagnostic::error("E0001", "a");
    let w = Diagnostic::warning("E0009", "b");
    let all = render_all_human(&[e.clone(), e.clone(), w.clone()], &sm);
    assert!(all.ends_with(
        "error: could not compile mappings due to 2 previous errors; 1 warning emitted\n"
    ));
    assert!(render_all_human(std::slice::from_ref(&e), &sm).ends_with("due to 1 previous error\n"));
    assert!(render_all_human(&[w.clone(), w], &sm).ends_with("warning: 2 warnings emitted\n"));
    assert_eq!(render_all_human(&[], &sm), "");
}

#[test]
fn json_lines() {
    let (sm, f) = yaml_map();
    let ds = [
        Diagnostic::error("E0201", "no field \"mesage\"")
            .with_primary(find(&sm, f, ".mesage"), "unknown field")
            .with_help("did you mean `message`?"),
        Diagnostic::warning("E0009", "nothing"),
        Diagnostic::error("E0100", "multi").with_primary(find(&sm, f, ".a\n            | .b"), ""),
    ];
    let out = render_json(&ds, &sm);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        serde_json::json!({
            "code": "E0201", "severity": "error", "message": "no field \"mesage\"",
            "file": "mappings/port-app-config.yaml", "line": 12, "column": 18,
            "endLine": 12, "endColumn": 24, "help": ["did you mean `message`?"], "notes": []
        })
    );
    assert_eq!(lines[1]["severity"], "warning");
    assert!(lines[1]["file"].is_null() && lines[1]["line"].is_null());
    assert_eq!(
        (lines[2]["line"].as_u64(), lines[2]["endLine"].as_u64()),
        (Some(15), Some(16))
    );
    assert_eq!(lines[2]["endColumn"], 16);
}

#[test]
fn github_annotations_escape_data_and_properties() {
    let mut sm = SourceMap::new();
    let f = sm.add("dir,with:odd%/map.yaml", "a: 1\nb: .x\n".to_string());
    let d = Diagnostic::error("E0201", "50% wrong\r\nsecond line")
        .with_primary(Span::new(f, 8, 10), "")
        .with_help("try `.y`");
    let w = Diagnostic::warning("E0009", "no resources");
    assert_eq!(
        render_github(&[d, w], &sm),
        "::error file=dir%2Cwith%3Aodd%25/map.yaml,line=2,col=4,endLine=2,endColumn=5,title=E0201::50%25 wrong%0D%0Asecond line%0Ahelp: try `.y`\n\
         ::warning title=E0009::no resources\n"
    );
}

/// A virtual file serialised from Port: the object `{"a": {"b": "x + .mesage"}}` with its
/// field paths named by hand (`compile_port` names them from the parsed JSON).
fn port_map() -> (SourceMap, FileId) {
    use opsgenie_port_compiler::source::FieldPath;
    let mut sm = SourceMap::new();
    let text = "{\n  \"a\": {\n    \"b\": \"x + .mesage\"\n  }\n}".to_string();
    let f = sm.add_port("Port mapping", text);
    let region = |sm: &SourceMap, needle: &str, path: &str| {
        let s = find(sm, f, needle);
        FieldPath {
            start: s.start,
            end: s.end,
            origin: "Port mapping".into(),
            path: path.into(),
        }
    };
    let paths = vec![
        region(&sm, "{\n  \"a\": {\n    \"b\": \"x + .mesage\"\n  }\n}", ""),
        region(&sm, "{\n    \"b\": \"x + .mesage\"\n  }", "a"),
        region(&sm, "\"x + .mesage\"", "a.b"),
    ];
    sm.set_field_paths(f, paths);
    (sm, f)
}

#[test]
fn port_files_render_field_paths_without_line_numbers() {
    let (sm, f) = port_map();
    let d = Diagnostic::warning("E0201", "`alert` has no field `mesage`")
        .with_primary(find(&sm, f, ".mesage"), "unknown field")
        .with_secondary(find(&sm, f, "{\n    \"b\""), "in here");
    let expected = "\
warning[E0201]: `alert` has no field `mesage`
  --> Port mapping: a.b
   |
   |   \"a\": {
   |        - in here (Port mapping: a)
   |     \"b\": \"x + .mesage\"
   |               ^^^^^^^ unknown field
";
    assert_eq!(render_human(&d, &sm), expected);

    let json: serde_json::Value =
        serde_json::from_str(render_json(std::slice::from_ref(&d), &sm).trim()).unwrap();
    assert_eq!(
        (&json["origin"], &json["path"], &json["excerpt"]),
        (&"Port mapping".into(), &"a.b".into(), &".mesage".into())
    );
    assert!(json["file"].is_null() && json["line"].is_null());
    assert_eq!(
        render_github(&[d], &sm),
        "::warning title=E0201 at Port mapping%3A a.b::`alert` has no field `mesage`%0A\"b\": \"x + .mesage\"%0A          ^^^^^^^ unknown field\n"
    );
}

#[test]
fn long_lines_are_cut_around_the_underline() {
    let mut sm = SourceMap::new();
    let line = "a".repeat(5000) + "é" + &"b".repeat(5000);
    let f = sm.add("blueprints.json", format!("{line}\n"));
    let at = line.find('é').unwrap();
    let d = Diagnostic::error("E0005", "wrong").with_primary(Span::new(f, at, at + 2), "this");
    let text = render_human(&d, &sm);
    let rows: Vec<&str> = text.lines().collect();
    // `1 | ...aaaé bbb...`, then the caret under the `é`.
    let shown = rows[3];
    assert!(
        shown.starts_with("1 | ...a") && shown.ends_with("b..."),
        "{shown}"
    );
    assert!(shown.chars().count() < 450, "{shown}");
    let caret = rows[4].chars().position(|c| c == '^').unwrap();
    assert_eq!(shown.chars().nth(caret), Some('é'), "{text}");
}

#[test]
fn diagnostics_past_the_cap_are_counted() {
    let mut ds = Diagnostics::new();
    for _ in 0..MAX_DIAGNOSTICS {
        ds.push(Diagnostic::warning("E0009", "w"));
    }
    ds.push(Diagnostic::error("E0005", "e"));
    ds.push(Diagnostic::warning("E0009", "w"));
    assert!(ds.has_errors());
    assert_eq!((ds.error_count(), ds.len()), (1, MAX_DIAGNOSTICS + 2));
    let all = ds.into_vec();
    assert_eq!(all.len(), MAX_DIAGNOSTICS + 1);
    let last = all.last().unwrap();
    assert_eq!((last.code, last.is_error()), ("E0011", true));
    assert!(
        last.message
            .contains("1 more error(s) and 1 more warning(s)"),
        "{}",
        last.message
    );
}
