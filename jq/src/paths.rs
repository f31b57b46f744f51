//! Paths: `getpath`/`setpath`/`delpaths`, `..`, and the update operators
//! (`|=`, `=`, `+=`, `//=` …) over compiled path expressions.

use std::sync::Arc;

use super::error::{Error, R};
use super::limits::{MAX_ARRAY_INDEX, MAX_ARRAY_PADDING, MAX_PATH_DEPTH};
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
    check_path_depth(keys)?;
    getpath_keys(v, keys)
}

/// jq 1.8.2 refuses paths longer than [`MAX_PATH_DEPTH`].
fn check_path_depth(keys: &[Value]) -> R<()> {
    if keys.len() > MAX_PATH_DEPTH {
        return Err(Error::msg("Path too deep"));
    }
    Ok(())
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
    check_path_depth(keys)?;
    set_in(v.clone(), keys, value.clone())
}

/// `root` with `value` at `path`: down the path collecting the containers (index errors
/// first, top down, as jq's recursion raises them), then back up setting each one's child.
fn set_in(root: Value, path: &[Value], value: Value) -> R<Value> {
    let mut parents = Vec::with_capacity(path.len());
    let mut current = root;
    for key in path {
        let child = if current.is_null() {
            Value::Null
        } else {
            ops::index(&current, key)?
        };
        parents.push(std::mem::replace(&mut current, child));
    }
    // The old value goes first, so an unshared parent is updated in place.
    drop(current);
    let mut result = value;
    for (parent, key) in parents.into_iter().zip(path).rev() {
        result = set_key(parent, key, result)?;
    }
    Ok(result)
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
            Value::Array(keys) => {
                check_path_depth(keys)?;
                keys_lists.push(keys.to_vec());
            }
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

/// jq's `delpaths_sorted`: `paths` are sorted and all longer than `depth`. Iterative: a
/// path may be [`MAX_PATH_DEPTH`] keys long.
fn delete_sorted(object: Value, paths: &[Vec<Value>], depth: usize) -> R<Value> {
    /// A container whose paths are being deleted: the paths under it, the next group of
    /// them (those sharing a key at `depth`), the keys to delete from it at the end, and the
    /// key of the child being worked on below.
    struct Level<'p> {
        object: Value,
        paths: &'p [Vec<Value>],
        depth: usize,
        next: usize,
        delete_keys: Vec<Value>,
        child_key: Option<&'p Value>,
    }
    let level = |object, paths, depth| Level {
        object,
        paths,
        depth,
        next: 0,
        delete_keys: Vec::new(),
        child_key: None,
    };
    let mut levels = vec![level(object, paths, depth)];
    let mut finished_child: Option<Value> = None;
    while let Some(top) = levels.last_mut() {
        if let (Some(child), Some(key)) = (finished_child.take(), top.child_key.take()) {
            top.object = set_key(std::mem::take(&mut top.object), key, child)?;
        }
        let (paths, depth, i) = (top.paths, top.depth, top.next);
        if i < paths.len() {
            let key = &paths[i][depth];
            let mut j = i + 1;
            while j < paths.len() && paths[j][depth] == *key {
                j += 1;
            }
            top.next = j;
            if paths[i].len() == depth + 1 {
                top.delete_keys.push(key.clone());
            } else {
                let sub = ops::index(&top.object, key)?;
                if !sub.is_null() {
                    top.child_key = Some(key);
                    levels.push(level(sub, &paths[i..j], depth + 1));
                }
            }
            continue;
        }
        let done = levels
            .pop()
            .map(|l| delete_keys_from(l.object, &l.delete_keys));
        match (done, levels.is_empty()) {
            (Some(result), true) => return result,
            (Some(result), false) => finished_child = Some(result?),
            (None, _) => break,
        }
    }
    Ok(Value::Null)
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
///
/// Iterative, children before parents in document order (jq's order of calls to `f`).
pub fn walk(v: &Value, f: &mut dyn FnMut(&Value) -> R<Vec<Value>>) -> R<Vec<Value>> {
    /// A container being rebuilt: its parts, the next one, and the rebuilt value so far.
    enum Open<'a> {
        Items(&'a [Value], usize, Vec<Value>),
        Entries(&'a [(Arc<str>, Value)], usize, Map),
    }
    let mut open: Vec<Open<'_>> = Vec::new();
    let mut next = v;
    loop {
        // Outputs of `walk` for `next`, once its children are done.
        let mut outputs = match next {
            Value::Array(items) if !items.is_empty() => {
                open.push(Open::Items(items, 1, Vec::with_capacity(items.len())));
                next = &items[0];
                continue;
            }
            Value::Object(map) if !map.is_empty() => {
                let entries = map.entries();
                open.push(Open::Entries(entries, 1, Map::with_capacity(entries.len())));
                next = &entries[0].1;
                continue;
            }
            other => f(other)?,
        };
        loop {
            let Some(top) = open.last_mut() else {
                return Ok(outputs);
            };
            match top {
                Open::Items(items, i, out) => {
                    let items: &[Value] = items;
                    out.extend(outputs);
                    if let Some(item) = items.get(*i) {
                        *i += 1;
                        next = item;
                        break;
                    }
                }
                Open::Entries(entries, i, out) => {
                    let entries: &[(Arc<str>, Value)] = entries;
                    // An object value keeps its first output; none deletes the key.
                    if let Some(first) = outputs.into_iter().next() {
                        out.insert(entries[*i - 1].0.clone(), first);
                    }
                    if let Some((_, item)) = entries.get(*i) {
                        *i += 1;
                        next = item;
                        break;
                    }
                }
            }
            let rebuilt = match open.pop() {
                Some(Open::Items(_, _, out)) => Value::from(out),
                Some(Open::Entries(_, _, out)) => Value::from(out),
                None => Value::Null,
            };
            outputs = f(&rebuilt)?;
        }
    }
}

/// `..`: the input and everything inside it, depth first, parents before children. Lazy,
/// as jq's `recurse` is: `first(..)` on a value whose parts are shared many times over
/// (`reduce range(64) as $_ (0; [., .])`) visits one value, not 2^64.
pub fn recurse_values(v: &Value) -> RecurseValues {
    RecurseValues {
        stack: vec![v.clone()],
    }
}

/// Iterator returned by [`recurse_values`].
#[derive(Clone, Debug)]
pub struct RecurseValues {
    /// Values still to visit, the next one last.
    stack: Vec<Value>,
}

impl Iterator for RecurseValues {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        let item = self.stack.pop()?;
        match &item {
            Value::Array(items) => self.stack.extend(items.iter().rev().cloned()),
            Value::Object(map) => self.stack.extend(map.values().rev().cloned()),
            _ => {}
        }
        Some(item)
    }
}
