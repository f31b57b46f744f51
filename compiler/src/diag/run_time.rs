//! What each diagnostic means when a mapping is compiled at run time (the mapping Port holds,
//! possibly edited in Port's UI) rather than at build time, where every error fails the build.
//!
//! The rule: a mapping Port Ocean would run keeps running; what cannot produce correct data
//! stops only its resource (or, outside every resource, the whole config). A diagnostic that
//! [`RunTime::Blocks`] is an error at run time, one that [`RunTime::Warns`] a warning; the code
//! and message stay the same as at build time. The decision per code is in the one table of
//! codes, [`super::codes::CODES`].
//!
//! Diagnostics located in Port's blueprints are always warnings at run time: the blueprints
//! are what Port enforces, and a resource whose blueprint is unusable is stopped by the
//! mapping's own check (E0300).

pub use super::codes::{at_run_time, RunTime};
use super::{Diagnostic, Severity};

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
    fn severities_follow_the_table() {
        let w = for_run_time(Diagnostic::error("E0201", "x"));
        assert_eq!(w.severity, Severity::Warning);
        let e = for_run_time(Diagnostic::warning("E0009", "x"));
        assert_eq!(e.severity, Severity::Error);
    }
}
