//! `opsgenie-port validate`: exit codes and the three output formats.

use std::process::Command;

fn validate(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
        .arg("validate")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

#[test]
fn shipped_mapping_sets_are_valid() {
    for dir in ["mappings", "mappings/ocean-2026"] {
        let (code, stdout, stderr) = validate(&[dir]);
        assert_eq!(code, Some(0), "{dir}: {stdout}{stderr}");
    }
}

#[test]
fn github_format_gives_one_annotation_per_error_with_positions() {
    let (code, stdout, _) = validate(&["tests/fixtures/broken/three-errors", "--format", "github"]);
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let file = "file=tests/fixtures/broken/three-errors/port-app-config.yaml";
    // `.mesage` (line 10, the dot at column 18), `.message` into a number (line 14, col 20),
    // `priorty` not a property (line 15, col 13).
    for (line, col, code) in [(10, 18, "E0201"), (14, 20, "E0303"), (15, 13, "E0301")] {
        let want = format!("{file},line={line},col={col}");
        assert!(
            lines.iter().any(|l| l.contains(&want) && l.contains(code)),
            "missing {want} {code} in:\n{stdout}"
        );
    }
}

#[test]
fn json_format_is_one_object_per_line() {
    let (code, stdout, _) = validate(&["tests/fixtures/broken/three-errors", "--format", "json"]);
    assert_eq!(code, Some(1));
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(rows
        .iter()
        .all(|r| r["severity"] == "error" && r["line"].is_number()));
}

#[test]
fn missing_directory_is_exit_status_2() {
    let (code, _, stderr) = validate(&["no/such/dir"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not a directory"), "{stderr}");
}

#[test]
fn explain_prints_a_code_and_its_run_time_effect() {
    let (code, stdout, _) = validate(&["--explain", "E0201"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("E0201: field the Opsgenie object does not have"),
        "{stdout}"
    );
    assert!(
        stdout.contains("it is a warning: the mapping runs"),
        "{stdout}"
    );
    let (code, stdout, _) = validate(&["--explain", "E0100"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("the resource does not run"), "{stdout}");
    let (code, _, stderr) = validate(&["--explain", "E9999"]);
    assert_eq!(code, Some(2), "{stderr}");
}

/// The README's table of run-time diagnostics is the table of codes. `BLESS=1` rewrites it.
#[test]
fn readme_lists_every_code_with_its_run_time_effect() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README");
    let (start, end) = (
        "<!-- run-time-diagnostics -->\n",
        "<!-- /run-time-diagnostics -->",
    );
    let from = readme.find(start).expect("start marker") + start.len();
    let to = readme.find(end).expect("end marker");
    let table = opsgenie_port_compiler::diag::codes::markdown_table();
    if std::env::var_os("BLESS").is_some() {
        let updated = format!("{}{table}{}", &readme[..from], &readme[to..]);
        std::fs::write(&path, updated).expect("README written");
        return;
    }
    assert_eq!(
        &readme[from..to],
        table,
        "run with BLESS=1 to update the README"
    );
}
