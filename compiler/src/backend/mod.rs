//! The back ends: both consume the jq IR (via the checked plan, [`crate::check::Plan`], for
//! whole mappings). [`codegen`] turns it into Rust at build time; [`interp`] runs it directly,
//! for mappings changed at run time, with the same outputs and errors as the generated code.

pub mod codegen;
pub mod interp;
