//! Compiled conformance programs; see `build.rs` and `tests/conformance.rs`.
#![allow(clippy::all)]

use opsgenie_port_jq::{Value, R};

/// A compiled program: pushes outputs into the sink until it returns `false`.
pub type RunFn = fn(&Value, &mut dyn FnMut(Value) -> bool) -> R<()>;

/// One distinct fixture program and what the compiler made of it.
pub struct Entry {
    pub program: &'static str,
    /// `None` when the compiler rejected the program (see `error`).
    pub run: Option<RunFn>,
    pub error: Option<&'static str>,
}

include!(concat!(env!("OUT_DIR"), "/programs.rs"));
