//! entityDeletionThreshold is a ratio.
opsgenie_port_macros::include_mappings!(
    config = r#"
entityDeletionThreshold: 2
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
);

fn main() {}
