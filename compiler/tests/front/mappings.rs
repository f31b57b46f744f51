//! The shipped mapping sets load without any diagnostic.

use opsgenie_port_compiler::diag::{render_all_human, Diagnostics};
use opsgenie_port_compiler::inputs::mapdir::load_mapping_dir;
use std::path::Path;

fn mappings() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../mappings"))
}

fn assert_clean(dir: &Path) {
    let mut diags = Diagnostics::new();
    let loaded = load_mapping_dir(dir, &mappings().join("sources"), &mut diags);
    let shown = render_all_human(diags.as_slice(), &loaded.sm);
    assert!(diags.is_empty(), "{}:\n{shown}", dir.display());
    let config = loaded.config.expect("config loaded");
    assert!(!config.resources.is_empty());
    assert!(!loaded.blueprints.is_empty());
    for kind in [
        "alert",
        "incident",
        "service",
        "team",
        "schedule",
        "schedule-oncall",
        "user",
    ] {
        assert!(loaded.schemas.contains_key(kind), "no schema for {kind}");
    }
    // Every blueprint a resource names literally (`'"x"'`) is among the loaded ones.
    for r in &config.resources {
        let bp = r.port.entity.blueprint.text.trim().trim_matches('"');
        assert!(
            loaded.blueprints.iter().any(|b| b.identifier == bp),
            "resource {} writes to unknown blueprint {bp}",
            r.index
        );
    }
}

#[test]
fn default_mappings_load_cleanly() {
    assert_clean(mappings());
}

#[test]
fn ocean_2026_mappings_load_cleanly() {
    let dir = mappings().join("ocean-2026");
    if dir.join("port-app-config.yaml").exists() {
        assert_clean(&dir);
    }
}
