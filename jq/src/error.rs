//! Errors thrown by jq programs: any jq value can be thrown (`error(v)`).

use std::fmt;

use super::limits::MAX_STRING_BYTES;
use super::value::Value;

/// A thrown jq value. String errors are the common case (`Error::msg`).
#[derive(Clone, Debug, PartialEq)]
pub struct Error(Box<Value>);

/// Result of a jq operation.
pub type R<T> = Result<T, Error>;

impl Error {
    /// Wraps any value as a thrown error (jq `error(v)`).
    pub fn new(value: Value) -> Error {
        Error(Box::new(value))
    }

    /// A string error, the form every builtin uses.
    pub fn msg(text: impl Into<String>) -> Error {
        Error::new(Value::from(text.into()))
    }

    /// The thrown value (what `try ... catch .` sees).
    pub fn value(&self) -> &Value {
        &self.0
    }

    /// Consumes the error and returns the thrown value.
    pub fn into_value(self) -> Value {
        *self.0
    }

    /// What jq.py shows: string errors as they are; any other value as
    /// `<tojson> (not a string)`, its text cut (with `...`) past [`MAX_STRING_BYTES`].
    pub fn message(&self) -> String {
        match &*self.0 {
            Value::String(s) => s.to_string(),
            other => {
                let mut text = String::new();
                if !super::json::write_json_bounded(other, &mut text, MAX_STRING_BYTES) {
                    text.push_str("...");
                }
                text.push_str(" (not a string)");
                text
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

/// jq's `jv_dump_string_trunc` with its usual 30-byte buffer: the JSON text,
/// cut to at most 29 bytes with `...` (plus the closing delimiter) when longer.
pub(crate) fn dump_trunc(v: &Value) -> String {
    const BUF: usize = 30;
    // Only the first BUF bytes matter: a large value is not printed whole.
    let mut text = String::new();
    super::json::write_json_prefix(v, &mut text, BUF);
    if text.len() < BUF {
        return text;
    }
    let delim = match text.as_bytes()[0] {
        b'"' => Some('"'),
        b'[' => Some(']'),
        b'{' => Some('}'),
        _ => None,
    };
    let mut cut = BUF - if delim.is_some() { 5 } else { 4 };
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = String::with_capacity(cut + 4);
    out.push_str(&text[..cut]);
    out.push_str("...");
    if let Some(d) = delim {
        out.push(d);
    }
    out
}

/// `<kind> (<value>) <msg>`, jq's `type_error`.
pub(crate) fn type_error(v: &Value, msg: &str) -> Error {
    Error::msg(format!("{} ({}) {msg}", v.kind_name(), dump_trunc(v)))
}

/// `<kind> (<value>) and <kind> (<value>) <msg>`, jq's `type_error2`.
pub(crate) fn type_error2(a: &Value, b: &Value, msg: &str) -> Error {
    Error::msg(format!(
        "{} ({}) and {} ({}) {msg}",
        a.kind_name(),
        dump_trunc(a),
        b.kind_name(),
        dump_trunc(b)
    ))
}
