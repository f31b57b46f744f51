//! `file://` values are GitLab's, not jq.
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
          title: file://README.md
          blueprint: '"opsGenieAlert"'
          properties:
            status: .status
"#,
);

fn main() {}
