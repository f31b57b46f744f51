//! What the root package's `build.rs` does, as a function, so that tests can check exactly what
//! a build prints for a given mapping directory.

use std::path::{Path, PathBuf};

/// The result of one build-script run.
pub struct BuildOutcome {
    /// `cargo::…` directives for stdout.
    pub directives: Vec<String>,
    /// Rendered diagnostics for stderr (what Cargo shows when the build fails).
    pub stderr: String,
    /// The generated code, when the mappings compiled.
    pub code: Option<String>,
}

impl BuildOutcome {
    pub fn failed(&self) -> bool {
        self.code.is_none()
    }
}

/// Compiles `mappings` (the value of `OPSGENIE_PORT_MAPPINGS`, relative to `manifest`; default
/// `mappings`). Source schemas default to `manifest/mappings/sources`.
pub fn run(manifest: &Path, mappings: Option<&str>) -> BuildOutcome {
    let dir: PathBuf = match mappings.map(str::trim) {
        Some(d) if !d.is_empty() => manifest.join(d),
        _ => manifest.join("mappings"),
    };
    // Shown relative to the package, as users typed it (never the build machine's own path).
    let shown = dir
        .strip_prefix(manifest)
        .unwrap_or(&dir)
        .display()
        .to_string();
    let compiled = crate::compile_dir_as(&dir, &manifest.join("mappings/sources"), &shown);
    let mut directives = vec!["cargo::rerun-if-env-changed=OPSGENIE_PORT_MAPPINGS".to_string()];
    directives.extend(
        compiled
            .inputs
            .iter()
            .map(|p| format!("cargo::rerun-if-changed={}", p.display())),
    );
    let rendered = if compiled.diagnostics.is_empty() {
        String::new()
    } else {
        compiled.render_human()
    };
    if compiled.has_errors() {
        directives.push(format!(
            "cargo::error=the mappings in `{shown}` have errors (shown above); `opsgenie-port validate {shown}` checks them without building"
        ));
        return BuildOutcome {
            directives,
            stderr: rendered,
            code: None,
        };
    }
    // Warnings do not fail the build; Cargo shows them line by line.
    directives.extend(rendered.lines().map(|l| format!("cargo::warning={l}")));
    BuildOutcome {
        directives,
        stderr: String::new(),
        code: Some(compiled.code),
    }
}
