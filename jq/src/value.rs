//! The jq value model, and the iterative freeing that keeps dropping a deeply nested value
//! (built by a program: `reduce range(100000) as $i (null; [.])`) off the thread's stack.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::map::Map;
use super::number::Number;

/// A jq value. Cloning is cheap: strings, arrays and objects are shared.
#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Arc<str>),
    Array(Arc<Array>),
    Object(Arc<Map>),
}

impl Value {
    /// A number from program literal text (`1.50`, `1e-7`).
    ///
    /// # Panics
    /// When `text` is not number syntax; generated code only passes literals
    /// the compiler already lexed as numbers.
    pub fn number_literal(text: &str) -> Value {
        match Number::from_literal(text) {
            Some(n) => Value::Number(n),
            None => panic!("not a number literal: {text:?}"),
        }
    }

    /// A computed number.
    pub fn number(x: f64) -> Value {
        Value::Number(Number::from_f64(x))
    }

    /// jq's kind name, as `type` returns it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The string contents, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The numeric value, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&Arc<Array>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The map, if this is an object.
    pub fn as_object(&self) -> Option<&Arc<Map>> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// jq truthiness: everything but `null` and `false`.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }
}

impl std::fmt::Debug for Value {
    /// The jq JSON text, which is the most readable form in test failures.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::json::tojson_string(self))
    }
}

impl PartialEq for Value {
    /// jq equality: numbers by value, objects regardless of key order.
    /// Iterative, so any depth is compared (see `compare::equal_within`).
    fn eq(&self, other: &Value) -> bool {
        super::compare::equal_within(self, other, usize::MAX).unwrap_or(false)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Arc::from(s))
    }
}

impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Value {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::number(x)
    }
}

impl From<i64> for Value {
    fn from(x: i64) -> Value {
        Value::number(x as f64)
    }
}

impl From<usize> for Value {
    fn from(x: usize) -> Value {
        Value::number(x as f64)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(Array(items)))
    }
}

impl From<Array> for Value {
    fn from(items: Array) -> Value {
        Value::Array(Arc::new(items))
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Object(Arc::new(map))
    }
}

impl FromIterator<Value> for Value {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Value {
        Value::from(iter.into_iter().collect::<Vec<Value>>())
    }
}

/// The elements of a jq array: a `Vec<Value>` (it derefs to one) whose drop frees deeply
/// nested contents without deep recursion.
#[derive(Clone, Default)]
pub struct Array(Vec<Value>);

impl Array {
    /// An empty array.
    pub fn new() -> Array {
        Array(Vec::new())
    }

    /// The elements, moved out.
    pub fn into_vec(mut self) -> Vec<Value> {
        std::mem::take(&mut self.0)
    }
}

impl Deref for Array {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl DerefMut for Array {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl From<Vec<Value>> for Array {
    fn from(items: Vec<Value>) -> Array {
        Array(items)
    }
}

impl Drop for Array {
    fn drop(&mut self) {
        drop_contents(&mut self.0, |v| v);
    }
}

thread_local! {
    /// How many container drops are under way on this thread, one inside the other.
    static DROP_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Nesting freed by plain recursion; below it the rest of the value is freed from a work
/// list. 64 levels of drop frames are a few tens of KiB even in a debug build.
const RECURSIVE_DROP_DEPTH: usize = 64;

/// Frees a container's contents (`entry` gives the value of each item). Shallow values are
/// dropped the usual way; past [`RECURSIVE_DROP_DEPTH`] nested levels, every container this
/// thread holds the last reference to is emptied into a work list before it is freed, so no
/// drop below recurses more than one level. jq 1.8.2 frees iteratively too: a value has no
/// depth limit, only what is done with it.
pub(crate) fn drop_contents<T>(items: &mut Vec<T>, entry: fn(T) -> Value) {
    if items.is_empty() {
        return;
    }
    let depth = DROP_DEPTH.get();
    if depth < RECURSIVE_DROP_DEPTH {
        DROP_DEPTH.set(depth + 1);
        drop(std::mem::take(items));
        DROP_DEPTH.set(depth);
        return;
    }
    let mut pending: Vec<Value> = std::mem::take(items).into_iter().map(entry).collect();
    while let Some(v) = pending.pop() {
        // A shared container only loses a reference here; a unique one is emptied first,
        // so its own drop finds nothing to recurse into.
        match v {
            Value::Array(mut a) => {
                if let Some(a) = Arc::get_mut(&mut a) {
                    pending.append(&mut a.0);
                }
            }
            Value::Object(mut m) => {
                if let Some(m) = Arc::get_mut(&mut m) {
                    pending.extend(m.take_entries().into_iter().map(|(_, v)| v));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shareable_and_small() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Value>();
        assert_send_sync::<crate::Error>();
        assert!(std::mem::size_of::<Value>() <= 32);
    }

    #[test]
    fn constructors_and_kinds() {
        assert_eq!(Value::from("a").kind_name(), "string");
        assert_eq!(Value::from(1.5).kind_name(), "number");
        assert_eq!(Value::from(true).kind_name(), "boolean");
        assert_eq!(Value::from(Vec::new()).kind_name(), "array");
        assert_eq!(Value::from(Map::new()).kind_name(), "object");
        assert_eq!(Value::Null.kind_name(), "null");
        assert_eq!(format!("{:?}", Value::number_literal("1.50")), "1.50");
        assert!(Value::Bool(false) != Value::Null);
        assert!(Value::number_literal("1.0") == Value::number(1.0));
    }
}
