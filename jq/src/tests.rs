//! Tests against the conformance fixtures (libjq 1.8.2 outputs).

mod fuzz;
mod limits;
mod manual;
mod ocean;
mod ops_cases;
mod round_trip;

use std::path::PathBuf;

use super::{parse_json, Value};

/// Text of a fixture in the workspace's `conformance/fixtures`.
fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../conformance/fixtures")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// Parses JSON text that the test knows is valid.
fn j(text: &str) -> Value {
    parse_json(text.as_bytes()).unwrap_or_else(|e| panic!("bad test JSON {text:?}: {e}"))
}

/// The comparison operators as booleans, for cases within jq's depth limits (the limits
/// themselves are tested in `limits`).
mod cmp {
    use crate::Value;

    macro_rules! plain {
        ($($name:ident),*) => {$(
            pub(super) fn $name(a: &Value, b: &Value) -> bool {
                crate::$name(a, b).expect("within the depth limits")
            }
        )*};
    }
    plain!(eq, ne, lt, le, gt, ge);
}
