//! A field the Opsgenie alert does not have.
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
          title: .mesage
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
