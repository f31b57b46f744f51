//! The mapping names a blueprint that is not defined.
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
          blueprint: '"opsGenieAlrt"'
          properties:
            status: .status
"#,
);

fn main() {}
