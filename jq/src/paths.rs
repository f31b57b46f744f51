//! Paths: `getpath`/`setpath`/`delpaths`, `..`, and the update operators
//! (`|=`, `=`, `+=`, `//=` …) over compiled path expressions.

use std::sync::Arc;

use super::error::{Error, R};
use super::limits::{MAX_ARRAY_INDEX, MAX_ARRAY_PADDING};
use super::map::Map;
use super::ops::{self, compare};
use super::value::Value;

/// One step of a compiled path expression.
#[derive(Clone, Debug)]
pub enum PathKey {
    /// `.[]`
    Iterate,
    /// `.[k]` / `.k` for each key the index expression produced (in order).
    Keys(Vec<Value>),
    /// `.[from:to]` (`Value::Null` for an open end).
    Slice(Value, Value),
}

/// `getpath(path)`.
pub fn getpath(v: &Value, path: &Value) -> R<Value> {
    let Value::Array(keys) = path else {
        return Err(Error::msg("Path must be specified as an array"));
    };
    let mut current = v.clone();
    for key in keys.iter() {
        if current.is_null() {
            return Ok(Value::Null);
        }
        current = ops::index(&current, key)?;
    }
    Ok(current)
}

/// `pick(f)` for the paths `f` names (an array of paths): jq 1.8.2's
/// `. as $top | reduce path(f) as $p (null; setpath($p; $top | getpath($p)))`.
pub fn pick_paths(v: &Value, paths: &Value) -> R<Value> {
    let Value::Array(paths) = paths else {
        return Err(Error::msg("Paths must be specified as an array"));
    };
    paths.iter().try_fold(Value::Null, |picked, path| {
        setpath(&picked, path, &getpath(v, path)?)
    })
}

/// `setpath(path; value)`.
pub fn setpath(v: &Value, path: &Value, value: &Value) -> R<Value> {
    let Value::Array(keys) = path else {
        return Err(Error::msg("Path must be specified as an array"));
    };
    set_in(v.clone(), keys, value.clone())
}

fn set_in(root: Value, path: &[Value], value: Value) -> R<Value> {
    let Some((key, rest)) = path.split_first() else {
        return Ok(value);
    };
    let child = if root.is_null() {
        Value::Null
    } else {
        ops::index(&root, key)?
    };
    let new_child = set_in(child, rest, value)?;
    set_key(root, key, new_child)
}

/// jq's `jv_set`: one level of assignment, auto-creating from `null`.
fn set_key(root: Value, key: &Value, value: Value) -> R<Value> {
    match (root, key) {
        (Value::Object(map), Value::String(k)) => {
            let mut map = Arc::unwrap_or_clone(map);
            map.insert(k.clone(), value);
            Ok(Value::from(map))
        }
        (Value::Null, Value::String(k)) => {
            let mut map = Map::with_capacity(1);
            map.insert(k.clone(), value);
            Ok(Value::from(map))
        }
        (root @ (Value::Array(_) | Value::Null), Value::Number(n)) => {
            let i = n.as_f64();
            if i.is_nan() {
                return Err(Error::msg("Cannot set array element at NaN index"));
            }
            let len = root.as_array().map_or(0, |items| items.len());
            let mut idx = i.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i64;
            if idx < 0 {
                idx += len as i64;
                if idx < 0 {
                    return Err(Error::msg("Out of bounds negative array index"));
                }
            }
            let idx = idx as usize;
            // jq's bound, then ours on the nulls padded in (checked before anything is copied).
            if idx > MAX_ARRAY_INDEX || idx.saturating_sub(len) > MAX_ARRAY_PADDING {
                return Err(Error::msg("Array index too large"));
            }
            let mut items = match root {
                Value::Array(items) => Arc::unwrap_or_clone(items).into_vec(),
                _ => Vec::new(),
            };
            if idx >= items.len() {
                items.resize(idx + 1, Value::Null);
            }
            items[idx] = value;
            Ok(Value::from(items))
        }
        (root @ (Value::Array(_) | Value::Null), Value::Object(range)) => {
            let items = match root {
                Value::Array(items) => Arc::unwrap_or_clone(items).into_vec(),
                _ => Vec::new(),
            };
            let from = range.get("start").cloned().unwrap_or(Value::Null);
            let to = range.get("end").cloned().unwrap_or(Value::Null);
            let (start, end) = ops::slice_bounds(items.len(), &from, &to)?;
            let Value::Array(insert) = value else {
                return Err(Error::msg(
                    "A slice of an array can only be assigned another array",
                ));
            };
            let mut out = Vec::with_capacity(items.len() - (end - start) + insert.len());
            out.extend_from_slice(&items[..start]);
            out.extend(insert.iter().cloned());
            out.extend_from_slice(&items[end..]);
            Ok(Value::from(out))
        }
        (Value::String(_), Value::Object(_)) => Err(Error::msg("Cannot update string slices")),
        (root, key) => Err(Error::msg(format!(
            "Cannot update field at {} index of {}",
            key.kind_name(),
            root.kind_name()
        ))),
    }
}

/// `delpaths(paths)`.
pub fn delpaths(v: &Value, paths: &Value) -> R<Value> {
    let Value::Array(list) = paths else {
        return Err(Error::msg("Paths must be specified as an array"));
    };
    let mut sorted: Vec<Value> = list.to_vec();
    sorted.sort_by(compare);
    let mut keys_lists = Vec::with_capacity(sorted.len());
    for p in &sorted {
        match p {
            Value::Array(keys) => keys_lists.push(keys.to_vec()),
            other => {
                return Err(Error::msg(format!(
                    "Path must be specified as array, not {}",
                    other.kind_name()
                )))
            }
        }
    }
    if keys_lists.is_empty() {
        return Ok(v.clone());
    }
    if keys_lists[0].is_empty() {
        return Ok(Value::Null);
    }
    delete_sorted(v.clone(), &keys_lists, 0)
}

/// jq's `delpaths_sorted`: `paths` are sorted and all longer than `depth`.
fn delete_sorted(object: Value, paths: &[Vec<Value>], depth: usize) -> R<Value> {
    let mut object = object;
    let mut delete_keys = Vec::new();
    let mut i = 0;
    while i < paths.len() {
        let key = &paths[i][depth];
        let whole = paths[i].len() == depth + 1;
        let mut j = i + 1;
        while j < paths.len() && paths[j][depth] == *key {
            j += 1;
        }
        if whole {
            delete_keys.push(key.clone());
        } else {
            let sub = ops::index(&object, key)?;
            if !sub.is_null() {
                let new_sub = delete_sorted(sub, &paths[i..j], depth + 1)?;
                object = set_key(object, key, new_sub)?;
            }
        }
        i = j;
    }
    delete_keys_from(object, &delete_keys)
}

/// jq's `jv_dels`: delete keys/indices/slices from one container.
fn delete_keys_from(t: Value, keys: &[Value]) -> R<Value> {
    if keys.is_empty() {
        return Ok(t);
    }
    match t {
        Value::Null => Ok(Value::Null),
        Value::Array(items) => {
            let len = items.len();
            let mut doomed = vec![false; len];
            for key in keys {
                match key {
                    Value::Number(n) => {
                        let x = n.as_f64();
                        if x.is_nan() {
                            continue;
                        }
                        let mut idx = x as i64;
                        if x < 0.0 {
                            idx += len as i64;
                        }
                        if let Ok(i) = usize::try_from(idx) {
                            if i < len {
                                doomed[i] = true;
                            }
                        }
                    }
                    Value::Object(range) => {
                        let from = range.get("start").cloned().unwrap_or(Value::Null);
                        let to = range.get("end").cloned().unwrap_or(Value::Null);
                        let (start, end) = ops::slice_bounds(len, &from, &to)?;
                        for flag in &mut doomed[start..end] {
                            *flag = true;
                        }
                    }
                    other => {
                        return Err(Error::msg(format!(
                            "Cannot delete {} element of array",
                            other.kind_name()
                        )))
                    }
                }
            }
            Ok(items
                .iter()
                .zip(doomed)
                .filter(|(_, gone)| !gone)
                .map(|(item, _)| item.clone())
                .collect())
        }
        Value::Object(map) => {
            let mut map = Arc::unwrap_or_clone(map);
            for key in keys {
                match key {
                    Value::String(k) => {
                        map.remove(k);
                    }
                    other => {
                        return Err(Error::msg(format!(
                            "Cannot delete {} field of object",
                            other.kind_name()
                        )))
                    }
                }
            }
            Ok(Value::from(map))
        }
        other => Err(Error::msg(format!(
            "Cannot delete fields from {}",
            other.kind_name()
        ))),
    }
}

/// All concrete paths `steps` denotes on `root`, in jq's order.
fn expand_paths(root: &Value, steps: &[PathKey]) -> R<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    let mut prefix = Vec::new();
    expand(root, steps, &mut prefix, &mut out)?;
    Ok(out)
}

fn expand(
    value: &Value,
    steps: &[PathKey],
    prefix: &mut Vec<Value>,
    out: &mut Vec<Vec<Value>>,
) -> R<()> {
    let Some((step, rest)) = steps.split_first() else {
        out.push(prefix.clone());
        return Ok(());
    };
    let mut visit = |key: Value, child: Value, prefix: &mut Vec<Value>| -> R<()> {
        prefix.push(key);
        expand(&child, rest, prefix, out)?;
        prefix.pop();
        Ok(())
    };
    match step {
        PathKey::Iterate => match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    visit(Value::from(i), item.clone(), prefix)?;
                }
            }
            Value::Object(map) => {
                for (k, item) in map.iter() {
                    visit(Value::String(k.clone()), item.clone(), prefix)?;
                }
            }
            _ => {
                ops::iterate(value)?;
            }
        },
        PathKey::Keys(keys) => {
            for key in keys {
                let child = ops::index(value, key)?;
                visit(key.clone(), child, prefix)?;
            }
        }
        PathKey::Slice(from, to) => {
            let child = ops::slice(value, from, to)?;
            let mut range = Map::with_capacity(2);
            range.insert("start", from.clone());
            range.insert("end", to.clone());
            visit(Value::from(range), child, prefix)?;
        }
    }
    Ok(())
}

/// Applies `update` at every path `steps` denotes on `input` (paths taken from
/// the original input, applied in order). `update` gets the current value at
/// the path; `Some(v)` stores `v`, `None` deletes the path (jq's `|= empty`).
pub fn update_path(
    input: Value,
    steps: &[PathKey],
    update: &mut dyn FnMut(Value) -> R<Option<Value>>,
) -> R<Value> {
    let paths = expand_paths(&input, steps)?;
    let mut result = input;
    let mut deletions = Vec::new();
    for path in paths {
        let old = getpath_keys(&result, &path)?;
        match update(old)? {
            Some(new) => result = set_in(result, &path, new)?,
            None => deletions.push(Value::from(path)),
        }
    }
    if deletions.is_empty() {
        Ok(result)
    } else {
        delpaths(&result, &Value::from(deletions))
    }
}

fn getpath_keys(v: &Value, path: &[Value]) -> R<Value> {
    let mut current = v.clone();
    for key in path {
        if current.is_null() {
            return Ok(Value::Null);
        }
        current = ops::index(&current, key)?;
    }
    Ok(current)
}

/// `walk(f)`, with `f` giving all its outputs for a value: jq 1.8.2's
/// `def walk(f): def w: if type == "object" then map_values(w) elif type == "array" then map(w)
/// else . end | f; w;` — an object value keeps the first output (none deletes the key), an
/// array takes every output of every element.
pub fn walk(v: &Value, f: &mut dyn FnMut(&Value) -> R<Vec<Value>>) -> R<Vec<Value>> {
    let rebuilt = match v {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, value) in map.iter() {
                if let Some(first) = walk(value, f)?.into_iter().next() {
                    out.insert(key.clone(), first);
                }
            }
            Value::from(out)
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                out.extend(walk(item, f)?);
            }
            Value::from(out)
        }
        other => other.clone(),
    };
    f(&rebuilt)
}

/// `..`: the input and everything inside it, depth first, parents before children.
pub fn recurse_values(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![v.clone()];
    while let Some(item) = stack.pop() {
        match &item {
            Value::Array(items) => stack.extend(items.iter().rev().cloned()),
            Value::Object(map) => stack.extend(map.values().rev().cloned()),
            _ => {}
        }
        out.push(item);
    }
    out
}
