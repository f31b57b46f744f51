//! The macro rejects arguments it does not know.
opsgenie_port_macros::include_mappings!(config = "resources: []", mapping = "x");

fn main() {}
