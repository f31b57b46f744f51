//! A builtin outside the compiled subset is named.
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
          title: '[paths] | length | tostring'
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
