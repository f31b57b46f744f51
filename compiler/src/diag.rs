//! Diagnostics: UI-agnostic records (code, message, labelled spans, help) collected while
//! compiling, and their renderers (rustc-style text, JSON lines, GitHub annotations).
//!
//! Every code, with what it means, how to fix it and what it does at run time, is in the one
//! table [`codes::CODES`] (`opsgenie-port validate --explain CODE`); [`run_time`] applies its
//! run-time column to a mapping fetched from Port.
//!
//! A file over a loading limit (size, nesting, YAML alias copies; see [`crate::documents`]) is
//! reported as E0001 (YAML) or E0002 (JSON): it is not loaded.

pub mod codes;
mod human;
mod machine;
pub mod run_time;

pub use codes::explain;
pub use human::{render_all_human, render_human, summary_line};
pub use machine::{render_github, render_json};

use crate::source::Span;

/// How bad a diagnostic is; errors fail the build, warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span with a short message shown under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding, e.g. `E0003 unknown key` with the key underlined and a did-you-mean help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code such as `E0003`; documented in the compiler's error index.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Vec<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    /// Sets the main location; an empty label message just underlines.
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.primary = Some(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Adds a help line only when there is something to say (e.g. a did-you-mean).
    pub fn with_help_opt(self, help: Option<String>) -> Self {
        match help {
            Some(h) => self.with_help(h),
            None => self,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Most diagnostics kept for one compilation; later ones are only counted, and reported as one
/// E0011 at the end. A hostile input can produce one problem per byte.
pub const MAX_DIAGNOSTICS: usize = 200;

/// Accumulates diagnostics so that every problem is reported, not just the first (up to
/// [`MAX_DIAGNOSTICS`]).
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
    /// Errors and warnings past [`MAX_DIAGNOSTICS`].
    dropped: (usize, usize),
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        if self.list.len() < MAX_DIAGNOSTICS {
            self.list.push(d);
        } else if d.is_error() {
            self.dropped.0 += 1;
        } else {
            self.dropped.1 += 1;
        }
    }

    pub fn has_errors(&self) -> bool {
        self.dropped.0 > 0 || self.list.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.dropped.0 + self.list.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.len() - self.error_count()
    }

    /// Diagnostics pushed, including those past [`MAX_DIAGNOSTICS`].
    pub fn len(&self) -> usize {
        self.list.len() + self.dropped.0 + self.dropped.1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.list.iter()
    }

    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.list
    }

    /// The diagnostics kept, then one E0011 counting those that were not.
    pub fn into_vec(mut self) -> Vec<Diagnostic> {
        let (errors, warnings) = self.dropped;
        if errors + warnings > 0 {
            let severity = if errors > 0 {
                Severity::Error
            } else {
                Severity::Warning
            };
            self.list.push(
                Diagnostic::new(
                    "E0011",
                    severity,
                    format!("{errors} more error(s) and {warnings} more warning(s) not shown"),
                )
                .with_help(format!(
                    "at most {MAX_DIAGNOSTICS} diagnostics are shown; fix these and run again"
                )),
            );
        }
        self.list
    }

    pub fn extend(&mut self, more: impl IntoIterator<Item = Diagnostic>) {
        more.into_iter().for_each(|d| self.push(d));
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, iter: T) {
        iter.into_iter().for_each(|d| self.push(d));
    }
}
