//! Machine-readable renderers: JSON lines and GitHub Actions workflow commands.
//!
//! A diagnostic located in a mapping or blueprint fetched from Port has no file: it gets its
//! field path instead (`origin`/`path` in JSON, the annotation's title on GitHub) and the
//! excerpt it points at.

use super::Diagnostic;
use crate::source::SourceMap;
use std::fmt::Write as _;

/// Resolved location of a diagnostic's primary span (1-based; end column inclusive).
struct Location<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn locate<'a>(d: &Diagnostic, sm: &'a SourceMap) -> Option<Location<'a>> {
    let span = d.primary.as_ref()?.span;
    if sm.is_port(span.file) {
        return None;
    }
    let (line, column) = sm.line_col(span.file, span.start);
    let (end_line, end_column) = if span.end > span.start {
        // The last char of the span, so that the end column is inclusive.
        let text = sm.text(span.file);
        let last = text
            .get(..span.end.min(text.len()))
            .and_then(|t| t.char_indices().next_back())
            .map_or(span.start, |(i, _)| i.max(span.start));
        sm.line_col(span.file, last)
    } else {
        (line, column)
    };
    Some(Location {
        file: sm.path(span.file),
        line,
        column,
        end_line,
        end_column,
    })
}

/// Where a diagnostic located in a Port object points: its field path and the text there.
struct PortLocation<'a> {
    origin: &'a str,
    path: &'a str,
    /// The text under the primary span, as serialised (JSON escapes included).
    excerpt: &'a str,
}

fn locate_port<'a>(d: &Diagnostic, sm: &'a SourceMap) -> Option<PortLocation<'a>> {
    let span = d.primary.as_ref()?.span;
    let at = sm.field_path(span)?;
    Some(PortLocation {
        origin: &at.origin,
        path: &at.path,
        excerpt: sm.text(span.file).get(span.start..span.end).unwrap_or(""),
    })
}

/// One JSON object per line:
/// `{"code","severity","message","file","line","column","endLine","endColumn","help":[..],"notes":[..]}`.
/// Location fields are `null` for diagnostics without a span; `endColumn` is inclusive.
/// A diagnostic located in a Port object has `null` file fields and, in addition,
/// `"origin"` (`Port mapping`, `blueprint opsGenieAlert`), `"path"` (the field path in it) and
/// `"excerpt"` (the text underlined).
pub fn render_json(ds: &[Diagnostic], sm: &SourceMap) -> String {
    let mut out = String::new();
    for d in ds {
        let mut obj = serde_json::Map::new();
        obj.insert("code".into(), d.code.into());
        obj.insert("severity".into(), d.severity.as_str().into());
        obj.insert("message".into(), d.message.clone().into());
        let loc = locate(d, sm);
        let num = |f: fn(&Location<'_>) -> usize| {
            loc.as_ref()
                .map_or(serde_json::Value::Null, |l| f(l).into())
        };
        obj.insert(
            "file".into(),
            loc.as_ref()
                .map_or(serde_json::Value::Null, |l| l.file.into()),
        );
        obj.insert("line".into(), num(|l| l.line));
        obj.insert("column".into(), num(|l| l.column));
        obj.insert("endLine".into(), num(|l| l.end_line));
        obj.insert("endColumn".into(), num(|l| l.end_column));
        obj.insert("help".into(), d.help.clone().into());
        obj.insert("notes".into(), d.notes.clone().into());
        if let Some(p) = locate_port(d, sm) {
            obj.insert("origin".into(), p.origin.into());
            obj.insert("path".into(), p.path.into());
            obj.insert("excerpt".into(), p.excerpt.into());
        }
        out.push_str(&serde_json::Value::Object(obj).to_string());
        out.push('\n');
    }
    out
}

/// GitHub Actions annotations, one per line:
/// `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=E0201::message`.
/// Help and notes follow the message on extra (escaped) lines. A diagnostic located in a Port
/// object has no file: its title names the field path
/// (`title=E0201 at Port mapping: resources[2]…`) and the message is followed by the JSON line
/// with the offending part underlined.
pub fn render_github(ds: &[Diagnostic], sm: &SourceMap) -> String {
    let mut out = String::new();
    for d in ds {
        let mut props = Vec::new();
        if let Some(l) = locate(d, sm) {
            props.push(format!("file={}", escape_property(l.file)));
            props.push(format!("line={}", l.line));
            props.push(format!("col={}", l.column));
            props.push(format!("endLine={}", l.end_line));
            props.push(format!("endColumn={}", l.end_column));
        }
        let mut message = d.message.clone();
        match d.primary.as_ref().filter(|p| sm.is_port(p.span.file)) {
            Some(p) => {
                let title = format!("{} at {}", d.code, sm.location(p.span));
                props.push(format!("title={}", escape_property(&title)));
                if let Some(excerpt) = super::human::port_excerpt(d, sm) {
                    message.push('\n');
                    message.push_str(&excerpt);
                }
            }
            None => props.push(format!("title={}", escape_property(d.code))),
        }
        for note in &d.notes {
            message.push_str("\nnote: ");
            message.push_str(note);
        }
        for help in &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{} {}::{}",
            d.severity.as_str(),
            props.join(","),
            escape_data(&message)
        );
    }
    out
}

/// Escaping of a workflow command's message (actions/toolkit `escapeData`).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a workflow command's property value (`escapeProperty`).
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
