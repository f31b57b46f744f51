//! A jq syntax error points into the YAML.
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
          title: (.message | ascii_downcase
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
