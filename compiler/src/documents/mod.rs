//! Documents with spans: YAML and JSON parsed into one [`tree::Node`] type whose scalars map
//! every decoded byte back to the file, so any input (port-app-config, blueprints, source
//! schemas) can be underlined exactly in diagnostics.

pub mod json;
pub mod tree;
pub mod yaml;
