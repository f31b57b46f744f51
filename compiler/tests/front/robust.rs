//! Randomized robustness: mutated mapping files never panic the loaders or renderers, and
//! every span they produce lies inside its file on char boundaries.

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
