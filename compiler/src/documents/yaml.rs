//! YAML → [`Node`] tree with byte spans, on top of yaml-rust2's event parser.
//!
//! yaml-rust2 reports where each scalar starts (as a char index) and its decoded value, but
//! not where it ends nor how decoded chars relate to the file. We recover both by aligning
//! the decoded value against the source text from the start position (see [`align`]): the
//! value is authoritative, the source only tells us where each char came from.
//!
//! Bounded ([`super`] lists the limits): the file size, the nesting depth (aliases included:
//! an alias puts a copy of its anchor's node where it appears) and how much anchors and aliases
//! copy (a "billion laughs" file of a few lines would otherwise expand to gigabytes). yaml-rust2's
//! event parser does not recurse on nesting; this loader keeps its own stack.

use super::tree::{resolve_plain, Node, NodeKind, OffsetMap, Scalar, ScalarType};
use super::{MAX_ALIAS_COPIES, MAX_DEPTH, MAX_DOCUMENT_BYTES, SCALAR_BYTES_PER_NODE};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

enum Frame {
    Seq {
        start: usize,
        flow: bool,
        anchor: usize,
        items: Vec<Node>,
        size: Size,
    },
    Map {
        start: usize,
        flow: bool,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        size: Size,
    },
}

/// What copying a node costs and how deep it is: nodes (each [`SCALAR_BYTES_PER_NODE`] bytes
/// of a scalar's value counting as one more) and levels.
#[derive(Clone, Copy, Default)]
struct Size {
    weight: usize,
    height: usize,
}

impl Size {
    fn scalar(value: &str) -> Size {
        Size {
            weight: 1 + value.len() / SCALAR_BYTES_PER_NODE,
            height: 1,
        }
    }

    /// A collection whose children add up to `self`.
    fn collection(self) -> Size {
        Size {
            weight: self.weight.saturating_add(1),
            height: self.height + 1,
        }
    }

    fn add_child(&mut self, child: Size) {
        self.weight = self.weight.saturating_add(child.weight);
        self.height = self.height.max(child.height);
    }
}

/// Parses the file's text. `Err(())` means a syntax error was reported (E0001);
/// `Ok(None)` is an empty document.
#[allow(clippy::result_unit_err)]
pub fn parse_yaml(
    sm: &SourceMap,
    file: FileId,
    diags: &mut Diagnostics,
) -> Result<Option<Node>, ()> {
    let text = sm.text(file);
    if text.len() > MAX_DOCUMENT_BYTES {
        diags.push(super::too_large(file, false, Some(text.len() as u64)));
        return Err(());
    }
    let loader = Loader::new(text, file);
    loader.run(diags)
}

struct Loader<'t> {
    text: &'t str,
    file: FileId,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// End of the last finished node (where to look for a block scalar's `|`/`>`).
    last_end: usize,
    anchors: HashMap<usize, (Node, Size)>,
    /// Weight copied so far for anchors and aliases (bounded by [`MAX_ALIAS_COPIES`]).
    copied: usize,
    /// The last marker converted by [`Loader::byte`]: (line, column, byte), so that markers
    /// further along one long line cost only the distance from it.
    cursor: std::cell::Cell<(usize, usize, usize)>,
}

impl<'t> Loader<'t> {
    fn new(text: &'t str, file: FileId) -> Self {
        // yaml-rust2 is given the text after a byte-order mark; line 1 starts after it.
        let mut line_starts = vec![bom_len(text)];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Loader {
            text,
            file,
            line_starts,
            last_end: 0,
            anchors: HashMap::new(),
            copied: 0,
            cursor: std::cell::Cell::new((0, 0, 0)),
        }
    }

    /// Byte offset of a marker, from its line and (char) column: yaml-rust2 0.10 advances
    /// `index` by bytes after the last line of a block scalar, so `index` drifts on
    /// non-ASCII text, while the column restarts on every line.
    fn byte(&self, m: &Marker) -> usize {
        let Some(&start) = self.line_starts.get(m.line().saturating_sub(1)) else {
            return self.text.len();
        };
        let line_end = self
            .line_starts
            .get(m.line())
            .map_or(self.text.len(), |&next| next - 1);
        // Markers mostly move forward: continue from the last one on the same line.
        let (line, col, byte) = self.cursor.get();
        let (from_col, from_byte) = if line == m.line() && col <= m.col() {
            (col, byte)
        } else {
            (0, start)
        };
        let at = self.text[from_byte..line_end]
            .char_indices()
            .nth(m.col() - from_col)
            .map_or(line_end, |(i, _)| from_byte + i);
        self.cursor.set((m.line(), m.col(), at));
        at
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// A copy of a node for an anchor or an alias, within [`MAX_ALIAS_COPIES`].
    fn copy(
        &mut self,
        diags: &mut Diagnostics,
        at: usize,
        node: &Node,
        size: Size,
    ) -> Result<Node, ()> {
        self.copied = self.copied.saturating_add(size.weight);
        if self.copied > MAX_ALIAS_COPIES {
            self.limit_error(
                diags,
                at,
                "anchors and aliases copy too much of the document",
                format!("anchors and aliases may copy at most {MAX_ALIAS_COPIES} nodes of a mapping file (each {SCALAR_BYTES_PER_NODE} bytes of text counting as one); write the repeated parts out or make them smaller"),
            );
            return Err(());
        }
        Ok(node.clone())
    }

    fn limit_error(&self, diags: &mut Diagnostics, at: usize, msg: &str, help: String) {
        diags.push(self.error_at(at, msg).with_help(help));
    }

    fn too_deep(&self, diags: &mut Diagnostics, at: usize) {
        self.limit_error(
            diags,
            at,
            "nesting is too deep",
            format!("a mapping file may nest at most {MAX_DEPTH} levels (aliases included)"),
        );
    }

    fn syntax_error(&self, diags: &mut Diagnostics, at: usize, msg: &str) {
        diags.push(self.error_at(at, msg));
    }

    /// E0001 underlining the char at `at`.
    fn error_at(&self, at: usize, msg: &str) -> Diagnostic {
        let end = self.text[at.min(self.text.len())..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        Diagnostic::error("E0001", format!("invalid YAML: {msg}"))
            .with_primary(self.span(at, end), "")
    }

    fn run(mut self, diags: &mut Diagnostics) -> Result<Option<Node>, ()> {
        let mut parser = Parser::new_from_str(&self.text[bom_len(self.text)..]);
        let mut stack: Vec<Frame> = Vec::new();
        let mut root: Option<Node> = None;
        let mut documents = 0;
        loop {
            let (event, marker) = match parser.next_token() {
                Ok(t) => t,
                Err(e) => {
                    let at = self.byte(e.marker());
                    self.syntax_error(diags, at, e.info());
                    return Err(());
                }
            };
            let at = self.byte(&marker);
            let finished = match event {
                Event::StreamEnd => break,
                Event::DocumentStart => {
                    documents += 1;
                    if documents > 1 {
                        self.syntax_error(
                            diags,
                            at,
                            "found a second document; a mapping file holds exactly one",
                        );
                        return Err(());
                    }
                    None
                }
                Event::Nothing | Event::StreamStart | Event::DocumentEnd => None,
                Event::Alias(id) => {
                    let Some((node, size)) = self.anchors.remove(&id) else {
                        self.syntax_error(diags, at, "unknown alias");
                        return Err(());
                    };
                    if stack.len() + size.height > MAX_DEPTH {
                        self.too_deep(diags, at);
                        return Err(());
                    }
                    let copy = self.copy(diags, at, &node, size)?;
                    self.anchors.insert(id, (node, size));
                    Some((copy, size))
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let size = Size::scalar(&value);
                    let node = self.scalar(value, style, tag, at);
                    if anchor > 0 {
                        let copy = self.copy(diags, at, &node, size)?;
                        self.anchors.insert(anchor, (copy, size));
                    }
                    Some((node, size))
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    if stack.len() >= MAX_DEPTH {
                        self.too_deep(diags, at);
                        return Err(());
                    }
                    let is_seq = matches!(event, Event::SequenceStart(..));
                    let open = if is_seq { "[" } else { "{" };
                    let flow = self.text[at..].starts_with(open);
                    if flow || is_seq {
                        self.last_end = at + 1;
                    }
                    stack.push(if is_seq {
                        Frame::Seq {
                            start: at,
                            flow,
                            anchor,
                            items: Vec::new(),
                            size: Size::default(),
                        }
                    } else {
                        Frame::Map {
                            start: at,
                            flow,
                            anchor,
                            entries: Vec::new(),
                            key: None,
                            size: Size::default(),
                        }
                    });
                    None
                }
                Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                    Some(frame) => Some(self.finish(frame, at, diags)?),
                    None => None,
                },
            };
            let Some((node, size)) = finished else {
                continue;
            };
            self.last_end = self.last_end.max(node.span.end);
            match stack.last_mut() {
                Some(Frame::Seq {
                    items, size: total, ..
                }) => {
                    total.add_child(size);
                    items.push(node)
                }
                Some(Frame::Map {
                    entries,
                    key,
                    size: total,
                    ..
                }) => {
                    total.add_child(size);
                    match key.take() {
                        Some(k) => entries.push((k, node)),
                        None => *key = Some(node),
                    }
                }
                None => {
                    if root.is_none() {
                        root = Some(node);
                    }
                }
            }
        }
        Ok(root)
    }

    fn finish(
        &mut self,
        frame: Frame,
        close_at: usize,
        diags: &mut Diagnostics,
    ) -> Result<(Node, Size), ()> {
        let closing_end = |close: &str| {
            if self.text[close_at.min(self.text.len())..].starts_with(close) {
                close_at + 1
            } else {
                close_at
            }
        };
        let (node, anchor, size) = match frame {
            Frame::Seq {
                start,
                flow,
                anchor,
                items,
                size,
            } => {
                let end = if flow {
                    closing_end("]")
                } else {
                    items.last().map_or(start + 1, |n| n.span.end)
                };
                let span = self.span(start, end);
                (
                    Node {
                        span,
                        kind: NodeKind::Seq(items),
                    },
                    anchor,
                    size.collection(),
                )
            }
            Frame::Map {
                start,
                flow,
                anchor,
                entries,
                key,
                size,
            } => {
                let (start, end) = if flow {
                    (start, closing_end("}"))
                } else {
                    let first = entries.first().map_or(start, |(k, _)| k.span.start);
                    let last = entries
                        .last()
                        .map(|(_, v)| v.span.end)
                        .or(key.as_ref().map(|k| k.span.end))
                        .unwrap_or(start);
                    (first.min(start), last.max(first))
                };
                (
                    Node {
                        span: self.span(start, end),
                        kind: NodeKind::Map(entries),
                    },
                    anchor,
                    size.collection(),
                )
            }
        };
        if anchor > 0 {
            let copy = self.copy(diags, close_at, &node, size)?;
            self.anchors.insert(anchor, (copy, size));
        }
        Ok((node, size))
    }

    fn scalar(&mut self, value: String, style: TScalarStyle, tag: Option<Tag>, at: usize) -> Node {
        let ty = match (&tag, style) {
            (Some(t), _) if t.handle == "tag:yaml.org,2002:" && t.suffix == "str" => {
                ScalarType::Str
            }
            (_, TScalarStyle::Plain) => resolve_plain(&value),
            _ => ScalarType::Str,
        };
        let text = self.text;
        let (span_start, content_start, kind) = match style {
            TScalarStyle::SingleQuoted => (at, at + 1, Style::Single),
            TScalarStyle::DoubleQuoted => (at, at + 1, Style::Double),
            TScalarStyle::Literal | TScalarStyle::Folded => {
                match find_block_header(text, self.last_end, at) {
                    Some((indicator, content)) => (indicator, content, Style::Block),
                    None => (at, at, Style::Block),
                }
            }
            _ => (at, at, Style::Plain),
        };
        let aligned = align(&value, text, content_start, kind);
        let (map, end) = match aligned {
            Some((pieces, pos)) => {
                let end = match kind {
                    Style::Single | Style::Double => closing_quote_end(text, pos, kind),
                    // Trailing line breaks of block scalars are not part of what we underline.
                    Style::Block => value
                        .char_indices()
                        .rev()
                        .find(|(_, c)| !c.is_whitespace())
                        .map_or(content_start.min(text.len()), |(i, _)| pieces[i].1)
                        .max(header_end(text, span_start)),
                    Style::Plain => pieces.iter().map(|p| p.1).max().unwrap_or(pos),
                };
                (
                    OffsetMap::new(self.file, pieces, content_start),
                    end.max(span_start),
                )
            }
            None => {
                // Could not align (should not happen): map everything onto the first line.
                let end = text[span_start..]
                    .find('\n')
                    .map_or(text.len(), |i| span_start + i);
                let span = self.span(span_start, end);
                (OffsetMap::coarse(span, value.len()), end)
            }
        };
        Node {
            span: self.span(span_start, end),
            kind: NodeKind::Scalar(Scalar { value, ty, map }),
        }
    }
}

fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        3
    } else {
        0
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Block,
}

/// For a block scalar whose content the parser places at `content_marker`, finds its
/// `|`/`>` indicator after `from` (skipping comments). Returns (indicator, content start).
fn find_block_header(text: &str, from: usize, content_marker: usize) -> Option<(usize, usize)> {
    let mut i = from.min(text.len());
    let bytes = text.as_bytes();
    let limit = content_marker.min(text.len());
    while i < limit {
        match bytes[i] {
            b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                i = text[i..].find('\n').map_or(text.len(), |n| i + n);
            }
            b'|' | b'>' => {
                let content = text[i..].find('\n').map_or(text.len(), |n| i + n + 1);
                return Some((i, content));
            }
            _ => i += 1,
        }
    }
    None
}

/// End of a block scalar header token such as `|-` or `>2+`.
fn header_end(text: &str, indicator: usize) -> usize {
    let rest = &text[indicator.min(text.len())..];
    indicator
        + rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| !matches!(c, '0'..='9' | '+' | '-'))
            .map_or(rest.len(), |(i, _)| i)
}

/// After the aligned content of a quoted scalar, skip folded whitespace to the closing quote.
fn closing_quote_end(text: &str, mut pos: usize, style: Style) -> usize {
    let quote = if style == Style::Single { '\'' } else { '"' };
    loop {
        let rest = &text[pos.min(text.len())..];
        match rest.chars().next() {
            Some(c) if c == quote => return pos + 1,
            Some(c) if c.is_whitespace() => pos += c.len_utf8(),
            Some('\\') if style == Style::Double => match decode_escape(text, pos) {
                Some(Escape::Break(next)) => pos = next,
                _ => return pos,
            },
            _ => return pos,
        }
    }
}

enum Escape {
    /// An escaped line break (joins lines without a space); the position after it.
    Break(usize),
    /// A decoded char and the position after the escape.
    Char(char, usize),
}

/// Decodes a double-quoted escape starting at the backslash at `pos`.
fn decode_escape(text: &str, pos: usize) -> Option<Escape> {
    let rest = text.get(pos + 1..)?;
    let c = rest.chars().next()?;
    let after = pos + 1 + c.len_utf8();
    let simple = match c {
        '0' => '\0',
        'a' => '\x07',
        'b' => '\x08',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\x0b',
        'f' => '\x0c',
        'r' => '\r',
        'e' => '\x1b',
        ' ' => ' ',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        '\n' => return Some(Escape::Break(after)),
        '\r' => {
            let next = if rest[1..].starts_with('\n') {
                after + 1
            } else {
                after
            };
            return Some(Escape::Break(next));
        }
        'x' | 'u' | 'U' => {
            let n = match c {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex = text.get(after..after + n)?;
            let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)?;
            return Some(Escape::Char(ch, after + n));
        }
        _ => return None,
    };
    Some(Escape::Char(simple, after))
}

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Skips whitespace and line breaks (and, in double quotes, escaped line breaks).
fn skip_blank(text: &str, mut pos: usize, style: Style) -> usize {
    loop {
        let Some(c) = text[pos.min(text.len())..].chars().next() else {
            return pos;
        };
        if is_space(c) {
            pos += c.len_utf8();
        } else if c == '\\' && style == Style::Double {
            match decode_escape(text, pos) {
                Some(Escape::Break(next)) => pos = next,
                _ => return pos,
            }
        } else {
            return pos;
        }
    }
}

/// Aligns a decoded scalar value with the source text from `pos`; returns, per value byte,
/// the file range it came from, and the position after the last consumed source char.
///
/// Non-whitespace chars are matched exactly (directly or through an escape); whitespace in
/// the value (folded breaks, kept newlines, indentation of more-indented lines) is matched
/// to the next source whitespace if any, so it may be off by a little, never the other chars.
fn align(
    value: &str,
    text: &str,
    mut pos: usize,
    style: Style,
) -> Option<(Vec<(usize, usize)>, usize)> {
    let mut pieces = Vec::with_capacity(value.len());
    for c in value.chars() {
        let width = c.len_utf8();
        let mut skipped = false;
        let piece = loop {
            let rest = text.get(pos..)?;
            if style == Style::Double && rest.starts_with('\\') {
                match decode_escape(text, pos) {
                    Some(Escape::Break(next)) => {
                        pos = next;
                        while text[pos..].starts_with([' ', '\t']) {
                            pos += 1;
                        }
                        continue;
                    }
                    Some(Escape::Char(d, next)) if d == c => {
                        let piece = (pos, next);
                        pos = next;
                        break piece;
                    }
                    _ => {}
                }
            }
            if style == Style::Single && c == '\'' && rest.starts_with("''") {
                let piece = (pos, pos + 2);
                pos += 2;
                break piece;
            }
            let source = rest.chars().next();
            if source == Some(c) {
                let piece = (pos, pos + width);
                pos += width;
                break piece;
            }
            if is_space(c) {
                match source.filter(|s| is_space(*s)) {
                    Some(s) => {
                        let n = if rest.starts_with("\r\n") {
                            2
                        } else {
                            s.len_utf8()
                        };
                        let piece = (pos, pos + n);
                        pos += n;
                        break piece;
                    }
                    None => break (pos, pos),
                }
            }
            if !skipped && source.is_some_and(is_space) {
                pos = skip_blank(text, pos, style);
                skipped = true;
                continue;
            }
            return None;
        };
        pieces.extend(std::iter::repeat_n(piece, width));
    }
    Some((pieces, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (SourceMap, Node) {
        let mut sm = SourceMap::new();
        let f = sm.add("t.yaml", text.to_string());
        let mut d = Diagnostics::new();
        let node = parse_yaml(&sm, f, &mut d).unwrap().unwrap();
        assert!(d.is_empty(), "{d:?}");
        (sm, node)
    }

    fn value<'n>(node: &'n Node, key: &str) -> &'n Node {
        node.as_map()
            .unwrap()
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
            .unwrap()
    }

    fn src(sm: &SourceMap, span: Span) -> &str {
        &sm.text(span.file)[span.start..span.end]
    }

    /// For every char of every scalar's value that is not whitespace, the mapped source
    /// text decodes to that char (directly or as an escape).
    fn check_exact(sm: &SourceMap, node: &Node) {
        match &node.kind {
            NodeKind::Scalar(s) => {
                for (i, c) in s.value.char_indices() {
                    if c.is_whitespace() {
                        continue;
                    }
                    let piece = src(sm, s.map.span_of(i..i + c.len_utf8()));
                    let ok = piece == c.to_string()
                        || (piece.starts_with('\\') && piece.len() > 1)
                        || (piece == "''" && c == '\'');
                    assert!(ok, "char {c:?} of {:?} maps to {piece:?}", s.value);
                }
            }
            NodeKind::Seq(items) => items.iter().for_each(|n| check_exact(sm, n)),
            NodeKind::Map(entries) => entries.iter().for_each(|(k, v)| {
                check_exact(sm, k);
                check_exact(sm, v)
            }),
        }
    }

    #[test]
    fn spans_of_each_scalar_style() {
        let text = "a: plain text\n  more\nb: 'it''s ü'\nc: \"x\\ty \\u00e9\\\n   z\"\nd: |\n  line1\n    line2\ne: >-\n  f1\n  f2\n\nf: [1, \"q\"]\ng: {x: y}\nh:\n  - é: ü  # c\n";
        let (sm, root) = load(text);
        check_exact(&sm, &root);
        assert_eq!(src(&sm, value(&root, "a").span), "plain text\n  more");
        assert_eq!(src(&sm, value(&root, "b").span), "'it''s ü'");
        assert_eq!(
            src(&sm, value(&root, "c").span),
            "\"x\\ty \\u00e9\\\n   z\""
        );
        assert_eq!(src(&sm, value(&root, "d").span), "|\n  line1\n    line2");
        assert_eq!(src(&sm, value(&root, "e").span), ">-\n  f1\n  f2");
        assert_eq!(src(&sm, value(&root, "f").span), "[1, \"q\"]");
        assert_eq!(src(&sm, value(&root, "g").span), "{x: y}");
        let h = value(&root, "h");
        assert_eq!(src(&sm, h.span), "- é: ü");
        let item = &h.as_seq().unwrap()[0];
        assert_eq!(src(&sm, item.as_map().unwrap()[0].1.span), "ü");
        // Sub-ranges of values.
        let NodeKind::Scalar(c) = &value(&root, "c").kind else {
            panic!()
        };
        assert_eq!(c.value, "x\ty éz");
        assert_eq!(src(&sm, c.map.span_of(1..2)), "\\t");
        assert_eq!(
            src(&sm, c.map.span_of(0..c.value.len())),
            "x\\ty \\u00e9\\\n   z"
        );
        let NodeKind::Scalar(d) = &value(&root, "d").kind else {
            panic!()
        };
        assert_eq!(d.value, "line1\n  line2\n");
        let at = d.value.find("line2").unwrap();
        assert_eq!(src(&sm, d.map.span_of(at..at + 5)), "line2");
    }

    #[test]
    fn crlf_and_block_variants() {
        let text = "a: 'x\r\n  y'\r\nb: >+\r\n  f1\r\n    more\r\n\r\n  f2\r\n\r\nc: |2\r\n   ind\r\nd: [\"p\",\r\n  q]\r\n";
        let (sm, root) = load(text);
        check_exact(&sm, &root);
        assert_eq!(value(&root, "a").as_str(), Some("x y"));
        assert_eq!(value(&root, "b").as_str(), Some("f1\n  more\n\nf2\n\n"));
        assert_eq!(
            src(&sm, value(&root, "b").span),
            ">+\r\n  f1\r\n    more\r\n\r\n  f2"
        );
        assert_eq!(value(&root, "c").as_str(), Some(" ind\n"));
        assert_eq!(src(&sm, value(&root, "d").span), "[\"p\",\r\n  q]");
    }

    #[test]
    fn byte_order_mark() {
        let (sm, root) = load("\u{feff}a: 'x'\n");
        assert_eq!(src(&sm, value(&root, "a").span), "'x'");
    }

    #[test]
    fn block_header_skips_comments() {
        let text = "a: x # a > b | c\nb: |-  # note\n\n  body\n";
        let (sm, root) = load(text);
        assert_eq!(src(&sm, value(&root, "b").span), "|-  # note\n\n  body");
        check_exact(&sm, &root);
    }

    #[test]
    fn anchors_and_syntax_errors() {
        let (_, root) = load("a: &x {k: v}\nb: *x\n");
        assert_eq!(value(&root, "b").as_map().unwrap().len(), 1);

        let mut sm = SourceMap::new();
        let f = sm.add("bad.yaml", "a: [1\nb: 2\n".to_string());
        let mut d = Diagnostics::new();
        assert!(parse_yaml(&sm, f, &mut d).is_err());
        let diag = d.iter().next().unwrap();
        assert_eq!(diag.code, "E0001");
        let span = diag.primary.as_ref().unwrap().span;
        assert_eq!(sm.line_col(f, span.start), (2, 2));

        let f = sm.add("two.yaml", "a: 1\n---\nb: 2\n".to_string());
        let mut d = Diagnostics::new();
        assert!(parse_yaml(&sm, f, &mut d).is_err());

        let f = sm.add("empty.yaml", "# nothing\n".to_string());
        let mut d = Diagnostics::new();
        assert_eq!(parse_yaml(&sm, f, &mut d), Ok(None));
    }
}
