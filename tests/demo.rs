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
    // "6. Catalog: N entities" and one "<blueprint> <count>" line per blueprint after it.
    let total: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("6. Catalog: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("catalog line in the summary");
    assert_eq!(entities.len(), total);
    let section = stdout.split("6. Catalog:").nth(1).expect("catalog section");
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
    // The plan announced every entity the resync created.
    let planned: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("plan complete: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("plan line in the summary");
    let step = |n: &str| -> &str {
        let from = stdout.find(&format!("\n{n}. ")).expect("step") + 1;
        let rest = &stdout[from..];
        rest.find("\n\n").map_or(rest, |end| &rest[..end])
    };
    let created: usize = changes(step("3")).iter().map(|(_, c, _, _)| c).sum();
    assert_eq!(planned, created, "{stdout}");
    // The mapping edited in Port ran: only open alerts remain, each with the new property and
    // the lower-cased priority.
    assert!(
        step("5").contains("the mapping held in Port (interpreted) runs"),
        "{stdout}"
    );
    assert!(step("5").contains("with the edited mapping in"), "{stdout}");
    let alerts = changes(step("5"));
    let (_, _, updated, deleted) = alerts
        .iter()
        .find(|(bp, ..)| bp == "opsGenieAlert")
        .expect("alert changes");
    assert!(*updated > 0 && *deleted > 0, "{stdout}");
    for alert in entities
        .iter()
        .filter(|e| e["blueprint"] == "opsGenieAlert")
    {
        let properties = &alert["properties"];
        assert_eq!(properties["status"], "open", "{alert}");
        assert!(properties["tinyId"].is_string(), "{alert}");
        let priority = properties["priority"].as_str().unwrap();
        assert_eq!(priority, priority.to_lowercase(), "{alert}");
    }
    assert!(stdout.contains("4. 3 webhook events"), "{stdout}");
    // The sample alert (open) is in the catalog.
    assert!(entities
        .iter()
        .any(|e| e["title"] == "Login Auth not working"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The rows of a step's "blueprint created updated deleted" table.
fn changes(step: &str) -> Vec<(String, usize, usize, usize)> {
    step.lines()
        .skip_while(|l| !l.trim_start().starts_with("blueprint ") || !l.contains("created"))
        .skip(1)
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            match parts[..] {
                [bp, c, u, d] => Some((
                    bp.to_owned(),
                    c.parse().ok()?,
                    u.parse().ok()?,
                    d.parse().ok()?,
                )),
                _ => None,
            }
        })
        .collect()
}
