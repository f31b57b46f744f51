//! What each diagnostic means when a mapping is compiled at run time (the mapping Port holds,
//! possibly edited in Port's UI) rather than at build time, where every error fails the build.
//!
//! The rule: a mapping Port Ocean would run keeps running; what cannot produce correct data
//! stops only its resource (or, outside every resource, the whole config). A diagnostic that
//! [`RunTime::Blocks`] is an error at run time, one that [`RunTime::Warns`] a warning; the code
//! and message stay the same as at build time.
//!
//! | code  | at run time | why |
//! |-------|-------------|-----|
//! | E0001 | blocks | YAML syntax (not reachable from Port's JSON) |
//! | E0002 | blocks | JSON syntax (not reachable: we serialise Port's JSON ourselves) |
//! | E0003 | warns  | unknown key: Ocean's models ignore extra keys, so does the compiled mapping |
//! | E0004 | blocks | missing required key: nothing to run (Ocean rejects the whole config) |
//! | E0005 | blocks | wrong type or value: the part is dropped, the data would be wrong |
//! | E0006 | blocks | two spellings of one field: which one Ocean takes is not ours to guess |
//! | E0007 | blocks | `file://` leaf: Ocean would compile the text as jq and fail |
//! | E0008 | blocks | missing input file (build time only) |
//! | E0009 | blocks | no resources: Ocean skips an empty mapping; running one would make every owned entity look stale |
//! | E0010 | warns  | several config files (build time only) |
//! | E0100 | blocks | jq syntax error |
//! | E0101 | blocks | unknown jq function or arity |
//! | E0102 | blocks | jq construct we do not support (or code generation failed) |
//! | E0103 | blocks | invalid regex |
//! | E0104 | blocks | undefined jq variable |
//! | E0200 | blocks | unknown kind: nothing to fetch |
//! | E0201 | warns  | field the Opsgenie schema does not know: evaluated as jq would (its value when Opsgenie sends it, else null), and read so the decoder keeps it |
//! | E0202 | warns  | indexing a value the schema says is not an object: jq's error becomes null, as in Ocean |
//! | E0300 | blocks | the target blueprint does not exist in Port |
//! | E0301 | blocks | property not in the blueprint: Port refuses every entity |
//! | E0302 | blocks | relation not in the blueprint: Port refuses every entity |
//! | E0303 | blocks | value type cannot fit the property type: Port refuses every non-null value |
//! | E0304 | blocks | constant outside the property's enum: Port refuses every entity |
//! | E0305 | warns  | relation target not among the blueprints given (Port enforces targets itself) |
//! | E0306 | blocks | `selector.query` cannot yield a boolean |
//! | E0307 | blocks | identifier cannot be a string |
//! | E0308 | blocks | relation value cannot fit the relation (single/many) |
//! | E0310 | warns  | unknown property type in a blueprint (Port accepted it) |
//! | E0311 | warns  | blueprint given twice (the first is used) |
//! | E0312 | warns  | blueprint, property or relation identifier Port accepted but we would not |
//! | E0313 | warns  | unknown property format in a blueprint (Port accepted it) |
//! | E0320 | blocks | source schema outside the supported subset (the binary's own schemas) |
//! | E0400 | blocks | `itemsToParse` cannot yield an array: Ocean skips every item |
//! | W0001 | warns  | required property or relation not mapped |
//! | W0002 | warns  | required property may be null |
//! | other | blocks | an unknown code is not known to be harmless |
//!
//! Diagnostics located in Port's blueprints are always warnings at run time: the blueprints
//! are what Port enforces, and a resource whose blueprint is unusable is stopped by the
//! mapping's own check (E0300).

use super::{Diagnostic, Severity};

/// What a diagnostic does at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunTime {
    /// An error: its resource (or, outside every resource, the config) does not run.
    Blocks,
    /// A warning: reported, and the mapping runs.
    Warns,
}

/// The decision for each code (see the module's table).
pub const RUN_TIME: &[(&str, RunTime)] = &[
    ("E0001", RunTime::Blocks),
    ("E0002", RunTime::Blocks),
    ("E0003", RunTime::Warns),
    ("E0004", RunTime::Blocks),
    ("E0005", RunTime::Blocks),
    ("E0006", RunTime::Blocks),
    ("E0007", RunTime::Blocks),
    ("E0008", RunTime::Blocks),
    ("E0009", RunTime::Blocks),
    ("E0010", RunTime::Warns),
    ("E0100", RunTime::Blocks),
    ("E0101", RunTime::Blocks),
    ("E0102", RunTime::Blocks),
    ("E0103", RunTime::Blocks),
    ("E0104", RunTime::Blocks),
    ("E0200", RunTime::Blocks),
    ("E0201", RunTime::Warns),
    ("E0202", RunTime::Warns),
    ("E0300", RunTime::Blocks),
    ("E0301", RunTime::Blocks),
    ("E0302", RunTime::Blocks),
    ("E0303", RunTime::Blocks),
    ("E0304", RunTime::Blocks),
    ("E0305", RunTime::Warns),
    ("E0306", RunTime::Blocks),
    ("E0307", RunTime::Blocks),
    ("E0308", RunTime::Blocks),
    ("E0310", RunTime::Warns),
    ("E0311", RunTime::Warns),
    ("E0312", RunTime::Warns),
    ("E0313", RunTime::Warns),
    ("E0320", RunTime::Blocks),
    ("E0400", RunTime::Blocks),
    ("W0001", RunTime::Warns),
    ("W0002", RunTime::Warns),
];

/// What `code` does at run time; unknown codes block.
pub fn at_run_time(code: &str) -> RunTime {
    RUN_TIME
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(RunTime::Blocks, |&(_, r)| r)
}

/// The diagnostic with its run-time severity.
pub fn for_run_time(mut d: Diagnostic) -> Diagnostic {
    d.severity = match at_run_time(d.code) {
        RunTime::Blocks => Severity::Error,
        RunTime::Warns => Severity::Warning,
    };
    d
}

/// The diagnostic as a warning (for diagnostics about Port's own blueprints).
pub fn as_warning(mut d: Diagnostic) -> Diagnostic {
    d.severity = Severity::Warning;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_each_code_once_and_unknown_codes_block() {
        for (i, (code, _)) in RUN_TIME.iter().enumerate() {
            assert!(
                !RUN_TIME[i + 1..].iter().any(|(c, _)| c == code),
                "{code} twice"
            );
        }
        assert_eq!(at_run_time("E0201"), RunTime::Warns);
        assert_eq!(at_run_time("E0100"), RunTime::Blocks);
        assert_eq!(at_run_time("E9999"), RunTime::Blocks);
        let w = for_run_time(Diagnostic::error("E0201", "x"));
        assert_eq!(w.severity, Severity::Warning);
        let e = for_run_time(Diagnostic::warning("E0009", "x"));
        assert_eq!(e.severity, Severity::Error);
    }
}
