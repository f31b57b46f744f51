//! A strict JSON parser into [`Value`], with number literals preserved, and a
//! projected variant that builds only the parts a compiled mapping reads while
//! still validating the rest. It keeps its own stack of open containers instead of
//! recursing, so it accepts jq's nesting limit (10,000) on any thread.

use std::borrow::Cow;
use std::sync::Arc;

use super::JsonError;
use crate::frames::Frames;
use crate::limits::MAX_PARSING_DEPTH;
use crate::map::{key_eq, Map};
use crate::number::Number;
use crate::value::Value;

mod deep;
use deep::Mode;

/// Which parts of a document to build (see [`parse_json_projected`]). Built once per mapping
/// (compiled or interpreted); field names are shared with every decoded object that keeps them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Projection {
    /// Keep the whole value at this node.
    pub all: bool,
    /// For objects: the fields to keep, each with its own projection.
    pub fields: Vec<(Arc<str>, Projection)>,
    /// For arrays: how to project each element (`None` turns elements into `null`).
    pub elements: Option<Box<Projection>>,
}

impl Projection {
    /// Keeps everything.
    pub const ALL: Projection = Projection {
        all: true,
        fields: Vec::new(),
        elements: None,
    };

    /// Keeps the listed fields of an object and, for arrays, projects elements with `elements`.
    pub fn some(fields: Vec<(&str, Projection)>, elements: Option<Projection>) -> Projection {
        Projection {
            all: false,
            fields: fields
                .into_iter()
                .map(|(name, sub)| (Arc::from(name), sub))
                .collect(),
            elements: elements.map(Box::new),
        }
    }
}

/// Parses one JSON document. Number literals keep their text; trailing
/// non-whitespace is an error.
pub fn parse_json(text: &[u8]) -> Result<Value, JsonError> {
    parse_with(text, false, Mode::Build)
}

/// Like [`parse_json`], but numbers become what jq sees in Port Ocean, where the
/// document passes through Python's `json.loads`/`json.dumps` first: integers
/// keep their digits, other numbers become `repr(float)` text (`1.50` -> `1.5`,
/// `1E5` -> `100000.0`). Use this for API payloads so `tostring` matches Ocean.
pub fn parse_json_ocean(text: &[u8]) -> Result<Value, JsonError> {
    parse_with(text, true, Mode::Build)
}

/// [`parse_json_projected`] with Ocean's number handling (see [`parse_json_ocean`]).
pub fn parse_json_projected_ocean(
    text: &[u8],
    projection: &Projection,
) -> Result<Value, JsonError> {
    parse_with(text, true, Mode::of(projection))
}

/// Parses one JSON document, keeping only what `projection` selects: at a node
/// with `all` the whole value; objects keep only the listed fields (each
/// projected in turn); arrays keep every element, projected with `elements`
/// (`None` gives `null` elements); scalars are kept. Skipped parts are still
/// validated.
pub fn parse_json_projected(text: &[u8], projection: &Projection) -> Result<Value, JsonError> {
    parse_with(text, false, Mode::of(projection))
}

/// Levels read by recursion (a few KiB of stack even in a debug build).
const RECURSION: usize = 64;

fn parse_with(bytes: &[u8], python_numbers: bool, mode: Mode<'_>) -> Result<Value, JsonError> {
    parse_with_recursion(bytes, python_numbers, mode, RECURSION)
}

fn parse_with_recursion(
    bytes: &[u8],
    python_numbers: bool,
    mode: Mode<'_>,
    recursion: usize,
) -> Result<Value, JsonError> {
    // Validate UTF-8 once up front; string slices taken at ASCII delimiters are
    // then valid `str`s. Invalid bytes become U+FFFD, as jq does.
    let text: Cow<'_, str> = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let mut parser = Parser {
        text: &text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        recursion,
        entries: Vec::new(),
        items: Vec::new(),
        keys: KEY_CACHE.with(|cache| cache.take()),
        python_numbers,
    };
    let result = parse_document(&mut parser, mode);
    KEY_CACHE.with(|cache| cache.replace(std::mem::take(&mut parser.keys)));
    result
}

fn parse_document(parser: &mut Parser<'_>, mode: Mode<'_>) -> Result<Value, JsonError> {
    // A leading byte-order mark is skipped, as jq does.
    if parser.bytes.starts_with("\u{feff}".as_bytes()) {
        parser.pos = 3;
    }
    parser.skip_whitespace();
    let value = match mode {
        Mode::Project(projection) => parser.projected(projection)?,
        Mode::Build | Mode::Skip => parser.value()?,
    };
    parser.skip_whitespace();
    if parser.pos != parser.bytes.len() {
        return Err(parser.error("Unexpected extra JSON values"));
    }
    Ok(value)
}

/// Object keys repeat across documents (every alert has `id`, `status`, …), so
/// each thread keeps a small direct-mapped cache of key strings to share them
/// instead of allocating each one again.
#[derive(Default)]
struct KeyCache {
    slots: Vec<Option<Arc<str>>>,
}

const KEY_CACHE_SLOTS: usize = 512;
const KEY_CACHE_MAX_LEN: usize = 32;

impl KeyCache {
    fn intern(&mut self, key: &str) -> Arc<str> {
        if key.len() > KEY_CACHE_MAX_LEN {
            return Arc::from(key);
        }
        if self.slots.is_empty() {
            self.slots.resize(KEY_CACHE_SLOTS, None);
        }
        // Hash the length and the first and last (up to) eight bytes: cheap,
        // and distinct enough for object keys.
        let bytes = key.as_bytes();
        let word = |part: &[u8]| {
            let mut buf = [0u8; 8];
            buf[..part.len()].copy_from_slice(part);
            u64::from_le_bytes(buf)
        };
        let head = word(&bytes[..bytes.len().min(8)]);
        let tail = word(&bytes[bytes.len().saturating_sub(8)..]);
        let hash = (head.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ tail.rotate_left(29))
            .wrapping_add(bytes.len() as u64)
            .wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        let slot = &mut self.slots[(hash >> 40) as usize % KEY_CACHE_SLOTS];
        match slot {
            Some(cached) if &**cached == key => cached.clone(),
            _ => {
                let fresh: Arc<str> = Arc::from(key);
                *slot = Some(fresh.clone());
                fresh
            }
        }
    }
}

thread_local! {
    static KEY_CACHE: std::cell::RefCell<KeyCache> = std::cell::RefCell::new(KeyCache::default());
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Containers open in the recursive descent.
    depth: usize,
    /// How deep the recursive descent goes before the iterative machine takes over.
    recursion: usize,
    /// Scratch stacks shared by all nesting levels, so each object or array is
    /// allocated once at its exact size.
    entries: Vec<(Arc<str>, Value)>,
    items: Vec<Value>,
    keys: KeyCache,
    /// Canonicalise numbers the way Python's json module would (Ocean's path).
    python_numbers: bool,
}

/// Position of the first byte at or after `i` that ends a string's plain run
/// (`"`, `\\` or a control character), or `bytes.len()`. Scans eight bytes at
/// a time: string bodies are most of a JSON document.
fn find_string_stop(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // A byte is flagged when it is a quote or backslash (zero after the
        // xor) or below 0x20. Flags above the first true one may be spurious;
        // only the lowest is used.
        let found = (zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGHS;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    // The last few bytes, one at a time.
    while i < bytes.len() && !matches!(bytes[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

impl<'a> Parser<'a> {
    fn error(&self, message: &str) -> JsonError {
        JsonError {
            offset: self.pos,
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_PARSING_DEPTH {
            return Err(self.error("Exceeds depth limit for parsing"));
        }
        Ok(())
    }

    /// An object key, shared through the key cache when possible.
    #[inline]
    fn key(&mut self, key: Cow<'_, str>) -> Arc<str> {
        match key {
            Cow::Borrowed(k) => self.keys.intern(k),
            Cow::Owned(k) => Arc::from(k),
        }
    }

    /// The object whose entries were pushed since `base`.
    fn finish_object(&mut self, base: usize) -> Value {
        let entries: Vec<(Arc<str>, Value)> = self.entries.drain(base..).collect();
        Value::Object(Arc::new(Map::from_parsed_entries(entries)))
    }

    /// The array whose items were pushed since `base`.
    fn finish_array(&mut self, base: usize) -> Value {
        let items: Vec<Value> = self.items.drain(base..).collect();
        Value::from(items)
    }

    // The recursive descent below reads the first `recursion` levels of a document, which is
    // all of any ordinary one, at full speed; a container deeper than that is read by the
    // iterative machine (`parse_value`), whose stack is on the heap. Both accept the same
    // grammar with the same messages (a test compares them).

    /// A full value at the current position (whitespace already skipped).
    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'{' | b'[') if self.depth >= self.recursion => {
                Ok(self.parse_value(Mode::Build)?.unwrap_or_default())
            }
            Some(b'{') => {
                self.enter()?;
                self.pos += 1;
                let base = self.entries.len();
                self.object_entries(|parser, key| {
                    let key = parser.key(key);
                    let value = parser.value()?;
                    parser.entries.push((key, value));
                    Ok(())
                })?;
                self.depth -= 1;
                Ok(self.finish_object(base))
            }
            Some(b'[') => {
                self.enter()?;
                self.pos += 1;
                let base = self.items.len();
                self.array_elements(|parser| {
                    let item = parser.value()?;
                    parser.items.push(item);
                    Ok(())
                })?;
                self.depth -= 1;
                Ok(self.finish_array(base))
            }
            _ => self.scalar(),
        }
    }

    /// A value built according to `projection`.
    fn projected(&mut self, projection: &Projection) -> Result<Value, JsonError> {
        if projection.all {
            return self.value();
        }
        match self.peek() {
            Some(b'{' | b'[') if self.depth >= self.recursion => Ok(self
                .parse_value(Mode::Project(projection))?
                .unwrap_or_default()),
            Some(b'{') => {
                self.enter()?;
                self.pos += 1;
                let base = self.entries.len();
                self.object_entries(|parser, key| {
                    match projection
                        .fields
                        .iter()
                        .find(|(name, _)| key_eq(name, &key))
                    {
                        Some((name, sub)) => {
                            // The key equals `name` (escaped or not): share the projection's.
                            let key = name.clone();
                            let value = parser.projected(sub)?;
                            parser.entries.push((key, value));
                        }
                        None => parser.skip_value()?,
                    }
                    Ok(())
                })?;
                self.depth -= 1;
                Ok(self.finish_object(base))
            }
            Some(b'[') => {
                self.enter()?;
                self.pos += 1;
                let base = self.items.len();
                self.array_elements(|parser| {
                    let item = match &projection.elements {
                        Some(sub) => parser.projected(sub)?,
                        None => {
                            parser.skip_value()?;
                            Value::Null
                        }
                    };
                    parser.items.push(item);
                    Ok(())
                })?;
                self.depth -= 1;
                Ok(self.finish_array(base))
            }
            _ => self.value(),
        }
    }

    /// Validates a value without building it.
    fn skip_value(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string_body(false).map(|_| ())
            }
            Some(b'{' | b'[') if self.depth >= self.recursion => {
                self.parse_value(Mode::Skip).map(|_| ())
            }
            Some(b'{') => {
                self.enter()?;
                self.pos += 1;
                self.object_entries(|parser, _| parser.skip_value())?;
                self.depth -= 1;
                Ok(())
            }
            Some(b'[') => {
                self.enter()?;
                self.pos += 1;
                self.array_elements(|parser| parser.skip_value())?;
                self.depth -= 1;
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => self.scan_number().map(|_| ()),
            _ => self.scalar().map(|_| ()),
        }
    }

    /// Walks `key: value` pairs after `{`, calling `each` with the parser
    /// positioned at the value; consumes the closing `}`.
    fn object_entries(
        &mut self,
        mut each: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("Unfinished JSON term at EOF")),
                Some(_) => return Err(self.error("Object keys must be strings")),
            }
            self.pos += 1;
            let key = self.string_body(true)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b':') => self.pos += 1,
                None => return Err(self.error("Unfinished JSON term at EOF")),
                Some(_) => return Err(self.error("Objects must consist of key:value pairs")),
            }
            self.skip_whitespace();
            if self.peek().is_none() {
                return Err(self.error("Unfinished JSON term at EOF"));
            }
            each(self, key)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                None => return Err(self.error("Unfinished JSON term at EOF")),
                Some(_) => return Err(self.error("Expected separator between values")),
            }
        }
    }

    /// Walks elements after `[`, calling `each` at each element; consumes `]`.
    fn array_elements(
        &mut self,
        mut each: impl FnMut(&mut Self) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.peek().is_none() {
                return Err(self.error("Unfinished JSON term at EOF"));
            }
            each(self)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                None => return Err(self.error("Unfinished JSON term at EOF")),
                Some(_) => return Err(self.error("Expected separator between values")),
            }
        }
    }

    /// null, true, false or a number.
    fn scalar(&mut self) -> Result<Value, JsonError> {
        let rest = &self.bytes[self.pos..];
        for (word, value) in [
            (&b"null"[..], Value::Null),
            (b"true", Value::Bool(true)),
            (b"false", Value::Bool(false)),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                let plain_int = self.scan_number()?;
                let text = &self.text[start..self.pos];
                Ok(Value::Number(if self.python_numbers {
                    Number::from_json_literal_python(text, plain_int)
                } else {
                    Number::from_json_literal(text, plain_int)
                }))
            }
            None => Err(self.error("Unfinished JSON term at EOF")),
            Some(_) => Err(self.error("Invalid literal")),
        }
    }

    /// Advances over a JSON number; returns true when it has neither fraction
    /// nor exponent.
    fn scan_number(&mut self) -> Result<bool, JsonError> {
        let bytes = self.bytes;
        let mut i = self.pos;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = bytes.get(i) {
                    i += 1;
                }
            }
            _ => {
                self.pos = i;
                return Err(self.error("Invalid numeric literal"));
            }
        }
        let mut plain_int = true;
        if bytes.get(i) == Some(&b'.') {
            plain_int = false;
            i += 1;
            let start = i;
            while let Some(b'0'..=b'9') = bytes.get(i) {
                i += 1;
            }
            if i == start {
                self.pos = i;
                return Err(self.error("Invalid numeric literal"));
            }
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            plain_int = false;
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            let start = i;
            while let Some(b'0'..=b'9') = bytes.get(i) {
                i += 1;
            }
            if i == start {
                self.pos = i;
                return Err(self.error("Invalid numeric literal"));
            }
        }
        // A number must not run into letters or another number (`1x`, `01`).
        if let Some(b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'.' | b'_') = bytes.get(i) {
            self.pos = i;
            return Err(self.error("Invalid numeric literal"));
        }
        self.pos = i;
        Ok(plain_int)
    }

    /// A string value at an opening quote.
    #[inline]
    fn string(&mut self) -> Result<Arc<str>, JsonError> {
        self.pos += 1;
        Ok(match self.string_body(true)? {
            Cow::Borrowed(s) => Arc::from(s),
            Cow::Owned(s) => Arc::from(s),
        })
    }

    /// The body of a string after its opening quote, through the closing quote.
    /// Borrowed when there are no escapes. With `build == false` the result is
    /// only validated (and returned empty).
    fn string_body(&mut self, build: bool) -> Result<Cow<'a, str>, JsonError> {
        let bytes = self.bytes;
        let start = self.pos;
        let i = find_string_stop(bytes, start);
        match bytes.get(i) {
            Some(b'"') => {
                self.pos = i + 1;
                return Ok(Cow::Borrowed(&self.text[start..i]));
            }
            None => {
                self.pos = i;
                return Err(self.error("Unfinished string at EOF"));
            }
            _ => {}
        }
        // Escapes (or a bad control character) ahead: take the slow path.
        let mut out = String::new();
        if build {
            out.push_str(&self.text[start..i]);
        }
        self.pos = i;
        loop {
            let run_start = self.pos;
            let i = find_string_stop(bytes, run_start);
            if build {
                out.push_str(&self.text[run_start..i]);
            }
            self.pos = i;
            match bytes.get(i) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    if build {
                        out.push(c);
                    }
                }
                None => return Err(self.error("Unfinished string at EOF")),
                Some(_) => return Err(self.error(
                    "Invalid string: control characters from U+0000 through U+001F must be escaped",
                )),
            }
        }
    }

    /// The character of an escape sequence after its backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(b) = self.peek() else {
            return Err(self.error("Expected escape character at end of string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                if (0xD800..0xDC00).contains(&high) {
                    // A high surrogate pairs with a following `\uDC00`–`\uDFFF`.
                    let rest = &self.bytes[self.pos..];
                    if rest.len() >= 6 && rest[0] == b'\\' && rest[1] == b'u' {
                        let save = self.pos;
                        self.pos += 2;
                        let low = self.hex4()?;
                        if (0xDC00..0xE000).contains(&low) {
                            let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                            return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
                        }
                        self.pos = save;
                    }
                    '\u{FFFD}'
                } else {
                    // Lone low surrogates become U+FFFD, as in jq.
                    char::from_u32(high).unwrap_or('\u{FFFD}')
                }
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("Invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            return Err(self.error("Invalid \\uXXXX escape"));
        };
        let mut value = 0;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.error("Invalid characters in \\uXXXX escape")),
            };
            value = value * 16 + u32::from(v);
        }
        self.pos += 4;
        Ok(value)
    }
}

#[cfg(test)]
mod tests;
