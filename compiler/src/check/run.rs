//! Compiling the mapping Port holds, at run time: the same loaders and checks as a build, with
//! run-time severities ([`crate::diag::run_time`]) and an outcome per resource, so that a
//! mistake made in Port's UI stops only the resource it is in.

use super::{check_resources, Plan, Stage};
use crate::diag::run_time::{as_warning, for_run_time};
use crate::diag::Diagnostic;
use crate::inputs::app_config::jqtext::ocean_quote_rewrite;
use crate::inputs::port::{load_port, PortInputs};
use crate::jq::ir::{ExprKind, Lit};
use crate::source::SourceMap;
use serde_json::Value;

/// A mapping compiled from Port's JSON.
pub struct PortCompiled {
    /// The settings and the resources that compiled; blocked resources are left out (see
    /// `blocked`). `None` when the config as a whole is unusable (not an object, `resources`
    /// missing, empty or not a list, a setting of the wrong type, …).
    pub plan: Option<Plan>,
    /// The resources that do not run, in mapping order.
    pub blocked: Vec<BlockedResource>,
    /// Every diagnostic, with run-time severities: the config's, the blueprints' (always
    /// warnings), then each resource's in mapping order (a blocked resource's are repeated in
    /// its [`BlockedResource`]).
    pub diagnostics: Vec<Diagnostic>,
    pub sm: SourceMap,
}

impl PortCompiled {
    /// All diagnostics rendered for a terminal, located by field path, and what they stop.
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&crate::diag::render_human(d, &self.sm));
            out.push('\n');
        }
        if let Some(summary) = self.summary() {
            out.push_str(&summary);
            out.push('\n');
        }
        out
    }

    /// `error: the Port mapping cannot run …`, `error: 2 of 5 resources blocked: …`,
    /// `warning: 3 warnings emitted`, or nothing when there is nothing to report.
    pub fn summary(&self) -> Option<String> {
        let warnings = self.diagnostics.iter().filter(|d| !d.is_error()).count();
        let warned = match warnings {
            0 => String::new(),
            1 => "; 1 warning emitted".to_string(),
            n => format!("; {n} warnings emitted"),
        };
        let Some(plan) = &self.plan else {
            let errors = self.diagnostics.len() - warnings;
            let plural = if errors == 1 { "" } else { "s" };
            return Some(format!(
                "error: the Port mapping cannot run ({errors} error{plural}){warned}"
            ));
        };
        if self.blocked.is_empty() {
            return (warnings > 0).then(|| format!("warning:{}", &warned[1..]));
        }
        let names: Vec<String> = self
            .blocked
            .iter()
            .map(|b| match &b.kind {
                Some(kind) => format!("resources[{}] ({kind})", b.index),
                None => format!("resources[{}]", b.index),
            })
            .collect();
        let total = plan.resources.len() + self.blocked.len();
        Some(format!(
            "error: {} of {total} resources blocked: {}{warned}",
            self.blocked.len(),
            names.join(", ")
        ))
    }
}

/// A resource of the mapping that does not run.
#[derive(Clone, Debug)]
pub struct BlockedResource {
    /// Its position in `resources` (Ocean names resources `{kind}-{index}`).
    pub index: usize,
    /// Its `kind`, when it is a string.
    pub kind: Option<String>,
    /// Its diagnostics (at least one error among them, unless it could not be read at all).
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles Port's `integration.config` against Port's blueprint objects; `sources` are the
/// Opsgenie schemas as `(kind, JSON text)`.
pub fn compile_port(
    config: &Value,
    blueprints: &[Value],
    sources: &[(&str, &str)],
) -> PortCompiled {
    let PortInputs {
        dir,
        resources,
        config_diagnostics,
        blueprint_diagnostics,
    } = load_port(config, blueprints, sources);
    let mut outcomes = check_resources(&dir, Stage::Run, true);

    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut config_ok = dir.config.is_some();
    for d in config_diagnostics.into_iter().map(for_run_time) {
        config_ok &= !d.is_error();
        diagnostics.push(d);
    }
    diagnostics.extend(blueprint_diagnostics.into_iter().map(as_warning));

    let mut planned = Vec::new();
    let mut blocked = Vec::new();
    for resource in resources {
        let outcome = outcomes
            .iter()
            .position(|o| o.index == resource.index)
            .map(|i| outcomes.swap_remove(i));
        // A resource that did not load keeps its build-time severities: whatever was reported
        // in it is why there is nothing to run (a misspelt required key is only an E0003).
        let mut ds: Vec<Diagnostic> = if resource.loaded {
            resource.diagnostics.into_iter().map(for_run_time).collect()
        } else {
            resource.diagnostics
        };
        let mut runs = resource.loaded && !ds.iter().any(Diagnostic::is_error);
        if let Some(outcome) = outcome {
            ds.extend(outcome.diagnostics);
            match outcome.plan {
                Some(p) if runs => planned.push(p),
                _ => runs = false,
            }
        }
        if !runs {
            blocked.push(BlockedResource {
                index: resource.index,
                kind: resource.kind,
                diagnostics: ds.clone(),
            });
        }
        diagnostics.extend(ds);
    }
    let plan = match &dir.config {
        Some(config) if config_ok => Some(Plan::new(config, planned)),
        _ => None,
    };
    PortCompiled {
        plan,
        blocked,
        diagnostics,
        sm: dir.sm,
    }
}

/// The blueprints a config's resources name with constant `blueprint` leaves (`'"x"'`), in
/// mapping order without repeats: what to fetch from Port before [`compile_port`]. Relation
/// targets are not needed by the checks (Port enforces them); a leaf computed from the item
/// names no blueprint in advance and is not checked.
pub fn mapping_blueprints(config: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let resources = config.get("resources").and_then(Value::as_array);
    for r in resources.into_iter().flatten() {
        let Some(Value::String(leaf)) = r.pointer("/port/entity/mappings/blueprint") else {
            continue;
        };
        let Ok(expr) = crate::jq::compile(&ocean_quote_rewrite(leaf)) else {
            continue;
        };
        if let ExprKind::Lit(Lit::Str(name)) = expr.kind {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}
