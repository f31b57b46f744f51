//! The README's first command: `opsgenie-port demo` prints a summary and writes a catalog whose
//! entity counts match it.

use std::process::Command;

#[test]
fn demo_writes_the_catalog_it_summarises() {
    let dir = std::env::temp_dir().join(format!("opsgenie-port-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let catalog = dir.join("catalog.json");
    let out = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
        .args(["demo", "--alerts", "120", "--output"])
        .arg(&catalog)
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("resync completed"), "{stdout}");

    let entities: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&catalog).expect("catalog written"))
            .expect("JSON");
    // "5. Catalog: N entities" and one "<blueprint> <count>" line per blueprint after it.
    let total: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("5. Catalog: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("catalog line in the summary");
    assert_eq!(entities.len(), total);
    let section = stdout.split("5. Catalog:").nth(1).expect("catalog section");
    for line in section
        .lines()
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("API calls"))
    {
        let mut parts = line.split_whitespace();
        let (Some(bp), Some(n)) = (parts.next(), parts.next()) else {
            continue;
        };
        let n: usize = n.parse().expect("count");
        let actual = entities.iter().filter(|e| e["blueprint"] == bp).count();
        assert_eq!(actual, n, "{bp}");
    }
    // The plan announced every entity the resync created; the webhook phase then deleted one.
    let planned: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("plan complete: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("plan line in the summary");
    assert_eq!(planned, total + 1, "{stdout}");
    // The sample alert is in the catalog.
    assert!(stdout.contains("4. 3 webhook events"), "{stdout}");
    assert!(entities
        .iter()
        .any(|e| e["title"] == "Login Auth not working"));
    let _ = std::fs::remove_dir_all(&dir);
}
