//! Constant regexes are checked at build time.
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
          title: '.message | test("[a-z")'
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
