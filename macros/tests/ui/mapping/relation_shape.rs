//! A single relation given an array.
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
          relations:
            relatedIncident: '[.__relatedIncident.id]'
"#,
);

fn main() {}
