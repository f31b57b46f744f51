//! Randomized robustness: mutated mapping files never panic the loaders or renderers, and
//! every span they produce lies inside its file on char boundaries; random and mutated YAML
//! loads without panic or abort, in bounded time and memory.

use opsgenie_port_compiler::diag::{render_all_human, render_github, render_json, Diagnostics};
use opsgenie_port_compiler::inputs::app_config::{
    load_app_config, JqSource, MappingValue, SearchQuery, SearchRule,
};
use opsgenie_port_compiler::inputs::blueprint::load_blueprints;
use opsgenie_port_compiler::inputs::schema::load_schema;
use opsgenie_port_compiler::source::{SourceMap, Span};

/// xorshift64*: deterministic, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEED_YAML: &str = r#"enableMergeEntity: true
entityDeletionThreshold: 0.5
resources:
  - kind: alert
    selector:
      query: >-
        .status == 'open'
        and .ü == "é"
      apiQueryParams:
        status: open
        is_seen: false
    port:
      itemsToParse: .responders
      entity:
        mappings:
          identifier: "  .id | \"x\\y\u00e9\" "
          title: '.message + '' '' + .x'
          blueprint: |
            "opsGenieAlert"
          team: {combinator: '"and"', rules: [{property: '"$identifier"', operator: '"="', value: .t}]}
          properties:
            a: .plain
              | ascii_downcase
            b: &anchor .x
            c: *anchor
          relations:
            r: .r
  - kind: schedule
    selector: {query: 'true', apiQueryParams: {expand: rotation}}
    port: {entity: {mappings: {identifier: .id, blueprint: '"s"'}}}
"#;

const SEED_JSON: &str = r#"[{"identifier": "opsGenieAlert", "title": "A",
  "schema": {"properties": {"s": {"type": "string", "enum": ["a", "\u00e9"]}, "t": {"type": "array", "items": {"type": "string", "format": "user"}}}, "required": ["s"]},
  "relations": {"team": {"target": "opsGenieTeam", "many": true}}},
 {"identifier": "opsGenieTeam", "properties": {"x": {"type": ["string", "null"], "additionalProperties": false, "items": {}}}}]"#;

const NOISE: &[char] = &[
    ':', '-', '\'', '"', '\n', ' ', '\t', '|', '>', '{', '}', '[', ']', '#', '&', '*', '!', '?',
    ',', '\\', 'é', '€', '😀', 'a', '0', '.', '%', '\r', '~', '\u{feff}',
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for _ in 0..=rng.below(4) {
        let len = chars.len();
        match rng.below(6) {
            0 if len > 0 => {
                let at = rng.below(len);
                let n = rng.below(8).min(len - at);
                chars.drain(at..at + n);
            }
            1 => {
                let at = rng.below(len + 1);
                for _ in 0..=rng.below(3) {
                    chars.insert(at, NOISE[rng.below(NOISE.len())]);
                }
            }
            2 if len > 0 => {
                let at = rng.below(len);
                chars[at] = NOISE[rng.below(NOISE.len())];
            }
            3 => {
                // Duplicate a line (duplicate keys, odd indentation).
                let text: String = chars.iter().collect();
                let lines: Vec<&str> = text.split('\n').collect();
                let i = rng.below(lines.len());
                let mut out: Vec<&str> = lines.clone();
                out.insert(i, lines[i]);
                chars = out.join("\n").chars().collect();
            }
            4 => chars.truncate(rng.below(len + 1)),
            _ => {
                // Re-indent a line.
                let text: String = chars.iter().collect();
                let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
                let i = rng.below(lines.len());
                if rng.below(2) == 0 {
                    lines[i].insert_str(0, "  ");
                } else {
                    lines[i] = lines[i].trim_start().to_string();
                }
                chars = lines.join("\n").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}

fn check_span(sm: &SourceMap, span: Span) {
    let text = sm.text(span.file);
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{span:?} outside file of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{span:?} splits a char"
    );
}

fn check_jq(sm: &SourceMap, jq: &JqSource) {
    assert_eq!(jq.text.len(), jq.raw.len());
    check_span(sm, jq.span);
    let n = jq.text.len();
    for i in (0..=n).filter(|&i| jq.text.is_char_boundary(i)) {
        check_span(sm, jq.span_of(i..n));
        check_span(sm, jq.span_of(0..i));
    }
    check_span(sm, jq.span_of(n + 5..n + 9));
}

fn check_query(sm: &SourceMap, q: &SearchQuery) {
    check_jq(sm, &q.combinator);
    for r in &q.rules {
        match r {
            SearchRule::Rule {
                property,
                operator,
                value,
            } => {
                check_jq(sm, property);
                check_jq(sm, operator);
                check_jq(sm, value);
            }
            SearchRule::Query(inner) => check_query(sm, inner),
        }
    }
}

fn check_value(sm: &SourceMap, v: &MappingValue) {
    match v {
        MappingValue::Jq(jq) => check_jq(sm, jq),
        MappingValue::Search(q) => check_query(sm, q),
    }
}

fn check_diags(sm: &SourceMap, diags: &Diagnostics) {
    for d in diags.iter() {
        for label in d.primary.iter().chain(&d.secondary) {
            check_span(sm, label.span);
        }
    }
    let all = diags.as_slice();
    let _ = render_all_human(all, sm);
    let _ = render_github(all, sm);
    for line in render_json(all, sm).lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("valid JSON line");
    }
}

#[test]
fn mutated_configs_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let real = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../mappings/port-app-config.yaml"
    ))
    .unwrap_or_default();
    let seeds = [SEED_YAML, real.as_str()];
    let mut mapped = 0;
    for round in 0..1500 {
        let text = mutate(&mut rng, seeds[round % seeds.len()]);
        let mut sm = SourceMap::new();
        let mut diags = Diagnostics::new();
        let path = if round % 10 == 0 { "c.json" } else { "c.yaml" };
        let config = load_app_config(&mut sm, path, text.clone(), &mut diags);
        check_diags(&sm, &diags);
        let Some(config) = config else { continue };
        mapped += config.resources.len();
        for r in &config.resources {
            check_span(&sm, r.span);
            check_span(&sm, r.kind_span);
            check_jq(&sm, &r.selector.query);
            for p in &r.selector.options.api_query_params {
                check_span(&sm, p.span);
            }
            let m = &r.port.entity;
            check_value(&sm, &m.identifier);
            check_jq(&sm, &m.blueprint);
            m.title
                .iter()
                .chain(&m.icon)
                .chain(&r.port.items_to_parse)
                .for_each(|j| check_jq(&sm, j));
            m.team.iter().for_each(|t| check_value(&sm, t));
            for (_, span, jq) in &m.properties {
                check_span(&sm, *span);
                check_jq(&sm, jq);
            }
            for (_, span, v) in &m.relations {
                check_span(&sm, *span);
                check_value(&sm, v);
            }
        }
    }
    // The mutations are mild enough that many resources survive, so spans get checked.
    assert!(mapped > 500, "only {mapped} resources survived mutation");
}

#[test]
fn mutated_json_never_panics() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..1500 {
        let text = mutate(&mut rng, SEED_JSON);
        let mut sm = SourceMap::new();
        let mut diags = Diagnostics::new();
        let bps = load_blueprints(&mut sm, "b.json", text.clone(), &mut diags);
        for bp in &bps {
            check_span(&sm, bp.span);
            check_span(&sm, bp.id_span);
            bp.properties.iter().for_each(|p| check_span(&sm, p.span));
            bp.relations.iter().for_each(|r| {
                check_span(&sm, r.span);
                check_span(&sm, r.target_span)
            });
        }
        let _ = load_schema(&mut sm, "s.json", text, &mut diags);
        check_diags(&sm, &diags);
    }
}

/// Words a random YAML document is made of: plain scalars YAML resolves to every type, jq,
/// indicators, escapes, non-ASCII.
const WORDS: &[&str] = &[
    ".id",
    ".message | ascii_downcase",
    "true",
    "False",
    "null",
    "~",
    "1.5e3",
    "0x1F",
    "-1",
    ".inf",
    "'it''s'",
    "\"a\\\"b\"",
    "\"\\u00e9\\x41\\t\"",
    "\"\\q\"",
    "é€😀",
    "a: b",
    "- x",
    "? k",
    "&",
    "*",
    "!",
    "%",
    "@",
    "`",
    "|",
    ">",
    "#x",
    "kind",
    "resources",
    "selector",
    "query",
    "port",
    "entity",
    "mappings",
    "identifier",
    "blueprint",
    "properties",
];

/// A random YAML document of at most about `budget` nodes: block and flow collections, every
/// scalar style, anchors, aliases (some of them "billion laughs" chains), tags, comments,
/// directives and extra documents. About half of them are shaped like a port-app-config.
fn random_yaml(rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut anchors = 0;
    if rng.below(10) == 0 {
        out.push_str("%YAML 1.2\n---\n");
    }
    if rng.below(40) == 0 {
        // Anchors copied many times over: the loader must stop them at its copy budget.
        let fan = 2 + rng.below(12);
        out.push_str(&format!("x0: &a0 [{}]\n", vec!["lol"; fan].join(", ")));
        for i in 1..3 + rng.below(10) {
            let refs = vec![format!("*a{}", i - 1); fan].join(", ");
            out.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
            anchors = i + 1;
        }
    }
    if rng.below(2) == 0 {
        out.push_str("resources:\n");
        for _ in 0..1 + rng.below(3) {
            out.push_str("  - kind: alert\n    selector:\n      query: 'true'\n    port:\n");
            out.push_str("      entity:\n        mappings:\n          identifier: .id\n");
            out.push_str("          blueprint: '\"b\"'\n          properties:\n");
            block_mapping(rng, &mut out, 12, 3, &mut anchors);
        }
    } else {
        block_mapping(rng, &mut out, 0, 5, &mut anchors);
    }
    if rng.below(12) == 0 {
        out.push_str("---\nsecond: document\n");
    }
    out
}

fn scalar(rng: &mut Rng, out: &mut String, anchors: &mut usize) {
    if rng.below(12) == 0 {
        out.push_str(&format!("&a{anchors} "));
        *anchors += 1;
    }
    if rng.below(15) == 0 {
        out.push_str(["!!str ", "!!int ", "!custom ", "!<tag:x> "][rng.below(4)]);
    }
    match rng.below(10) {
        0 if *anchors > 0 => out.push_str(&format!("*a{}", rng.below(*anchors + 1))),
        1 => out.push_str(&format!(
            "\"{}\"",
            WORDS[rng.below(WORDS.len())].replace('"', "\\\"")
        )),
        2 => out.push_str(&format!(
            "'{}'",
            WORDS[rng.below(WORDS.len())].replace('\'', "''")
        )),
        _ => out.push_str(WORDS[rng.below(WORDS.len())]),
    }
}

fn flow(rng: &mut Rng, out: &mut String, depth: usize, anchors: &mut usize) {
    let map = rng.below(2) == 0;
    out.push(if map { '{' } else { '[' });
    for i in 0..rng.below(4) {
        if i > 0 {
            out.push_str(", ");
        }
        if map {
            scalar(rng, out, anchors);
            out.push_str(": ");
        }
        if depth > 0 && rng.below(3) == 0 {
            flow(rng, out, depth - 1, anchors);
        } else {
            scalar(rng, out, anchors);
        }
    }
    out.push(if map { '}' } else { ']' });
}

/// A value after `key:` (or `-`) at `indent`: inline, or a nested block on the next lines.
fn value(rng: &mut Rng, out: &mut String, indent: usize, depth: usize, anchors: &mut usize) {
    match rng.below(if depth == 0 { 3 } else { 6 }) {
        0 => {
            out.push(' ');
            flow(rng, out, 2, anchors);
            out.push('\n');
        }
        1 => {
            let header = ["|", ">", "|-", ">+", "|2", ">-"][rng.below(6)];
            out.push_str(&format!(" {header}\n"));
            for _ in 0..1 + rng.below(3) {
                out.push_str(&" ".repeat(indent + 2));
                out.push_str(WORDS[rng.below(WORDS.len())]);
                out.push('\n');
            }
        }
        2 => {
            out.push(' ');
            scalar(rng, out, anchors);
            if rng.below(6) == 0 {
                out.push_str(" # comment");
            }
            out.push('\n');
        }
        3 | 4 => {
            out.push('\n');
            block_mapping(rng, out, indent + 2, depth - 1, anchors);
        }
        _ => {
            out.push('\n');
            for _ in 0..1 + rng.below(3) {
                out.push_str(&" ".repeat(indent + 2));
                out.push('-');
                value(rng, out, indent + 2, depth - 1, anchors);
            }
        }
    }
}

fn block_mapping(
    rng: &mut Rng,
    out: &mut String,
    indent: usize,
    depth: usize,
    anchors: &mut usize,
) {
    for _ in 0..1 + rng.below(4) {
        out.push_str(&" ".repeat(indent));
        out.push_str(
            WORDS[rng.below(WORDS.len())]
                .trim_start_matches(['-', '?', '&', '*', '!', '%', '@', '`', '|', '>', '#']),
        );
        out.push(':');
        value(rng, out, indent, depth, anchors);
    }
}

/// Heavier mutations than [`mutate`]: also a chunk of the text spliced elsewhere or repeated,
/// which makes long lines, deep nesting and many anchors.
fn mangle(rng: &mut Rng, text: &str) -> String {
    let mut text = mutate(rng, text);
    for _ in 0..rng.below(3) {
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            break;
        }
        let from = rng.below(chars.len());
        let len = 1 + rng.below(64).min(chars.len() - from - 1);
        let chunk: String = chars[from..from + len].iter().collect();
        let at = rng.below(chars.len() + 1);
        let times = if rng.below(4) == 0 {
            1 + rng.below(500)
        } else {
            1
        };
        let mut out: String = chars[..at].iter().collect();
        out.push_str(&chunk.repeat(times));
        out.extend(&chars[at..]);
        text = out;
    }
    text
}

/// The YAML loader (`load_app_config`) on random and mutated YAML — a fixed seed, 4,000 cases —
/// never panics, never aborts (each case runs on a thread with a 256 KiB stack: a stack
/// overflow would abort the whole test binary), answers every case quickly, and holds at most
/// a bounded amount of memory whatever the text (its limits: 1 MiB of text, 128 levels,
/// 250,000 nodes copied by aliases).
#[test]
fn random_and_mutated_yaml_loads_in_bounded_memory() {
    /// At most this much memory per case, whatever the text: the alias budget's 250,000 nodes
    /// at about 100 bytes each, twice (vectors grow by doubling), plus the text and its tree.
    const MAX_PEAK: usize = 64 << 20;
    let mut rng = Rng(0x005E_ED0F_0A11_CA5E);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let shipped: Vec<String> = [
        "mappings/port-app-config.yaml",
        "mappings/ocean-2026/port-app-config.yaml",
        "tests/fixtures/sync-plain/port-app-config.yaml",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(format!("{root}/{p}")).expect("shipped mapping"))
    .chain([SEED_YAML.to_owned()])
    .collect();
    let (mut loaded, mut largest, mut worst_peak) = (0, 0, 0);
    let started = std::time::Instant::now();
    for case in 0..4000 {
        let text = match case % 4 {
            0 => random_yaml(&mut rng),
            1 => {
                let random = random_yaml(&mut rng);
                mangle(&mut rng, &random)
            }
            _ => {
                let seed = rng.below(shipped.len());
                mangle(&mut rng, &shipped[seed])
            }
        };
        largest = largest.max(text.len());
        let input = text.clone();
        let outcome = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let case_started = std::time::Instant::now();
                let base = super::alloc::start_peak();
                let mut sm = SourceMap::new();
                let mut diags = Diagnostics::new();
                let config = load_app_config(&mut sm, "c.yaml", input, &mut diags);
                let peak = super::alloc::peak() - base;
                check_diags(&sm, &diags);
                (config.is_some(), peak, case_started.elapsed())
            })
            .expect("thread starts")
            .join();
        let Ok((ok, peak, time)) = outcome else {
            panic!("case {case} panicked on:\n{text}");
        };
        assert!(peak <= MAX_PEAK, "case {case}: {peak} bytes for:\n{text}");
        assert!(
            time < std::time::Duration::from_secs(2),
            "case {case}: {time:?} for:\n{text}"
        );
        loaded += usize::from(ok);
        worst_peak = worst_peak.max(peak);
    }
    // Enough of them load (so the checks behind the syntax run too) and enough do not.
    assert!((400..3600).contains(&loaded), "{loaded} of 4000 loaded");
    eprintln!(
        "4000 cases in {:?}: {loaded} loaded, largest {largest} bytes, worst peak {worst_peak} bytes",
        started.elapsed()
    );
}
