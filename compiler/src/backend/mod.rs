//! The back ends: both consume the checked plan ([`crate::check::Plan`]) and its jq IR.
//! [`codegen`] turns it into Rust at build time.

pub mod codegen;
