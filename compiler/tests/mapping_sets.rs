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
