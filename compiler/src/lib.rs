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
//!
//! At run time the binary compiles the mapping Port holds with [`compile_port`] (same loaders,
//! same checks, run-time severities and a per-resource outcome), fetching first the blueprints
//! [`mapping_blueprints`] names, and compares mappings with [`canonical_config`].
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

pub use check::run::{BlockedResource, PortCompiled};
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

/// A mapping directory loaded and checked: what both back ends start from.
pub struct Checked {
    /// The checked plan; `None` when there are errors.
    pub plan: Option<check::Plan>,
    pub diagnostics: Vec<Diagnostic>,
    pub sm: SourceMap,
    /// Every file and directory read, for `cargo::rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
    /// The blueprints as a JSON array, and the port-app-config as JSON (Port's shapes).
    pub blueprints_json: String,
    pub app_config_json: String,
    /// `(kind, JSON text)` of the Opsgenie schemas the leaves were checked against.
    pub schema_texts: Vec<(String, String)>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// An input file is missing or could not be read (E0008): the mapping was not all read, so
    /// it is unusable input rather than a mapping found wrong.
    pub fn has_unreadable_input(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.is_error() && d.code == "E0008")
    }

    /// All diagnostics rendered for a terminal (rustc style, no colour).
    pub fn render_human(&self) -> String {
        diag::render_all_human(&self.diagnostics, &self.sm)
    }
}

/// Loads and checks `dir` with the Opsgenie schemas compiled into this crate (overridden per
/// kind by `dir/sources/`): `opsgenie-port validate` and `map --mapping`.
pub fn check_dir_builtin(dir: &Path) -> Checked {
    let mut diags = Diagnostics::new();
    let loaded = inputs::mapdir::load_mapping_dir_with(
        dir,
        inputs::mapdir::DefaultSources::Embedded(inputs::mapdir::BUILTIN_SOURCES),
        &mut diags,
    );
    checked(loaded, diags)
}

/// Loads, checks and (when clean) generates code for the mapping directory `dir`. Source
/// schemas come from `default_sources`, overridden per kind by `dir/sources/`.
pub fn compile_dir(dir: &Path, default_sources: &Path) -> Compiled {
    compile_dir_as(dir, default_sources, &dir.display().to_string())
}

/// [`compile_dir`], naming the directory `label` in the generated code (what the binary shows
/// as where its mapping came from).
pub fn compile_dir_as(dir: &Path, default_sources: &Path, label: &str) -> Compiled {
    let mut diags = Diagnostics::new();
    let loaded = inputs::mapdir::load_mapping_dir(dir, default_sources, &mut diags);
    generate(checked(loaded, diags), label)
}

/// [`compile_dir`] with the Opsgenie schemas compiled into this crate.
pub fn compile_dir_builtin(dir: &Path) -> Compiled {
    let label = dir.display().to_string();
    generate(check_dir_builtin(dir), &label)
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
    generate(checked(loaded, diags), "inline")
}

fn checked(loaded: inputs::mapdir::MappingDir, mut diags: Diagnostics) -> Checked {
    // Mapping checks run even after loading errors, so one run reports everything.
    let plan = check::plan(&loaded, &mut diags);
    let mut plan = plan.filter(|_| !diags.has_errors());
    if let Some(d) = plan.as_ref().and_then(|p| code_budget(p, &loaded)) {
        diags.push(d);
        plan = None;
    }
    let blueprints: Vec<serde_json::Value> =
        loaded.blueprints.iter().map(|b| b.raw.clone()).collect();
    Checked {
        plan,
        blueprints_json: serde_json::to_string(&blueprints).unwrap_or_else(|_| "[]".into()),
        app_config_json: app_config_json(&loaded),
        schema_texts: loaded.schema_texts.into_iter().collect(),
        diagnostics: diags.into_vec(),
        sm: loaded.sm,
        inputs: loaded.inputs,
    }
}

/// The code generator's back end on a checked directory.
fn generate(checked: Checked, label: &str) -> Compiled {
    let diagnostics = checked.diagnostics;
    let mut tokens = None;
    if let Some(plan) = &checked.plan {
        let sources: Vec<(&str, &str)> = checked
            .schema_texts
            .iter()
            .map(|(kind, text)| (kind.as_str(), text.as_str()))
            .collect();
        let embedded = backend::codegen::Embedded {
            source: label,
            blueprints_json: &checked.blueprints_json,
            app_config_json: &checked.app_config_json,
            sources: &sources,
        };
        tokens = Some(backend::codegen::generate(plan, &embedded));
    }
    let code = tokens
        .as_ref()
        .map(|t| render_file(t, label))
        .unwrap_or_default();
    Compiled {
        code,
        tokens,
        diagnostics,
        sm: checked.sm,
        inputs: checked.inputs,
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

/// Compiles the mapping Port holds (`GET /v1/integration/{id}` → `integration.config`) against
/// Port's blueprint objects (`GET /v1/blueprints/{id}` → `blueprint`), with every check of a
/// build. `sources`: the Opsgenie schemas as `(kind, JSON text)`, e.g.
/// [`inputs::mapdir::BUILTIN_SOURCES`]. Diagnostics are located by field path; what blocks is
/// decided per code by [`diag::run_time`]: an error stops its resource (listed in `blocked`),
/// an error of the config as a whole leaves no plan.
pub fn compile_port(
    config: &serde_json::Value,
    blueprints: &[serde_json::Value],
    sources: &[(&str, &str)],
) -> PortCompiled {
    check::run::compile_port(config, blueprints, sources)
}

/// The blueprint identifiers a config's resources name with constant `blueprint` leaves, in
/// mapping order: what the run time fetches from Port before [`compile_port`]. Relation targets
/// are not included (the checks do not need them).
pub fn mapping_blueprints(config: &serde_json::Value) -> Vec<String> {
    check::run::mapping_blueprints(config)
}

/// A normalised form of a port-app-config for "is Port's mapping the compiled one?": Ocean's
/// defaults explicit, aliases folded, key order and `1` vs `1.0` irrelevant, jq leaves after
/// Ocean's quote rewrite and trimmed (see [`inputs::app_config::canonical`]). `None` when the
/// config does not load (a diagnostic that blocks at run time, in the config or a resource).
pub fn canonical_config(config: &serde_json::Value) -> Option<serde_json::Value> {
    inputs::port::canonical_config(config)
}

/// [`canonical_config`] of the shipped default mapping (`mappings/port-app-config.yaml`).
pub fn shipped_default_canonical() -> Option<serde_json::Value> {
    let mut sm = SourceMap::new();
    let file = sm.add(
        "mappings/port-app-config.yaml",
        inputs::mapdir::SHIPPED_DEFAULT_CONFIG.to_owned(),
    );
    let mut scratch = Diagnostics::new();
    let root = documents::yaml::parse_yaml(&sm, file, &mut scratch).ok()??;
    canonical_config(&root.to_json())
}

/// The port-app-config as JSON (what Port stores as the integration's `config`), `{}` when
/// it did not load.
pub fn app_config_json(loaded: &inputs::mapdir::MappingDir) -> String {
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
