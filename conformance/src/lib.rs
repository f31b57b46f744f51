//! Compiled conformance programs; see `build.rs` and `tests/conformance.rs`.
#![allow(clippy::all)]

use opsgenie_port_jq::{Value, R};

/// A compiled program: pushes outputs into the sink until it returns `false`.
pub type RunFn = fn(&Value, &mut dyn FnMut(Value) -> bool) -> R<()>;

/// A program compiled as a mapping leaf: its first output, lazily (Ocean's rule).
pub type FirstFn = fn(&Value) -> R<Option<Value>>;

/// One distinct fixture program and what the compiler made of it.
pub struct Entry {
    pub program: &'static str,
    /// `None` when the compiler rejected the program (see `error`).
    pub run: Option<RunFn>,
    pub error: Option<&'static str>,
}

include!(concat!(env!("OUT_DIR"), "/programs.rs"));

/// What the generated-programs test may expect of a program (see `build/programs.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A call of a builtin the table implements natively: must be accepted.
    Native,
    /// Any other construct the compiler documents as supported: must be accepted.
    Supported,
    /// A documented unsupported construct or an invalid program: must be rejected, with an error
    /// containing this text.
    Rejected(&'static str),
    /// A random program: either, but a rejection must name an unsupported construct.
    Random,
}

/// One generated program (builtin matrix or random) and what the compiler made of it.
pub struct Generated {
    pub program: &'static str,
    /// Where it came from: `builtin test/2`, `construct reduce`, `random`.
    pub group: &'static str,
    pub expect: Expect,
    /// `None` when the compiler rejected the program (see `error`).
    pub run: Option<RunFn>,
    /// The same program as `ModuleGen::first_fn` generates it for mappings.
    pub first: Option<FirstFn>,
    pub error: Option<&'static str>,
}

/// In a module of their own: their statics are pooled apart from the fixtures'.
mod generated {
    use super::{Expect, Generated};
    include!(concat!(env!("OUT_DIR"), "/generated_programs.rs"));
}
pub use generated::GENERATED;
