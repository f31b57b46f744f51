//! Differential test of the compiled mappings against the jaq-core 3 interpreter with Ocean's
//! rules, for the default mapping set (`mappings`) and the Ocean 2026 set (`mappings/ocean-2026`).
//!
//! Inputs per resource: `GENERATED_PER_RESOURCE` items generated from the kind's source schema
//! (seeded, so runs are reproducible) plus every real sample in
//! `tests/fixtures/opsgenie/<kind>/*.json`. The compiled side decodes with the resource's
//! projection (`parse_json_projected`), so the projection is under test too; jaq gets the full
//! document. Outcomes (entity / filtered / selector error / skipped) and entities are compared
//! as JSON values, numbers numerically, and so are the fields that became `null` for lack of
//! output or because of an error (Ocean's misconfiguration log). A mismatch that a documented jq≠jaq difference explains
//! (see `support/differences.rs`) is counted by category; any other mismatch fails the test.

#[path = "support/differences.rs"]
mod differences;
#[path = "support/gen.rs"]
mod gen;
#[path = "support/ocean_jaq.rs"]
mod ocean_jaq;

use differences::DIFFERENCES;
use jaq_json::Val;
use ocean_jaq::Note;
use opsgenie_port_runtime::jq::parse_json_projected;
use opsgenie_port_runtime::mapping::{Mapping, Outcome};
use opsgenie_port_sim::generate::Rng;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod default_set {
    opsgenie_port_macros::include_mappings!("mappings");
}
mod ocean_2026 {
    opsgenie_port_macros::include_mappings!("mappings/ocean-2026");
}

const GENERATED_PER_RESOURCE: usize = 400;
const SEED: u64 = 0x0D1F_F7E5_7000_0002;
/// Failures printed in full; the rest are only counted.
const PRINT_LIMIT: usize = 12;

/// What one side made of one item: the outcome, and the fields that became `null` for lack of
/// output or because of an error (what Ocean logs as misconfigurations).
#[derive(Debug)]
struct Seen {
    outcome: Kind,
    notes: Vec<Note>,
}

/// An outcome both sides can produce, compared structurally.
#[derive(Debug)]
enum Kind {
    Entity(Json),
    Filtered,
    SelectorError,
    Skipped,
}

impl Seen {
    fn same(&self, other: &Seen) -> bool {
        self.outcome.same(&other.outcome) && self.notes == other.notes
    }
}

impl Kind {
    fn label(&self) -> &'static str {
        match self {
            Kind::Entity(_) => "entity",
            Kind::Filtered => "filtered",
            Kind::SelectorError => "selector error",
            Kind::Skipped => "skipped",
        }
    }

    fn same(&self, other: &Kind) -> bool {
        match (self, other) {
            (Kind::Entity(a), Kind::Entity(b)) => json_eq(a, b),
            (Kind::Filtered, Kind::Filtered)
            | (Kind::SelectorError, Kind::SelectorError)
            | (Kind::Skipped, Kind::Skipped) => true,
            _ => false,
        }
    }
}

/// JSON equality with numbers compared as numbers (`1` = `1.0`) and objects as maps.
fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(xs), Json::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| json_eq(x, y))
        }
        (Json::Object(xs), Json::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(k, x)| ys.get(k).is_some_and(|y| json_eq(x, y)))
        }
        _ => a == b,
    }
}

fn all_same(a: &[Seen], b: &[Seen]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
}

fn compiled_outcomes(resource: &opsgenie_port_runtime::mapping::Resource, text: &str) -> Vec<Seen> {
    let value = parse_json_projected(text.as_bytes(), &resource.projection)
        .unwrap_or_else(|e| panic!("projected decode failed ({e:?}) on valid JSON:\n{text}"));
    resource
        .map_raw(&value)
        .into_iter()
        .map(|m| {
            let mut notes: Vec<Note> = m
                .notes
                .iter()
                .map(|n| Note {
                    field: n.field.to_string(),
                    error: n.error.is_some(),
                })
                .collect();
            notes.sort();
            let outcome = match m.outcome {
                Outcome::Entity(e) => Kind::Entity(e.to_value().to_serde()),
                Outcome::Filtered => Kind::Filtered,
                Outcome::SelectorError(_) => Kind::SelectorError,
                Outcome::Skipped(_) => Kind::Skipped,
            };
            Seen { outcome, notes }
        })
        .collect()
}

fn jaq_outcomes(resource: &ocean_jaq::Resource, input: &Val) -> Vec<Seen> {
    resource
        .map_raw(input)
        .into_iter()
        .map(|m| Seen {
            outcome: match m.outcome {
                ocean_jaq::Outcome::Entity(v) => Kind::Entity(ocean_jaq::val_to_json(&v)),
                ocean_jaq::Outcome::Filtered => Kind::Filtered,
                ocean_jaq::Outcome::SelectorError => Kind::SelectorError,
                ocean_jaq::Outcome::Skipped => Kind::Skipped,
            },
            notes: m.notes,
        })
        .collect()
}

/// One mapping set with its jaq counterparts: plain, and with jq-1.8 preludes for the
/// documented differences (each alone, then all together for inputs that hit several).
struct MappingSet {
    name: &'static str,
    registry: Mapping,
    plain: Vec<ocean_jaq::Resource>,
    with_prelude: Vec<(Vec<&'static str>, Vec<ocean_jaq::Resource>)>,
}

impl MappingSet {
    fn new(name: &'static str, registry: Mapping) -> MappingSet {
        let plain = ocean_jaq::load_resources(&registry.app_config_json, "");
        assert_eq!(
            plain.len(),
            registry.resources.len(),
            "{name}: app_config_json and the registry disagree on the number of resources"
        );
        let load = |prelude: &str| ocean_jaq::load_resources(&registry.app_config_json, prelude);
        let mut with_prelude: Vec<_> = DIFFERENCES
            .iter()
            .map(|d| (vec![d.name], load(d.prelude)))
            .collect();
        let all: String = DIFFERENCES.iter().map(|d| d.prelude).collect();
        with_prelude.push((DIFFERENCES.iter().map(|d| d.name).collect(), load(&all)));
        MappingSet {
            name,
            registry,
            plain,
            with_prelude,
        }
    }
}

#[derive(Default)]
struct Tally {
    entities: usize,
    outcomes: usize,
    inputs: usize,
    /// Compiled-side outcomes by kind, to show what the inputs exercised.
    by_outcome: BTreeMap<&'static str, usize>,
    mismatches: usize,
    /// Mismatching inputs explained by documented differences.
    documented_inputs: usize,
    /// Per difference: inputs it helped explain.
    documented: BTreeMap<&'static str, usize>,
    unexplained: usize,
    report: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = workspace_root().join("tests/fixtures/opsgenie").join(kind);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("fixture readable");
            (p.display().to_string(), text)
        })
        .collect()
}

fn check_input(set: &MappingSet, index: usize, origin: &str, text: &str, tally: &mut Tally) {
    let compiled_resource = &set.registry.resources[index];
    let ours = compiled_outcomes(compiled_resource, text);
    let input = jaq_json::read::parse_single(text.as_bytes())
        .unwrap_or_else(|e| panic!("jaq cannot parse generated input ({e}):\n{text}"));
    let reference = jaq_outcomes(&set.plain[index], &input);
    tally.inputs += 1;
    tally.outcomes += ours.len().max(reference.len());
    for o in &ours {
        *tally.by_outcome.entry(o.outcome.label()).or_default() += 1;
    }
    tally.entities += ours
        .iter()
        .zip(&reference)
        .filter(|(a, b)| {
            matches!(a.outcome, Kind::Entity(_)) || matches!(b.outcome, Kind::Entity(_))
        })
        .count()
        + ours.len().abs_diff(reference.len());
    if all_same(&ours, &reference) {
        return;
    }
    tally.mismatches += 1;
    // Documented difference? Only if jaq with that difference's jq-1.8 prelude agrees with us.
    for (names, resources) in &set.with_prelude {
        if all_same(&ours, &jaq_outcomes(&resources[index], &input)) {
            tally.documented_inputs += 1;
            for name in names {
                *tally.documented.entry(name).or_default() += 1;
            }
            return;
        }
    }
    tally.unexplained += 1;
    if tally.unexplained > PRINT_LIMIT {
        return;
    }
    let resource = &set.plain[index];
    let programs = resource
        .programs()
        .into_iter()
        .map(|(field, program)| format!("    {field}: {program}"))
        .collect::<Vec<_>>()
        .join("\n");
    let show = |outcomes: &[Seen]| {
        outcomes
            .iter()
            .map(|o| {
                let notes = o
                    .notes
                    .iter()
                    .map(|n| {
                        format!(
                            "{}{}",
                            n.field,
                            if n.error { "(error)" } else { "(no output)" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                match &o.outcome {
                    Kind::Entity(e) => format!("    entity {e}\n      null fields: {notes}"),
                    other => format!("    {other:?}; null fields: {notes}"),
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    tally.report.push_str(&format!(
        "\n=== mismatch: set {} resource #{index} kind {} ({origin})\n  programs:\n{programs}\n  \
         input: {text}\n  compiled:\n{}\n  jaq (Ocean rules):\n{}\n{}",
        set.name,
        resource.kind,
        show(&ours),
        show(&reference),
        field_diff(&ours, &reference),
    ));
}

/// The entity keys whose values differ, to point at the program responsible.
fn field_diff(ours: &[Seen], reference: &[Seen]) -> String {
    let mut out = String::new();
    for (a, b) in ours.iter().zip(reference) {
        let (Kind::Entity(a), Kind::Entity(b)) = (&a.outcome, &b.outcome) else {
            continue;
        };
        for key in ["identifier", "title", "blueprint", "icon", "team"] {
            if !json_eq(&a[key], &b[key]) {
                out.push_str(&format!("  differs: {key}: {} vs {}\n", a[key], b[key]));
            }
        }
        for group in ["properties", "relations"] {
            let keys = a[group]
                .as_object()
                .into_iter()
                .chain(b[group].as_object())
                .flat_map(|m| m.keys());
            let mut seen = std::collections::BTreeSet::new();
            for k in keys {
                if seen.insert(k) && !json_eq(&a[group][k], &b[group][k]) {
                    out.push_str(&format!(
                        "  differs: {group}.{k}: {} vs {}\n",
                        a[group][k], b[group][k]
                    ));
                }
            }
        }
    }
    out
}

/// Checks every resource of `set` on `per_resource` generated items and the real samples.
fn run_set(set: &MappingSet, schemas: &gen::Schemas, per_resource: usize, tally: &mut Tally) {
    for (index, resource) in set.registry.resources.iter().enumerate() {
        let kind = resource.kind;
        for i in 0..per_resource {
            let mut rng = Rng::for_entity(SEED, kind.as_bytes(), i as u64);
            let text = schemas.generate(kind, &mut rng);
            check_input(set, index, &format!("generated #{i}"), &text, tally);
        }
        for (path, text) in fixtures(kind) {
            check_input(set, index, &path, &text, tally);
        }
    }
}

fn schemas() -> gen::Schemas {
    gen::Schemas::load(&workspace_root().join("mappings/sources"))
}

#[test]
fn compiled_mappings_agree_with_jaq_under_ocean_rules() {
    let schemas = schemas();
    let mut tally = Tally::default();
    for set in [
        MappingSet::new("mappings", default_set::mapping()),
        MappingSet::new("mappings/ocean-2026", ocean_2026::mapping()),
    ] {
        run_set(&set, &schemas, GENERATED_PER_RESOURCE, &mut tally);
    }
    println!(
        "differential: {} entities compared, {} mismatches ({} documented jq≠jaq differences)",
        tally.entities, tally.mismatches, tally.documented_inputs
    );
    println!(
        "  ({} inputs, {} outcomes: {:?})",
        tally.inputs, tally.outcomes, tally.by_outcome
    );
    for d in DIFFERENCES {
        println!(
            "  {}: {} — {}",
            d.name,
            tally.documented.get(d.name).copied().unwrap_or(0),
            d.description
        );
    }
    assert!(
        tally.unexplained == 0,
        "{} unexplained mismatches (first {} shown):{}",
        tally.unexplained,
        tally.unexplained.min(PRINT_LIMIT),
        tally.report
    );
}

mod probe_set {
    // Mappings whose results differ between jq 1.8 and jaq on wrong-typed input, to check that
    // the classifier attributes such mismatches to the right documented difference.
    opsgenie_port_macros::include_mappings!(
        config = r#"
resources:
  - kind: alert
    selector:
      query: 'true'
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: '"probe"'
          properties:
            underscored: .alias | contains("_")
            tagList: .tags | join(",")
"#,
        blueprints = r#"[{"identifier": "probe", "title": "Probe", "schema": {"properties": {
            "underscored": {"type": "boolean"}, "tagList": {"type": "string"}}}, "relations": {}}]"#
    );
}

#[test]
fn documented_differences_are_classified_by_their_condition() {
    let schemas = schemas();
    let mut tally = Tally::default();
    let set = MappingSet::new("probe", probe_set::mapping());
    run_set(&set, &schemas, GENERATED_PER_RESOURCE, &mut tally);
    assert_eq!(tally.unexplained, 0, "{}", tally.report);
    println!(
        "probe: {} mismatches, by difference {:?}",
        tally.mismatches, tally.documented
    );
    // Wrong-typed `alias` (null, numbers, objects …) and `null` tags occur in the generated
    // alerts, so both differences must show up, each attributed to its own category.
    for d in DIFFERENCES {
        assert!(
            tally.documented.get(d.name).copied().unwrap_or(0) > 0,
            "no mismatch attributed to {}",
            d.name
        );
    }
    assert_eq!(tally.mismatches, tally.documented_inputs);
}

#[test]
fn preludes_reproduce_jq_1_8_on_the_documented_cases() {
    // (program, input, jaq 3 without prelude, jq 1.8.2) — jq-notes §2.
    let cases = [
        (r#"contains("_")"#, "null", Some("false"), None),
        (r#"contains("_")"#, "1", Some("false"), None),
        (r#"contains("_")"#, r#""a_b""#, Some("true"), Some("true")),
        ("contains(true)", "true", Some("true"), Some("true")),
        (
            r#"join(",")"#,
            r#"["a",null,"b"]"#,
            Some(r#""a,null,b""#),
            Some(r#""a,,b""#),
        ),
        (
            r#"join("-")"#,
            r#"["a",1,true]"#,
            Some(r#""a-1-true""#),
            Some(r#""a-1-true""#),
        ),
        (r#"join(",")"#, "[]", Some(r#""""#), Some(r#""""#)),
    ];
    let prelude: String = DIFFERENCES.iter().map(|d| d.prelude).collect();
    let show = |r: ocean_jaq::LeafResult| match r {
        ocean_jaq::LeafResult::Value(v) => Some(v.to_string()),
        ocean_jaq::LeafResult::NoOutput => Some("<no output>".into()),
        ocean_jaq::LeafResult::Error(message) => {
            assert!(!message.is_empty(), "errors carry a message");
            None
        }
    };
    for (program, input, jaq, jq) in cases {
        let input = jaq_json::read::parse_single(input.as_bytes()).unwrap();
        let plain = ocean_jaq::Leaf::compile(program, "").run(&input);
        let compat = ocean_jaq::Leaf::compile(program, &prelude).run(&input);
        assert_eq!(show(plain).as_deref(), jaq, "jaq: {program} on {input}");
        assert_eq!(
            show(compat).as_deref(),
            jq,
            "jaq + prelude: {program} on {input}"
        );
    }
}
