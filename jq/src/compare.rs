//! Structural equality, jq's total order, containment and recursive object merge, all
//! iterative: values may nest far deeper than the thread's stack allows recursion.
//!
//! Each takes jq 1.8.2's depth rule (`jvp_equal`, `jvp_cmp`, `jvp_contains`,
//! `jvp_object_merge_recursive`): the top pair is level 0, the elements of a pair of containers
//! one level below, and reaching a pair below `limit` is [`TooDeep`]. Builtins that can raise
//! pass [`MAX_COMPARE_DEPTH`] and turn `TooDeep` into jq's message; `==` and `<` have no way to
//! raise, so they pass `usize::MAX` and answer at any depth.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::error::{Error, R};
use crate::frames::Frames;
use crate::limits::MAX_COMPARE_DEPTH;
use crate::map::Map;
use crate::number::Number;
use crate::value::Value;

/// A comparison reached a level below its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TooDeep;

impl TooDeep {
    pub(crate) fn equality() -> Error {
        Error::msg("Equality check too deep")
    }

    pub(crate) fn comparison() -> Error {
        Error::msg("Comparison too deep")
    }
}

/// Pairs of containers whose elements are still to be checked for equality: the next
/// element and the level of the elements.
enum Pending<'a> {
    Items(&'a [Value], &'a [Value], usize, usize),
    /// Entries of the left object, looked up in the right one.
    Entries(&'a [(Arc<str>, Value)], &'a Map, usize, usize),
}

/// Pairs of containers whose elements are still to be ordered.
enum Order<'a> {
    Items(&'a [Value], &'a [Value], usize, usize),
    /// Values of two objects in sorted key order (their key lists already compared equal).
    Sorted(Vec<Arc<str>>, &'a Map, &'a Map, usize, usize),
}

/// jq equality (numbers by value, objects regardless of key order).
#[inline]
pub(crate) fn equal_within(a: &Value, b: &Value, limit: usize) -> Result<bool, TooDeep> {
    match (a, b) {
        // The same container (jq checks identity after the level, which is 0 here).
        (Value::Array(p), Value::Array(q)) if Arc::ptr_eq(p, q) => Ok(true),
        (Value::Object(p), Value::Object(q)) if Arc::ptr_eq(p, q) => Ok(true),
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            equal_nested(a, b, limit)
        }
        _ => Ok(scalar_equal(a, b)),
    }
}

#[inline]
fn scalar_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

fn equal_nested(a: &Value, b: &Value, limit: usize) -> Result<bool, TooDeep> {
    let mut pending: Frames<Pending<'_>> = Frames::new();
    let (mut x, mut y, mut level) = (a, b, 0);
    loop {
        if level > limit {
            return Err(TooDeep);
        }
        let same = match (x, y) {
            (Value::Array(p), Value::Array(q)) => {
                if !Arc::ptr_eq(p, q) && p.len() == q.len() && !p.is_empty() {
                    pending.push(Pending::Items(p, q, 0, level + 1));
                }
                Arc::ptr_eq(p, q) || p.len() == q.len()
            }
            (Value::Object(p), Value::Object(q)) => {
                if !Arc::ptr_eq(p, q) && p.len() == q.len() && !p.is_empty() {
                    pending.push(Pending::Entries(p.entries(), q, 0, level + 1));
                }
                Arc::ptr_eq(p, q) || p.len() == q.len()
            }
            _ => scalar_equal(x, y),
        };
        if !same {
            return Ok(false);
        }
        // The next pair to compare, dropping finished containers.
        loop {
            let next = match pending.last_mut() {
                None => return Ok(true),
                Some(Pending::Items(p, q, i, at)) => {
                    let (p, q): (&[Value], &[Value]) = (p, q);
                    p.get(*i).map(|v| {
                        *i += 1;
                        (v, &q[*i - 1], *at)
                    })
                }
                Some(Pending::Entries(entries, q, i, at)) => {
                    let entries: &[(Arc<str>, Value)] = entries;
                    match entries.get(*i) {
                        Some((k, v)) => {
                            *i += 1;
                            match q.get(k) {
                                Some(w) => Some((v, w, *at)),
                                None => return Ok(false),
                            }
                        }
                        None => None,
                    }
                }
            };
            if let Some((p, q, at)) = next {
                (x, y, level) = (p, q, at);
                break;
            }
            pending.pop();
        }
    }
}

fn kind_rank(v: &Value) -> u8 {
    match v {
        Value::Null => 1,
        Value::Bool(false) => 2,
        Value::Bool(true) => 3,
        Value::Number(_) => 4,
        Value::String(_) => 5,
        Value::Array(_) => 6,
        Value::Object(_) => 7,
    }
}

/// jq's total order: null < false < true < numbers < strings < arrays < objects; arrays
/// lexically; objects by sorted key list, then values in key order. `nan_equal == false` is
/// jq's `nan < nan`; `true` makes NaNs equal (a consistent order for sorting).
#[inline]
pub(crate) fn cmp_within(
    a: &Value,
    b: &Value,
    nan_equal: bool,
    limit: usize,
) -> Result<Ordering, TooDeep> {
    match (a, b) {
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            cmp_nested(a, b, nan_equal, limit)
        }
        _ => Ok(cmp_scalars(a, b, nan_equal)),
    }
}

#[inline]
fn cmp_scalars(a: &Value, b: &Value, nan_equal: bool) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => cmp_numbers(x, y, nan_equal),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => kind_rank(a).cmp(&kind_rank(b)),
    }
}

fn cmp_numbers(x: &Number, y: &Number, nan_equal: bool) -> Ordering {
    let (xn, yn) = (x.as_f64().is_nan(), y.as_f64().is_nan());
    match (xn, yn) {
        // jq compares a NaN as if it were null: below every number.
        (true, true) if nan_equal => Ordering::Equal,
        (true, _) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => x.cmp_jq(y),
    }
}

fn cmp_nested(a: &Value, b: &Value, nan_equal: bool, limit: usize) -> Result<Ordering, TooDeep> {
    let mut pending: Frames<Order<'_>> = Frames::new();
    let (mut x, mut y, mut level) = (a, b, 0);
    loop {
        if level > limit {
            return Err(TooDeep);
        }
        let order = match (x, y) {
            (Value::Array(p), Value::Array(q)) => {
                pending.push(Order::Items(p, q, 0, level + 1));
                Ordering::Equal
            }
            (Value::Object(p), Value::Object(q)) => {
                // jq compares the sorted key lists as arrays one level down (their strings two
                // levels down), then the values one level down.
                if level + 1 > limit {
                    return Err(TooDeep);
                }
                let (kp, kq) = (p.sorted_keys(), q.sorted_keys());
                if !kp.is_empty() && !kq.is_empty() && level + 2 > limit {
                    return Err(TooDeep);
                }
                let order = kp.cmp(&kq);
                if order.is_eq() {
                    pending.push(Order::Sorted(kp, p, q, 0, level + 1));
                }
                order
            }
            _ => cmp_scalars(x, y, nan_equal),
        };
        if order.is_ne() {
            return Ok(order);
        }
        loop {
            let next = match pending.last_mut() {
                None => return Ok(Ordering::Equal),
                Some(Order::Items(p, q, i, at)) => {
                    let (p, q): (&[Value], &[Value]) = (p, q);
                    match (p.get(*i), q.get(*i)) {
                        (Some(v), Some(w)) => {
                            *i += 1;
                            Some((v, w, *at))
                        }
                        _ => {
                            let order = p.len().cmp(&q.len());
                            if order.is_ne() {
                                return Ok(order);
                            }
                            None
                        }
                    }
                }
                Some(Order::Sorted(keys, p, q, i, at)) => {
                    let (p, q): (&Map, &Map) = (p, q);
                    match keys.get(*i) {
                        Some(k) => {
                            *i += 1;
                            p.get(k).zip(q.get(k)).map(|(v, w)| (v, w, *at))
                        }
                        None => None,
                    }
                }
            };
            if let Some((p, q, at)) = next {
                (x, y, level) = (p, q, at);
                break;
            }
            pending.pop();
        }
    }
}

/// A containment check under way: `b`'s parts still to find in `a`.
enum Search<'a> {
    /// Each of `b`'s items must be contained in some item of `a`: the `b` item being
    /// searched for and the `a` item being tried.
    Items(&'a [Value], &'a [Value], usize, usize, usize),
    /// Each of `b`'s entries must be contained in `a`'s value for the same key.
    Entries(&'a Map, &'a [(Arc<str>, Value)], usize, usize),
}

/// jq's `contains` once the kinds are known to match: strings by substring, arrays when
/// every item of `b` is contained in some item of `a`, objects key by key, other values by
/// equality.
pub(crate) fn contains_within(a: &Value, b: &Value, limit: usize) -> Result<bool, TooDeep> {
    let mut open: Frames<Search<'_>> = Frames::new();
    let (mut x, mut y, mut level) = (Some(a), b, 0);
    loop {
        if level > limit {
            return Err(TooDeep);
        }
        let mut found = match (x, y) {
            (Some(Value::Object(p)), Value::Object(q)) => match q.entries().first() {
                Some((k, w)) => {
                    open.push(Search::Entries(p, q.entries(), 0, level + 1));
                    (x, y, level) = (p.get(k), w, level + 1);
                    continue;
                }
                None => true,
            },
            (Some(Value::Array(p)), Value::Array(q)) => match (p.first(), q.first()) {
                (Some(v), Some(w)) => {
                    open.push(Search::Items(p, q, 0, 0, level + 1));
                    (x, y, level) = (Some(v), w, level + 1);
                    continue;
                }
                (_, None) => true,
                (None, Some(_)) => false,
            },
            (Some(Value::String(s)), Value::String(t)) => s.contains(&**t),
            // A key `a` lacks contains nothing (not even null).
            (None, _) => false,
            (Some(p), q) => std::mem::discriminant(p) == std::mem::discriminant(q) && p == q,
        };
        // Hand the answer to the search that asked, which asks the next question or answers.
        loop {
            let Some(top) = open.last_mut() else {
                return Ok(found);
            };
            let next = match top {
                Search::Items(p, q, bi, ai, at) => {
                    let (p, q): (&[Value], &[Value]) = (p, q);
                    if found {
                        *bi += 1;
                        *ai = 0;
                    } else {
                        *ai += 1;
                    }
                    match (q.get(*bi), p.get(*ai)) {
                        (None, _) => None,
                        (Some(w), Some(v)) => Some((Some(v), w, *at)),
                        (Some(_), None) => {
                            found = false;
                            None
                        }
                    }
                }
                Search::Entries(p, entries, i, at) => {
                    let entries: &[(Arc<str>, Value)] = entries;
                    *i += 1;
                    match entries.get(*i) {
                        Some((k, w)) if found => Some((p.get(k), w, *at)),
                        _ => None,
                    }
                }
            };
            if let Some(question) = next {
                (x, y, level) = question;
                break;
            }
            open.pop();
        }
    }
}

/// `a * b` for objects: `b`'s entries replace `a`'s, except that two objects under the same
/// key merge in turn. "Object merge too deep" past [`MAX_COMPARE_DEPTH`] levels.
pub(crate) fn merge_objects(a: &Map, b: &Map) -> R<Map> {
    /// An object being merged: the result so far, `b`'s entries, and the next one.
    struct Merging<'a> {
        out: Map,
        from: &'a [(Arc<str>, Value)],
        next: usize,
    }
    let too_deep = || Error::msg("Object merge too deep");
    let mut open = vec![Merging {
        out: a.clone(),
        from: b.entries(),
        next: 0,
    }];
    loop {
        let depth = open.len().saturating_sub(1);
        let Some(top) = open.last_mut() else {
            return Ok(Map::new());
        };
        let Some((k, v)) = top.from.get(top.next) else {
            let done = open.pop().map(|m| m.out).unwrap_or_default();
            match open.last_mut() {
                None => return Ok(done),
                Some(parent) => {
                    let (k, _) = &parent.from[parent.next - 1];
                    parent.out.insert(k.clone(), Value::from(done));
                    continue;
                }
            }
        };
        top.next += 1;
        match (top.out.get(k), v) {
            (Some(Value::Object(x)), Value::Object(y)) => {
                if depth + 1 > MAX_COMPARE_DEPTH {
                    return Err(too_deep());
                }
                let out = Map::clone(x);
                open.push(Merging {
                    out,
                    from: y.entries(),
                    next: 0,
                });
            }
            _ => {
                top.out.insert(k.clone(), v.clone());
            }
        }
    }
}
