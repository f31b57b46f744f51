//! Indexing a string field.
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
          title: .message.text
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
