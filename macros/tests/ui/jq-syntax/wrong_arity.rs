//! A builtin called with the wrong number of arguments.
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
          title: .message | split
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
