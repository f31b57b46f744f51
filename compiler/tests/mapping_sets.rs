//! The mapping sets shipped in `mappings/` compile cleanly and generate parseable Rust.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn compile(dir: &str) -> opsgenie_port_compiler::Compiled {
    let root = root();
    opsgenie_port_compiler::compile_dir(&root.join(dir), &root.join("mappings/sources"))
}

#[test]
fn default_set_compiles() {
    let out = compile("mappings");
    assert!(!out.has_errors(), "{}", out.render_human());
    assert!(out.code.contains("pub fn mapping()"));
    syn::parse_file(&out.code).expect("generated code parses");
}

#[test]
fn ocean_2026_set_compiles() {
    let out = compile("mappings/ocean-2026");
    assert!(!out.has_errors(), "{}", out.render_human());
    syn::parse_file(&out.code).expect("generated code parses");
}

#[test]
#[ignore = "prints the generated code; run with --ignored --nocapture"]
fn print_default_set() {
    println!(
        "{}",
        compile(&std::env::var("SET").unwrap_or("mappings".into())).code
    );
}

/// The shipped default's normalised form (what a binary compares its own mapping with to know
/// whether it was built with another one) is the default set's.
#[test]
fn shipped_default_canonical_is_the_default_sets() {
    let checked = opsgenie_port_compiler::check_dir_builtin(&root().join("mappings"));
    let config: serde_json::Value = serde_json::from_str(&checked.app_config_json).unwrap();
    let shipped = opsgenie_port_compiler::shipped_default_canonical().expect("loads");
    assert_eq!(
        opsgenie_port_compiler::canonical_config(&config),
        Some(shipped.clone())
    );
    let other = compile("mappings/ocean-2026");
    assert!(!other.has_errors());
    let ocean = opsgenie_port_compiler::check_dir_builtin(&root().join("mappings/ocean-2026"));
    let ocean: serde_json::Value = serde_json::from_str(&ocean.app_config_json).unwrap();
    assert_ne!(
        opsgenie_port_compiler::canonical_config(&ocean),
        Some(shipped)
    );
}
