//! Compiling the mapping Port holds (`compile_port`): the same plan as a build for the shipped
//! mappings, what blocks at run time and what only warns, diagnostics located by field path in
//! all three renderers, `canonical_config` and `mapping_blueprints`.

use opsgenie_port_compiler::check::{self, Plan, ResourcePlan};
use opsgenie_port_compiler::diag::codes::{at_run_time, lookup, RunTime};
use opsgenie_port_compiler::diag::{
    render_github, render_human, render_json, Diagnostic, Diagnostics, Severity,
};
use opsgenie_port_compiler::inputs::mapdir::{load_mapping_dir, BUILTIN_SOURCES};
use opsgenie_port_compiler::{
    app_config_json, canonical_config, compile_port, compile_texts, mapping_blueprints,
    PortCompiled,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn mappings() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../mappings")).to_path_buf()
}

/// What `compile_dir` plans for a shipped mapping directory, and its config as JSON (the form
/// `app_config_json` gives Port).
fn build(dir: &Path) -> (Plan, Value) {
    let mut diags = Diagnostics::new();
    let loaded = load_mapping_dir(dir, &mappings().join("sources"), &mut diags);
    let plan = check::plan(&loaded, &mut diags).expect("the shipped mapping compiles");
    assert!(diags.is_empty(), "{:?}", diags);
    let json = serde_json::from_str(&app_config_json(&loaded)).expect("JSON");
    (plan, json)
}

fn blueprints(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("blueprints.json")).expect("blueprints.json");
    serde_json::from_str(&text).expect("a list of blueprints")
}

fn port(config: &Value, dir: &Path) -> PortCompiled {
    compile_port(config, &blueprints(dir), BUILTIN_SOURCES)
}

/// A resource plan as text, properties and relations sorted (Port's JSON has no key order).
fn shape(r: &ResourcePlan) -> String {
    let mut props: Vec<String> = r.properties.iter().map(|p| format!("{p:?}")).collect();
    props.sort();
    let mut rels: Vec<String> = r.relations.iter().map(|p| format!("{p:?}")).collect();
    rels.sort();
    format!(
        "{} {} {:?}\nselector {:?}\nitems {:?}\nid {:?}\ntitle {:?}\nbp {:?}\nicon {:?}\nteam {:?}\nprops {props:#?}\nrels {rels:#?}\nreads {:?}\nopts {:?} {:?} {:?}",
        r.index,
        r.kind,
        r.blueprint_const,
        r.selector,
        r.items_to_parse,
        r.identifier,
        r.title,
        r.blueprint,
        r.icon,
        r.team,
        r.reads,
        r.include_members,
        r.api_query,
        r.expand
    )
}

fn set(v: &mut Value, pointer: &str, new: Value) {
    *v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = new;
}

fn codes(ds: &[Diagnostic]) -> Vec<(&'static str, Severity)> {
    ds.iter().map(|d| (d.code, d.severity)).collect()
}

fn planned(out: &PortCompiled) -> Vec<usize> {
    let plan = out.plan.as_ref().expect("a plan");
    plan.resources.iter().map(|r| r.index).collect()
}

fn blocked(out: &PortCompiled) -> Vec<usize> {
    out.blocked.iter().map(|b| b.index).collect()
}

#[test]
fn shipped_mappings_plan_the_same_from_port_json() {
    for dir in [mappings(), mappings().join("ocean-2026")] {
        let (want, json) = build(&dir);
        let got = port(&json, &dir);
        assert!(got.diagnostics.is_empty(), "{}", got.render_human());
        assert!(got.blocked.is_empty());
        let plan = got.plan.expect("a plan");
        assert_eq!(
            (
                plan.enable_merge_entity,
                plan.delete_dependent_entities,
                plan.create_missing_related_entities,
                plan.entity_deletion_threshold
            ),
            (
                want.enable_merge_entity,
                want.delete_dependent_entities,
                want.create_missing_related_entities,
                want.entity_deletion_threshold
            )
        );
        assert_eq!(plan.resources.len(), want.resources.len());
        assert!(!want.resources.is_empty());
        for (g, w) in plan.resources.iter().zip(&want.resources) {
            assert_eq!(shape(g), shape(w), "{}", dir.display());
        }
    }
}

/// The ocean-2026 mapping (7 resources) as Port would hold it.
fn ocean_2026() -> (PathBuf, Value) {
    let dir = mappings().join("ocean-2026");
    let (_, json) = build(&dir);
    (dir, json)
}

#[test]
fn a_broken_resource_blocks_only_itself() {
    let (dir, mut json) = ocean_2026();
    set(
        &mut json,
        "/resources/1/port/entity/mappings/title",
        json!(".name | ("),
    );
    set(
        &mut json,
        "/resources/4/port/entity/mappings/properties/description",
        json!(".mesage"),
    );
    set(&mut json, "/resources/5/kind", json!("incidnt"));
    let out = port(&json, &dir);
    let shown = out.render_human();
    assert_eq!(blocked(&out), [1, 5], "{shown}");
    assert_eq!(planned(&out), [0, 2, 3, 4, 6], "{shown}");
    assert_eq!(
        codes(&out.blocked[0].diagnostics),
        [("E0100", Severity::Error)]
    );
    assert_eq!(out.blocked[0].kind.as_deref(), Some("team"));
    assert_eq!(
        codes(&out.blocked[1].diagnostics),
        [("E0200", Severity::Error)]
    );
    assert_eq!(out.blocked[1].kind.as_deref(), Some("incidnt"));

    // The unknown field only warns; its leaf is planned and the field is read, so the
    // decoder keeps it when Opsgenie sends it.
    let warned: Vec<&Diagnostic> = out
        .diagnostics
        .iter()
        .filter(|d| d.code == "E0201")
        .collect();
    assert_eq!(warned.len(), 1);
    assert_eq!(warned[0].severity, Severity::Warning);
    let alert = &out.plan.as_ref().unwrap().resources[3];
    assert_eq!((alert.index, alert.kind.as_str()), (4, "alert"));
    assert!(alert
        .properties
        .iter()
        .any(|(n, l)| n == "description" && l.field == "properties.description"));
    assert!(
        alert.reads.fields.contains_key("mesage"),
        "{:?}",
        alert.reads
    );
    assert_eq!(out.diagnostics.len(), 3, "{shown}");
    assert!(shown.ends_with(
        "error: 2 of 7 resources blocked: resources[1] (team), resources[5] (incidnt); 1 warning emitted\n"
    ), "{shown}");
}

#[test]
fn the_same_mistakes_fail_a_build() {
    let (dir, mut json) = ocean_2026();
    set(
        &mut json,
        "/resources/4/port/entity/mappings/properties/description",
        json!(".mesage"),
    );
    let out = compile_texts(
        ("port-app-config.json", json.to_string()),
        (
            "blueprints.json",
            std::fs::read_to_string(dir.join("blueprints.json")).unwrap(),
        ),
        &mappings().join("sources"),
    );
    assert_eq!(codes(&out.diagnostics), [("E0201", Severity::Error)]);
    assert!(out.code.is_empty());
}

/// Each change makes exactly its resource blocked with `code`.
#[test]
fn what_blocks_a_resource() {
    let cases: &[(&str, Value, &str)] = &[
        (
            "/resources/0/port/entity/mappings/title",
            json!(".fullName | nosuch"),
            "E0101",
        ),
        (
            "/resources/0/port/entity/mappings/title",
            json!(".fullName | test(\"(\")"),
            "E0103",
        ),
        (
            "/resources/0/port/entity/mappings/title",
            json!("$x"),
            "E0104",
        ),
        (
            "/resources/0/port/entity/mappings/title",
            json!("file://title.jq"),
            "E0007",
        ),
        (
            "/resources/0/port/entity/mappings/title",
            json!(true),
            "E0005",
        ),
        ("/resources/0/selector/query", json!(".id"), "E0306"),
        (
            "/resources/0/port/entity/mappings/identifier",
            json!(".verified"),
            "E0307",
        ),
        (
            "/resources/0/port/entity/mappings/blueprint",
            json!("\"opsGenieUsr\""),
            "E0300",
        ),
        (
            "/resources/0/port/entity/mappings/properties/isVerified",
            json!(".fullName"),
            "E0303",
        ),
        (
            "/resources/0/port/itemsToParse",
            json!(".fullName"),
            "E0400",
        ),
        (
            "/resources/0/port/entity/mappings/identifier",
            json!({"combinator": "\"and\""}),
            "E0004",
        ),
    ];
    let (dir, json) = ocean_2026();
    for (pointer, value, code) in cases {
        let mut broken = json.clone();
        match broken.pointer_mut(pointer) {
            Some(slot) => *slot = value.clone(),
            None => {
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                broken.pointer_mut(parent).unwrap()[key] = value.clone();
            }
        }
        let out = port(&broken, &dir);
        let shown = out.render_human();
        assert_eq!(blocked(&out), [0], "{pointer} = {value}: {shown}");
        assert_eq!(planned(&out), [1, 2, 3, 4, 5, 6], "{shown}");
        assert!(
            out.blocked[0]
                .diagnostics
                .iter()
                .any(|d| d.code == *code && d.is_error()),
            "{pointer} = {value}: {shown}"
        );
    }
}

#[test]
fn a_misspelt_required_key_blocks_its_resource_as_an_error() {
    let (dir, mut json) = ocean_2026();
    let mappings = json
        .pointer_mut("/resources/2/port/entity/mappings")
        .unwrap();
    let id = mappings
        .as_object_mut()
        .unwrap()
        .remove("identifier")
        .unwrap();
    mappings["identifer"] = id;
    // An unknown key elsewhere only warns (Ocean ignores it).
    json["resources"][3]["port"]["entity"]["mappings"]["titel"] = json!(".name");
    let out = port(&json, &dir);
    assert_eq!(blocked(&out), [2], "{}", out.render_human());
    assert_eq!(
        codes(&out.blocked[0].diagnostics),
        [("E0003", Severity::Error)]
    );
    let warnings: Vec<_> = out.diagnostics.iter().filter(|d| !d.is_error()).collect();
    assert_eq!(
        codes(&warnings.into_iter().cloned().collect::<Vec<_>>()),
        [("E0003", Severity::Warning)]
    );
    assert!(planned(&out).contains(&3));
}

#[test]
fn errors_of_the_config_as_a_whole_leave_no_plan() {
    let (dir, json) = ocean_2026();
    let mut threshold = json.clone();
    threshold["entityDeletionThreshold"] = json!(2);
    for (config, code) in [
        (json!([]), "E0005"),
        (json!("resources"), "E0005"),
        (json!({}), "E0009"),
        (json!({"resources": []}), "E0009"),
        (json!({"resources": {"kind": "user"}}), "E0005"),
        (threshold, "E0005"),
    ] {
        let out = port(&config, &dir);
        assert!(out.plan.is_none(), "{config}");
        assert!(
            out.diagnostics
                .iter()
                .any(|d| d.code == code && d.is_error()),
            "{config}: {}",
            out.render_human()
        );
        assert!(out
            .render_human()
            .contains("error: the Port mapping cannot run"));
    }
    // An unknown top-level key is ignored, as Ocean does.
    let mut extra = json.clone();
    extra["enableMergeEntitty"] = json!(false);
    let out = port(&extra, &dir);
    assert_eq!(codes(&out.diagnostics), [("E0003", Severity::Warning)]);
    assert_eq!(planned(&out).len(), 7);
}

#[test]
fn port_blueprint_problems_warn_and_are_located_by_path() {
    let dir = mappings();
    let (_, json) = build(&dir);
    let mut bps = blueprints(&dir);
    bps[2]["schema"]["properties"]["count"]["type"] = json!("integer");
    bps[2]["schema"]["properties"]["status"]["format"] = json!("colour");
    let out = compile_port(&json, &bps, BUILTIN_SOURCES);
    assert_eq!(planned(&out), [0, 1, 2], "{}", out.render_human());
    assert_eq!(
        codes(&out.diagnostics),
        [("E0310", Severity::Warning), ("E0313", Severity::Warning)]
    );
    let shown = render_human(&out.diagnostics[0], &out.sm);
    assert!(
        shown.contains("--> blueprint opsGenieAlert: schema.properties.count.type\n"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "   |   \"type\": \"integer\"\n   |           ^^^^^^^^^ not a Port property type\n"
        ),
        "{shown}"
    );
    let shown = render_human(&out.diagnostics[1], &out.sm);
    assert!(
        shown.contains("--> blueprint opsGenieAlert: schema.properties.status.format\n"),
        "{shown}"
    );

    // A blueprint missing from Port blocks the resources writing to it; a property missing
    // from a Port blueprint blocks its resource, pointing into the blueprint too.
    let mut json = json;
    json["resources"][1]["port"]["entity"]["mappings"]["properties"]["severity"] =
        json!(".priority");
    let out = compile_port(&json, &bps[..2], BUILTIN_SOURCES);
    assert_eq!(blocked(&out), [1, 2], "{}", out.render_human());
    assert!(out.blocked[1].diagnostics.iter().any(|d| d.code == "E0300"));
    let e0301 = out.blocked[0]
        .diagnostics
        .iter()
        .find(|d| d.code == "E0301")
        .expect("E0301");
    let shown = render_human(e0301, &out.sm);
    assert!(
        shown.contains(
            "  --> Port mapping: resources[1].port.entity.mappings.properties.severity\n"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("  ::: blueprint opsGenieIncident: identifier\n"),
        "{shown}"
    );
}

/// A config whose third resource maps `title` to an unknown field.
fn unknown_title() -> PortCompiled {
    let dir = mappings();
    let (_, mut json) = build(&dir);
    set(
        &mut json,
        "/resources/2/port/entity/mappings/title",
        json!(".mesage"),
    );
    set(
        &mut json,
        "/resources/1/port/entity/mappings/title",
        json!("\"x\\\"y\" + .mesage"),
    );
    port(&json, &dir)
}

#[test]
fn human_output_shows_the_field_path_and_underlines_the_jq() {
    let out = unknown_title();
    assert_eq!(
        codes(&out.diagnostics),
        [("E0201", Severity::Warning), ("E0201", Severity::Warning)]
    );
    let expected = "\
warning[E0201]: `alert` has no field `mesage`
  --> Port mapping: resources[2].port.entity.mappings.title
   |
   |   \"title\": \".mesage\"
   |             ^^^^^^^ unknown field
   |
   = note: fields are checked against opsgenie-port's Opsgenie schema of `alert`; the mapping still reads the field: its value when Opsgenie sends it, null otherwise
   = help: did you mean `message`?
";
    assert_eq!(render_human(&out.diagnostics[1], &out.sm), expected);
    // JSON escapes before the field shift the underline exactly.
    let shown = render_human(&out.diagnostics[0], &out.sm);
    // `  "title": "` is 12 columns, `\"x\\\"y\" + ` 13 more: `.mesage` starts at column 25.
    let expected = format!(
        "  --> Port mapping: resources[1].port.entity.mappings.title\n   |\n   |   \"title\": \"\\\"x\\\\\\\"y\\\" + .mesage\"\n   | {}^^^^^^^ unknown field\n",
        " ".repeat(25)
    );
    assert!(shown.contains(&expected), "{shown}");
}

#[test]
fn json_and_github_output_give_the_path_instead_of_a_file() {
    let out = unknown_title();
    let lines: Vec<Value> = render_json(&out.diagnostics, &out.sm)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines[1]["origin"], "Port mapping");
    assert_eq!(lines[1]["path"], "resources[2].port.entity.mappings.title");
    assert_eq!(lines[1]["excerpt"], ".mesage");
    assert_eq!(lines[1]["severity"], "warning");
    assert!(lines[1]["file"].is_null() && lines[1]["line"].is_null());
    assert_eq!(lines[0]["excerpt"], ".mesage");

    let github = render_github(&out.diagnostics, &out.sm);
    let second = github.lines().nth(1).expect("two annotations");
    assert!(
        second.starts_with("::warning title=E0201 at Port mapping%3A resources[2].port.entity.mappings.title::`alert` has no field `mesage`%0A\"title\": \".mesage\"%0A          ^^^^^^^ unknown field%0A"),
        "{second}"
    );
    assert!(!second.contains("file="));
}

#[test]
fn canonical_config_ignores_form_and_sees_leaves() {
    let (_, yaml_json) = build(&mappings());
    let mut from_yaml = yaml_json.clone();
    from_yaml["entityDeletionThreshold"] = json!(1);
    let mine = canonical_config(&from_yaml).expect("loads");

    // Port's copy: defaults spelled out, an alias, keys in another order, 1.0 for 1, leaves
    // in other quotes and with whitespace.
    let mut theirs: Value = serde_json::from_str(&format!(
        r#"{{"resources": {}, "entityDeletionThreshold": 1.0, "enable_merge_entity": true,
            "deleteDependentEntities": true, "createMissingRelatedEntities": true}}"#,
        yaml_json["resources"]
    ))
    .unwrap();
    for r in theirs["resources"].as_array_mut().unwrap() {
        r["port"]["itemsToParseName"] = json!("item");
        r["port"]["itemsToParseTopLevelTransform"] = json!(true);
        r["port"]["entity"]["mappings"]["icon"] = Value::Null;
        r["selector"]["exportEnvVariables"] = json!([]);
    }
    theirs["resources"][2]["port"]["entity"]["mappings"]["blueprint"] = json!(" 'opsGenieAlert' ");
    theirs["resources"][2]["selector"]["apiQueryParams"] = json!({});
    assert_ne!(theirs, from_yaml);
    assert_eq!(canonical_config(&theirs).as_ref(), Some(&mine));

    let canon = &mine;
    assert_eq!(canon["enableMergeEntity"], true);
    assert_eq!(canon["resources"][0]["port"]["itemsToParseName"], "item");

    let mut changed = theirs.clone();
    changed["resources"][2]["port"]["entity"]["mappings"]["properties"]["status"] =
        json!(".status | ascii_upcase");
    assert_ne!(canonical_config(&changed), Some(mine.clone()));
    let mut other_threshold = theirs.clone();
    other_threshold["entityDeletionThreshold"] = json!(0.9);
    assert_ne!(canonical_config(&other_threshold), Some(mine));

    let mut broken = theirs;
    broken["resources"][0]["selector"] = json!({});
    assert_eq!(canonical_config(&broken), None);
    assert_eq!(canonical_config(&json!([])), None);
}

#[test]
fn mapping_blueprints_lists_constant_targets_once() {
    let (_, json) = build(&mappings());
    assert_eq!(
        mapping_blueprints(&json),
        ["opsGenieService", "opsGenieIncident", "opsGenieAlert"]
    );
    let (_, json) = ocean_2026();
    assert_eq!(
        mapping_blueprints(&json),
        [
            "opsGenieUser",
            "opsGenieTeam",
            "opsGenieSchedule",
            "opsGenieService",
            "opsGenieAlert",
            "opsGenieIncident"
        ]
    );
    let computed = json!({"resources": [
        {"port": {"entity": {"mappings": {"blueprint": ".type"}}}},
        {"port": {"entity": {"mappings": {"blueprint": "'x'"}}}},
        {"port": {"entity": {"mappings": {"blueprint": "\"x\""}}}},
        {"kind": "user"}
    ]});
    assert_eq!(mapping_blueprints(&computed), ["x"]);
    assert!(mapping_blueprints(&json!(null)).is_empty());
}

/// Every diagnostic code the compiler can report has a run-time decision.
#[test]
fn every_code_has_a_run_time_decision() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices('"') {
                    let code = text.get(i + 1..i + 6).unwrap_or("");
                    let is_code = code.len() == 5
                        && (code.starts_with('E') || code.starts_with('W'))
                        && code[1..].bytes().all(|b| b.is_ascii_digit())
                        && text.get(i + 6..i + 7) == Some("\"");
                    if is_code && !found.contains(&code.to_string()) {
                        found.push(code.to_string());
                    }
                }
            }
        }
    }
    assert!(found.len() > 30, "{found:?}");
    for code in &found {
        if code == "E9999" {
            continue; // the table's own test of an unknown code
        }
        assert!(
            lookup(code).is_some(),
            "{code} is not in the table of codes"
        );
    }
    // The decisions the run time relies on.
    for (code, want) in [
        ("E0201", RunTime::Warns),
        ("E0100", RunTime::Blocks),
        ("E0101", RunTime::Blocks),
        ("E0102", RunTime::Blocks),
        ("E0103", RunTime::Blocks),
        ("E0200", RunTime::Blocks),
        ("E0300", RunTime::Blocks),
        ("E0306", RunTime::Blocks),
        ("E0307", RunTime::Blocks),
        ("W0001", RunTime::Warns),
        ("W0002", RunTime::Warns),
    ] {
        assert_eq!(at_run_time(code), want, "{code}");
    }
}

/// xorshift64*: deterministic, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    }
}

/// JSON pointers of every value under `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Random edits of Port's JSON never panic, and no planned resource carries an error.
#[test]
fn random_edits_never_panic_and_errors_always_block() {
    let (dir, json) = ocean_2026();
    let bps = blueprints(&dir);
    let values = [
        json!(null),
        json!(true),
        json!(1.5),
        json!("("),
        json!(".mesage"),
        json!("\"\\u00e9\" + .x"),
        json!([]),
        json!({}),
        json!({"combinator": "\"and\"", "rules": []}),
        json!("file://x"),
    ];
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for round in 0..300 {
        let mut config = json.clone();
        for _ in 0..1 + rng.below(3) {
            let mut all = Vec::new();
            pointers(&config, String::new(), &mut all);
            let at = &all[rng.below(all.len())];
            let new = values[rng.below(values.len())].clone();
            match config.pointer_mut(at) {
                Some(slot) => *slot = new,
                None => unreachable!("{at}"),
            }
        }
        let out = compile_port(&config, &bps, BUILTIN_SOURCES);
        let shown = out.render_human();
        render_json(&out.diagnostics, &out.sm);
        render_github(&out.diagnostics, &out.sm);
        canonical_config(&config);
        mapping_blueprints(&config);
        let Some(plan) = &out.plan else { continue };
        let n = config["resources"].as_array().map_or(0, Vec::len);
        let mut all: Vec<usize> = planned(&out).into_iter().chain(blocked(&out)).collect();
        all.sort();
        assert_eq!(
            all,
            (0..n).collect::<Vec<_>>(),
            "round {round}: {config}\n{shown}"
        );
        for r in &plan.resources {
            let inside = |d: &&Diagnostic| {
                d.primary.as_ref().is_some_and(|p| {
                    let at = out.sm.location(p.span);
                    let prefix = format!("Port mapping: resources[{}]", r.index);
                    at == prefix || at.starts_with(&format!("{prefix}."))
                })
            };
            let errors: Vec<_> = out
                .diagnostics
                .iter()
                .filter(inside)
                .filter(|d| d.is_error())
                .collect();
            assert!(
                errors.is_empty(),
                "round {round}: resource {} planned with errors\n{shown}",
                r.index
            );
        }
    }
}
