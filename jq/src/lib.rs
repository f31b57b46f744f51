//! jq 1.8.2 values, JSON, operators and builtins: the one implementation of jq's semantics that
//! both back ends of the mapping compiler use — generated Rust calls these functions by name,
//! the interpreter through the compiler's builtin table.
//!
//! Written by hand rather than taken from a jq crate: Port Ocean runs libjq 1.8.2, and its
//! number printing, error texts, `//`/`?` rules, dates and Oniguruma regexes are what users'
//! mappings rely on (jaq differs in each; see `shared/reference/jq-notes.md`). The JSON codec is
//! ours too because it is the hot path (projected decoding, literal-preserving numbers).
//!
//! Everything is re-exported flat so generated code can name it as
//! `::opsgenie_port_jq::index_field(..)`.
#![forbid(unsafe_code)]

mod builtins;
mod compare;
mod control;
mod dates;
mod error;
mod frames;
mod json;
mod limits;
mod map;
mod number;
mod ops;
mod paths;
mod regex;
mod strings;
mod support;
#[cfg(test)]
mod tests;
mod value;

pub use builtins::*;
pub use control::*;
pub use dates::*;
pub use error::*;
pub use json::*;
pub use limits::*;
pub use map::*;
pub use number::*;
pub use ops::*;
pub use paths::*;
pub use regex::*;
pub use strings::*;
pub use support::*;
pub use value::*;

// `sub` is both arithmetic (`a - b`) and the regex builtin; arithmetic keeps the
// name, the regex one is `regex_sub`.
pub use ops::sub;
pub use regex::sub as regex_sub;
