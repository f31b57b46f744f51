//! String builtins, conversions and `@format`s (jq 1.8.2 semantics).

use super::error::{type_error, Error, R};
use super::json::{parse_json, tojson_string, write_json, write_json_bounded};
use super::limits::MAX_STRING_BYTES;
use super::number::Number;
use super::ops;
use super::value::Value;

fn both_strings<'a>(a: &'a Value, b: &'a Value, msg: &str) -> R<(&'a str, &'a str)> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Ok((x, y)),
        _ => Err(Error::msg(msg)),
    }
}

/// `startswith(s)`.
pub fn startswith(v: &Value, s: &Value) -> R<Value> {
    let (a, b) = both_strings(v, s, "startswith() requires string inputs")?;
    Ok(Value::Bool(a.starts_with(b)))
}

/// `endswith(s)`.
pub fn endswith(v: &Value, s: &Value) -> R<Value> {
    let (a, b) = both_strings(v, s, "endswith() requires string inputs")?;
    Ok(Value::Bool(a.ends_with(b)))
}

/// `ltrimstr(s)`: errors on non-strings, like jq 1.8.2's `startswith`-based definition.
pub fn ltrimstr(v: &Value, s: &Value) -> R<Value> {
    let (a, b) = both_strings(v, s, "startswith() requires string inputs")?;
    Ok(match a.strip_prefix(b) {
        Some(rest) if !b.is_empty() => Value::from(rest),
        _ => v.clone(),
    })
}

/// `rtrimstr(s)`.
pub fn rtrimstr(v: &Value, s: &Value) -> R<Value> {
    let (a, b) = both_strings(v, s, "endswith() requires string inputs")?;
    Ok(match a.strip_suffix(b) {
        Some(rest) if !b.is_empty() => Value::from(rest),
        _ => v.clone(),
    })
}

/// `trimstr(s)`.
pub fn trimstr(v: &Value, s: &Value) -> R<Value> {
    rtrimstr(&ltrimstr(v, s)?, s)
}

fn trim_with(v: &Value, f: impl Fn(&str) -> &str) -> R<Value> {
    match v {
        Value::String(s) => {
            let t = f(s);
            Ok(if t.len() == s.len() {
                v.clone()
            } else {
                Value::from(t)
            })
        }
        _ => Err(Error::msg("trim input must be a string")),
    }
}

/// `trim`: Unicode whitespace on both ends.
pub fn trim(v: &Value) -> R<Value> {
    trim_with(v, str::trim)
}

/// `ltrim`.
pub fn ltrim(v: &Value) -> R<Value> {
    trim_with(v, str::trim_start)
}

/// `rtrim`.
pub fn rtrim(v: &Value) -> R<Value> {
    trim_with(v, str::trim_end)
}

/// `split(sep)` with a string separator.
pub fn split(v: &Value, sep: &Value) -> R<Value> {
    let (s, sep) = both_strings(v, sep, "split input and separator must be strings")?;
    Ok(ops::split_string(s, sep))
}

/// `join(sep)`, jq 1.8.2's definition: null elements count as `""`, booleans
/// and numbers are stringified, anything else must be addable to a string.
pub fn join(v: &Value, sep: &Value) -> R<Value> {
    let items = ops::iterate(v)?;
    if let Value::String(sep) = sep {
        // Fast path: every element a string, null, boolean or number.
        if items
            .iter()
            .all(|x| !matches!(x, Value::Array(_) | Value::Object(_)))
        {
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                match item {
                    Value::String(s) => out.push_str(s),
                    Value::Null => {}
                    other => write_json(other, &mut out),
                }
            }
            return Ok(Value::from(out));
        }
    }
    // General case: replay `reduce .[] as $i (null; (if .==null then "" else .+$x end) + ...)`.
    let mut acc = Value::Null;
    for item in &items {
        let left = if acc.is_null() {
            Value::from("")
        } else {
            ops::add(&acc, sep)?
        };
        let right = match item {
            Value::Bool(_) | Value::Number(_) => Value::from(tojson_string(item)),
            Value::Null => Value::from(""),
            other => other.clone(),
        };
        acc = ops::add(&left, &right)?;
    }
    Ok(if acc.is_truthy() {
        acc
    } else {
        Value::from("")
    })
}

fn explode_str(v: &Value) -> R<&str> {
    v.as_str()
        .ok_or_else(|| Error::msg("explode input must be a string"))
}

/// `ascii_downcase`: only A–Z change.
pub fn ascii_downcase(v: &Value) -> R<Value> {
    Ok(Value::from(explode_str(v)?.to_ascii_lowercase()))
}

/// `ascii_upcase`: only a–z change.
pub fn ascii_upcase(v: &Value) -> R<Value> {
    Ok(Value::from(explode_str(v)?.to_ascii_uppercase()))
}

/// `explode`: codepoints.
pub fn explode(v: &Value) -> R<Value> {
    Ok(explode_str(v)?
        .chars()
        .map(|c| Value::number(f64::from(u32::from(c))))
        .collect())
}

/// `implode`: codepoints to a string; invalid codepoints become U+FFFD.
pub fn implode(v: &Value) -> R<Value> {
    let Value::Array(items) = v else {
        return Err(Error::msg("implode input must be an array"));
    };
    let mut out = String::with_capacity(items.len());
    for item in items.iter() {
        let code = match item {
            Value::Number(n) if !n.as_f64().is_nan() => n.as_f64(),
            _ => {
                return Err(type_error(
                    item,
                    "can't be imploded, unicode codepoint needs to be numeric",
                ))
            }
        };
        let code = code.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
        let c = u32::try_from(code)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}');
        out.push(c);
    }
    Ok(Value::from(out))
}

/// `ascii`: the character for a codepoint number.
pub fn ascii(v: &Value) -> R<Value> {
    implode(&Value::from(vec![v.clone()]))
}

/// `tostring`: strings unchanged, anything else as its JSON text.
pub fn tostring(v: &Value) -> R<Value> {
    match v {
        Value::String(_) => Ok(v.clone()),
        _ => tojson(v),
    }
}

/// Appends `v` the way string interpolation `"\(v)"` does.
pub fn push_interpolated(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => out.push_str(s),
        _ => write_json(v, out),
    }
}

/// `tojson`; "String too long" past [`MAX_STRING_BYTES`].
pub fn tojson(v: &Value) -> R<Value> {
    json_text(v).map(Value::from)
}

/// The JSON text of `v`, bounded by [`MAX_STRING_BYTES`].
fn json_text(v: &Value) -> R<String> {
    let mut out = String::new();
    if write_json_bounded(v, &mut out, MAX_STRING_BYTES) {
        Ok(out)
    } else {
        Err(Error::msg("String too long"))
    }
}

/// `fromjson`.
pub fn fromjson(v: &Value) -> R<Value> {
    let Value::String(text) = v else {
        return Err(type_error(v, "only strings can be parsed"));
    };
    // jq's parser also reads NaN literals (any case, optionally negated).
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
    if trimmed
        .strip_prefix('-')
        .unwrap_or(trimmed)
        .eq_ignore_ascii_case("nan")
    {
        return Ok(Value::number(f64::NAN));
    }
    parse_json(text.as_bytes()).map_err(|e| {
        let before = &text.as_bytes()[..e.offset.min(text.len())];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|b| **b != b'\n').count();
        Error::msg(format!(
            "{} at line {line}, column {column} (while parsing '{text}')",
            e.message
        ))
    })
}

/// `tonumber`: numbers unchanged; strings parsed as decimal literals (kept as literals).
pub fn tonumber(v: &Value) -> R<Value> {
    match v {
        Value::Number(_) => Ok(v.clone()),
        Value::String(s) => {
            parse_number_text(s).ok_or_else(|| type_error(v, "cannot be parsed as a number"))
        }
        _ => Err(type_error(v, "cannot be parsed as a number")),
    }
}

/// decNumber's string syntax: optional sign, decimal literal, or Inf/Infinity/NaN.
fn parse_number_text(s: &str) -> Option<Value> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" => {
            return Some(Value::number(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }))
        }
        "nan" | "snan" => return Some(Value::number(f64::NAN)),
        _ => {}
    }
    // Literal syntax has no sign of its own past the first character.
    if body.starts_with(['-', '+']) {
        return None;
    }
    let number = Number::from_literal(body)?;
    Some(Value::Number(if negative {
        number.negate()
    } else {
        number
    }))
}

/// `toboolean`.
pub fn toboolean(v: &Value) -> R<Value> {
    match v {
        Value::Bool(_) => Ok(v.clone()),
        Value::String(s) if &**s == "true" => Ok(Value::Bool(true)),
        Value::String(s) if &**s == "false" => Ok(Value::Bool(false)),
        _ => Err(type_error(v, "cannot be parsed as a boolean")),
    }
}

/// `@name` applied to a value: text, json, html, uri, urid, csv, tsv, sh, base64, base64d.
pub fn format(name: &str, v: &Value) -> R<Value> {
    let name = name.strip_prefix('@').unwrap_or(name);
    match name {
        "text" => tostring(v),
        "json" => tojson(v),
        "html" => Ok(Value::from(escape_chars(&text_of(v)?, |c| match c {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            '\'' => Some("&apos;"),
            '"' => Some("&quot;"),
            _ => None,
        }))),
        "uri" => Ok(Value::from(uri_encode(&text_of(v)?))),
        "urid" => uri_decode(v),
        "csv" | "tsv" => delimited(name == "csv", v),
        "sh" => shell_quote(v),
        "base64" => Ok(Value::from(base64_encode(text_of(v)?.as_bytes()))),
        "base64d" => base64_decode(v),
        _ => Err(Error::msg(format!("{name} is not a valid format"))),
    }
}

/// The `tostring` text of a value.
fn text_of(v: &Value) -> R<std::borrow::Cow<'_, str>> {
    Ok(match v {
        Value::String(s) => std::borrow::Cow::Borrowed(s),
        _ => std::borrow::Cow::Owned(json_text(v)?),
    })
}

fn escape_chars(s: &str, escape: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match escape(c) {
            Some(rep) => out.push_str(rep),
            None => out.push(c),
        }
    }
    out
}

fn uri_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

fn uri_decode(v: &Value) -> R<Value> {
    let text = text_of(v)?;
    let bad = || type_error(&Value::from(&*text), "is not a valid uri encoding");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
            let digit = |d: u8| char::from(d).to_digit(16);
            match (digit(hex[0]), digit(hex[1])) {
                (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                _ => return Err(bad()),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map(Value::from).map_err(|_| bad())
}

fn delimited(csv: bool, v: &Value) -> R<Value> {
    let Value::Array(items) = v else {
        let msg = if csv {
            "cannot be csv-formatted, only array"
        } else {
            "cannot be tsv-formatted, only array"
        };
        return Err(type_error(v, msg));
    };
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            line.push(if csv { ',' } else { '\t' });
        }
        match item {
            Value::Null => {}
            Value::Bool(_) => write_json(item, &mut line),
            Value::Number(n) => {
                if !n.as_f64().is_nan() {
                    write_json(item, &mut line);
                }
            }
            Value::String(s) => {
                if csv {
                    line.push('"');
                    line.push_str(&s.replace('"', "\"\""));
                    line.push('"');
                } else {
                    line.push_str(&escape_chars(s, |c| match c {
                        '\t' => Some("\\t"),
                        '\r' => Some("\\r"),
                        '\n' => Some("\\n"),
                        '\\' => Some("\\\\"),
                        _ => None,
                    }));
                }
            }
            _ => return Err(type_error(item, "is not valid in a csv row")),
        }
    }
    Ok(Value::from(line))
}

fn shell_quote(v: &Value) -> R<Value> {
    let single = [v.clone()];
    let items: &[Value] = match v {
        Value::Array(items) => items,
        _ => &single,
    };
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        match item {
            Value::String(s) => {
                line.push('\'');
                line.push_str(&s.replace('\'', "'\\''"));
                line.push('\'');
            }
            Value::Array(_) | Value::Object(_) => {
                return Err(type_error(item, "can not be escaped for shell"))
            }
            _ => write_json(item, &mut line),
        }
    }
    Ok(Value::from(line))
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let mut code = 0u32;
        for j in 0..3 {
            code = (code << 8) | u32::from(chunk.get(j).copied().unwrap_or(0));
        }
        for j in 0..4 {
            if j > chunk.len() {
                out.push('=');
            } else {
                out.push(char::from(BASE64[((code >> (18 - j * 6)) & 0x3f) as usize]));
            }
        }
    }
    out
}

fn base64_decode(v: &Value) -> R<Value> {
    let text = text_of(v)?;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut code, mut pending) = (0u32, 0);
    for &b in text.as_bytes() {
        if b == b'=' {
            break;
        }
        let Some(d) = BASE64.iter().position(|&c| c == b) else {
            return Err(type_error(&Value::from(&*text), "is not valid base64 data"));
        };
        code = (code << 6) | d as u32;
        pending += 1;
        if pending == 4 {
            out.extend_from_slice(&[(code >> 16) as u8, (code >> 8) as u8, code as u8]);
            code = 0;
            pending = 0;
        }
    }
    match pending {
        3 => out.extend_from_slice(&[(code >> 10) as u8, (code >> 2) as u8]),
        2 => out.push((code >> 4) as u8),
        1 => {
            return Err(type_error(
                &Value::from(&*text),
                "trailing base64 byte found",
            ))
        }
        _ => {}
    }
    Ok(Value::from(String::from_utf8_lossy(&out).into_owned()))
}
