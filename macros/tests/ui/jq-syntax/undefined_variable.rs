//! A variable that is never bound.
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
          title: $name
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
