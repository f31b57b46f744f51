//! `opsgenie-port map`: raw Opsgenie objects in, Port entities out, offline.

use opsgenie_port_runtime::jq;
use opsgenie_port_runtime::mapping::{Mapping, Origin, Outcome, Resource};
mod items;

use items::{Item, Items};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// The mapping directory `dir`, checked now and interpreted. `Err`: unusable input (exit
/// status 2); `Ok(Err(status))`: the mapping has errors, printed (exit status 1, or 2 when a
/// file of it could not be read).
pub fn load(dir: &Path) -> Result<Result<Mapping, ExitCode>, String> {
    if !dir.is_dir() {
        return Err(format!("`{}` is not a directory", dir.display()));
    }
    let checked = opsgenie_port_compiler::check_dir_builtin(dir);
    if !checked.diagnostics.is_empty() {
        eprint!("{}", checked.render_human());
    }
    if checked.has_unreadable_input() {
        return Ok(Err(ExitCode::from(super::EXIT_USAGE)));
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

/// What a write into a closed pipe becomes inside [`run`]: the reader (`map … | head`) has what
/// it wanted, which is not an error.
const CLOSED: &str = "output closed";

pub fn run(
    mapping: &Mapping,
    kind: &str,
    index: Option<usize>,
    file: Option<&Path>,
) -> Result<ExitCode, String> {
    match map_input(mapping, kind, index, file) {
        Err(e) if e == CLOSED => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

fn map_input(
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
    let (input, name): (Box<dyn BufRead>, String) = match file {
        None => (Box::new(std::io::stdin().lock()), "stdin".to_owned()),
        Some(p) if p == Path::new("-") => (Box::new(std::io::stdin().lock()), "stdin".to_owned()),
        Some(p) => {
            let name = format!("`{}`", p.display());
            let file =
                std::fs::File::open(p).map_err(|e| format!("cannot read input: {name}: {e}"))?;
            (Box::new(BufReader::with_capacity(1 << 16, file)), name)
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut summary = Summary::default();
    for item in Items::new(input) {
        match item.map_err(|e| format!("cannot read input: {name}: {e}"))? {
            Item::Invalid(reason) => {
                summary.items += 1;
                summary.invalid(format!("item {}: {reason}", summary.items));
            }
            // A document over several lines that does not parse: its lines, as JSON lines.
            Item::Text { json, lines: true }
                if jq::parse_json_projected_ocean(&json, &resources[0].projection).is_err() =>
            {
                for line in json.split(|&b| b == b'\n') {
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        map_item(line, &resources, &mut summary, &mut out)?;
                    }
                }
            }
            Item::Text { json, .. } => map_item(&json, &resources, &mut summary, &mut out)?,
        }
    }
    out.flush().map_err(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CLOSED.to_owned()
        } else {
            format!("cannot write: {e}")
        }
    })?;
    summary.print();
    Ok(
        if summary.invalid.is_empty()
            && summary.selector_errors.is_empty()
            && summary.refused.is_empty()
        {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(super::EXIT_FAILED)
        },
    )
}

/// Maps one raw item with every resource, writing the entities and counting the rest.
fn map_item(
    json: &[u8],
    resources: &[&Resource],
    summary: &mut Summary,
    out: &mut impl Write,
) -> Result<(), String> {
    summary.items += 1;
    let n = summary.items;
    for resource in resources {
        // Decode as a resync does: only what the mapping reads, numbers as Ocean sees them.
        let raw = match jq::parse_json_projected_ocean(json, &resource.projection) {
            Ok(v) => v,
            Err(e) => {
                summary.invalid(format!("item {n}: {e}"));
                break;
            }
        };
        for mapped in resource.map_raw(&raw) {
            for note in &mapped.notes {
                summary.note(resource.index, &note.field, &note.error);
            }
            match mapped.outcome {
                // Port refuses such an entity (a resync fails the item with this reason).
                Outcome::Entity(entity) => match entity.identifier_refusal() {
                    Some(reason) => summary.refused.push(format!("item {n}: {reason}")),
                    None => {
                        summary.entities += 1;
                        let mut bytes = entity.to_port_json();
                        bytes.push(b'\n');
                        out.write_all(&bytes).map_err(|e| {
                            if e.kind() == std::io::ErrorKind::BrokenPipe {
                                CLOSED.to_owned()
                            } else {
                                format!("cannot write: {e}")
                            }
                        })?;
                    }
                },
                Outcome::Filtered => summary.filtered += 1,
                Outcome::Skipped(why) => *summary.skipped.entry(why).or_default() += 1,
                Outcome::SelectorError(e) => summary.selector_error(format!("item {n}: {e}")),
            }
        }
    }
    Ok(())
}

/// Messages listed per kind in the summary; the rest are counted. Distinct notes are bounded
/// the same way, so that the summary takes bounded memory whatever the input.
const MAX_LISTED: usize = 100;

/// What `map` did, printed to stderr at the end.
#[derive(Default)]
struct Summary {
    items: usize,
    entities: usize,
    filtered: usize,
    skipped: BTreeMap<&'static str, usize>,
    invalid: Listed,
    selector_errors: Listed,
    /// Entities Port would refuse (their identifier), not printed.
    refused: Listed,
    notes: BTreeMap<(usize, Arc<str>, Option<String>), usize>,
    /// Notes not counted in `notes` because it holds [`MAX_LISTED`] distinct ones.
    other_notes: usize,
}

/// The first [`MAX_LISTED`] messages and how many there were.
#[derive(Default)]
struct Listed {
    first: Vec<String>,
    count: usize,
}

impl Listed {
    fn push(&mut self, message: String) {
        self.count += 1;
        if self.first.len() < MAX_LISTED {
            self.first.push(message);
        }
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn print(&self, what: &str) {
        for e in &self.first {
            eprintln!("  {what}, {e}");
        }
        if self.count > self.first.len() {
            eprintln!("  {what}: {} more", self.count - self.first.len());
        }
    }
}

impl Summary {
    fn invalid(&mut self, message: String) {
        self.invalid.push(message);
    }

    fn selector_error(&mut self, message: String) {
        self.selector_errors.push(message);
    }

    fn note(&mut self, index: usize, field: &Arc<str>, error: &Option<String>) {
        let key = (index, field.clone(), error.clone());
        if let Some(n) = self.notes.get_mut(&key) {
            *n += 1;
        } else if self.notes.len() < MAX_LISTED {
            self.notes.insert(key, 1);
        } else {
            self.other_notes += 1;
        }
    }

    fn print(&self) {
        eprintln!(
            "map: {} input items, {} entities, {} filtered by the selector",
            self.items, self.entities, self.filtered
        );
        for (why, n) in &self.skipped {
            eprintln!("  skipped {n}: {why}");
        }
        self.invalid.print("invalid JSON");
        self.selector_errors.print("selector error");
        self.refused.print("refused by Port");
        for ((index, field, error), n) in &self.notes {
            match error {
                None => eprintln!("  null: resource {index} `{field}` produced no value ({n}×)"),
                Some(e) => eprintln!("  null: resource {index} `{field}` raised: {e} ({n}×)"),
            }
        }
        if self.other_notes > 0 {
            eprintln!("  null: {} more fields of other kinds", self.other_notes);
        }
    }
}
