//! A kind Opsgenie does not have.
opsgenie_port_macros::include_mappings!(
    config = r#"
resources:
  - kind: alerts
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

fn main() {}
