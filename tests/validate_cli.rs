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

/// `validate --from-port`: the mapping and blueprints Port holds, checked as a resync would,
/// diagnostics located by field path; exit 1 when a resource would not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_port_checks_the_mapping_port_holds() {
    use opsgenie_port_sim::port::{self, PortSimConfig};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let blueprints: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(root.join("mappings/blueprints.json")).unwrap(),
    )
    .unwrap();
    let built: serde_json::Value = serde_json::from_str(
        &opsgenie_port_compiler::check_dir_builtin(&root.join("mappings")).app_config_json,
    )
    .unwrap();
    let sim = port::start(PortSimConfig {
        blueprints: blueprints
            .into_iter()
            .map(|mut b| {
                // Mirror/aggregation properties point both ways; the check does not need them.
                let fields = b.as_object_mut().unwrap();
                fields.remove("mirrorProperties");
                fields.remove("aggregationProperties");
                b
            })
            .collect(),
        ..PortSimConfig::default()
    })
    .await
    .unwrap();
    let mut broken = built.clone();
    broken["resources"][2]["port"]["entity"]["mappings"]["title"] =
        serde_json::json!(".message | ");
    broken["resources"][0]["port"]["entity"]["mappings"]["properties"]["description"] =
        serde_json::json!(".descriptoin");
    sim.create_integration(serde_json::json!({
        "installationId": "checked", "installationAppType": "opsgenie", "version": "1",
        "config": broken,
    }))
    .unwrap();
    sim.create_integration(serde_json::json!({
        "installationId": "clean", "installationAppType": "opsgenie", "version": "1",
        "config": built,
    }))
    .unwrap();
    let run = |identifier: &'static str, format: &'static str| {
        let (url, id, secret) = (
            sim.base_url(),
            sim.client_id().to_owned(),
            sim.client_secret().to_owned(),
        );
        tokio::task::spawn_blocking(move || {
            let out = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
                .args(["validate", "--from-port", "--format", format])
                .env_clear()
                .envs([
                    ("OCEAN__PORT__BASE_URL", url.as_str()),
                    ("OCEAN__PORT__CLIENT_ID", id.as_str()),
                    ("OCEAN__PORT__CLIENT_SECRET", secret.as_str()),
                    ("OCEAN__INTEGRATION__CONFIG__API_TOKEN", "unused"),
                    ("OCEAN__INTEGRATION__IDENTIFIER", identifier),
                ])
                .current_dir(std::env::temp_dir())
                .output()
                .expect("binary runs");
            (
                out.status.code(),
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8(out.stderr).unwrap(),
            )
        })
    };
    let (code, stdout, stderr) = run("checked", "human").await.unwrap();
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("error[E0100]"), "{stdout}");
    assert!(
        stdout.contains("--> Port mapping: resources[2].port.entity.mappings.title"),
        "{stdout}"
    );
    assert!(stdout.contains("\"title\": \".message | \""), "{stdout}");
    // The unknown field is a warning at run time: its resource still runs.
    assert!(stdout.contains("warning[E0201]"), "{stdout}");
    assert!(
        stdout.contains("1 of 3 resources blocked: resources[2] (alert)"),
        "{stdout}"
    );
    let (code, stdout, _) = run("checked", "json").await.unwrap();
    assert_eq!(code, Some(1));
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert!(
        first["path"].as_str().unwrap().starts_with("resources["),
        "{first}"
    );
    let (code, stdout, stderr) = run("clean", "human").await.unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("is valid"), "{stderr}");
    let (code, _, stderr) = run("missing", "human").await.unwrap();
    assert_eq!(code, Some(2), "{stderr}");
}

/// A hostile mapping gets its diagnostic and exit status 1, quickly.
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

/// A copy of the shipped mapping directory, in a fresh temporary directory, with `change` applied.
fn mapping_copy(name: &str, change: impl FnOnce(&std::path::Path)) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("validate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["port-app-config.yaml", "blueprints.json"] {
        std::fs::copy(root.join("mappings").join(file), dir.join(file)).unwrap();
    }
    change(&dir);
    dir
}

/// A mapping file that is missing or cannot be read is unusable input (exit status 2), for
/// `validate` and for `map --mapping`; the diagnostic says why. A FIFO is not opened (it would
/// block until a writer comes).
#[test]
#[cfg(unix)]
fn unreadable_mapping_files_are_exit_status_2() {
    use std::os::unix::fs::symlink;
    let config = |d: &std::path::Path| d.join("port-app-config.yaml");
    type Change<'a> = Box<dyn FnOnce(&std::path::Path) + 'a>;
    let cases: Vec<(&str, Change<'_>, &str)> = vec![
        (
            "missing",
            Box::new(|d| std::fs::remove_file(config(d)).unwrap()),
            "no port-app-config.yaml in",
        ),
        (
            "folder",
            Box::new(|d| {
                std::fs::remove_file(config(d)).unwrap();
                std::fs::create_dir(config(d)).unwrap();
            }),
            "it is a directory",
        ),
        (
            "fifo",
            Box::new(|d| {
                std::fs::remove_file(config(d)).unwrap();
                let made = Command::new("mkfifo").arg(config(d)).status().unwrap();
                assert!(made.success());
            }),
            "it is not a regular file",
        ),
        (
            "loop",
            Box::new(|d| {
                std::fs::remove_file(config(d)).unwrap();
                symlink(d.join("a"), config(d)).unwrap();
                symlink(d.join("b"), d.join("a")).unwrap();
                symlink(d.join("a"), d.join("b")).unwrap();
            }),
            "Too many levels of symbolic links",
        ),
        (
            "blueprints",
            Box::new(|d| std::fs::remove_file(d.join("blueprints.json")).unwrap()),
            "no blueprints.json in",
        ),
    ];
    for (name, change, reason) in cases {
        let dir = mapping_copy(name, change);
        let dir_arg = dir.to_str().unwrap();
        let (code, stdout, stderr) = validate(&[dir_arg]);
        assert_eq!(code, Some(2), "{name}: {stdout}{stderr}");
        assert!(
            stdout.contains("error[E0008]") && stdout.contains(reason),
            "{name}: {stdout}"
        );
        let map = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
            .args(["map", "--mapping", dir_arg, "--kind", "alert", "/dev/null"])
            .output()
            .unwrap();
        assert_eq!(map.status.code(), Some(2), "{name}: map --mapping");
    }
}

/// A 50 MB mapping file is refused (E0001, exit status 1: the mapping is wrong, not
/// unreadable) after reading its first line only: at once.
#[test]
fn a_huge_mapping_file_is_refused_without_being_read() {
    let dir = mapping_copy("huge", |d| {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(d.join("port-app-config.yaml"))
            .unwrap();
        file.set_len(50 << 20).unwrap();
    });
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = validate(&[dir.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("error[E0001]: YAML file is too large (52428800 bytes)"),
        "{stdout}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
