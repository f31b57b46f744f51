//! A small JSON parser that records the span of every value and key, and an offset map for
//! every string (escapes included), producing the same [`Node`] tree as the YAML loader.

use super::tree::{Node, NodeKind, OffsetMap, Scalar, ScalarType};
use super::{MAX_DEPTH, MAX_DOCUMENT_BYTES};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};

/// Parses a whole file as one JSON value; reports E0002 (with location) on syntax errors.
pub fn parse_json(sm: &SourceMap, file: FileId, diags: &mut Diagnostics) -> Option<Node> {
    let text = sm.text(file);
    if text.len() > MAX_DOCUMENT_BYTES {
        diags.push(super::too_large(file, true, Some(text.len() as u64)));
        return None;
    }
    // A UTF-8 byte-order mark, as some Windows editors write, is not part of the value.
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut p = JsonParser {
        text,
        file,
        pos: start,
    };
    let result = p.skip_ws().and_then(|()| p.value(0)).and_then(|node| {
        p.skip_ws()?;
        if p.pos < text.len() {
            return Err(p.error("unexpected text after the JSON value"));
        }
        Ok(node)
    });
    match result {
        Ok(node) => Some(node),
        Err((at, msg)) => {
            let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            let help = (msg == TOO_DEEP)
                .then(|| format!("a JSON file may nest at most {MAX_DEPTH} levels"));
            diags.push(
                Diagnostic::error("E0002", format!("invalid JSON: {msg}"))
                    .with_primary(Span::new(file, at, end), "")
                    .with_help_opt(help),
            );
            None
        }
    }
}

type PResult<T> = Result<T, (usize, String)>;

const TOO_DEEP: &str = "nesting is too deep";

struct JsonParser<'t> {
    text: &'t str,
    file: FileId,
    pos: usize,
}

impl JsonParser<'_> {
    fn error(&self, msg: impl Into<String>) -> (usize, String) {
        (self.pos, msg.into())
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> PResult<()> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start, self.pos)
    }

    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            Some(c) => format!("`{c}`"),
            None => "end of file".to_string(),
        }
    }

    fn value(&mut self, depth: usize) -> PResult<Node> {
        if depth > MAX_DEPTH {
            return Err(self.error(TOO_DEEP));
        }
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.keyword("true", ScalarType::Bool(true)),
            Some(b'f') => self.keyword("false", ScalarType::Bool(false)),
            Some(b'n') => self.keyword("null", ScalarType::Null),
            _ => Err((start, format!("expected a value, found {}", self.found()))),
        }
    }

    fn keyword(&mut self, word: &str, ty: ScalarType) -> PResult<Node> {
        let start = self.pos;
        if !self.text[start..].starts_with(word) {
            return Err(self.error(format!("expected a value, found {}", self.found())));
        }
        self.pos += word.len();
        Ok(self.scalar(
            start,
            word.to_string(),
            ty,
            OffsetMap::identity(self.file, start, word.len()),
        ))
    }

    fn scalar(&self, start: usize, value: String, ty: ScalarType, map: OffsetMap) -> Node {
        Node {
            span: self.span(start),
            kind: NodeKind::Scalar(Scalar { value, ty, map }),
        }
    }

    fn number(&mut self) -> PResult<Node> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let digits = |p: &mut usize| {
            let s = *p;
            while *p < bytes.len() && bytes[*p].is_ascii_digit() {
                *p += 1;
            }
            *p > s
        };
        let mut p = self.pos;
        if bytes.get(p) == Some(&b'-') {
            p += 1;
        }
        let int_start = p;
        if !digits(&mut p) {
            self.pos = p;
            return Err(self.error("expected digits"));
        }
        if bytes[int_start] == b'0' && p - int_start > 1 {
            self.pos = int_start;
            return Err(self.error("numbers cannot have leading zeros"));
        }
        let mut ty = ScalarType::Int;
        if bytes.get(p) == Some(&b'.') {
            p += 1;
            ty = ScalarType::Float;
            if !digits(&mut p) {
                self.pos = p;
                return Err(self.error("expected digits after `.`"));
            }
        }
        if matches!(bytes.get(p), Some(b'e' | b'E')) {
            p += 1;
            ty = ScalarType::Float;
            if matches!(bytes.get(p), Some(b'+' | b'-')) {
                p += 1;
            }
            if !digits(&mut p) {
                self.pos = p;
                return Err(self.error("expected digits in the exponent"));
            }
        }
        self.pos = p;
        let text = self.text[start..p].to_string();
        let map = OffsetMap::identity(self.file, start, text.len());
        Ok(self.scalar(start, text, ty, map))
    }

    fn hex4(&mut self) -> PResult<u32> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("expected four hex digits after `\\u`"))?;
        self.pos += 4;
        u32::from_str_radix(hex, 16).map_err(|_| self.error("bad hex digits"))
    }

    fn string(&mut self) -> PResult<Node> {
        let start = self.pos;
        self.pos += 1; // opening quote
        let mut value = String::new();
        let mut pieces: Vec<(usize, usize)> = Vec::new();
        loop {
            let at = self.pos;
            let Some(c) = self.text[at..].chars().next() else {
                return Err((start, "unterminated string".to_string()));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    break;
                }
                '\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.pos += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\x08',
                        b'f' => '\x0c',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi)
                                && self.text[self.pos..].starts_with("\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    self.pos = save;
                                    0xFFFD
                                }
                            } else {
                                hi
                            };
                            // Lone surrogates decode to U+FFFD, as serde_json does not allow
                            // them at all; we stay lenient here.
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => {
                            self.pos = at;
                            return Err(self.error("invalid escape"));
                        }
                    };
                    value.push(ch);
                    pieces.extend(std::iter::repeat_n((at, self.pos), ch.len_utf8()));
                }
                c if (c as u32) < 0x20 => {
                    return Err(self.error("control character in string (escape it)"));
                }
                c => {
                    let w = c.len_utf8();
                    self.pos += w;
                    value.push(c);
                    pieces.extend((at..at + w).map(|i| (i, i + 1)));
                }
            }
        }
        let map = OffsetMap::new(self.file, pieces, start + 1);
        Ok(self.scalar(start, value, ScalarType::Str, map))
    }

    fn array(&mut self, depth: usize) -> PResult<Node> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                items.push(self.value(depth + 1)?);
                self.skip_ws()?;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_ws()?;
                    }
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return Err(
                            self.error(format!("expected `,` or `]`, found {}", self.found()))
                        )
                    }
                }
            }
        }
        Ok(Node {
            span: self.span(start),
            kind: NodeKind::Seq(items),
        })
    }

    fn object(&mut self, depth: usize) -> PResult<Node> {
        let start = self.pos;
        self.pos += 1;
        let mut entries = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                if self.peek() != Some(b'"') {
                    return Err(
                        self.error(format!("expected a string key, found {}", self.found()))
                    );
                }
                let key = self.string()?;
                self.skip_ws()?;
                if self.peek() != Some(b':') {
                    return Err(self.error(format!("expected `:`, found {}", self.found())));
                }
                self.pos += 1;
                self.skip_ws()?;
                let value = self.value(depth + 1)?;
                entries.push((key, value));
                self.skip_ws()?;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_ws()?;
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return Err(
                            self.error(format!("expected `,` or `}}`, found {}", self.found()))
                        )
                    }
                }
            }
        }
        Ok(Node {
            span: self.span(start),
            kind: NodeKind::Map(entries),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (SourceMap, Option<Node>, Diagnostics) {
        let mut sm = SourceMap::new();
        let f = sm.add("t.json", text.to_string());
        let mut d = Diagnostics::new();
        let n = parse_json(&sm, f, &mut d);
        (sm, n, d)
    }

    #[test]
    fn spans_and_escapes() {
        let text = "{\"a\": [1, -2.5e3, true, null],\n \"b\\u00e9\": \"x\\\"y\\n\\ud83d\\ude00z\"}";
        let (sm, node, d) = parse(text);
        assert!(d.is_empty());
        let node = node.unwrap();
        assert_eq!(
            node.to_json(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
        let entries = node.as_map().unwrap();
        let (k, v) = &entries[1];
        assert_eq!(k.as_str(), Some("bé"));
        let s = v.as_scalar().unwrap();
        assert_eq!(s.value, "x\"y\n😀z");
        let t = sm.text(v.span.file);
        let sp = s.map.span_of(1..2);
        assert_eq!(&t[sp.start..sp.end], "\\\"");
        let smile = s.value.find('😀').unwrap();
        let sp = s.map.span_of(smile..smile + 4);
        assert_eq!(&t[sp.start..sp.end], "\\ud83d\\ude00");
        let sp = s.map.span_of(smile + 4..smile + 5);
        assert_eq!(&t[sp.start..sp.end], "z");
        assert_eq!(&t[v.span.start..v.span.end], "\"x\\\"y\\n\\ud83d\\ude00z\"");
    }

    #[test]
    fn syntax_errors_have_locations() {
        for (text, line, col) in [
            ("{\"a\": 1,}", 1, 9),
            ("[1 2]", 1, 4),
            ("{\n  \"a\": tru\n}", 2, 8),
            ("\"abc", 1, 1),
            ("[01]", 1, 2),
            ("{} x", 1, 4),
            ("", 1, 1),
            ("\u{feff}", 1, 2),
        ] {
            let (sm, node, d) = parse(text);
            assert!(node.is_none(), "{text}");
            let diag = d.iter().next().unwrap();
            assert_eq!(diag.code, "E0002");
            let span = diag.primary.as_ref().unwrap().span;
            assert_eq!(
                sm.line_col(span.file, span.start),
                (line, col),
                "{text}: {}",
                diag.message
            );
        }
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let (_, node, d) = parse("\u{feff}[1]");
        assert!(d.is_empty());
        assert_eq!(node.unwrap().span.start, 3);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let (_, node, d) = parse(&text);
        assert!(node.is_none());
        assert!(d.iter().next().unwrap().message.contains("deep"));
    }
}
