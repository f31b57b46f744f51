//! The mapping compiled by `build.rs` from `OPSGENIE_PORT_MAPPINGS` (default `mappings/`).
#![allow(clippy::all, dead_code)]

include!(concat!(env!("OUT_DIR"), "/mappings.rs"));

/// The generated Rust source, for `opsgenie-port expand`.
pub const SOURCE: &str = include_str!(concat!(env!("OUT_DIR"), "/mappings.rs"));
