//! `identifier` is required.
opsgenie_port_macros::include_mappings!(
    config = r#"
resources:
  - kind: alert
    selector:
      query: "true"
    port:
      entity:
        mappings:
          title: .message
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
