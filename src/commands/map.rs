//! `opsgenie-port map`: raw Opsgenie objects in, Port entities out, offline.

use opsgenie_port_runtime::jq;
use opsgenie_port_runtime::mapping::{Mapping, Origin, Outcome, Resource};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// The mapping directory `dir`, checked now and interpreted. `Err`: unusable input (exit
/// status 2); `Ok(Err(status))`: the mapping has errors, printed (exit status 1).
pub fn load(dir: &Path) -> Result<Result<Mapping, ExitCode>, String> {
    if !dir.is_dir() {
        return Err(format!("`{}` is not a directory", dir.display()));
    }
    let checked = opsgenie_port_compiler::check_dir_builtin(dir);
    if !checked.diagnostics.is_empty() {
        eprint!("{}", checked.render_human());
    }
    let Some(plan) = checked.plan else {
        return Ok(Err(ExitCode::from(super::EXIT_FAILED)));
    };
    Ok(Ok(Mapping::interpreted(
        plan,
        Origin::Dir(dir.display().to_string()),
        checked.blueprints_json,
        checked.app_config_json,
    )))
}

pub fn run(
    mapping: &Mapping,
    kind: &str,
    index: Option<usize>,
    file: Option<&Path>,
) -> Result<ExitCode, String> {
    let resources: Vec<&Resource> = mapping
        .resources
        .iter()
        .filter(|r| r.kind == kind && index.is_none_or(|i| r.index == i))
        .collect();
    if resources.is_empty() {
        let kinds: Vec<String> = mapping
            .resources
            .iter()
            .map(|r| format!("{} (resource {})", r.kind, r.index))
            .collect();
        return Err(format!(
            "{} has no resource of kind `{kind}`{}; it has: {}",
            mapping.origin,
            index.map_or(String::new(), |i| format!(" at index {i}")),
            kinds.join(", ")
        ));
    }
    let mut input = String::new();
    match file {
        None => std::io::stdin().read_to_string(&mut input),
        Some(p) if p == Path::new("-") => std::io::stdin().read_to_string(&mut input),
        Some(p) => std::fs::File::open(p)
            .and_then(|mut f| f.read_to_string(&mut input))
            .map_err(|e| std::io::Error::new(e.kind(), format!("`{}`: {e}", p.display()))),
    }
    .map_err(|e| format!("cannot read input: {e}"))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut summary = Summary::default();
    for (n, item) in items(&input).into_iter().enumerate() {
        summary.items += 1;
        for resource in &resources {
            // Decode as a resync does: only what the mapping reads, numbers as Ocean sees them.
            let raw = match jq::parse_json_projected_ocean(item.as_bytes(), &resource.projection) {
                Ok(v) => v,
                Err(e) => {
                    summary.invalid.push(format!("item {}: {e}", n + 1));
                    break;
                }
            };
            for mapped in resource.map_raw(&raw) {
                for note in &mapped.notes {
                    let key = (resource.index, note.field.clone(), note.error.clone());
                    *summary.notes.entry(key).or_default() += 1;
                }
                match mapped.outcome {
                    Outcome::Entity(entity) => {
                        summary.entities += 1;
                        let mut bytes = entity.to_port_json();
                        bytes.push(b'\n');
                        out.write_all(&bytes)
                            .map_err(|e| format!("cannot write: {e}"))?;
                    }
                    Outcome::Filtered => summary.filtered += 1,
                    Outcome::Skipped(why) => *summary.skipped.entry(why).or_default() += 1,
                    Outcome::SelectorError(e) => {
                        summary.selector_errors.push(format!("item {}: {e}", n + 1))
                    }
                }
            }
        }
    }
    out.flush().map_err(|e| format!("cannot write: {e}"))?;
    summary.print();
    Ok(
        if summary.invalid.is_empty() && summary.selector_errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(super::EXIT_FAILED)
        },
    )
}

/// The raw items of the input: a JSON array's elements, a single JSON document, or JSON lines.
fn items(input: &str) -> Vec<String> {
    let trimmed = input.trim();
    if let Ok(jq::Value::Array(list)) = jq::parse_json(trimmed.as_bytes()) {
        return list.iter().map(jq::tojson_string).collect();
    }
    if trimmed.starts_with('{') && jq::parse_json(trimmed.as_bytes()).is_ok() {
        return vec![trimmed.to_string()];
    }
    input
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Default)]
struct Summary {
    items: usize,
    entities: usize,
    filtered: usize,
    skipped: BTreeMap<&'static str, usize>,
    invalid: Vec<String>,
    selector_errors: Vec<String>,
    notes: BTreeMap<(usize, std::sync::Arc<str>, Option<String>), usize>,
}

impl Summary {
    fn print(&self) {
        eprintln!(
            "map: {} input items, {} entities, {} filtered by the selector",
            self.items, self.entities, self.filtered
        );
        for (why, n) in &self.skipped {
            eprintln!("  skipped {n}: {why}");
        }
        for e in &self.invalid {
            eprintln!("  invalid JSON, {e}");
        }
        for e in &self.selector_errors {
            eprintln!("  selector error, {e}");
        }
        for ((index, field, error), n) in &self.notes {
            match error {
                None => eprintln!("  null: resource {index} `{field}` produced no value ({n}×)"),
                Some(e) => eprintln!("  null: resource {index} `{field}` raised: {e} ({n}×)"),
            }
        }
    }
}
