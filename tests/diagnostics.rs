//! What a build prints for broken mappings, and that `validate` prints the same.
//!
//! Each `tests/fixtures/broken/<case>/` holds a broken mapping directory and `expected.stderr`,
//! the diagnostics a `cargo build` with `OPSGENIE_PORT_MAPPINGS` pointing there shows (produced
//! by the very function build.rs calls). Bless with `BLESS=1 cargo test --test diagnostics`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn build_output_matches_snapshots_and_validate() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(manifest).expect("cd");
    let mut checked = 0;
    for dir in cases() {
        let rel = dir
            .strip_prefix(manifest)
            .expect("inside")
            .display()
            .to_string();
        let outcome = opsgenie_port_compiler::build_script::run(manifest, Some(&rel));
        assert!(outcome.failed(), "{rel} should not compile");
        assert!(
            outcome
                .directives
                .iter()
                .any(|d| d.starts_with("cargo::error=")),
            "{rel}: the build must fail with cargo::error"
        );
        let snapshot = dir.join("expected.stderr");
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&snapshot, &outcome.stderr).expect("write snapshot");
        }
        let want = std::fs::read_to_string(&snapshot)
            .unwrap_or_else(|_| panic!("{} missing; run with BLESS=1", snapshot.display()));
        assert_eq!(outcome.stderr, want, "{rel}: build output changed");

        let validate = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
            .args(["validate", &rel])
            .current_dir(manifest)
            .output()
            .expect("binary runs");
        assert_eq!(validate.status.code(), Some(1), "{rel}");
        assert_eq!(
            String::from_utf8_lossy(&validate.stdout).trim_end(),
            want.trim_end(),
            "{rel}: validate differs from build"
        );
        checked += 1;
    }
    assert!(checked >= 3, "expected at least three broken fixtures");
}
