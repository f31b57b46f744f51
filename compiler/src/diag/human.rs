//! rustc-style text rendering, without colour.
//!
//! Labels in a virtual file serialised from Port (see [`SourceMap::add_port`]) are located by
//! field path instead of `path:line:col`, and their snippet has no line numbers (the lines are
//! our serialisation's, not anything the user wrote).

use super::{Diagnostic, Label, Severity};
use crate::source::{FileId, SourceMap};
use std::fmt::Write as _;

/// Display width of a tab in snippets (rustc uses 4).
const TAB_WIDTH: usize = 4;
/// Gutter width when a snippet from Port has no line numbers to show.
const PORT_GUTTER: usize = 2;
/// Indentation of a Port snippet's shallowest line (its JSON indentation is ours, not the user's).
const PORT_INDENT: usize = 2;

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
///
/// or, for a mapping fetched from Port,
///
/// ```text
/// error[E0201]: `alert` has no field `mesage`
///   --> Port mapping: resources[2].port.entity.mappings.properties.title
///    |
///    |   "title": ".mesage",
///    |             ^^^^^^^ unknown field
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
        .filter(|(l, _)| !sm.is_port(l.span.file))
        .map(|(l, _)| sm.line_col(l.span.file, l.span.start).0)
        .max()
        .unwrap_or(0);
    let mut width = digits(max_line).max(1);
    if labels.iter().any(|(l, _)| sm.is_port(l.span.file)) {
        width = width.max(PORT_GUTTER);
    }
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
        let arrow = if i == 0 && d.primary.is_some() {
            "-->"
        } else {
            ":::"
        };
        let _ = writeln!(out, "{pad}{arrow} {}", sm.location(anchor.span));
        let _ = writeln!(out, "{pad} |");
        render_snippet(&mut out, sm, file, &in_file, width, anchor);
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
    /// Display columns (0-based) of the underline.
    from: usize,
    to: usize,
    /// The char (0-based) of the line it starts at (where a long line's window is placed).
    start_char: usize,
    primary: bool,
    message: String,
}

/// Longest source line shown whole; longer ones (a minified JSON file is one line, a long jq
/// leaf from Port one JSON line) are cut to about this many chars around the underline, so
/// that each diagnostic stays small.
const MAX_SNIPPET_CHARS: usize = 400;

/// A line as shown: whole, or cut to a window around char `from` with `...` on a cut side.
struct Shown {
    text: String,
    /// Display columns of the line left out before the window, and of the `...` in its place.
    skipped: usize,
    lead: usize,
}

fn window(line: &str, from: usize) -> Shown {
    if line.chars().nth(MAX_SNIPPET_CHARS).is_none() {
        return Shown {
            text: expand_tabs(line),
            skipped: 0,
            lead: 0,
        };
    }
    let start = from.saturating_sub(MAX_SNIPPET_CHARS / 4);
    let mut chars = line.chars();
    let skipped: usize = chars
        .by_ref()
        .take(start)
        .map(|c| if c == '\t' { TAB_WIDTH } else { 1 })
        .sum();
    let middle: String = chars.by_ref().take(MAX_SNIPPET_CHARS).collect();
    let before = if start > 0 { "..." } else { "" };
    let after = if chars.next().is_some() { "..." } else { "" };
    Shown {
        text: format!("{before}{}{after}", expand_tabs(&middle)),
        skipped,
        lead: before.len(),
    }
}

fn render_snippet(
    out: &mut String,
    sm: &SourceMap,
    file: FileId,
    labels: &[(&Label, bool)],
    width: usize,
    anchor: &Label,
) {
    let pad = " ".repeat(width);
    let port = sm.is_port(file);
    let anchor_at = port.then(|| sm.location(anchor.span));
    let mut underlines: Vec<Underline> = Vec::new();
    for &(label, primary) in labels {
        let mut u = underline(sm, label, primary);
        // Another field of the same Port object: say which, as there is no line number.
        if let Some(at) = &anchor_at {
            let here = sm.location(label.span);
            if &here != at {
                u.message = join(&u.message, &format!("({here})"));
            }
        }
        underlines.push(u);
    }
    underlines.sort_by_key(|u| (u.line, !u.primary, u.from));

    // Port snippets: the common indentation is replaced by a small fixed one.
    let shift = |col: usize, dedent: usize| col.saturating_sub(dedent) + PORT_INDENT;
    let dedent = if port {
        underlines
            .iter()
            .map(|u| leading_width(sm.line_text(file, u.line)))
            .min()
            .unwrap_or(0)
    } else {
        0
    };

    let mut previous_line: Option<usize> = None;
    // How the current line is shown: cut lines move their underlines left.
    let mut shown = Shown {
        text: String::new(),
        skipped: 0,
        lead: 0,
    };
    for u in &underlines {
        if previous_line != Some(u.line) {
            if let Some(p) = previous_line {
                if u.line > p + 1 {
                    let _ = writeln!(out, "...");
                }
            }
            shown = window(sm.line_text(file, u.line), u.start_char);
            let cut = shown.lead > 0 || shown.skipped > 0;
            if port && !cut {
                let text: String = shown.text.chars().skip(dedent).collect();
                let indent = " ".repeat(PORT_INDENT);
                let _ = writeln!(out, "{pad} | {indent}{}", text.trim_end());
            } else if port {
                let _ = writeln!(out, "{pad} | {}", shown.text.trim_end());
            } else {
                let _ = writeln!(out, "{:>width$} | {}", u.line, shown.text.trim_end());
            }
        }
        let cut = shown.lead > 0 || shown.skipped > 0;
        let limit = display_width(&shown.text.chars().collect::<Vec<_>>());
        let in_window = |col: usize| (col + shown.lead).saturating_sub(shown.skipped).min(limit);
        let (from, to) = if cut {
            let from = in_window(u.from);
            (from, in_window(u.to).max(from + 1))
        } else if port {
            (shift(u.from, dedent), shift(u.to, dedent))
        } else {
            (u.from, u.to)
        };
        let _ = writeln!(
            out,
            "{pad} | {}",
            marker_row(from, to, u.primary, &u.message)
        );
        previous_line = Some(u.line);
    }
}

/// Where a label's underline goes: display columns on the label's first line.
fn underline(sm: &SourceMap, label: &Label, primary: bool) -> Underline {
    let file = label.span.file;
    let (line, col) = sm.line_col(file, label.span.start);
    let (end_line, end_col) = sm.line_col(file, label.span.end);
    let text = sm.line_text(file, line);
    let start_char = col - 1;
    let end_char = if end_line == line {
        (end_col - 1).max(start_char)
    } else {
        usize::MAX
    };
    // Display columns of the span's ends: one pass over the line up to its end (no copy, so a
    // long line with many labels stays linear in the labels' positions).
    let (mut from, mut to, mut width) = (None, None, 0);
    for (i, c) in text.chars().enumerate() {
        if i == start_char {
            from = Some(width);
        }
        if i == end_char {
            to = Some(width);
            break;
        }
        width += if c == '\t' { TAB_WIDTH } else { 1 };
    }
    let from = from.unwrap_or(width);
    let mut to = to.unwrap_or(width);
    if to <= from {
        to = from + 1; // empty spans and spans at end of line get one marker
    }
    let mut message = label.message.clone();
    // A multi-line span is underlined on its first line only; say where it ends.
    // (A span ending at column 1 of the next line is really a whole-line span; the line
    // numbers of a Port file mean nothing to the user.)
    if end_line > line && !(end_line == line + 1 && end_col == 1) && !sm.is_port(file) {
        message = join(&message, &format!("(continues to line {end_line})"));
    }
    Underline {
        line,
        from,
        to,
        start_char,
        primary,
        message,
    }
}

fn marker_row(from: usize, to: usize, primary: bool, message: &str) -> String {
    let marker = if primary { '^' } else { '-' };
    let mut row = format!(
        "{}{}",
        " ".repeat(from),
        marker.to_string().repeat(to - from)
    );
    if !message.is_empty() {
        row.push(' ');
        row.push_str(message);
    }
    row
}

/// The primary label of a diagnostic located in a Port file, as two lines (the JSON line,
/// dedented, and its underline), for renderers that cannot point into a file.
pub(super) fn port_excerpt(d: &Diagnostic, sm: &SourceMap) -> Option<String> {
    let label = d.primary.as_ref().filter(|l| sm.is_port(l.span.file))?;
    let u = underline(sm, label, true);
    let text = expand_tabs(sm.line_text(label.span.file, u.line));
    let dedent = leading_width(&text);
    let shown: String = text.chars().skip(dedent).collect();
    let (from, to) = (u.from.saturating_sub(dedent), u.to.saturating_sub(dedent));
    Some(format!(
        "{}\n{}",
        shown.trim_end(),
        marker_row(from, to, true, &u.message)
    ))
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a} {b}")
    }
}

/// Display width of a line's leading whitespace (tabs already expanded or counted as 4).
fn leading_width(text: &str) -> usize {
    let chars: Vec<char> = text.chars().take_while(|c| c.is_whitespace()).collect();
    display_width(&chars)
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
