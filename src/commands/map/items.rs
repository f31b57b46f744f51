//! `map`'s input, one item at a time, so that memory is bounded by the largest item and not by
//! the input: JSON lines, JSON arrays (each element is an item) or JSON documents (a value that
//! spans lines, e.g. pretty-printed), one after another.
//!
//! How the input is split, decided from where each value starts:
//!
//! - `[` starts an array: its elements are delimited by scanning (strings and nesting), without
//!   decoding them; a broken array (no `,` or `]` where one belongs, or no `]` at all) is one
//!   invalid item, and reading goes on from the next line.
//! - Otherwise, when the first line is a complete value, the input is JSON lines: each non-blank
//!   line is an item, whatever it holds (a broken line spoils only itself).
//! - Otherwise the value spans lines (a pretty-printed document): lines are gathered until its
//!   brackets close at the end of a line. If what was gathered does not parse, the caller
//!   tries its lines one by one, as JSON lines (see [`Item::Text`]).
//!
//! An item longer than [`MAX_ITEM_BYTES`] is skipped without being held and reported invalid.

use std::io::{self, BufRead, Read};

/// Largest item, in bytes. Opsgenie objects are a few KiB (an alert's description is at most
/// 15,000 characters), with enrichment fields a few hundred KiB.
pub const MAX_ITEM_BYTES: usize = 16 << 20;

/// One item of the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// An item's JSON text. `lines` is set for a document gathered from several lines: if it
    /// does not parse, its lines are items of their own (the input was JSON lines after all).
    Text { json: Vec<u8>, lines: bool },
    /// Input that is not an item: too large, or a broken array. The reason.
    Invalid(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// At the start of the input or after an array: the next line decides.
    Start,
    /// Each line is an item.
    Lines,
    /// Lines are gathered until the brackets of the value close.
    Documents,
    /// Just after `[`: an element or `]`.
    ArrayFirst,
    /// After `,` in an array: an element.
    ArrayElement,
    /// After an element: `,` or `]`.
    ArraySeparator,
    Done,
}

/// The items of `input`; see the module documentation.
pub struct Items<R> {
    input: R,
    mode: Mode,
    max: usize,
}

impl<R: BufRead> Items<R> {
    pub fn new(input: R) -> Self {
        Items::with_limit(input, MAX_ITEM_BYTES)
    }

    /// [`Items::new`] with another item size limit (tests).
    pub fn with_limit(input: R, max: usize) -> Self {
        Items {
            input,
            mode: Mode::Start,
            max,
        }
    }

    fn too_large(&self) -> Item {
        Item::Invalid(format!("larger than {} bytes, not read", self.max))
    }

    /// The next byte, not consumed; `None` at the end.
    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.input.fill_buf()?.first().copied())
    }

    /// Skips whitespace (and a byte-order mark at the start); the next byte, not consumed.
    fn skip_whitespace(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            if self.mode == Mode::Start && buf.starts_with("\u{feff}".as_bytes()) {
                self.input.consume(3);
                continue;
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(at) => {
                    let next = buf[at];
                    self.input.consume(at);
                    return Ok(Some(next));
                }
                None => {
                    let all = buf.len();
                    self.input.consume(all);
                }
            }
        }
    }

    /// Appends the next line (without its `\n`) to `line` while it has at most `room` bytes;
    /// a longer line is skipped to its end, not kept. Either way its bytes go through
    /// `nesting`. `None` at the end of the input.
    fn read_line(
        &mut self,
        line: &mut Vec<u8>,
        room: usize,
        nesting: &mut Nesting,
    ) -> io::Result<Option<LineRead>> {
        let before = line.len();
        let read = (&mut self.input)
            .take(room as u64 + 1)
            .read_until(b'\n', line)?;
        if read == 0 {
            return Ok(None);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if line.len() - before > room {
            nesting.feed_line(&line[before..]);
            line.truncate(before);
            self.skip_line(nesting)?;
            return Ok(Some(LineRead::TooLong));
        }
        nesting.feed_line(&line[before..]);
        Ok(Some(LineRead::Line))
    }

    /// Consumes input through the next `\n`, through `nesting`.
    fn skip_line(&mut self, nesting: &mut Nesting) -> io::Result<()> {
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            match buf.iter().position(|&b| b == b'\n') {
                Some(at) => {
                    nesting.feed_line(&buf[..at]);
                    self.input.consume(at + 1);
                    return Ok(());
                }
                None => {
                    nesting.feed_line(buf);
                    let all = buf.len();
                    self.input.consume(all);
                }
            }
        }
    }

    /// The next non-blank line as an item; `None` at the end.
    fn next_line(&mut self) -> io::Result<Option<Item>> {
        loop {
            let mut line = Vec::new();
            match self.read_line(&mut line, self.max, &mut Nesting::default())? {
                None => return Ok(None),
                Some(LineRead::TooLong) => return Ok(Some(self.too_large())),
                Some(LineRead::Line) => {
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        return Ok(Some(Item::Text {
                            json: line,
                            lines: false,
                        }));
                    }
                }
            }
        }
    }

    /// The value starting here, as whole lines: one line unless it starts with `{` or `"`, else
    /// lines until the value's brackets (or quotes) close at the end of a line, or the input
    /// ends. Past [`Items::max`] bytes the rest is scanned but not kept. Also says whether the
    /// value took a single line.
    fn gather(&mut self) -> io::Result<(Item, bool)> {
        let one_line = !matches!(self.peek()?, Some(b'{' | b'"'));
        let mut nesting = Nesting::default();
        let mut json = Vec::new();
        let mut count = 0usize;
        let mut too_large = false;
        loop {
            let room = if too_large {
                0
            } else {
                self.max.saturating_sub(json.len())
            };
            match self.read_line(&mut json, room, &mut nesting)? {
                None => break,
                Some(LineRead::Line) => {}
                Some(LineRead::TooLong) => too_large = true,
            }
            count += 1;
            if too_large {
                json = Vec::new();
            }
            if one_line || nesting.ended {
                break;
            }
            if !too_large {
                json.push(b'\n');
            }
        }
        let item = if too_large {
            self.too_large()
        } else {
            if json.last() == Some(&b'\r') {
                json.pop();
            }
            Item::Text {
                json,
                lines: count > 1,
            }
        };
        Ok((item, count <= 1))
    }

    /// One array element, delimited by scanning; the input is at its first byte.
    fn element(&mut self) -> io::Result<Item> {
        let mut json = Vec::new();
        let mut too_large = false;
        let mut nesting = Nesting::default();
        let scalar = !matches!(self.peek()?, Some(b'{' | b'[' | b'"'));
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let (taken, done) = if scalar {
                match buf
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || matches!(b, b',' | b']'))
                {
                    Some(at) => (at, true),
                    None => (buf.len(), false),
                }
            } else {
                match nesting.feed(buf) {
                    Some(end) => (end, true),
                    None => (buf.len(), false),
                }
            };
            if !too_large && json.len() + taken <= self.max {
                json.extend_from_slice(&buf[..taken]);
            } else {
                too_large = true;
                json = Vec::new();
            }
            self.input.consume(taken);
            if done {
                break;
            }
        }
        Ok(if too_large {
            self.too_large()
        } else {
            Item::Text { json, lines: false }
        })
    }

    /// A broken array: reading goes on after the current line.
    fn broken_array(&mut self, reason: &str) -> io::Result<Item> {
        self.skip_line(&mut Nesting::default())?;
        self.mode = Mode::Start;
        Ok(Item::Invalid(format!("broken JSON array: {reason}")))
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        loop {
            match self.mode {
                Mode::Done => return Ok(None),
                Mode::Lines => {
                    let line = self.next_line()?;
                    if line.is_none() {
                        self.mode = Mode::Done;
                    }
                    return Ok(line);
                }
                Mode::Start | Mode::Documents => match self.skip_whitespace()? {
                    None => self.mode = Mode::Done,
                    Some(b'[') => {
                        self.input.consume(1);
                        self.mode = Mode::ArrayFirst;
                    }
                    Some(_) => {
                        let (item, single_line) = self.gather()?;
                        if self.mode == Mode::Start {
                            self.mode = if single_line {
                                Mode::Lines
                            } else {
                                Mode::Documents
                            };
                        }
                        return Ok(Some(item));
                    }
                },
                Mode::ArrayFirst | Mode::ArrayElement => match self.skip_whitespace()? {
                    None => {
                        self.mode = Mode::Done;
                        return Ok(Some(Item::Invalid(
                            "broken JSON array: no `]` at the end".to_owned(),
                        )));
                    }
                    Some(b']') => {
                        self.input.consume(1);
                        let after_comma = self.mode == Mode::ArrayElement;
                        self.mode = Mode::Start;
                        if after_comma {
                            return Ok(Some(Item::Invalid(
                                "broken JSON array: `]` after `,`".to_owned(),
                            )));
                        }
                    }
                    Some(b',') => return self.broken_array("`,` where an item belongs").map(Some),
                    Some(_) => {
                        let item = self.element()?;
                        self.mode = Mode::ArraySeparator;
                        return Ok(Some(item));
                    }
                },
                Mode::ArraySeparator => match self.skip_whitespace()? {
                    None => {
                        self.mode = Mode::Done;
                        return Ok(Some(Item::Invalid(
                            "broken JSON array: no `]` at the end".to_owned(),
                        )));
                    }
                    Some(b',') => {
                        self.input.consume(1);
                        self.mode = Mode::ArrayElement;
                    }
                    Some(b']') => {
                        self.input.consume(1);
                        self.mode = Mode::Start;
                    }
                    Some(_) => return self.broken_array("no `,` or `]` after an item").map(Some),
                },
            }
        }
    }
}

impl<R: BufRead> Iterator for Items<R> {
    type Item = io::Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_item() {
            Ok(item) => item.map(Ok),
            Err(error) => {
                self.mode = Mode::Done;
                Some(Err(error))
            }
        }
    }
}

enum LineRead {
    Line,
    TooLong,
}

/// Where a scan is inside a JSON text: open brackets, in a string, after a backslash. It only
/// delimits values; the parser judges them.
#[derive(Default)]
struct Nesting {
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The value begun by the first byte fed has ended.
    ended: bool,
}

impl Nesting {
    /// Scans `bytes`; the index just past the byte that ends the value begun by the first of
    /// them (a closing bracket back at depth 0, or the closing quote of a top-level string).
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        for (at, &b) in bytes.iter().enumerate() {
            if self.step(b) {
                self.ended = true;
                return Some(at + 1);
            }
        }
        None
    }

    /// Scans a line; what follows the end of the value is not looked at.
    fn feed_line(&mut self, bytes: &[u8]) {
        if !self.ended {
            let _ = self.feed(bytes);
        }
    }

    /// True when `b` ends the value.
    fn step(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                return self.depth == 0;
            }
            return false;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            // A stray closer is the parser's to report; it ends the value here.
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                return self.depth == 0;
            }
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &str, max: usize) -> Vec<String> {
        Items::with_limit(input.as_bytes(), max)
            .map(|item| match item.unwrap() {
                Item::Text { json, lines } => {
                    let text = String::from_utf8(json).unwrap();
                    if lines {
                        format!("doc:{text}")
                    } else {
                        text
                    }
                }
                Item::Invalid(reason) => format!("invalid:{reason}"),
            })
            .collect()
    }

    #[test]
    fn json_lines_are_one_item_per_non_blank_line() {
        assert_eq!(
            split("{\"a\":1}\n\n  {\"b\":2}\r\nnot json\n{\"c\":\n[1]\n", 100),
            ["{\"a\":1}", "  {\"b\":2}", "not json", "{\"c\":", "[1]"]
        );
        assert_eq!(split("", 100), Vec::<String>::new());
        assert_eq!(split(" \n\t\n", 100), Vec::<String>::new());
        assert_eq!(split("42\n\"x\"", 100), ["42", "\"x\""]);
    }

    #[test]
    fn arrays_give_their_elements_undecoded() {
        assert_eq!(
            split(
                " [ {\"a\": [1, {\"]\": \"}\"}]}, \"s,]\\\"\" ,\n 1.50 , null,[2] ]",
                100
            ),
            [
                "{\"a\": [1, {\"]\": \"}\"}]}",
                "\"s,]\\\"\"",
                "1.50",
                "null",
                "[2]"
            ]
        );
        assert_eq!(split("[]", 100), Vec::<String>::new());
        // Arrays and values one after another.
        assert_eq!(split("[1]\n[2,3]", 100), ["1", "2", "3"]);
    }

    #[test]
    fn broken_arrays_are_reported_and_reading_goes_on() {
        assert_eq!(
            split("[{\"a\":1} {\"b\":2}]\n{\"c\":3}\n", 100),
            [
                "{\"a\":1}",
                "invalid:broken JSON array: no `,` or `]` after an item",
                "{\"c\":3}"
            ]
        );
        assert_eq!(
            split("[1,", 100),
            ["1", "invalid:broken JSON array: no `]` at the end"]
        );
        assert_eq!(
            split("[1,]", 100),
            ["1", "invalid:broken JSON array: `]` after `,`"]
        );
        assert_eq!(
            split("[,1]\n2", 100),
            ["invalid:broken JSON array: `,` where an item belongs", "2"]
        );
    }

    #[test]
    fn documents_over_several_lines_are_gathered() {
        let pretty = "{\n  \"a\": \"{\",\n  \"b\": [\n    1\n  ]\n}\n{\n  \"c\": 2\n}\n";
        assert_eq!(
            split(pretty, 100),
            [
                "doc:{\n  \"a\": \"{\",\n  \"b\": [\n    1\n  ]\n}",
                "doc:{\n  \"c\": 2\n}"
            ]
        );
        // Once the input is JSON lines, a line that leaves a bracket open spoils only itself.
        assert_eq!(
            split("{\"a\":1}\n{\"b\":\n{\"c\":3}\n", 100),
            ["{\"a\":1}", "{\"b\":", "{\"c\":3}"]
        );
        // A first value that never closes is gathered to the end (the caller then tries its
        // lines one by one).
        assert_eq!(split("{\n\"a\":1\n", 100), ["doc:{\n\"a\":1\n"]);
    }

    #[test]
    fn items_over_the_limit_are_skipped_unread() {
        let long = format!("{{\"a\":\"{}\"}}", "x".repeat(50));
        assert_eq!(
            split(&format!("{long}\n{{\"b\":1}}\n{long}"), 20),
            [
                "invalid:larger than 20 bytes, not read",
                "{\"b\":1}",
                "invalid:larger than 20 bytes, not read"
            ]
        );
        assert_eq!(
            split(&format!("[{long}, 1, {long}]"), 20),
            [
                "invalid:larger than 20 bytes, not read",
                "1",
                "invalid:larger than 20 bytes, not read"
            ]
        );
        let pretty = format!(
            "{{\n\"a\": \"{}\",\n\"b\": 1\n}}\n{{\n\"c\": 2\n}}",
            "x".repeat(50)
        );
        assert_eq!(
            split(&pretty, 20),
            [
                "invalid:larger than 20 bytes, not read",
                "doc:{\n\"c\": 2\n}"
            ]
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert_eq!(split("\u{feff}[1]", 100), ["1"]);
        assert_eq!(split("\u{feff}{\"a\":1}\n", 100), ["{\"a\":1}"]);
    }
}
