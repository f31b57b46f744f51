//! jq builtins on collections and numbers (jq 1.8.2 semantics, libjq error texts).
//! Each takes the input first and value arguments after.

use std::cmp::Ordering;
use std::sync::Arc;

use super::compare::{cmp_within, contains_within, TooDeep};
use super::error::{dump_trunc, type_error, type_error2, Error, R};
use super::frames::Frames;
use super::limits::{MAX_ARRAY_PADDING, MAX_COMPARE_DEPTH};
use super::map::Map;
use super::ops::{self, compare, compare_checked, equal_checked};
use super::value::{Array, Value};

/// `length`: codepoints, elements, keys, `|n|` (literal kept), `0` for null.
pub fn length(v: &Value) -> R<Value> {
    Ok(match v {
        Value::Null => Value::from(0usize),
        Value::Bool(_) => return Err(type_error(v, "has no length")),
        Value::Number(n) => Value::Number(n.abs()),
        Value::String(s) => Value::from(s.chars().count()),
        Value::Array(items) => Value::from(items.len()),
        Value::Object(map) => Value::from(map.len()),
    })
}

/// `utf8bytelength`.
pub fn utf8bytelength(v: &Value) -> R<Value> {
    match v {
        Value::String(s) => Ok(Value::from(s.len())),
        _ => Err(type_error(v, "only strings have UTF-8 byte length")),
    }
}

/// `not`.
pub fn not(v: &Value) -> R<Value> {
    Ok(Value::Bool(!v.is_truthy()))
}

/// `type`.
pub fn type_of(v: &Value) -> R<Value> {
    Ok(Value::from(v.kind_name()))
}

/// `keys`: sorted object keys, or array indices.
pub fn keys(v: &Value) -> R<Value> {
    match v {
        Value::Object(map) => Ok(map.sorted_keys().into_iter().map(Value::String).collect()),
        Value::Array(items) => Ok((0..items.len()).map(Value::from).collect()),
        _ => Err(type_error(v, "has no keys")),
    }
}

/// `keys_unsorted`: object keys in insertion order, or array indices.
pub fn keys_unsorted(v: &Value) -> R<Value> {
    match v {
        Value::Object(map) => Ok(map.keys().cloned().map(Value::String).collect()),
        _ => keys(v),
    }
}

/// `has(k)`.
pub fn has(v: &Value, k: &Value) -> R<Value> {
    match (v, k) {
        (Value::Null, _) => Ok(Value::Bool(false)),
        (Value::Object(map), Value::String(key)) => Ok(Value::Bool(map.contains_key(key))),
        (Value::Array(items), Value::Number(n)) => {
            // jq truncates toward zero, so -0.5 means index 0.
            let i = n.as_f64();
            let idx = i as i64;
            Ok(Value::Bool(
                !i.is_nan() && idx >= 0 && (idx as u64) < items.len() as u64,
            ))
        }
        _ => Err(Error::msg(format!(
            "Cannot check whether {} has a {} key",
            v.kind_name(),
            k.kind_name()
        ))),
    }
}

/// `in(xs)`: `xs | has(.)`.
pub fn in_(v: &Value, xs: &Value) -> R<Value> {
    has(xs, v)
}

/// `to_entries`: `[{key, value}]` in insertion order (array indices as keys).
pub fn to_entries(v: &Value) -> R<Value> {
    let entry = |key: Value, value: Value| {
        let mut map = Map::with_capacity(2);
        map.insert("key", key);
        map.insert("value", value);
        Value::from(map)
    };
    match v {
        Value::Object(map) => Ok(map
            .iter()
            .map(|(k, item)| entry(Value::String(k.clone()), item.clone()))
            .collect()),
        Value::Array(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| entry(Value::from(i), item.clone()))
            .collect()),
        _ => Err(type_error(v, "has no keys")),
    }
}

/// `from_entries`: keys from `key`/`Key`/`name`/`Name` (first truthy), values
/// from `value` when present else `Value`; later keys overwrite earlier ones in place.
pub fn from_entries(v: &Value) -> R<Value> {
    let mut out = Map::new();
    for entry in ops::iterate(v)? {
        let mut key = Value::Null;
        for name in ["key", "Key", "name", "Name"] {
            key = ops::index_field(&entry, name)?;
            if key.is_truthy() {
                break;
            }
        }
        let value = if has(&entry, &Value::from("value"))?.is_truthy() {
            ops::index_field(&entry, "value")?
        } else {
            ops::index_field(&entry, "Value")?
        };
        object_insert(&mut out, key, value)?;
    }
    Ok(Value::from(out))
}

/// Object construction `{(k): v}`: keys must be strings.
pub fn object_insert(map: &mut Map, key: Value, value: Value) -> R<()> {
    match key {
        Value::String(k) => {
            map.insert(k, value);
            Ok(())
        }
        other => Err(Error::msg(format!(
            "Cannot use {} ({}) as object key",
            other.kind_name(),
            dump_trunc(&other)
        ))),
    }
}

/// `add`: `reduce .[] as $x (null; . + $x)`.
pub fn add_all(v: &Value) -> R<Value> {
    let items = ops::iterate(v)?;
    // Strings (and nulls, the identity) are the common case: one buffer.
    if items.iter().any(|x| matches!(x, Value::String(_)))
        && items
            .iter()
            .all(|x| matches!(x, Value::String(_) | Value::Null))
    {
        let mut out = String::new();
        for item in &items {
            out.push_str(item.as_str().unwrap_or_default());
        }
        return Ok(Value::from(out));
    }
    let mut acc = Value::Null;
    for item in &items {
        add_in_place(&mut acc, item)?;
    }
    Ok(acc)
}

/// `*acc = *acc + item`, reusing `acc`'s storage when it is not shared, so
/// summing many strings, arrays or objects stays linear.
fn add_in_place(acc: &mut Value, item: &Value) -> R<()> {
    match (&mut *acc, item) {
        (Value::String(a), Value::String(b)) => {
            let mut s = String::with_capacity(a.len() + b.len());
            s.push_str(a);
            s.push_str(b);
            *a = s.into();
        }
        (Value::Array(a), Value::Array(b)) => Arc::make_mut(a).extend(b.iter().cloned()),
        (Value::Object(a), Value::Object(b)) => {
            let map = Arc::make_mut(a);
            for (k, x) in b.iter() {
                map.insert(k.clone(), x.clone());
            }
        }
        _ => *acc = ops::add(acc, item)?,
    }
    Ok(())
}

/// `any`: some element (or object value) is truthy.
pub fn any0(v: &Value) -> R<Value> {
    Ok(Value::Bool(ops::iterate(v)?.iter().any(Value::is_truthy)))
}

/// `all`: every element (or object value) is truthy.
pub fn all0(v: &Value) -> R<Value> {
    Ok(Value::Bool(ops::iterate(v)?.iter().all(Value::is_truthy)))
}

/// The positions of `keys` in jq's order, or "Comparison too deep" when two keys compared
/// nest past jq's limit (the order stays total either way, so the sort always finishes).
fn sort_items(keys: &[Value]) -> R<Vec<usize>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    let mut too_deep = false;
    // Stable, so equal keys keep input order (jq compares indices on ties).
    order.sort_by(|&a, &b| {
        let (a, b) = (&keys[a], &keys[b]);
        compare_checked(a, b).unwrap_or_else(|_| {
            too_deep = true;
            compare(a, b)
        })
    });
    if too_deep {
        return Err(TooDeep::comparison());
    }
    Ok(order)
}

fn array_of(v: &Value) -> Option<&Arc<Array>> {
    v.as_array()
}

/// `sort`.
pub fn sort(v: &Value) -> R<Value> {
    let Some(items) = array_of(v) else {
        return Err(type_error(v, "cannot be sorted, as it is not an array"));
    };
    Ok(sort_items(items)?
        .into_iter()
        .map(|i| items[i].clone())
        .collect())
}

/// Checks `sort_by`-family arguments like jq's `_sort_by_impl`.
fn keyed_input<'a>(input: &'a Value, keys: &[Value]) -> R<&'a Arc<Array>> {
    match input {
        Value::Array(items) if items.len() == keys.len() => Ok(items),
        _ => Err(type_error2(
            input,
            &Value::from(keys.to_vec()),
            "cannot be sorted, as they are not both arrays",
        )),
    }
}

/// `sort_by(f)`, with `keys[i] = [f]` of element `i`.
pub fn sort_by_keys(input: &Value, keys: Vec<Value>) -> R<Value> {
    let items = keyed_input(input, &keys)?;
    Ok(sort_items(&keys)?
        .into_iter()
        .map(|i| items[i].clone())
        .collect())
}

/// `group_by(f)`, with `keys[i] = [f]` of element `i`.
pub fn group_by_keys(input: &Value, keys: Vec<Value>) -> R<Value> {
    let items = keyed_input(input, &keys)?;
    let mut groups: Vec<Value> = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut current_key: Option<&Value> = None;
    for i in sort_items(&keys)? {
        if let Some(k) = current_key {
            if !equal_checked(k, &keys[i])? {
                groups.push(Value::from(std::mem::take(&mut current)));
            }
        }
        current_key = Some(&keys[i]);
        current.push(items[i].clone());
    }
    if !current.is_empty() {
        groups.push(Value::from(current));
    }
    Ok(Value::from(groups))
}

/// `unique_by(f)`: the first element of each group, in key order.
pub fn unique_by_keys(input: &Value, keys: Vec<Value>) -> R<Value> {
    let items = keyed_input(input, &keys)?;
    let mut out = Vec::new();
    let mut last: Option<&Value> = None;
    for i in sort_items(&keys)? {
        if let Some(k) = last {
            if equal_checked(k, &keys[i])? {
                continue;
            }
        }
        last = Some(&keys[i]);
        out.push(items[i].clone());
    }
    Ok(Value::from(out))
}

/// `unique`.
pub fn unique(v: &Value) -> R<Value> {
    let Some(items) = array_of(v) else {
        return Err(type_error(v, "cannot be sorted, as it is not an array"));
    };
    unique_by_keys(v, items.to_vec())
}

fn minmax_by(values: &Value, keys: &[Value], is_min: bool) -> R<Value> {
    let keys_value = || Value::from(keys.to_vec());
    let Some(items) = array_of(values) else {
        return Err(type_error2(
            values,
            &keys_value(),
            "cannot be iterated over",
        ));
    };
    if items.len() != keys.len() {
        return Err(type_error2(values, &keys_value(), "have wrong length"));
    }
    let Some(first) = items.first() else {
        return Ok(Value::Null);
    };
    let (mut best, mut best_key) = (first, &keys[0]);
    for (item, key) in items.iter().zip(keys).skip(1) {
        // jq: min takes a strictly smaller key; max takes any key not smaller (the last max).
        let less = cmp_within(key, best_key, false, MAX_COMPARE_DEPTH)
            .map_err(|_| TooDeep::comparison())?
            .is_lt();
        if less == is_min {
            best = item;
            best_key = key;
        }
    }
    Ok(best.clone())
}

/// `min`.
pub fn min(v: &Value) -> R<Value> {
    let Some(items) = array_of(v) else {
        return Err(min_max_error(v));
    };
    minmax_by(v, items, true)
}

/// `max`.
pub fn max(v: &Value) -> R<Value> {
    let Some(items) = array_of(v) else {
        return Err(min_max_error(v));
    };
    minmax_by(v, items, false)
}

fn min_max_error(v: &Value) -> Error {
    type_error2(v, v, "cannot be iterated over")
}

/// `min_by(f)`, with `keys[i] = [f]` of element `i`.
pub fn min_by_keys(input: &Value, keys: Vec<Value>) -> R<Value> {
    minmax_by(input, &keys, true)
}

/// `max_by(f)`, with `keys[i] = [f]` of element `i`.
pub fn max_by_keys(input: &Value, keys: Vec<Value>) -> R<Value> {
    minmax_by(input, &keys, false)
}

/// The elements `.[]` yields (arrays: elements; objects: values), for callers
/// computing `sort_by`-style keys.
pub fn array_elements(input: &Value, what: &str) -> R<Vec<Value>> {
    let _ = what;
    ops::iterate(input)
}

/// `transpose`: jq 1.8.2's `[range(0; map(length) | max // 0) as $i | [.[][$i]]]`, step by
/// step, so the same inputs raise the same errors.
///
/// Ours: the result may hold at most [`MAX_ARRAY_PADDING`] more elements than the input (the
/// `null`s short rows are padded with), else "transpose result too large": one long row among
/// many short ones would otherwise multiply the input (jq has no bound).
pub fn transpose(v: &Value) -> R<Value> {
    let rows = ops::iterate(v)?;
    let lengths = rows.iter().map(length).collect::<R<Vec<Value>>>()?;
    let given: f64 = lengths.iter().filter_map(Value::as_f64).sum();
    let columns = match max(&Value::from(lengths))? {
        Value::Null | Value::Bool(false) => 0.0,
        longest => number_in(&longest)?,
    };
    let mut out = Vec::new();
    let (mut i, mut built) = (0.0, 0.0);
    while i < columns {
        let at = Value::number(i);
        let column = rows
            .iter()
            .map(|row| ops::index(row, &at))
            .collect::<R<Vec<Value>>>()?;
        built += column.len() as f64;
        if built > given + MAX_ARRAY_PADDING as f64 {
            return Err(Error::msg("transpose result too large"));
        }
        out.push(Value::from(column));
        i += 1.0;
    }
    Ok(Value::from(out))
}

/// `bsearch(x)`: the index of `x` in a sorted array, else `-1 - (where it would go)`.
pub fn bsearch(v: &Value, target: &Value) -> R<Value> {
    let Value::Array(items) = v else {
        return Err(type_error(v, "cannot be searched from"));
    };
    let (mut low, mut high) = (0, items.len());
    while low < high {
        let middle = low + (high - low) / 2;
        match compare_checked(&items[middle], target)? {
            Ordering::Less => low = middle + 1,
            Ordering::Greater => high = middle,
            Ordering::Equal => return Ok(Value::number(middle as f64)),
        }
    }
    Ok(Value::number(-1.0 - low as f64))
}

/// `reverse`: jq 1.8.2's `[.[length - 1 - range(0; length)]]`.
pub fn reverse(v: &Value) -> R<Value> {
    match v {
        Value::Array(items) => Ok(items.iter().rev().cloned().collect()),
        Value::Null => Ok(Value::from(Vec::new())),
        Value::String(s) if s.is_empty() => Ok(Value::from(Vec::new())),
        _ => {
            let n = length(v)?.as_f64().unwrap_or(0.0);
            if n <= 0.0 {
                return Ok(Value::from(Vec::new()));
            }
            ops::index(v, &Value::number(n - 1.0)).map(|_| Value::Null)
        }
    }
}

/// `contains(b)`.
pub fn contains(a: &Value, b: &Value) -> R<Value> {
    if std::mem::discriminant(a) != std::mem::discriminant(b)
        && !matches!((a, b), (Value::Bool(_), Value::Bool(_)))
    {
        return Err(type_error2(a, b, "cannot have their containment checked"));
    }
    if let (Value::Bool(x), Value::Bool(y)) = (a, b) {
        if x != y {
            // true and false are different kinds in jq.
            return Err(type_error2(a, b, "cannot have their containment checked"));
        }
    }
    contains_within(a, b, MAX_COMPARE_DEPTH)
        .map(Value::Bool)
        .map_err(|_| Error::msg("Containment check too deep"))
}

/// `inside(xs)`: `xs | contains(.)`.
pub fn inside(v: &Value, xs: &Value) -> R<Value> {
    contains(xs, v)
}

/// `flatten`.
pub fn flatten(v: &Value) -> R<Value> {
    flatten_to(v, -1.0)
}

/// `flatten(depth)`.
pub fn flatten_depth(v: &Value, depth: &Value) -> R<Value> {
    let d = match depth {
        Value::Number(n) => n.as_f64(),
        // `$x < 0` for non-numbers: only null and booleans sort below numbers.
        Value::Null | Value::Bool(_) => {
            return Err(Error::msg("flatten depth must not be negative"))
        }
        _ => f64::INFINITY,
    };
    if d < 0.0 {
        return Err(Error::msg("flatten depth must not be negative"));
    }
    flatten_to(v, d)
}

fn flatten_to(v: &Value, depth: f64) -> R<Value> {
    let mut out = Vec::new();
    flatten_into(v, depth, &mut out)?;
    Ok(Value::from(out))
}

/// jq 1.8.2's `_flatten`: the input's elements (or an object's values), arrays among them
/// spliced in while `depth` allows. Iterative: flattening has no depth limit in jq.
fn flatten_into(v: &Value, depth: f64, out: &mut Vec<Value>) -> R<()> {
    let top = ops::iterate(v)?;
    // Arrays being spliced: their elements, the next one, and the depth left below them.
    let mut open: Frames<(&[Value], usize, f64)> = Frames::new();
    open.push((&top, 0, depth));
    while let Some((items, i, left)) = open.last_mut() {
        let items: &[Value] = items;
        let Some(item) = items.get(*i) else {
            open.pop();
            continue;
        };
        *i += 1;
        match item {
            Value::Array(inner) if *left != 0.0 => {
                let below = *left - 1.0;
                open.push((inner, 0, below));
            }
            _ => out.push(item.clone()),
        }
    }
    Ok(())
}

/// `indices(i)`: positions of a substring (codepoints), of an element, or of a sub-array.
pub fn indices(v: &Value, i: &Value) -> R<Value> {
    match (v, i) {
        (Value::Array(_), Value::Array(_)) => ops::index(v, i),
        (Value::Array(_), _) => ops::index(v, &Value::from(vec![i.clone()])),
        (Value::String(s), Value::String(needle)) => Ok(string_indices(s, needle)),
        _ => ops::index(v, i),
    }
}

/// Codepoint offsets of (possibly overlapping) occurrences of `needle`.
fn string_indices(s: &str, needle: &str) -> Value {
    let mut out = Vec::new();
    if needle.is_empty() {
        return Value::from(out);
    }
    let bytes = s.as_bytes();
    let mut codepoints = 0usize;
    let mut counted_to = 0usize;
    let mut from = 0usize;
    while let Some(pos) = find_bytes(&bytes[from..], needle.as_bytes()) {
        let at = from + pos;
        codepoints += bytes[counted_to..at]
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80)
            .count();
        counted_to = at;
        out.push(Value::from(codepoints));
        from = at + 1;
    }
    Value::from(out)
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `index(i)`: first of `indices(i)`.
pub fn index_of(v: &Value, i: &Value) -> R<Value> {
    ops::index(&indices(v, i)?, &Value::from(0usize))
}

/// `rindex(i)`: last of `indices(i)`.
pub fn rindex_of(v: &Value, i: &Value) -> R<Value> {
    let found = indices(v, i)?;
    let tail = ops::slice(&found, &Value::number(-1.0), &Value::Null)?;
    ops::index(&tail, &Value::from(0usize))
}

/// `toarray`.
pub fn toarray(v: &Value) -> R<Value> {
    Ok(match v {
        Value::Array(_) => v.clone(),
        _ => Value::from(vec![v.clone()]),
    })
}

fn number_in(v: &Value) -> R<f64> {
    v.as_f64().ok_or_else(|| type_error(v, "number required"))
}

/// `floor`.
pub fn floor(v: &Value) -> R<Value> {
    Ok(Value::number(number_in(v)?.floor()))
}

/// `ceil`.
pub fn ceil(v: &Value) -> R<Value> {
    Ok(Value::number(number_in(v)?.ceil()))
}

/// `round` (half away from zero, like C's `round`).
pub fn round(v: &Value) -> R<Value> {
    Ok(Value::number(number_in(v)?.round()))
}

/// `sqrt`.
pub fn sqrt(v: &Value) -> R<Value> {
    Ok(Value::number(number_in(v)?.sqrt()))
}

/// `fabs`.
pub fn fabs(v: &Value) -> R<Value> {
    Ok(Value::number(number_in(v)?.abs()))
}

/// `log` (natural).
pub fn log(v: &Value) -> R<Value> {
    Ok(Value::number(number_in(v)?.ln()))
}

/// `pow(a; b)`.
pub fn pow(_input: &Value, a: &Value, b: &Value) -> R<Value> {
    let (x, y) = (number_in(a)?, number_in(b)?);
    Ok(Value::number(x.powf(y)))
}

/// `abs`: jq 1.8.2's `if . < 0 then - . else . end` (non-numbers above 0 pass through).
pub fn abs(v: &Value) -> R<Value> {
    if ops::lt(v, &Value::from(0usize))? {
        ops::neg(v)
    } else {
        Ok(v.clone())
    }
}

/// `infinite`.
pub fn infinite() -> Value {
    Value::number(f64::INFINITY)
}

/// `nan`.
pub fn nan() -> Value {
    Value::number(f64::NAN)
}

fn number_test(v: &Value, test: impl Fn(f64) -> bool) -> R<Value> {
    Ok(Value::Bool(v.as_f64().is_some_and(test)))
}

/// `isnan`.
pub fn isnan(v: &Value) -> R<Value> {
    number_test(v, f64::is_nan)
}

/// `isinfinite`.
pub fn isinfinite(v: &Value) -> R<Value> {
    number_test(v, f64::is_infinite)
}

/// `isnormal`.
pub fn isnormal(v: &Value) -> R<Value> {
    number_test(v, f64::is_normal)
}

/// `error(v)`: throws `v`.
pub fn error(v: &Value) -> Error {
    Error::new(v.clone())
}

/// `error` (arity 0): throws the input.
pub fn error0(input: &Value) -> Error {
    Error::new(input.clone())
}

/// `env`/`$ENV`: the process environment as an object (read once).
pub fn env() -> Value {
    static ENV: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut map = Map::new();
        for (k, v) in std::env::vars_os() {
            map.insert(
                k.to_string_lossy().as_ref(),
                Value::from(v.to_string_lossy().as_ref()),
            );
        }
        Value::from(map)
    })
    .clone()
}

/// Orders two values like jq's `sort` (exposed for generated code).
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    compare(a, b)
}
