//! The YAML loader's limits and spans on long lines (`documents::yaml`).

use opsgenie_port_compiler::diag::Diagnostics;
use opsgenie_port_compiler::documents::tree::Node;
use opsgenie_port_compiler::documents::yaml::parse_yaml;
use opsgenie_port_compiler::documents::MAX_DEPTH;
use opsgenie_port_compiler::source::{SourceMap, Span};

fn load(text: &str) -> (SourceMap, Node) {
    let mut sm = SourceMap::new();
    let f = sm.add("t.yaml", text.to_string());
    let mut d = Diagnostics::new();
    let node = parse_yaml(&sm, f, &mut d).unwrap().unwrap();
    assert!(d.is_empty(), "{d:?}");
    (sm, node)
}

fn src(sm: &SourceMap, span: Span) -> &str {
    &sm.text(span.file)[span.start..span.end]
}

/// The code and message of the error loading `text` gives.
fn error(text: &str) -> (&'static str, String) {
    let mut sm = SourceMap::new();
    let f = sm.add("t.yaml", text.to_string());
    let mut d = Diagnostics::new();
    assert!(parse_yaml(&sm, f, &mut d).is_err());
    let diag = d.iter().next().unwrap().clone();
    (diag.code, diag.message)
}

#[test]
fn long_lines_map_every_scalar() {
    // Markers along one line are converted from the previous one, not from the line start.
    let items: Vec<String> = (0..2000).map(|i| format!("é{i}")).collect();
    let text = format!("a: [{}]\n", items.join(", "));
    let (sm, root) = load(&text);
    let (_, seq) = &root.as_map().unwrap()[0];
    let seq = seq.as_seq().unwrap();
    assert_eq!(seq.len(), 2000);
    for (node, item) in seq.iter().zip(&items) {
        assert_eq!(src(&sm, node.span), item);
    }
}

#[test]
fn anchors_and_aliases_are_bounded() {
    let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let (code, message) = error(&laughs);
    assert_eq!(code, "E0001");
    assert!(message.contains("copy too much"), "{message}");
    // Each alias one level deeper: the depth counts the aliased nodes.
    let mut deep = String::from("a0: &a0 [x]\n");
    for i in 1..=MAX_DEPTH {
        deep.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    let (code, message) = error(&deep);
    assert_eq!(code, "E0001");
    assert!(message.contains("too deep"), "{message}");
    // Shallower, it loads.
    let mut ok = String::from("a0: &a0 [x]\n");
    for i in 1..MAX_DEPTH - 2 {
        ok.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    load(&ok);
}
