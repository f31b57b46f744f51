//! jq operators and paths: indexing, slicing, iteration, arithmetic,
//! comparison — with libjq 1.8.2's rules and error texts.

use std::cmp::Ordering;

use super::compare::{cmp_within, equal_within, merge_objects, TooDeep};
use super::error::{dump_trunc, type_error2, Error, R};
use super::limits::{MAX_COMPARE_DEPTH, MAX_STRING_BYTES};
use super::map::Map;
use super::value::Value;

/// jq truthiness: everything except `null` and `false`.
pub fn truthy(v: &Value) -> bool {
    v.is_truthy()
}

fn cannot_index(v: &Value, k: &Value) -> Error {
    Error::msg(format!(
        "Cannot index {} with {} ({})",
        v.kind_name(),
        k.kind_name(),
        dump_trunc(k)
    ))
}

/// `.key`: objects give the value or `null`, `null` gives `null`, anything else is an error.
pub fn index_field(v: &Value, key: &str) -> R<Value> {
    match v {
        Value::Object(map) => Ok(map.get(key).cloned().unwrap_or(Value::Null)),
        Value::Null => Ok(Value::Null),
        _ => Err(cannot_index(v, &Value::from(key))),
    }
}

/// `.[k]` for any key (jq's `jv_get`).
pub fn index(v: &Value, k: &Value) -> R<Value> {
    match (v, k) {
        (Value::Object(map), Value::String(key)) => {
            Ok(map.get(key).cloned().unwrap_or(Value::Null))
        }
        (Value::Array(items), Value::Number(n)) => Ok(array_at(items, n.as_f64())),
        (Value::Array(_) | Value::String(_), Value::Object(range)) => {
            let start = range.get("start").cloned().unwrap_or(Value::Null);
            let end = range.get("end").cloned().unwrap_or(Value::Null);
            slice_inner(v, &start, &end)
        }
        (Value::Array(items), Value::Array(needle)) => array_indexes(items, needle),
        (Value::Null, Value::String(_) | Value::Number(_) | Value::Object(_)) => Ok(Value::Null),
        _ => Err(cannot_index(v, k)),
    }
}

/// Element `i` (float truncated toward zero, negative counts from the end), or `null`.
fn array_at(items: &[Value], i: f64) -> Value {
    if i.is_nan() {
        return Value::Null;
    }
    let mut idx = i.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i64;
    if idx < 0 {
        idx += items.len() as i64;
    }
    usize::try_from(idx)
        .ok()
        .and_then(|i| items.get(i))
        .cloned()
        .unwrap_or(Value::Null)
}

/// `.[needle]` with an array key: start positions where `needle` occurs.
fn array_indexes(items: &[Value], needle: &[Value]) -> R<Value> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return Ok(Value::from(out));
    }
    for start in 0..items.len() {
        let mut matches = true;
        for (j, want) in needle.iter().enumerate() {
            match items.get(start + j) {
                Some(have) if equal_checked(have, want)? => {}
                _ => {
                    matches = false;
                    break;
                }
            }
        }
        if matches {
            out.push(Value::from(start));
        }
    }
    Ok(Value::from(out))
}

/// `.[from:to]`; `Value::Null` means an open end. Arrays and strings (by
/// codepoint) slice; `null` gives `null`.
pub fn slice(v: &Value, from: &Value, to: &Value) -> R<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Array(_) | Value::String(_) => slice_inner(v, from, to),
        _ => {
            let mut range = Map::with_capacity(2);
            range.insert("start", from.clone());
            range.insert("end", to.clone());
            Err(cannot_index(v, &Value::from(range)))
        }
    }
}

fn slice_inner(v: &Value, from: &Value, to: &Value) -> R<Value> {
    let len = match v {
        Value::Array(items) => items.len(),
        Value::String(s) => s.chars().count(),
        _ => return Err(Error::msg("Only arrays and strings can be sliced")),
    };
    let (start, end) = slice_bounds(len, from, to)?;
    Ok(match v {
        Value::Array(items) => Value::from(items[start..end].to_vec()),
        Value::String(s) => Value::from(char_slice(s, start, end)),
        _ => Value::Null,
    })
}

/// jq's `parse_slice`: start rounds down, end rounds up, both clamped.
pub(crate) fn slice_bounds(len: usize, from: &Value, to: &Value) -> R<(usize, usize)> {
    let lenf = len as f64;
    let start = match from {
        Value::Null => 0.0,
        Value::Number(n) => n.as_f64(),
        _ => return Err(Error::msg("Array/string slice indices must be integers")),
    };
    let end = match to {
        Value::Null => lenf,
        Value::Number(n) => n.as_f64(),
        _ => return Err(Error::msg("Array/string slice indices must be integers")),
    };
    let mut dstart = if start.is_nan() { 0.0 } else { start };
    if dstart < 0.0 {
        dstart += lenf;
    }
    dstart = dstart.clamp(0.0, lenf);
    let start = dstart as usize;
    let mut dend = if end.is_nan() { lenf } else { end };
    if dend < 0.0 {
        dend += lenf;
    }
    let mut end = if dend < 0.0 {
        start
    } else if dend > lenf {
        len
    } else {
        dend as usize
    };
    if end < len && (end as f64) < dend {
        end += 1;
    }
    Ok((start, end.max(start)))
}

/// Codepoints `start..end` of `s`.
pub(crate) fn char_slice(s: &str, start: usize, end: usize) -> &str {
    let mut indices = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()));
    let from = indices.nth(start).unwrap_or(s.len());
    let to = if end > start {
        indices.nth(end - start - 1).unwrap_or(s.len())
    } else {
        from
    };
    &s[from..to]
}

/// `.[]`: array elements or object values in order; anything else is an error.
pub fn iterate(v: &Value) -> R<Vec<Value>> {
    match v {
        Value::Array(items) => Ok(items.to_vec()),
        Value::Object(map) => Ok(map.values().cloned().collect()),
        _ => Err(Error::msg(format!(
            "Cannot iterate over {} ({})",
            v.kind_name(),
            dump_trunc(v)
        ))),
    }
}

/// `a + b`.
pub fn add(a: &Value, b: &Value) -> R<Value> {
    Ok(match (a, b) {
        (Value::Null, _) => b.clone(),
        (_, Value::Null) => a.clone(),
        (Value::Number(x), Value::Number(y)) => Value::number(x.as_f64() + y.as_f64()),
        (Value::String(x), Value::String(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Value::from(s)
        }
        (Value::Array(x), Value::Array(y)) => {
            if y.is_empty() {
                a.clone()
            } else if x.is_empty() {
                b.clone()
            } else {
                let mut items = Vec::with_capacity(x.len() + y.len());
                items.extend(x.iter().cloned());
                items.extend(y.iter().cloned());
                Value::from(items)
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut map = Map::clone(x);
            for (k, v) in y.iter() {
                map.insert(k.clone(), v.clone());
            }
            Value::from(map)
        }
        _ => return Err(type_error2(a, b, "cannot be added")),
    })
}

/// `a - b`: numbers, or array difference.
pub fn sub(a: &Value, b: &Value) -> R<Value> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Ok(Value::number(x.as_f64() - y.as_f64())),
        (Value::Array(x), Value::Array(y)) => {
            let mut kept = Vec::with_capacity(x.len());
            for item in x.iter() {
                let mut dropped = false;
                for drop in y.iter() {
                    if equal_checked(item, drop)? {
                        dropped = true;
                        break;
                    }
                }
                if !dropped {
                    kept.push(item.clone());
                }
            }
            Ok(Value::from(kept))
        }
        _ => Err(type_error2(a, b, "cannot be subtracted")),
    }
}

/// `a * b`: numbers, string repetition, recursive object merge.
pub fn mul(a: &Value, b: &Value) -> R<Value> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Ok(Value::number(x.as_f64() * y.as_f64())),
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            repeat_string(s, n.as_f64())
        }
        (Value::Object(x), Value::Object(y)) => Ok(Value::from(merge_objects(x, y)?)),
        _ => Err(type_error2(a, b, "cannot be multiplied")),
    }
}

/// `s * n`: jq 1.8.2's `jv_string_repeat` (`n` truncated and capped at `INT_MAX`, negative or
/// NaN gives `null`), refusing results of [`MAX_STRING_BYTES`] or more with jq's message.
fn repeat_string(s: &str, times: f64) -> R<Value> {
    if times < 0.0 || times.is_nan() {
        return Ok(Value::Null);
    }
    let n = if times > f64::from(i32::MAX) {
        i32::MAX as usize
    } else {
        times as usize
    };
    if s.len().saturating_mul(n) >= MAX_STRING_BYTES {
        return Err(Error::msg("Repeat string result too long"));
    }
    Ok(Value::from(s.repeat(n)))
}

/// `a / b`: numbers (division by zero is an error), or string split.
pub fn div(a: &Value, b: &Value) -> R<Value> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if y.as_f64() == 0.0 {
                return Err(type_error2(
                    a,
                    b,
                    "cannot be divided because the divisor is zero",
                ));
            }
            Ok(Value::number(x.as_f64() / y.as_f64()))
        }
        (Value::String(s), Value::String(sep)) => Ok(split_string(s, sep)),
        _ => Err(type_error2(a, b, "cannot be divided")),
    }
}

/// jq's `jv_string_split`: `""` splits into codepoints; an empty input gives `[]`.
pub(crate) fn split_string(s: &str, sep: &str) -> Value {
    if s.is_empty() {
        return Value::from(Vec::new());
    }
    if sep.is_empty() {
        return s
            .chars()
            .map(|c| Value::from(c.encode_utf8(&mut [0; 4]) as &str))
            .collect();
    }
    s.split(sep).map(Value::from).collect()
}

/// `a % b`: both truncated to integers; NaN in, NaN out.
pub fn rem(a: &Value, b: &Value) -> R<Value> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64(), y.as_f64());
            if x.is_nan() || y.is_nan() {
                return Ok(Value::number(f64::NAN));
            }
            let divisor = to_intmax(y);
            if divisor == 0 {
                return Err(type_error2(
                    a,
                    b,
                    "cannot be divided (remainder) because the divisor is zero",
                ));
            }
            let r = if divisor == -1 {
                0
            } else {
                to_intmax(x) % divisor
            };
            Ok(Value::number(r as f64))
        }
        _ => Err(type_error2(a, b, "cannot be divided (remainder)")),
    }
}

/// C's saturating double -> intmax_t conversion used by jq's `%`.
fn to_intmax(x: f64) -> i64 {
    // `as` saturates, which is what jq's dtoi macro does.
    x as i64
}

/// Unary minus (keeps literal text, as jq 1.8 does).
pub fn neg(a: &Value) -> R<Value> {
    match a {
        Value::Number(n) => Ok(Value::Number(n.negate())),
        _ => Err(Error::msg(format!(
            "{} ({}) cannot be negated",
            a.kind_name(),
            dump_trunc(a)
        ))),
    }
}

/// jq's total order: null < false < true < numbers < strings < arrays <
/// objects; arrays lexically; objects by sorted key list, then values in key
/// order. NaN sorts below all numbers (and equal to itself, so sorting is a
/// consistent total order). Answers at any depth (see [`compare_checked`]).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    cmp_within(a, b, true, usize::MAX).unwrap_or(Ordering::Equal)
}

/// [`compare`] as jq's sorting builtins do it: "Comparison too deep" past jq's limit.
pub(crate) fn compare_checked(a: &Value, b: &Value) -> R<Ordering> {
    cmp_within(a, b, true, MAX_COMPARE_DEPTH).map_err(|_| TooDeep::comparison())
}

/// `nan_equal == false` reproduces jq's quirk that `nan < nan`.
fn cmp_values(a: &Value, b: &Value, nan_equal: bool) -> R<Ordering> {
    cmp_within(a, b, nan_equal, MAX_COMPARE_DEPTH).map_err(|_| TooDeep::comparison())
}

/// jq equality as the builtins that can raise check it: "Equality check too deep" past
/// jq's limit.
pub(crate) fn equal_checked(a: &Value, b: &Value) -> R<bool> {
    equal_within(a, b, MAX_COMPARE_DEPTH).map_err(|_| TooDeep::equality())
}

/// `a == b`: "Equality check too deep" past jq's limit, as jq raises it.
pub fn eq(a: &Value, b: &Value) -> R<bool> {
    equal_checked(a, b)
}

/// `a != b`.
pub fn ne(a: &Value, b: &Value) -> R<bool> {
    equal_checked(a, b).map(|equal| !equal)
}

/// `a < b`: "Comparison too deep" past jq's limit, as jq raises it.
pub fn lt(a: &Value, b: &Value) -> R<bool> {
    Ok(cmp_values(a, b, false)?.is_lt())
}

/// `a <= b`.
pub fn le(a: &Value, b: &Value) -> R<bool> {
    Ok(cmp_values(a, b, false)?.is_le())
}

/// `a > b`.
pub fn gt(a: &Value, b: &Value) -> R<bool> {
    Ok(cmp_values(a, b, false)?.is_gt())
}

/// `a >= b`.
pub fn ge(a: &Value, b: &Value) -> R<bool> {
    Ok(cmp_values(a, b, false)?.is_ge())
}
