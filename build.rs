//! Compiles the mapping directory `OPSGENIE_PORT_MAPPINGS` (relative to this package, default
//! `mappings/`) into Rust. Diagnostics are printed like rustc's; any error fails the build.
//! The logic lives in `opsgenie_port_compiler::build_script` so tests can check its output.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    // Paths in diagnostics are shown relative to this package, as users typed them.
    let _ = std::env::set_current_dir(&manifest);
    let mappings = std::env::var("OPSGENIE_PORT_MAPPINGS").ok();
    let outcome = opsgenie_port_compiler::build_script::run(&manifest, mappings.as_deref());
    for d in &outcome.directives {
        println!("{d}");
    }
    let Some(code) = outcome.code else {
        eprintln!("{}", outcome.stderr);
        std::process::exit(1);
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("mappings.rs");
    if std::fs::read_to_string(&out).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(&out, code).expect("OUT_DIR is writable");
    }
}
