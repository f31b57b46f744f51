//! A clean inline mapping compiles and maps an alert.
opsgenie_port_macros::include_mappings!(
    config = r#"
resources:
  - kind: alert
    selector:
      query: "true"
    port:
      entity:
        mappings:
          identifier: .id
          title: .message
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {
    let raw = opsgenie_port_runtime::jq::parse_json(br#"{"id": "a-1", "message": "m", "status": "open"}"#).unwrap();
    let mapped = mapping().resources[0].map_raw(&raw);
    assert_eq!(mapped.len(), 1);
    assert!(matches!(mapped[0].outcome, opsgenie_port_runtime::mapping::Outcome::Entity(_)));
}
