//! A misspelt config key gets a did-you-mean.
opsgenie_port_macros::include_mappings!(
    config = r#"
resources:
  - kind: alert
    selectr:
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
