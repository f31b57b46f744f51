//! A document tree with spans, shared by the YAML and JSON loaders.
//!
//! Scalars keep their decoded value plus an [`OffsetMap`] from value bytes back to file bytes,
//! so that a jq sub-expression inside a quoted or folded YAML scalar can be underlined exactly.

use crate::source::{FileId, Span};

/// Maps each byte of a decoded string to the file bytes that produced it.
///
/// Escapes (`\n`, `''`, `\u00e9`) map one decoded char to several file bytes; folded line
/// breaks map a decoded space to the break; chars with no source (a chomping newline at EOF)
/// map to an empty range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffsetMap {
    file: FileId,
    /// `pieces[i]` is the file range of value byte `i`.
    pieces: Vec<(usize, usize)>,
    /// Where an empty value (or a position past the end) points.
    fallback: usize,
}

impl OffsetMap {
    pub(crate) fn new(file: FileId, pieces: Vec<(usize, usize)>, fallback: usize) -> Self {
        OffsetMap {
            file,
            pieces,
            fallback,
        }
    }

    /// Value bytes map 1:1 onto the file starting at `start` (plain JSON strings, numbers).
    pub(crate) fn identity(file: FileId, start: usize, len: usize) -> Self {
        OffsetMap::new(
            file,
            (start..start + len).map(|i| (i, i + 1)).collect(),
            start,
        )
    }

    /// Every byte maps onto the whole of `span` (used when exact mapping is impossible).
    pub(crate) fn coarse(span: Span, len: usize) -> Self {
        OffsetMap::new(span.file, vec![(span.start, span.end); len], span.start)
    }

    /// File span of value byte range `range` (clamped to the value).
    pub fn span_of(&self, range: std::ops::Range<usize>) -> Span {
        let len = self.pieces.len();
        let start = range.start.min(len);
        let end = range.end.clamp(start, len);
        if start == end {
            let at = if start < len {
                self.pieces[start].0
            } else {
                self.pieces.last().map_or(self.fallback, |p| p.1)
            };
            return Span::new(self.file, at, at);
        }
        let from = self.pieces[start].0;
        let to = self.pieces[end - 1].1;
        Span::new(self.file, from, to.max(from))
    }

    pub fn file(&self) -> FileId {
        self.file
    }
}

/// How a scalar was resolved (YAML 1.2 core schema for plain scalars; JSON types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarType {
    Null,
    Bool(bool),
    Int,
    Float,
    /// A string: quoted, block, or a plain scalar that is not null/bool/number.
    Str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The decoded value (for null/bool/number: the text as written).
    pub value: String,
    pub ty: ScalarType,
    pub map: OffsetMap,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A value in a YAML or JSON document, with the span of its text in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

impl Node {
    /// The string value of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) if s.ty == ScalarType::Str => Some(&s.value),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            NodeKind::Scalar(Scalar {
                ty: ScalarType::Bool(b),
                ..
            }) => Some(*b),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(
            self.kind,
            NodeKind::Scalar(Scalar {
                ty: ScalarType::Null,
                ..
            })
        )
    }

    /// "a string", "a mapping", … for messages like "expected a string, found a mapping".
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(s) => match s.ty {
                ScalarType::Null => "null",
                ScalarType::Bool(_) => "a boolean",
                ScalarType::Int | ScalarType::Float => "a number",
                ScalarType::Str => "a string",
            },
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The value as JSON (numbers parsed from their text; YAML-only numbers such as `0x1F`
    /// or `.inf` become strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar(s) => match s.ty {
                ScalarType::Null => Value::Null,
                ScalarType::Bool(b) => Value::Bool(b),
                ScalarType::Int | ScalarType::Float => {
                    serde_json::from_str::<serde_json::Number>(&s.value)
                        .map_or_else(|_| Value::String(s.value.clone()), Value::Number)
                }
                ScalarType::Str => Value::String(s.value.clone()),
            },
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (key_text(k), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// The text of a mapping key (non-scalar keys render as their JSON).
pub fn key_text(key: &Node) -> String {
    match &key.kind {
        NodeKind::Scalar(s) => s.value.clone(),
        _ => key.to_json().to_string(),
    }
}

/// Resolves a plain YAML scalar per the YAML 1.2 core schema (as yaml-rust2 and js-yaml do).
pub fn resolve_plain(v: &str) -> ScalarType {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarType::Null,
        "true" | "True" | "TRUE" => return ScalarType::Bool(true),
        "false" | "False" | "FALSE" => return ScalarType::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return ScalarType::Float,
        _ => {}
    }
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(hex) = v.strip_prefix("0x") {
        if digits(hex, 16) {
            return ScalarType::Int;
        }
    }
    if let Some(oct) = v.strip_prefix("0o") {
        if digits(oct, 8) {
            return ScalarType::Int;
        }
    }
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    if digits(unsigned, 10) {
        return ScalarType::Int;
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (digits(int, 10) && (frac.is_empty() || digits(frac, 10)))
                || (int.is_empty() && digits(frac, 10))
        }
        None => digits(mantissa, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    if mantissa_ok && exponent_ok {
        ScalarType::Float
    } else {
        ScalarType::Str
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_resolution() {
        assert_eq!(resolve_plain("~"), ScalarType::Null);
        assert_eq!(resolve_plain("True"), ScalarType::Bool(true));
        assert_eq!(resolve_plain("yes"), ScalarType::Str);
        assert_eq!(resolve_plain("-12"), ScalarType::Int);
        assert_eq!(resolve_plain("0x1F"), ScalarType::Int);
        assert_eq!(resolve_plain("1.5e-3"), ScalarType::Float);
        assert_eq!(resolve_plain(".5"), ScalarType::Float);
        assert_eq!(resolve_plain("1."), ScalarType::Float);
        assert_eq!(resolve_plain(".id"), ScalarType::Str);
        assert_eq!(resolve_plain("1.2.3"), ScalarType::Str);
        assert_eq!(resolve_plain("e3"), ScalarType::Str);
        assert_eq!(resolve_plain("-.inf"), ScalarType::Float);
    }

    #[test]
    fn offset_map_clamps() {
        let m = OffsetMap::identity(FileId(0), 10, 3);
        assert_eq!(m.span_of(0..3), Span::new(FileId(0), 10, 13));
        assert_eq!(m.span_of(1..1), Span::new(FileId(0), 11, 11));
        assert_eq!(m.span_of(3..3), Span::new(FileId(0), 13, 13));
        assert_eq!(m.span_of(2..99), Span::new(FileId(0), 12, 13));
        let empty = OffsetMap::identity(FileId(0), 5, 0);
        assert_eq!(empty.span_of(0..4), Span::new(FileId(0), 5, 5));
    }
}
