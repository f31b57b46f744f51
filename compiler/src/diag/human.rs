//! rustc-style text rendering, without colour.

use super::{Diagnostic, Label, Severity};
use crate::source::{FileId, SourceMap};
use std::fmt::Write as _;

/// Display width of a tab in snippets (rustc uses 4).
const TAB_WIDTH: usize = 4;

/// Renders one diagnostic with a source snippet, e.g.
///
/// ```text
/// error[E0201]: `alert` has no field `mesage`
///   --> mappings/port-app-config.yaml:12:24
///    |
/// 12 |           title: .mesage
///    |                  ^^^^^^^ unknown field
///    |
///    = help: did you mean `message`?
/// ```
pub fn render_human(d: &Diagnostic, sm: &SourceMap) -> String {
    let mut out = format!("{}[{}]: {}\n", d.severity.as_str(), d.code, d.message);

    // Labels grouped per file, the primary's file first.
    let mut labels: Vec<(&Label, bool)> = d.primary.iter().map(|l| (l, true)).collect();
    labels.extend(d.secondary.iter().map(|l| (l, false)));
    let mut files: Vec<FileId> = Vec::new();
    for (l, _) in &labels {
        if !files.contains(&l.span.file) {
            files.push(l.span.file);
        }
    }
    let max_line = labels
        .iter()
        .map(|(l, _)| sm.line_col(l.span.file, l.span.start).0)
        .max()
        .unwrap_or(0);
    let width = digits(max_line).max(1);
    let pad = " ".repeat(width);

    for (i, &file) in files.iter().enumerate() {
        let in_file: Vec<(&Label, bool)> = labels
            .iter()
            .copied()
            .filter(|(l, _)| l.span.file == file)
            .collect();
        let anchor = in_file
            .iter()
            .find(|(_, primary)| *primary)
            .unwrap_or(&in_file[0])
            .0;
        let (line, col) = sm.line_col(file, anchor.span.start);
        let arrow = if i == 0 && d.primary.is_some() {
            "-->"
        } else {
            ":::"
        };
        let _ = writeln!(out, "{pad}{arrow} {}:{line}:{col}", sm.path(file));
        let _ = writeln!(out, "{pad} |");
        render_snippet(&mut out, sm, file, &in_file, width);
    }

    if !d.help.is_empty() || !d.notes.is_empty() {
        if !files.is_empty() {
            let _ = writeln!(out, "{pad} |");
        }
        for note in &d.notes {
            let _ = writeln!(out, "{pad} = note: {}", indent_continuation(note, width));
        }
        for help in &d.help {
            let _ = writeln!(out, "{pad} = help: {}", indent_continuation(help, width));
        }
    }
    out
}

/// Renders all diagnostics followed by a summary line like rustc's.
pub fn render_all_human(ds: &[Diagnostic], sm: &SourceMap) -> String {
    let mut out = String::new();
    for d in ds {
        out.push_str(&render_human(d, sm));
        out.push('\n');
    }
    if let Some(summary) = summary_line(ds) {
        out.push_str(&summary);
        out.push('\n');
    }
    out
}

/// `error: could not compile mappings due to 2 previous errors; 1 warning emitted`,
/// `warning: 3 warnings emitted`, or nothing when there is nothing to report.
pub fn summary_line(ds: &[Diagnostic]) -> Option<String> {
    let errors = ds.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = ds.len() - errors;
    let warned = match warnings {
        0 => None,
        1 => Some("1 warning emitted".to_string()),
        n => Some(format!("{n} warnings emitted")),
    };
    match (errors, warned) {
        (0, None) => None,
        (0, Some(w)) => Some(format!("warning: {w}")),
        (n, w) => {
            let plural = if n == 1 { "error" } else { "errors" };
            let mut s = format!("error: could not compile mappings due to {n} previous {plural}");
            if let Some(w) = w {
                s.push_str("; ");
                s.push_str(&w);
            }
            Some(s)
        }
    }
}

struct Underline {
    line: usize,
    /// Char columns (0-based) of the underline on its line.
    from: usize,
    to: usize,
    primary: bool,
    message: String,
}

/// Longest source line shown whole; longer ones (a minified JSON file is one line) are cut to
/// this many chars around the underline, so that each diagnostic stays small.
const MAX_SNIPPET_CHARS: usize = 400;

/// The part of `text` shown for underlines starting at char `from`, and the char it starts at.
fn window(text: &str, from: usize) -> (String, usize) {
    if text.chars().nth(MAX_SNIPPET_CHARS).is_none() {
        return (text.to_string(), 0);
    }
    let start = from.saturating_sub(MAX_SNIPPET_CHARS / 4);
    let mut chars = text.char_indices().skip(start);
    let Some((start_byte, _)) = chars.next() else {
        return (String::new(), start);
    };
    let end_byte = chars
        .nth(MAX_SNIPPET_CHARS - 2)
        .map_or(text.len(), |(i, _)| i);
    let before = if start > 0 { "..." } else { "" };
    let after = if end_byte < text.len() { "..." } else { "" };
    (
        format!("{before}{}{after}", &text[start_byte..end_byte]),
        start,
    )
}

fn render_snippet(
    out: &mut String,
    sm: &SourceMap,
    file: FileId,
    labels: &[(&Label, bool)],
    width: usize,
) {
    let pad = " ".repeat(width);
    let mut underlines: Vec<Underline> = Vec::new();
    for &(label, primary) in labels {
        let (line, col) = sm.line_col(file, label.span.start);
        let (end_line, end_col) = sm.line_col(file, label.span.end);
        let from = col - 1;
        let to = if end_line == line {
            (end_col - 1).max(from)
        } else {
            usize::MAX // to the end of the line
        };
        let mut message = label.message.clone();
        // A multi-line span is underlined on its first line only; say where it ends.
        // (A span ending at column 1 of the next line is really a whole-line span.)
        if end_line > line && !(end_line == line + 1 && end_col == 1) {
            let more = format!("(continues to line {end_line})");
            message = if message.is_empty() {
                more
            } else {
                format!("{message} {more}")
            };
        }
        underlines.push(Underline {
            line,
            from,
            to,
            primary,
            message,
        });
    }
    underlines.sort_by_key(|u| (u.line, !u.primary, u.from));

    let mut previous_line: Option<usize> = None;
    // The shown part of the current line as chars (its leading `...` as spaces), the line's
    // char it starts with, and the width of that `...`.
    let mut shown: (Vec<char>, usize, usize) = (Vec::new(), 0, 0);
    for u in &underlines {
        if previous_line != Some(u.line) {
            if let Some(p) = previous_line {
                if u.line > p + 1 {
                    let _ = writeln!(out, "...");
                }
            }
            let (text, start) = window(sm.line_text(file, u.line), u.from);
            let _ = writeln!(
                out,
                "{:>width$} | {}",
                u.line,
                expand_tabs(&text).trim_end()
            );
            let lead = if start > 0 { 3 } else { 0 };
            let mut chars: Vec<char> = vec![' '; lead];
            chars.extend(text.chars().skip(lead));
            shown = (chars, start, lead);
        }
        let (chars, start, lead) = &shown;
        let clip = |c: usize| {
            c.saturating_add(*lead)
                .saturating_sub(*start)
                .min(chars.len())
        };
        let from = display_width(&chars[..clip(u.from)]);
        let mut to = display_width(&chars[..clip(u.to)]);
        if to <= from {
            to = from + 1; // empty spans and spans at end of line get one marker
        }
        let marker = if u.primary { '^' } else { '-' };
        let mut row = format!(
            "{pad} | {}{}",
            " ".repeat(from),
            marker.to_string().repeat(to - from)
        );
        if !u.message.is_empty() {
            row.push(' ');
            row.push_str(&u.message);
        }
        let _ = writeln!(out, "{row}");
        previous_line = Some(u.line);
    }
}

fn display_width(chars: &[char]) -> usize {
    chars
        .iter()
        .map(|&c| if c == '\t' { TAB_WIDTH } else { 1 })
        .sum()
}

fn expand_tabs(text: &str) -> String {
    text.replace('\t', &" ".repeat(TAB_WIDTH))
}

/// Aligns continuation lines of a multi-line help or note under its first line.
fn indent_continuation(text: &str, width: usize) -> String {
    text.replace('\n', &format!("\n{}   ", " ".repeat(width)))
}

fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}
