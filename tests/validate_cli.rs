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
fn hostile_mappings_are_exit_status_1_with_their_diagnostic() {
    // Exponential code generation, and a "billion laughs" of YAML aliases.
    let ifs: String = (0..40)
        .map(|i| format!("(if .id then 1 else 2 end) as $x{i} | "))
        .collect();
    let bomb = format!(
        "resources:\n  - kind: alert\n    selector:\n      query: 'true'\n    port:\n      entity:\n        mappings:\n          identifier: '{ifs}.id'\n          blueprint: '\"opsGenieAlert\"'\n"
    );
    let mut laughs = String::from("x:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        laughs.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    laughs.push_str("resources: []\n");
    let blueprints =
        std::fs::read_to_string("tests/fixtures/broken/three-errors/blueprints.json").unwrap();
    for (name, config, code) in [("bomb", bomb, "E0106"), ("laughs", laughs, "E0001")] {
        let dir = std::env::temp_dir().join(format!(
            "opsgenie-port-validate-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("port-app-config.yaml"), config).unwrap();
        std::fs::write(dir.join("blueprints.json"), &blueprints).unwrap();
        let start = std::time::Instant::now();
        let (status, stdout, stderr) = validate(&[dir.to_str().unwrap()]);
        let elapsed = start.elapsed();
        assert_eq!(status, Some(1), "{name}: {stdout}{stderr}");
        assert!(
            stdout.contains(&format!("error[{code}]")),
            "{name}: {stdout}"
        );
        assert!(
            elapsed < std::time::Duration::from_secs(10),
            "{name}: {elapsed:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
