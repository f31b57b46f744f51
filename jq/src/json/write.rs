//! Writing values as JSON text: jq's compact form (`tojson`) and the form Port
//! receives from Ocean (numbers as Python hands them over).

use crate::map::Map;
use crate::number::{write_python_number, Number};
use crate::value::Value;

/// jq's compact JSON text for `v` (`tojson`).
pub fn tojson_string(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

/// Appends jq's compact JSON text for `v` (`tojson`).
pub fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => n.write_jq(out),
        Value::String(s) => write_jq_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_jq_string(k, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
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

/// [`write_port_json`] into a `String` (no intermediate buffer).
pub fn write_port(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_python_number(n.as_f64(), out),
        Value::String(s) => write_serde_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_port(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_serde_string(k, out);
                out.push(':');
                write_port(item, out);
            }
            out.push('}');
        }
    }
}

impl Value {
    /// Converts from serde_json. Numbers keep their literal text when serde_json
    /// has it (`arbitrary_precision`) or when it is a float.
    pub fn from_serde(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                let text = n.to_string();
                match Number::from_literal(&text) {
                    Some(num) if n.is_f64() => Value::Number(num),
                    _ => Value::number(n.as_f64().unwrap_or(f64::NAN)),
                }
            }
            serde_json::Value::String(s) => Value::from(s.as_str()),
            serde_json::Value::Array(items) => items.iter().map(Value::from_serde).collect(),
            serde_json::Value::Object(obj) => {
                let mut map = Map::with_capacity(obj.len());
                for (k, item) in obj {
                    map.insert(k.as_str(), Value::from_serde(item));
                }
                Value::from(map)
            }
        }
    }

    /// Converts to serde_json. Numbers go through `f64` (integral ones become
    /// integers when they fit `i64`/`u64`); NaN becomes `null`, infinities ±f64::MAX.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_serde(n.as_f64()),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_serde).collect())
            }
            Value::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, item)| (k.to_string(), item.to_serde()))
                    .collect(),
            ),
        }
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
