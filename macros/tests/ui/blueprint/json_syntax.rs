//! blueprints.json that is not JSON.
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
    blueprints = r#"[{"identifier": "opsGenieAlert",]"#,
);

fn main() {}
