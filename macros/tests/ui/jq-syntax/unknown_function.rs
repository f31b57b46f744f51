//! An unknown jq function gets a did-you-mean.
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
          title: .message | ascii_downcse
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
