//! The mapping compiler: Port `port-app-config` mappings (jq) and blueprints → a checked plan,
//! then Rust (at build time) or an interpreter (at run time, for a mapping edited in Port).
//!
//! Stages, in pipeline order:
//! - [`documents`]: YAML and JSON parsed with spans (every byte maps back to its file);
//! - [`inputs`]: the port-app-config, blueprints and Opsgenie source schemas validated into
//!   models ([`inputs::mapdir`] reads them from a mapping directory);
//! - [`jq`]: each jq leaf parsed (jaq-core's parser), lowered to our IR, typed against its
//!   kind's schema and analysed for what it reads ([`jq::infer`]);
//! - [`check`]: the cross-cutting checks (blueprints, properties, relations, selectors) → a
//!   [`check::Plan`];
//! - [`backend`]: the plan as Rust ([`backend::codegen`]).
//!
//! [`diag`] renders diagnostics for build scripts, the CLI and the proc macro; the root
//! package's `build.rs` ([`compile_dir`]), the `include_mappings!` macro and
//! `opsgenie-port validate` / `expand` all call the same functions here.
#![forbid(unsafe_code)]

pub mod backend;
pub mod build_script;
pub mod check;
pub mod diag;
pub mod documents;
pub mod inputs;
pub mod jq;
pub mod source;
pub mod suggest;

use diag::{Diagnostic, Diagnostics};
use proc_macro2::TokenStream;
use source::SourceMap;
use std::path::{Path, PathBuf};

/// The result of compiling a mapping directory.
pub struct Compiled {
    /// Formatted Rust source (with an `@generated` header); empty when there were errors.
    pub code: String,
    pub tokens: Option<TokenStream>,
    pub diagnostics: Vec<Diagnostic>,
    pub sm: SourceMap,
    /// Every file and directory read, for `cargo::rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// All diagnostics rendered for a terminal (rustc style, no colour).
    pub fn render_human(&self) -> String {
        diag::render_all_human(&self.diagnostics, &self.sm)
    }
}

/// Loads, checks and (when clean) generates code for the mapping directory `dir`. Source
/// schemas come from `default_sources`, overridden per kind by `dir/sources/`.
pub fn compile_dir(dir: &Path, default_sources: &Path) -> Compiled {
    let mut diags = Diagnostics::new();
    let loaded = inputs::mapdir::load_mapping_dir(dir, default_sources, &mut diags);
    let label = dir.display().to_string();
    finish(loaded, diags, &label)
}

/// [`compile_dir`] with the Opsgenie schemas compiled into this crate (for binaries that check
/// mappings anywhere, e.g. `opsgenie-port validate`).
pub fn compile_dir_builtin(dir: &Path) -> Compiled {
    let mut diags = Diagnostics::new();
    let loaded = inputs::mapdir::load_mapping_dir_with(
        dir,
        inputs::mapdir::DefaultSources::Embedded(inputs::mapdir::BUILTIN_SOURCES),
        &mut diags,
    );
    let label = dir.display().to_string();
    finish(loaded, diags, &label)
}

/// Like [`compile_dir`] for mapping texts given directly (the proc macro's inline form).
pub fn compile_texts(
    config: (&str, String),
    blueprints: (&str, String),
    default_sources: &Path,
) -> Compiled {
    let mut diags = Diagnostics::new();
    let loaded =
        inputs::mapdir::load_mapping_texts(config, blueprints, default_sources, &mut diags);
    finish(loaded, diags, "inline")
}

fn finish(loaded: inputs::mapdir::MappingDir, mut diags: Diagnostics, label: &str) -> Compiled {
    let mut tokens = None;
    // Mapping checks run even after loading errors, so one run reports everything.
    let plan = check::plan(&loaded, &mut diags);
    let plan = plan.filter(|_| !diags.has_errors());
    if let Some(plan) = plan {
        if let Some(d) = code_budget(&plan, &loaded) {
            diags.push(d);
        } else {
            let blueprints: Vec<serde_json::Value> =
                loaded.blueprints.iter().map(|b| b.raw.clone()).collect();
            let blueprints_json =
                serde_json::to_string(&blueprints).unwrap_or_else(|_| "[]".into());
            let app_config_json = app_config_json(&loaded);
            let embedded = backend::codegen::Embedded {
                source: label,
                blueprints_json: &blueprints_json,
                app_config_json: &app_config_json,
            };
            tokens = Some(backend::codegen::generate(&plan, &embedded));
        }
    }
    let code = tokens
        .as_ref()
        .map(|t| render_file(t, label))
        .unwrap_or_default();
    Compiled {
        code,
        tokens,
        diagnostics: diags.into_vec(),
        sm: loaded.sm,
        inputs: loaded.inputs,
    }
}

/// E0106 when the whole mapping would compile to more than
/// [`jq::cost::MAX_MAPPING_CODE_SIZE`] tokens of Rust (each expression is bounded on its own;
/// many large ones are bounded here), at its largest resource.
fn code_budget(plan: &check::Plan, loaded: &inputs::mapdir::MappingDir) -> Option<Diagnostic> {
    let sizes = backend::codegen::estimate(plan);
    let total = sizes
        .iter()
        .fold(0u64, |acc, (_, n)| acc.saturating_add(*n));
    let limit = jq::cost::MAX_MAPPING_CODE_SIZE;
    if total <= limit {
        return None;
    }
    let (index, largest) = sizes.iter().max_by_key(|(_, n)| *n).copied()?;
    let d = Diagnostic::error(
        "E0106",
        format!("the mapping would compile to too much code (about {total} tokens of Rust)"),
    )
    .with_help(format!(
        "a mapping may compile to at most {limit} tokens of Rust; simplify its largest expressions (each `if`, `//`, `and`/`or` and `try … catch` copies the rest of its expression) or split the mapping"
    ));
    let span = loaded
        .config
        .as_ref()
        .and_then(|c| c.resources.iter().find(|r| r.index == index))
        .map(|r| r.span);
    Some(match span {
        Some(span) => d.with_primary(
            span,
            format!("the largest resource: about {largest} tokens"),
        ),
        None => d,
    })
}

/// The port-app-config as JSON (what Port stores as the integration's `config`).
fn app_config_json(loaded: &inputs::mapdir::MappingDir) -> String {
    let Some(config) = &loaded.config else {
        return "{}".into();
    };
    let mut scratch = Diagnostics::new();
    let root = if loaded.sm.path(config.file).ends_with(".json") {
        documents::json::parse_json(&loaded.sm, config.file, &mut scratch)
    } else {
        documents::yaml::parse_yaml(&loaded.sm, config.file, &mut scratch)
            .ok()
            .flatten()
    };
    root.map(|r| r.to_json().to_string())
        .unwrap_or_else(|| "{}".into())
}

/// Formats generated tokens as a Rust file with an `@generated` header.
pub fn render_file(tokens: &TokenStream, source: &str) -> String {
    let body = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // Never expected; keep the unformatted tokens so the error surfaces in rustc.
        Err(_) => tokens.to_string(),
    };
    format!(
        "// @generated by opsgenie-port-compiler from `{source}`. Do not edit: change the mapping and rebuild.\n{body}"
    )
}
