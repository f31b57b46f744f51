//! Hostile mappings: each gets its diagnostic through the entry points `validate` uses
//! (`compile_dir_builtin`, `compile_texts`) and run-time compilation uses (`compile_port`),
//! rendered as they render it, within 2 s and 200 MB; and the largest programs the limits accept
//! compile, through code generation.
//!
//! Memory is the peak of bytes allocated and not yet freed by the thread that compiles, counted
//! by this binary's allocator ([`super::alloc`]), so tests running alongside do not disturb it.
//! Each compilation runs on a thread with an 8 MiB stack, the main thread's, where `validate`
//! and build scripts compile (unoptimised code, as in tests, needs several times the stack of
//! the release binary; see `opsgenie_port_compiler::jq::limits`).

use opsgenie_port_compiler::jq::limits::{MAX_IR_DEPTH, MAX_NESTING, MAX_PROGRAM_BYTES};
use opsgenie_port_compiler::{compile_dir_builtin, compile_texts, Compiled};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const MAX_TIME: Duration = Duration::from_secs(2);
const MAX_BYTES: usize = 200 * 1024 * 1024;

fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings/sources")
}

/// A blueprint with a string property `x` (and `p0`…`p19` for mappings with many leaves).
fn blueprints() -> String {
    let mut props = String::from(r#""x": {"type": "string"}"#);
    for i in 0..20 {
        props.push_str(&format!(r#", "p{i}": {{"type": "string"}}"#));
    }
    format!(r#"[{{"identifier": "bp", "title": "B", "schema": {{"properties": {{{props}}}}}}}]"#)
}

/// YAML single-quoted scalar.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A mapping of alerts whose property `x` is `jq` (made a string).
fn mapping(jq: &str) -> String {
    mapping_of(&[("x", format!("({jq}) | tostring"))])
}

fn mapping_of(props: &[(&str, String)]) -> String {
    let props: String = props
        .iter()
        .map(|(name, jq)| format!("            {name}: {}\n", quoted(jq)))
        .collect();
    format!(
        "resources:\n  - kind: alert\n    selector:\n      query: 'true'\n    port:\n      entity:\n        mappings:\n          identifier: .id\n          blueprint: '\"bp\"'\n          properties:\n{props}"
    )
}

/// What one compilation reported and cost.
struct Run {
    /// Code and message of each diagnostic.
    diagnostics: Vec<(&'static str, String)>,
    has_errors: bool,
    /// Bytes of generated Rust.
    generated: usize,
    rendered: String,
    time: Duration,
    peak: usize,
}

/// Runs `compile` (and renders its diagnostics, as `validate` does) on a fresh thread with the
/// main thread's stack, measuring its time and peak memory.
fn measure(compile: impl FnOnce() -> Compiled + Send + 'static) -> Run {
    std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            let start = Instant::now();
            let base = super::alloc::start_peak();
            let compiled = compile();
            let rendered = compiled.render_human();
            let peak = super::alloc::peak() - base;
            Run {
                diagnostics: compiled
                    .diagnostics
                    .iter()
                    .map(|d| (d.code, d.message.clone()))
                    .collect(),
                has_errors: compiled.has_errors(),
                generated: compiled.code.len(),
                rendered,
                time: start.elapsed(),
                peak,
            }
        })
        .expect("thread starts")
        .join()
        .expect("compilation does not panic")
}

fn texts(config: String, blueprints: String) -> Run {
    measure(move || {
        compile_texts(
            ("port-app-config.yaml", config),
            ("blueprints.json", blueprints),
            &sources(),
        )
    })
}

/// A mapping directory with these files, in a fresh temporary directory.
fn dir(name: &str, config: &str, blueprints: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "opsgenie-port-hostile-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("port-app-config.yaml"), config).expect("write config");
    std::fs::write(dir.join("blueprints.json"), blueprints).expect("write blueprints");
    dir
}

/// The run failed with `code` and a message saying `what` (one of `|`-separated words), fast and
/// small.
fn assert_rejected(name: &str, run: &Run, code: &str, what: &str) {
    assert!(
        run.has_errors
            && run
                .diagnostics
                .iter()
                .any(|(c, m)| *c == code && what.split('|').any(|w| m.contains(w))),
        "{name}: expected {code} `{what}`, got {:?}\n{:.2000}",
        run.diagnostics,
        run.rendered
    );
    assert!(run.time < MAX_TIME, "{name}: took {:?}", run.time);
    assert!(
        run.peak < MAX_BYTES,
        "{name}: peak {} MB",
        run.peak / (1024 * 1024)
    );
    // The report stays small too (long lines are cut around the underline).
    assert!(
        run.rendered.len() < 256 * 1024,
        "{name}: {} bytes of report",
        run.rendered.len()
    );
    println!(
        "{name:<28} {code}  {:>8.1?}  {:>6} KiB peak",
        run.time,
        run.peak / 1024
    );
}

#[test]
fn hostile_jq_gets_a_diagnostic_fast() {
    let deep = 100_000;
    let chain = 10_000;
    // Too deep before jaq parses it; too many steps once expanded; too much generated code.
    let deep_text = "nested more than";
    let expanded = "steps once its functions are expanded";
    let code = "would compile to too much code";
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "parentheses 10^5",
            "(".repeat(deep) + ".message" + &")".repeat(deep),
            "E0105",
            deep_text,
        ),
        (
            "arrays 10^4",
            "[".repeat(10_000) + ".message" + &"]".repeat(10_000),
            "E0105",
            deep_text,
        ),
        (
            "objects 10^4",
            "{a:".repeat(10_000) + ".message" + &"}".repeat(10_000),
            "E0105",
            deep_text,
        ),
        (
            "ifs 10^4",
            "if .id then ".repeat(10_000) + ".message" + &" else . end".repeat(10_000),
            "E0105",
            deep_text,
        ),
        (
            "interpolations 10^4",
            "\"\\(".repeat(10_000) + ".message" + &")\"".repeat(10_000),
            "E0105",
            deep_text,
        ),
        (
            "pipe chain",
            vec![".message"; chain].join(" | "),
            "E0105",
            deep_text,
        ),
        (
            "alternative chain",
            vec![".message"; chain].join(" // "),
            "E0105",
            deep_text,
        ),
        ("negations", "- ".repeat(chain) + "1", "E0105", deep_text),
        (
            "def inlining bomb",
            "def f(g): g | g; ".to_string() + &"f(".repeat(40) + ".message" + &")".repeat(40),
            "E0106",
            expanded,
        ),
        (
            "def chain bomb",
            "def f0: .message; ".to_string()
                + &(1..=40)
                    .map(|i| format!("def f{i}: f{} + f{}; ", i - 1, i - 1))
                    .collect::<String>()
                + "f40",
            "E0106",
            expanded,
        ),
        (
            "sequenced ifs",
            (0..40)
                .map(|i| format!("(if .id then 1 else 2 end) as $x{i} | "))
                .collect::<String>()
                + ".message",
            "E0106",
            code,
        ),
        (
            "pipeline of long paths",
            vec![format!("({{}} | {})", ".a".repeat(30)); 20].join(" | "),
            "E0105",
            "would compile to code nested too deeply",
        ),
        (
            "huge leaf",
            format!("\"{}\"", "x".repeat(MAX_PROGRAM_BYTES)),
            "E0106",
            "expression is too large",
        ),
        (
            "long list",
            vec!["1"; 10_000].join(", "),
            "E0106",
            "`,`-separated items",
        ),
    ];
    for (name, jq, code, what) in cases {
        let run = texts(mapping(&jq), blueprints());
        assert_rejected(name, &run, code, what);
    }
}

#[test]
fn many_large_leaves_exceed_the_mapping_budget() {
    // Each leaf is within the limit of one expression; together they are not.
    let leaf = (0..10)
        .map(|i| format!("(if .id then 1 else 2 end) as $x{i} | "))
        .collect::<String>()
        + ".message";
    let names: Vec<String> = (0..20).map(|i| format!("p{i}")).collect();
    let props: Vec<(&str, String)> = names.iter().map(|n| (n.as_str(), leaf.clone())).collect();
    let config = mapping_of(&props);
    let path = dir("many-leaves", &config, &blueprints());
    let run = measure({
        let path = path.clone();
        move || compile_dir_builtin(&path)
    });
    let _ = std::fs::remove_dir_all(&path);
    assert_rejected(
        "many large leaves",
        &run,
        "E0106",
        "the mapping would compile to too much code",
    );
}

#[test]
fn hostile_documents_get_a_diagnostic_fast() {
    let nine = |item: &str| [item; 9].join(", ");
    let mut laughs = format!("x:\n  a0: &a0 [{}]\n", nine("\"lol\""));
    for i in 1..10 {
        laughs.push_str(&format!(
            "  a{i}: &a{i} [{}]\n",
            nine(&format!("*a{}", i - 1))
        ));
    }
    laughs.push_str("resources: []\n");
    // Each anchor one level deeper than the last: as deep as it is long.
    let mut alias_depth = String::from("x:\n  a0: &a0 [x]\n");
    for i in 1..5_000 {
        alias_depth.push_str(&format!("  a{i}: &a{i} [*a{}]\n", i - 1));
    }
    let block: String = (0..1000).map(|i| " ".repeat(i + 1) + "-\n").collect();
    let ok_config = mapping(".message");
    let cases: Vec<(&str, String, String, &str, &str)> = vec![
        (
            "YAML billion laughs",
            laughs,
            blueprints(),
            "E0001",
            "copy too much",
        ),
        (
            "YAML alias depth",
            alias_depth,
            blueprints(),
            "E0001",
            "too deep",
        ),
        (
            "YAML deep flow",
            format!(
                "resources: {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            blueprints(),
            "E0001",
            // yaml-rust2's scanner, which reads ahead, has its own limit.
            "too deep|recursion limit exceeded",
        ),
        (
            "YAML deep block",
            format!("resources:\n{block}"),
            blueprints(),
            "E0001",
            "too deep",
        ),
        (
            "YAML huge",
            format!("x: [{}]\nresources: []\n", vec!["y"; 1_000_000].join(",")),
            blueprints(),
            "E0001",
            "too large",
        ),
        (
            "JSON deep",
            ok_config.clone(),
            "[".repeat(100_000) + &"]".repeat(100_000),
            "E0002",
            "too deep",
        ),
        (
            "JSON huge",
            ok_config.clone(),
            format!("[{}]", vec!["1"; 1_000_000].join(",")),
            "E0002",
            "too large",
        ),
        (
            // Every item is an error; only the first ones are kept, on one long line.
            "JSON many errors",
            ok_config,
            format!("[{}]", vec!["1"; 200_000].join(",")),
            "E0011",
            "more error(s)",
        ),
    ];
    for (name, config, blueprints, code, what) in cases {
        let run = texts(config, blueprints);
        assert_rejected(name, &run, code, what);
    }
}

/// A mapping that is only wide — 10,000 properties written to a blueprint of 10,000, a third of
/// them required (the quadratic checks this guards against took 0.5 s in release here) — is checked in linear time (duplicate keys, property lookups, required
/// properties), then refused by the mapping's code budget.
#[test]
fn wide_mappings_are_checked_in_linear_time() {
    let n = 10_000;
    let mut config = String::from(
        "resources:\n  - kind: alert\n    selector:\n      query: 'true'\n    port:\n      entity:\n        mappings:\n          identifier: .id\n          blueprint: '\"opsGenieAlert\"'\n          properties:\n",
    );
    for i in 0..n {
        config.push_str(&format!("            p{i}: .message // \"none\"\n"));
    }
    let properties: Vec<String> = (0..n)
        .map(|i| format!("\"p{i}\":{{\"type\":\"string\"}}"))
        .collect();
    let required: Vec<String> = (0..n).step_by(3).map(|i| format!("\"p{i}\"")).collect();
    let blueprints = format!(
        "[{{\"identifier\":\"opsGenieAlert\",\"title\":\"A\",\"schema\":{{\"properties\":{{{}}},\"required\":[{}]}}}}]",
        properties.join(","),
        required.join(",")
    );
    let run = texts(config, blueprints);
    assert_rejected("wide mapping", &run, "E0106", "too much code");
}

/// The largest `n` for which `program(n)`, as `mapping` puts it, passes the front end (`n` <
/// `hi`).
fn largest_accepted(program: &dyn Fn(usize) -> String, hi: usize) -> usize {
    let (mut lo, mut hi) = (1, hi);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let text = format!("({}) | tostring", program(mid));
        if opsgenie_port_compiler::jq::compile(&text).is_ok() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[test]
fn the_deepest_accepted_programs_compile_to_rust() {
    type Program = fn(usize) -> String;
    let kinds: &[(&str, Program)] = &[
        ("parentheses", |n| {
            "(".repeat(n) + ".message" + &")".repeat(n)
        }),
        ("objects", |n| "{a:".repeat(n) + ".message" + &"}".repeat(n)),
        ("ifs", |n| {
            "if .id then ".repeat(n) + ".message" + &" else . end".repeat(n)
        }),
        ("elifs", |n| {
            "if .id then 1 ".to_string() + &"elif .id then 2 ".repeat(n) + "else 3 end"
        }),
        ("try", |n| "try ".repeat(n) + ".message"),
        ("interpolations", |n| {
            "\"\\(".repeat(n) + ".message" + &")\"".repeat(n)
        }),
        ("map", |n| "map(".repeat(n) + "." + &")".repeat(n)),
        ("path", |n| "{} | ".to_string() + &".a".repeat(n)),
        ("and chain", |n| vec![".id"; n].join(" and ")),
        // Each step of a pipeline is generated inside the one before it.
        ("pipeline of paths", |n| {
            vec![format!("({{}} | {})", ".a".repeat(20)); n].join(" | ")
        }),
        ("pipeline of iterations", |n| {
            vec![format!("({})", ".[]".repeat(20)); n].join(" | ")
        }),
        ("wide object", |n| {
            let entries: Vec<String> = (0..n).map(|i| format!("a{i}: .message")).collect();
            format!("{{{}}}", entries.join(", "))
        }),
    ];
    let mut deepest = Vec::new();
    for &(name, program) in kinds {
        let n = largest_accepted(&program, MAX_NESTING.max(MAX_IR_DEPTH) + 2);
        assert!(n >= 10, "{name}: only {n} accepted");
        deepest.push((name, program(n)));
    }
    let run = measure(move || {
        let props: Vec<(String, String)> = deepest
            .iter()
            .enumerate()
            .map(|(i, (_, p))| (format!("p{i}"), format!("({p}) | tostring")))
            .collect();
        let props: Vec<(&str, String)> =
            props.iter().map(|(n, p)| (n.as_str(), p.clone())).collect();
        compile_texts(
            ("port-app-config.yaml", mapping_of(&props)),
            ("blueprints.json", blueprints()),
            &sources(),
        )
    });
    assert!(
        !run.has_errors && run.generated > 0,
        "{:.3000}",
        run.rendered
    );
    assert!(run.peak < MAX_BYTES, "peak {} MB", run.peak / (1024 * 1024));
    println!(
        "deepest accepted programs: {:?}, {} KiB peak, {} bytes of Rust",
        run.time,
        run.peak / 1024,
        run.generated
    );
}

/// Run-time compilation (`compile_port`, what a resync does with the mapping Port holds) of
/// hostile mappings as Port returns them (JSON): the same diagnostics, within the same bounds.
#[test]
fn hostile_port_mappings_get_a_diagnostic_fast() {
    use opsgenie_port_compiler::inputs::mapdir::BUILTIN_SOURCES;
    use serde_json::{json, Value};
    let blueprints: Vec<Value> = serde_json::from_str(&blueprints()).unwrap();
    let resource = |props: Value| {
        json!({
            "kind": "alert",
            "selector": {"query": "true"},
            "port": {"entity": {"mappings": {
                "identifier": ".id", "blueprint": "\"bp\"", "properties": props
            }}}
        })
    };
    let alternatives = vec![".a"; 600].join(" // ");
    let parens = "(".repeat(5_000) + "." + &")".repeat(5_000);
    let ifs: String = (0..40)
        .map(|i| format!("(if .id then 1 else 2 end) as $x{i} | "))
        .collect::<String>()
        + ".id";
    let bomb = "def f(g): g | g; f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(.))))))))))))))))))";
    let wide: serde_json::Map<String, Value> = (0..10_000)
        .map(|i| (format!("p{i}"), json!(".message")))
        .collect();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "600 alternatives",
            json!({"resources": [resource(json!({"x": alternatives}))]}),
            "E0105",
        ),
        (
            "deep parentheses",
            json!({"resources": [resource(json!({"x": parens}))]}),
            "E0105",
        ),
        (
            "sequenced ifs",
            json!({"resources": [resource(json!({"x": ifs}))]}),
            "E0106",
        ),
        (
            "def bomb",
            json!({"resources": [resource(json!({"x": bomb}))]}),
            "E0106",
        ),
        // Not refused as a whole (no code is generated at run time): checked in linear time.
        (
            "25,000 properties",
            json!({"resources": [resource(Value::Object(wide))]}),
            "E0301",
        ),
    ];
    for (name, config, code) in cases {
        let blueprints = blueprints.clone();
        let (diagnostics, time, peak) = std::thread::Builder::new()
            .stack_size(8 * 1024 * 1024)
            .spawn(move || {
                let start = Instant::now();
                let base = super::alloc::start_peak();
                let compiled =
                    opsgenie_port_compiler::compile_port(&config, &blueprints, BUILTIN_SOURCES);
                let _ = compiled.render_human();
                let codes: Vec<&'static str> =
                    compiled.diagnostics.iter().map(|d| d.code).collect();
                (codes, start.elapsed(), super::alloc::peak() - base)
            })
            .unwrap()
            .join()
            .expect("compilation does not panic");
        assert!(diagnostics.contains(&code), "{name}: {diagnostics:?}");
        assert!(time < MAX_TIME, "{name}: took {time:?}");
        assert!(peak < MAX_BYTES, "{name}: peak {} MB", peak / (1024 * 1024));
    }
}
