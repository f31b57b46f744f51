//! port-app-config validation: each diagnostic code with its location, the model built from
//! valid input, and exact jq spans.

use opsgenie_port_compiler::diag::{Diagnostics, Severity};
use opsgenie_port_compiler::inputs::app_config::{
    load_app_config, AppConfig, JqSource, MappingValue, ParamValue, SearchRule,
};
use opsgenie_port_compiler::source::SourceMap;

fn load(yaml: &str) -> (SourceMap, Option<AppConfig>, Diagnostics) {
    let mut sm = SourceMap::new();
    let mut diags = Diagnostics::new();
    let config = load_app_config(
        &mut sm,
        "port-app-config.yaml",
        yaml.to_string(),
        &mut diags,
    );
    (sm, config, diags)
}

/// (code, line, column) of every diagnostic.
fn codes(yaml: &str) -> Vec<(&'static str, usize, usize)> {
    let (sm, _, diags) = load(yaml);
    diags
        .iter()
        .map(|d| {
            let (l, c) = d
                .primary
                .as_ref()
                .map_or((0, 0), |p| sm.line_col(p.span.file, p.span.start));
            (d.code, l, c)
        })
        .collect()
}

fn resource(kind: &str, selector_extra: &str, mappings_extra: &str) -> String {
    format!(
        "resources:\n  - kind: {kind}\n    selector:\n      query: 'true'\n{selector_extra}    port:\n      entity:\n        mappings:\n          identifier: .id\n          blueprint: '\"bp\"'\n{mappings_extra}"
    )
}

#[test]
fn valid_config_builds_the_model() {
    let yaml = r#"deleteDependentEntities: false
entityDeletionThreshold: 0.5
resources:
  - kind: alert
    selector:
      query: .status == "open"
      apiQueryParams:
        status: open
        is_seen: false
        created_at: "2024-01-31T12:00:00Z"
        priority: P1
      exportEnvVariables: [HOME]
    port:
      itemsToParse: .responders
      itemsToParseName: responder
      entity:
        mappings:
          identifier: .id
          title: .message
          blueprint: '"opsGenieAlert"'
          team: null
          properties:
            count: 42
            status: .status
          relations:
            respondingTeam:
              combinator: '"and"'
              rules:
                - property: '"$identifier"'
                  operator: '"="'
                  value: .teamId
                - combinator: '"or"'
                  rules: []
  - kind: team
    selector:
      query: 'true'
      includeMembers: true
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: '"opsGenieTeam"'
  - kind: schedule
    selector:
      query: 'true'
      apiQueryParams:
        expand: rotation
    port:
      itemsToParseTopLevelTransform: false
      entity:
        mappings:
          identifier: .id
          blueprint: '"opsGenieSchedule"'
"#;
    let (_, config, diags) = load(yaml);
    assert!(diags.is_empty(), "{diags:?}");
    let c = config.unwrap();
    assert!(
        c.enable_merge_entity && !c.delete_dependent_entities && c.create_missing_related_entities
    );
    assert_eq!(c.entity_deletion_threshold, 0.5);
    assert_eq!(c.resources.len(), 3);
    let alert = &c.resources[0];
    assert_eq!((alert.index, alert.kind.as_str()), (0, "alert"));
    let terms: Vec<String> = alert
        .selector
        .options
        .api_query_params
        .iter()
        .map(|p| p.to_search_term())
        .collect();
    assert_eq!(
        terms,
        [
            "status:open",
            "isSeen:false",
            "createdAt:2024-01-31T12:00:00Z",
            "priority:P1"
        ]
    );
    assert_eq!(
        alert.selector.options.api_query_params[1].value,
        ParamValue::Bool(false)
    );
    assert_eq!(alert.selector.options.export_env_variables, ["HOME"]);
    assert_eq!(alert.selector.query.text, ".status == \"open\"");
    let port = &alert.port;
    assert_eq!(port.items_to_parse.as_ref().unwrap().text, ".responders");
    assert_eq!(port.items_to_parse_name, "responder");
    assert!(port.items_to_parse_top_level_transform);
    let m = &port.entity;
    assert_eq!(m.blueprint.text, "\"opsGenieAlert\"");
    assert_eq!(m.blueprint.raw, "\"opsGenieAlert\"");
    assert!(m.team.is_none());
    let props: Vec<(&str, &str)> = m
        .properties
        .iter()
        .map(|(n, _, jq)| (n.as_str(), jq.text.as_str()))
        .collect();
    assert_eq!(props, [("count", "42"), ("status", ".status")]);
    let MappingValue::Search(q) = &m.relations[0].2 else {
        panic!("expected a search query")
    };
    assert_eq!(q.combinator.text, "\"and\"");
    assert!(matches!(&q.rules[0], SearchRule::Rule { value, .. } if value.text == ".teamId"));
    assert!(matches!(&q.rules[1], SearchRule::Query(inner) if inner.rules.is_empty()));
    assert_eq!(c.resources[1].selector.options.include_members, Some(true));
    assert_eq!(
        c.resources[2].selector.options.expand.as_deref(),
        Some("rotation")
    );
    assert!(!c.resources[2].port.items_to_parse_top_level_transform);
}

#[test]
fn e0001_yaml_syntax() {
    assert_eq!(codes("resources:\n  - kind: [alert\n"), [("E0001", 3, 1)]);
    assert_eq!(codes("a: b: c\n"), [("E0001", 1, 5)]);
}

#[test]
fn e0002_json_config_syntax() {
    let mut sm = SourceMap::new();
    let mut diags = Diagnostics::new();
    let c = load_app_config(
        &mut sm,
        "port-app-config.json",
        "{\"resources\": [}".into(),
        &mut diags,
    );
    assert!(c.is_none());
    let d = diags.iter().next().unwrap();
    assert_eq!(d.code, "E0002");
    assert_eq!(
        sm.line_col(
            d.primary.as_ref().unwrap().span.file,
            d.primary.as_ref().unwrap().span.start
        ),
        (1, 16)
    );
}

#[test]
fn e0003_unknown_keys_at_every_level() {
    let yaml = "enableMergeEntities: true\nresources:\n  - kind: user\n    selctor: {}\n    selector:\n      query: 'true'\n      includeMembers: true\n      apiQueryParams: {}\n    port:\n      itemsToParser: .x\n      entity:\n        mapping: {}\n        mappings:\n          identifier: .id\n          blueprint: '\"u\"'\n          titel: .name\n";
    let (_, config, diags) = load(yaml);
    let found: Vec<(&str, String)> = diags.iter().map(|d| (d.code, d.help.join(";"))).collect();
    assert_eq!(
        found,
        [
            ("E0003", "did you mean `enableMergeEntity`?".to_string()),
            ("E0003", "did you mean `selector`?".to_string()),
            ("E0003", String::new()),
            ("E0003", String::new()),
            ("E0003", "did you mean `itemsToParse`?".to_string()),
            ("E0003", "did you mean `mappings`?".to_string()),
            ("E0003", "did you mean `title`?".to_string()),
        ]
    );
    // Unknown keys do not stop the resource from being built.
    assert_eq!(config.unwrap().resources.len(), 1);
    assert_eq!(
        codes(yaml)
            .iter()
            .map(|&(_, l, c)| (l, c))
            .collect::<Vec<_>>(),
        [(1, 1), (4, 5), (7, 7), (8, 7), (10, 7), (12, 9), (16, 11)]
    );
}

#[test]
fn e0003_kind_specific_selector_keys() {
    // apiQueryParams keys for alerts, with did-you-mean and aliases.
    let yaml = resource("alert", "      apiQueryParams:\n        staus: open\n        isSeen: true\n        acknowledged_by: me\n", "");
    let (_, _, diags) = load(&yaml);
    let d: Vec<_> = diags.iter().collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "E0003");
    assert_eq!(d[0].help, ["did you mean `status`?"]);
    // expand is the schedule's only apiQueryParams key.
    assert_eq!(
        codes(&resource(
            "schedule",
            "      apiQueryParams:\n        expand: rotation\n        status: open\n",
            ""
        )),
        [("E0003", 7, 9)]
    );
    // includeMembers belongs to teams; exportEnvVariables to everyone.
    assert_eq!(
        codes(&resource(
            "service",
            "      includeMembers: true\n      exportEnvVariables: []\n",
            ""
        )),
        [("E0003", 5, 7)]
    );
    assert!(codes(&resource("team", "      includeMembers: false\n", "")).is_empty());
}

#[test]
fn e0004_missing_required_keys() {
    let yaml = "resources:\n  - selector:\n      includeMembers: true\n    port:\n      entity:\n        mappings:\n          title: .name\n";
    assert_eq!(
        codes(yaml),
        [
            ("E0004", 2, 5),
            ("E0004", 2, 5),
            ("E0004", 6, 9),
            ("E0004", 6, 9)
        ]
    );
    let (_, config, diags) = load(yaml);
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "missing required key `kind` in resource #0",
            "missing required key `query` in the selector",
            "missing required key `identifier` in `mappings`",
            "missing required key `blueprint` in `mappings`",
        ]
    );
    assert!(config.unwrap().resources.is_empty());
    assert_eq!(
        codes("resources:\n  - kind: user\n"),
        [("E0004", 2, 5), ("E0004", 2, 5)]
    );
}

#[test]
fn e0005_wrong_types_and_values() {
    let cases: &[(&str, (usize, usize))] = &[
        ("entityDeletionThreshold: 1.5\nresources: []\n", (1, 26)),
        ("entityDeletionThreshold: high\nresources: []\n", (1, 26)),
        ("enableMergeEntity: 'yes'\nresources: []\n", (1, 20)),
        ("resources: {}\n", (1, 12)),
        ("- a\n", (1, 1)),
    ];
    for (yaml, at) in cases {
        let found = codes(yaml);
        assert_eq!(found[0], ("E0005", at.0, at.1), "{yaml}");
    }
    // properties must be a mapping; jq leaves must be strings (booleans are a trap).
    let yaml = resource("user", "", "          properties: [a]\n");
    assert_eq!(codes(&yaml), [("E0005", 10, 23)]);
    let yaml = resource(
        "user",
        "",
        "          properties:\n            a: true\n            b: null\n            c: {x: 1}\n",
    );
    assert_eq!(
        codes(&yaml),
        [("E0005", 11, 16), ("E0005", 12, 16), ("E0005", 13, 16)]
    );
    let (_, _, diags) = load(&yaml);
    let first = diags.iter().next().unwrap();
    assert_eq!(first.help, ["quote it: `'true'`"]);
    let yaml = "resources:\n  - kind: user\n    selector:\n      query: true\n    port: {entity: {mappings: {identifier: .id, blueprint: '\"u\"'}}}\n";
    assert_eq!(codes(yaml), [("E0005", 4, 14)]);
    // Query parameter values.
    let yaml = resource("incident", "      apiQueryParams:\n        status: opne\n        priority: P9\n        acknowledged: maybe\n", "");
    let (_, _, diags) = load(&yaml);
    let got: Vec<(&str, Vec<String>)> = diags.iter().map(|d| (d.code, d.help.clone())).collect();
    assert_eq!(
        got,
        [
            ("E0005", vec!["did you mean `open`?".to_string()]),
            ("E0005", vec!["did you mean `P1`?".to_string()]),
            ("E0005", vec![]),
        ]
    );
    assert_eq!(
        codes(&resource(
            "schedule",
            "      apiQueryParams:\n        expand: users\n",
            ""
        )),
        [("E0005", 6, 17)]
    );
}

#[test]
fn e0006_duplicate_keys() {
    let yaml = resource(
        "user",
        "",
        "          properties:\n            a: .a\n            a: .b\n",
    );
    let (sm, config, diags) = load(&yaml);
    let d = diags.iter().next().unwrap();
    assert_eq!(d.code, "E0006");
    let at = |s: opsgenie_port_compiler::source::Span| sm.line_col(s.file, s.start);
    assert_eq!(at(d.primary.as_ref().unwrap().span), (12, 13));
    assert_eq!(at(d.secondary[0].span), (11, 13));
    assert_eq!(config.unwrap().resources[0].port.entity.properties.len(), 1);
    // Two spellings of one field.
    let yaml = resource(
        "alert",
        "      apiQueryParams:\n        isSeen: true\n        is_seen: false\n",
        "",
    );
    assert_eq!(codes(&yaml), [("E0006", 7, 9)]);
    assert_eq!(
        codes("enableMergeEntity: true\nenable_merge_entity: false\nresources: []\n")[0],
        ("E0006", 2, 1)
    );
}

#[test]
fn e0007_file_references() {
    let yaml = resource("user", "", "          title: file://title.jq\n");
    assert_eq!(codes(&yaml), [("E0007", 10, 18)]);
}

#[test]
fn e0009_no_resources_is_a_warning() {
    let (_, config, diags) = load("deleteDependentEntities: true\n");
    assert!(config.is_some());
    let d = diags.iter().next().unwrap();
    assert_eq!((d.code, d.severity), ("E0009", Severity::Warning));
    assert_eq!(codes("# only a comment\n")[0].0, "E0005");
}

#[test]
fn e0200_unknown_kind() {
    let yaml = resource("alerts", "      apiQueryParams:\n        anything: 1\n", "");
    let (_, config, diags) = load(&yaml);
    let d: Vec<_> = diags.iter().collect();
    assert_eq!(d.len(), 1, "no cascade from selector options: {d:?}");
    assert_eq!(d[0].code, "E0200");
    assert_eq!(d[0].help, ["did you mean `alert`?"]);
    assert_eq!(codes(&yaml), [("E0200", 2, 11)]);
    // The resource is kept (with its kind as written) so later passes still check its jq.
    assert_eq!(config.unwrap().resources[0].kind, "alerts");
    assert_eq!(codes(&resource("schedule_oncall", "", ""))[0].0, "E0200");
}

/// Every non-whitespace char of a jq program maps to the file text that produced it.
fn assert_exact(sm: &SourceMap, jq: &JqSource) {
    let file_text = sm.text(jq.span.file);
    let raw: Vec<(usize, char)> = jq.raw.char_indices().collect();
    for (i, c) in raw {
        if c.is_whitespace() {
            continue;
        }
        let s = jq.span_of(i..i + c.len_utf8());
        let written = &file_text[s.start..s.end];
        let ok = written == c.to_string()
            || (c == '\'' && written == "''")
            || (written.starts_with('\\') && written.len() > 1);
        assert!(ok, "char {c:?} of {:?} maps to {written:?}", jq.raw);
    }
}

#[test]
fn jq_spans_for_each_scalar_style() {
    let yaml = "resources:\n  - kind: alert\n    selector:\n      query: >-\n        .status == 'open'\n        and .ü == \"é\"\n    port:\n      entity:\n        mappings:\n          identifier: \"  .id | \\\"x\\\\y\\u00e9\\\" \"\n          title: '.message + '' '' + .x'\n          blueprint: |\n            \"opsGenieAlert\"\n          properties:\n            a: .plain\n              | ascii_downcase\n";
    let (sm, config, diags) = load(yaml);
    assert!(diags.is_empty(), "{diags:?}");
    let r = &config.unwrap().resources[0];
    let m = &r.port.entity;
    let text_at = |s: opsgenie_port_compiler::source::Span| &sm.text(s.file)[s.start..s.end];

    let q = &r.selector.query;
    assert_eq!(q.raw, ".status == 'open' and .ü == \"é\"");
    assert_eq!(q.text, ".status == \"open\" and .ü == \"é\"");
    assert_exact(&sm, q);
    let at = q.text.find(".ü").unwrap();
    assert_eq!(text_at(q.span_of(at..at + 3)), ".ü");
    assert_eq!(
        sm.line_col(q.span.file, q.span_of(at..at + 3).start),
        (6, 13)
    );
    // A range across the folded line break covers both lines.
    let open = q.text.find("\"open\"").unwrap();
    assert_eq!(text_at(q.span_of(open..at + 3)), "'open'\n        and .ü");
    assert_eq!(
        text_at(q.span),
        ">-\n        .status == 'open'\n        and .ü == \"é\""
    );

    let MappingValue::Jq(id) = &m.identifier else {
        panic!()
    };
    assert_eq!(id.raw, "  .id | \"x\\yé\" ");
    assert_exact(&sm, id);
    let x = id.text.find("\"x").unwrap();
    assert_eq!(text_at(id.span_of(x..x + 6)), "\\\"x\\\\y\\u00e9");
    assert_eq!(text_at(id.span), "\"  .id | \\\"x\\\\y\\u00e9\\\" \"");

    let title = m.title.as_ref().unwrap();
    assert_eq!(title.raw, ".message + ' ' + .x");
    // Quotes next to spaces on both sides are left alone by Ocean's rewrite.
    assert_eq!(title.text, title.raw);
    assert_exact(&sm, title);
    let dot_x = title.text.rfind(".x").unwrap();
    assert_eq!(text_at(title.span_of(dot_x..dot_x + 2)), ".x");
    assert_eq!(text_at(title.span_of(11..12)), "''");

    assert_eq!(m.blueprint.raw, "\"opsGenieAlert\"\n");
    assert_exact(&sm, &m.blueprint);
    assert_eq!(text_at(m.blueprint.span_of(1..14)), "opsGenieAlert");

    let (_, _, plain) = &m.properties[0];
    assert_eq!(plain.raw, ".plain | ascii_downcase");
    assert_exact(&sm, plain);
    let f = plain.text.find("ascii").unwrap();
    assert_eq!(
        sm.line_col(plain.span.file, plain.span_of(f..f + 5).start),
        (16, 17)
    );
    assert_eq!(
        text_at(plain.span),
        ".plain\n              | ascii_downcase"
    );
}

#[test]
fn jq_spans_in_json_configs() {
    let json = "{\"resources\": [{\"kind\": \"user\", \"selector\": {\"query\": \"true\"},\n \"port\": {\"entity\": {\"mappings\": {\"identifier\": \".id | \\\"\\u00e9\\\"\", \"blueprint\": \"\\\"u\\\"\"}}}}]}";
    let mut sm = SourceMap::new();
    let mut diags = Diagnostics::new();
    let c = load_app_config(
        &mut sm,
        "m/port-app-config.json",
        json.to_string(),
        &mut diags,
    )
    .unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    let MappingValue::Jq(id) = &c.resources[0].port.entity.identifier else {
        panic!()
    };
    assert_eq!(id.raw, ".id | \"é\"");
    assert_exact(&sm, id);
    let s = id.span_of(6..9);
    assert_eq!(&sm.text(s.file)[s.start..s.end], "\\\"\\u00e9");
}

#[test]
fn rendered_end_to_end() {
    let yaml = resource("alert", "", "          properties:\n            status: .staus | ascii_downcase\n          titel: .message\n");
    let (sm, _, diags) = load(&yaml);
    let shown = opsgenie_port_compiler::diag::render_all_human(diags.as_slice(), &sm);
    let expected = "\
error[E0003]: unknown key `titel` in `mappings`
  --> port-app-config.yaml:12:11
   |
12 |           titel: .message
   |           ^^^^^ unknown key
   |
   = note: expected one of `identifier`, `title`, `blueprint`, `icon`, `team`, `properties`, `relations`
   = help: did you mean `title`?

error: could not compile mappings due to 1 previous error
";
    assert_eq!(shown, expected);
}
