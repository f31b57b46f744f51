//! jq 1.8.2 values, JSON, operators and builtins for compiled mappings.
//!
//! Everything is re-exported flat so generated code can name it as
//! `::opsgenie_port_runtime::__private::index_field(..)`.

mod builtins;
mod control;
mod dates;
mod error;
mod json;
mod map;
mod number;
mod ops;
mod paths;
mod regex;
mod strings;
#[cfg(test)]
mod tests;
mod value;

pub use builtins::*;
pub use control::*;
pub use dates::*;
pub use error::*;
pub use json::*;
pub use map::*;
pub use number::*;
pub use ops::*;
pub use paths::*;
pub use regex::*;
pub use strings::*;
pub use value::*;

// `sub` is both arithmetic (`a - b`) and the regex builtin; arithmetic keeps the
// name, the regex one is `regex_sub`.
pub use ops::sub;
pub use regex::sub as regex_sub;
