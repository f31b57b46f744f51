//! Writing values as JSON text: jq's compact form (`tojson`) and the form Port
//! receives from Ocean (numbers as Python hands them over).

use std::sync::Arc;

use crate::frames::Frames;
use crate::limits::{MAX_PRINT_DEPTH, SKIPPED_TOO_DEEP};
use crate::map::Map;
use crate::number::{write_python_number, Number};
use crate::value::Value;

/// jq's compact JSON text for `v` (`tojson`).
pub fn tojson_string(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

/// Appends jq's compact JSON text for `v` (`tojson`). Values nested deeper than
/// [`MAX_PRINT_DEPTH`] print as `<skipped: too deep>`, as in jq 1.8.2 (the text is then not JSON).
pub fn write_json(v: &Value, out: &mut String) {
    write_rec::<Jq>(v, out, 0, usize::MAX);
}

/// [`write_json`] that gives up once `out` holds `max` bytes: false when the text would be
/// longer (what is written then is only its start).
pub(crate) fn write_json_bounded(v: &Value, out: &mut String, max: usize) -> bool {
    write_rec::<Jq>(v, out, 0, max);
    out.len() < max
}

/// [`write_json`] that stops once `out` holds at least `stop_at` bytes (for messages that
/// show only the start of a value: no need to print all of a large one).
pub(crate) fn write_json_prefix(v: &Value, out: &mut String, stop_at: usize) {
    write_tree::<Jq>(v, out, stop_at, 0);
}

/// How a printer writes what is not a container.
trait Style {
    fn number(n: &Number, out: &mut String);
    fn string(s: &str, out: &mut String);
    /// A value below [`MAX_PRINT_DEPTH`].
    fn skipped(out: &mut String);
}

/// jq's `tojson`.
struct Jq;

impl Style for Jq {
    fn number(n: &Number, out: &mut String) {
        n.write_jq(out);
    }

    fn string(s: &str, out: &mut String) {
        write_jq_string(s, out);
    }

    fn skipped(out: &mut String) {
        out.push_str(SKIPPED_TOO_DEEP);
    }
}

/// What Port receives from Ocean.
struct Port;

impl Style for Port {
    fn number(n: &Number, out: &mut String) {
        write_python_number(n.as_f64(), out);
    }

    fn string(s: &str, out: &mut String) {
        write_serde_string(s, out);
    }

    /// Port's body must stay JSON: jq's marker as a string.
    fn skipped(out: &mut String) {
        write_serde_string(SKIPPED_TOO_DEEP, out);
    }
}

/// A container being printed and the position of its next element.
#[derive(Clone, Copy)]
enum Open<'a> {
    Items(&'a [Value], usize),
    Entries(&'a [(Arc<str>, Value)], usize),
}

/// Levels printed by recursion before [`write_tree`] takes over (a few KiB of stack).
const RECURSION: usize = 64;

/// Prints `v`, `depth` levels down, by recursion (the fast way, for any ordinary value)
/// until [`RECURSION`] levels, then without. Stops once `out` holds `stop_at` bytes.
fn write_rec<S: Style>(v: &Value, out: &mut String, depth: usize, stop_at: usize) {
    match v {
        Value::Array(items) if !items.is_empty() => {
            if depth >= RECURSION {
                return write_tree::<S>(v, out, stop_at, depth);
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if out.len() >= stop_at {
                    return;
                }
                if i > 0 {
                    out.push(',');
                }
                write_rec::<S>(item, out, depth + 1, stop_at);
            }
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            if depth >= RECURSION {
                return write_tree::<S>(v, out, stop_at, depth);
            }
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if out.len() >= stop_at {
                    return;
                }
                if i > 0 {
                    out.push(',');
                }
                S::string(k, out);
                out.push(':');
                write_rec::<S>(item, out, depth + 1, stop_at);
            }
            out.push('}');
        }
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => S::number(n, out),
        Value::String(s) => S::string(s, out),
    }
}

/// Prints `root` (`base` levels down) without recursion. The depth of a value is the number
/// of containers around it (jq's `indent`); past [`MAX_PRINT_DEPTH`] it is skipped whatever
/// its kind. Stops once `out` holds `stop_at` bytes.
fn write_tree<'a, S: Style>(root: &'a Value, out: &mut String, stop_at: usize, base: usize) {
    let mut open: Frames<Open<'a>> = Frames::new();
    let mut next = root;
    loop {
        if out.len() >= stop_at {
            return;
        }
        if base + open.len() > MAX_PRINT_DEPTH {
            S::skipped(out);
        } else {
            match next {
                Value::Array(items) => {
                    if let Some(first) = items.first() {
                        out.push('[');
                        open.push(Open::Items(items, 1));
                        next = first;
                        continue;
                    }
                    out.push_str("[]");
                }
                Value::Object(map) => {
                    if let Some((k, first)) = map.entries().first() {
                        out.push('{');
                        S::string(k, out);
                        out.push(':');
                        open.push(Open::Entries(map.entries(), 1));
                        next = first;
                        continue;
                    }
                    out.push_str("{}");
                }
                Value::Null => out.push_str("null"),
                Value::Bool(true) => out.push_str("true"),
                Value::Bool(false) => out.push_str("false"),
                Value::Number(n) => S::number(n, out),
                Value::String(s) => S::string(s, out),
            }
        }
        // The next sibling, closing the containers that are done.
        loop {
            match open.last_mut() {
                None => return,
                Some(Open::Items(items, i)) => {
                    let items: &'a [Value] = items;
                    if let Some(item) = items.get(*i) {
                        *i += 1;
                        out.push(',');
                        next = item;
                        break;
                    }
                    out.push(']');
                }
                Some(Open::Entries(entries, i)) => {
                    let entries: &'a [(Arc<str>, Value)] = entries;
                    if let Some((k, item)) = entries.get(*i) {
                        *i += 1;
                        out.push(',');
                        S::string(k, out);
                        out.push(':');
                        next = item;
                        break;
                    }
                    out.push('}');
                }
            }
            open.pop();
        }
    }
}

/// Appends a JSON string literal escaped like jq: `"` `\\` and control
/// characters (including DEL) escaped, `\u00XX` in lowercase hex, other
/// characters raw.
pub fn write_jq_string(s: &str, out: &mut String) {
    write_escaped(s, out, true);
}

/// Appends a JSON string literal escaped like serde_json (DEL stays raw).
/// Appends `s` as a JSON string with serde_json's escaping (what Port receives).
pub fn write_port_string(s: &str, out: &mut String) {
    write_serde_string(s, out);
}

fn write_serde_string(s: &str, out: &mut String) {
    write_escaped(s, out, false);
}

/// Position of the first byte at or after `i` needing an escape (`"`, `\\`,
/// a control character, and DEL when `escape_del`), or `bytes.len()`.
/// Eight bytes at a time, like the parser's string scan.
fn find_escape(bytes: &[u8], mut i: usize, escape_del: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let mut found = zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w);
        if escape_del {
            found |= zero_byte(w ^ (ONES * 0x7f));
        }
        let found = found & HIGHS;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    // The last few bytes, one at a time.
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 || b == b'"' || b == b'\\' || (escape_del && b == 0x7f) {
            break;
        }
        i += 1;
    }
    i
}

fn write_escaped(s: &str, out: &mut String, escape_del: bool) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    loop {
        let i = find_escape(bytes, run_start, escape_del);
        // Escapable bytes are ASCII, so `i` is a char boundary.
        out.push_str(&s[run_start..i]);
        let Some(&b) = bytes.get(i) else { break };
        run_start = i + 1;
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
    out.push('"');
}

/// Appends the JSON Port receives from Ocean for `v`: numbers as jq.py converts
/// them (integral doubles as integers, others as Python float repr, NaN as
/// `null`, infinities as ±1.7976931348623157e+308); serde_json string escaping.
pub fn write_port_json(v: &Value, out: &mut Vec<u8>) {
    let mut text = String::new();
    write_port(v, &mut text);
    if out.is_empty() {
        *out = text.into_bytes();
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// [`write_port_json`] into a `String` (no intermediate buffer). Values nested deeper than
/// [`MAX_PRINT_DEPTH`] become the string `"<skipped: too deep>"`, so the text stays JSON.
pub fn write_port(v: &Value, out: &mut String) {
    write_rec::<Port>(v, out, 0, usize::MAX);
}

/// Nesting [`Value::to_serde`] keeps: serde_json's own parser refuses deeper documents, and
/// its `Value` drops and serialises by recursion.
const SERDE_DEPTH: usize = 128;

impl Value {
    /// Converts from serde_json. Numbers keep their literal text when serde_json
    /// has it (`arbitrary_precision`) or when it is a float. Iterative: any depth.
    pub fn from_serde(v: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        /// A container being converted: its remaining children and what is built so far.
        enum Open<'a> {
            Items(std::slice::Iter<'a, J>, Vec<Value>),
            Entries(serde_json::map::Iter<'a>, Map, Option<&'a String>),
        }
        let mut open: Vec<Open<'_>> = Vec::new();
        let mut next = v;
        loop {
            let mut done = match next {
                J::Array(items) => {
                    open.push(Open::Items(items.iter(), Vec::with_capacity(items.len())));
                    None
                }
                J::Object(obj) => {
                    open.push(Open::Entries(
                        obj.iter(),
                        Map::with_capacity(obj.len()),
                        None,
                    ));
                    None
                }
                J::Null => Some(Value::Null),
                J::Bool(b) => Some(Value::Bool(*b)),
                J::Number(n) => {
                    let text = n.to_string();
                    Some(match Number::from_literal(&text) {
                        Some(num) if n.is_f64() => Value::Number(num),
                        _ => Value::number(n.as_f64().unwrap_or(f64::NAN)),
                    })
                }
                J::String(s) => Some(Value::from(s.as_str())),
            };
            loop {
                let Some(top) = open.last_mut() else {
                    return done.unwrap_or_default();
                };
                let more = match top {
                    Open::Items(iter, items) => {
                        items.extend(done.take());
                        iter.next()
                    }
                    Open::Entries(iter, map, key) => {
                        if let (Some(k), Some(v)) = (key.take(), done.take()) {
                            map.insert(k.as_str(), v);
                        }
                        iter.next().map(|(k, item)| {
                            *key = Some(k);
                            item
                        })
                    }
                };
                if let Some(item) = more {
                    next = item;
                    break;
                }
                done = match open.pop() {
                    Some(Open::Items(_, items)) => Some(Value::from(items)),
                    Some(Open::Entries(_, map, _)) => Some(Value::from(map)),
                    None => None,
                };
            }
        }
    }

    /// Converts to serde_json. Numbers go through `f64` (integral ones become
    /// integers when they fit `i64`/`u64`); NaN becomes `null`, infinities ±f64::MAX.
    /// Values nested more than 128 deep (serde_json's own parsing limit) become the string
    /// `"<skipped: too deep>"`, as `tojson` does past its limit.
    pub fn to_serde(&self) -> serde_json::Value {
        to_serde_at(self, 0)
    }
}

fn to_serde_at(v: &Value, depth: usize) -> serde_json::Value {
    if depth > SERDE_DEPTH {
        return serde_json::Value::String(SKIPPED_TOO_DEEP.to_owned());
    }
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => number_to_serde(n.as_f64()),
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Array(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|item| to_serde_at(item, depth + 1))
                .collect(),
        ),
        Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, item)| (k.to_string(), to_serde_at(item, depth + 1)))
                .collect(),
        ),
    }
}

fn number_to_serde(x: f64) -> serde_json::Value {
    if x.is_nan() {
        return serde_json::Value::Null;
    }
    let x = x.clamp(-f64::MAX, f64::MAX);
    if x.trunc() == x && x.abs() < 9.0e18 {
        return serde_json::Value::from(x as i64);
    }
    serde_json::Number::from_f64(x)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jq_string_escapes() {
        let mut out = String::new();
        write_jq_string("a\"b\\c\n\u{1}\u{7f}é\u{1F600}", &mut out);
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001\\u007fé\u{1F600}\"");
    }

    #[test]
    fn escapes_found_at_every_position() {
        // The scan works eight bytes at a time; put each special byte at each
        // offset of strings of several lengths and compare with a plain loop.
        for len in 0..20 {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1}', '\u{7f}', 'é'] {
                    let mut s: String = "x".repeat(len);
                    s.replace_range(at..at + 1, &special.to_string());
                    let mut expected = String::from("\"");
                    for c in s.chars() {
                        match c {
                            '"' => expected.push_str("\\\""),
                            '\\' => expected.push_str("\\\\"),
                            '\n' => expected.push_str("\\n"),
                            '\u{1}' => expected.push_str("\\u0001"),
                            '\u{7f}' => expected.push_str("\\u007f"),
                            c => expected.push(c),
                        }
                    }
                    expected.push('"');
                    let mut out = String::new();
                    write_jq_string(&s, &mut out);
                    assert_eq!(out, expected, "{s:?}");
                    let parsed = crate::json::parse_json(out.as_bytes()).unwrap();
                    assert_eq!(parsed.as_str(), Some(s.as_str()));
                }
            }
        }
    }

    #[test]
    fn port_json_numbers_and_strings() {
        let mut map = Map::new();
        map.insert("a", Value::number(100.0));
        map.insert("b", Value::number(0.1));
        map.insert("c", Value::number_literal("1.50"));
        map.insert("d", Value::from("x\u{7f}\n"));
        map.insert("e", Value::number(f64::NAN));
        let mut out = Vec::new();
        write_port_json(&Value::from(map), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":100,\"b\":0.1,\"c\":1.5,\"d\":\"x\u{7f}\\n\",\"e\":null}"
        );
    }

    #[test]
    fn serde_round_trip() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"a":"x","b":[1,2.5,null,true]}"#).unwrap();
        let ours = Value::from_serde(&v);
        assert_eq!(tojson_string(&ours), r#"{"a":"x","b":[1,2.5,null,true]}"#);
        assert_eq!(ours.to_serde(), v);
    }
}
