//! Small runtime helpers for control flow in generated code: `try`, `limit`, `range`.

use super::error::{type_error2, Error, R};
use super::ops;
use super::value::Value;

/// The value a `catch` handler receives for an error (the thrown value).
/// Returns `Err` for nothing today; the `R` leaves room for uncatchable
/// conditions.
pub fn catch_value(e: Error) -> R<Value> {
    Ok(e.into_value())
}

/// The count for `limit(n; f)` as jq 1.8.2 checks it: negative counts are an
/// error; `0` means no outputs.
pub fn limit_count(n: &Value) -> R<f64> {
    match n {
        Value::Number(x) => {
            let x = x.as_f64();
            // jq orders NaN below every number, so it fails the `$n >= 0` tests too.
            if x < 0.0 || x.is_nan() {
                Err(Error::msg("limit doesn't support negative count"))
            } else {
                Ok(x)
            }
        }
        // jq compares `$n > 0` by its total order: null and false sort below 0.
        Value::Null | Value::Bool(false) => Err(Error::msg("limit doesn't support negative count")),
        // Anything above numbers reaches `. - 1`, which fails.
        other => Err(type_error2(
            other,
            &Value::from(1usize),
            "cannot be subtracted",
        )),
    }
}

/// `range(from; upto; by)` as a lazy sequence: `from`, `from + by`, … while
/// below `upto` (above, for negative `by`); nothing when `by` is 0.
pub fn range_values(from: &Value, upto: &Value, by: &Value) -> R<RangeValues> {
    let number = |v: &Value| {
        v.as_f64()
            .ok_or_else(|| Error::msg("Range bounds must be numeric"))
    };
    let (start, end, step) = (number(from)?, number(upto)?, number(by)?);
    Ok(RangeValues {
        first: Some(from.clone()),
        next: start,
        end,
        step,
    })
}

/// Iterator returned by [`range_values`].
#[derive(Clone, Debug)]
pub struct RangeValues {
    /// The starting value, emitted as is (a literal keeps its text).
    first: Option<Value>,
    next: f64,
    end: f64,
    step: f64,
}

impl Iterator for RangeValues {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        let in_range = if self.step > 0.0 {
            self.next < self.end
        } else if self.step < 0.0 {
            self.next > self.end
        } else {
            false
        };
        if !in_range {
            return None;
        }
        let current = self.next;
        self.next += self.step;
        Some(match self.first.take() {
            Some(first) => first,
            None => Value::number(current),
        })
    }
}

/// `$__loc__`-free helper: `.[]?` semantics (errors swallowed) for generated code.
pub fn iterate_opt(v: &Value) -> Vec<Value> {
    ops::iterate(v).unwrap_or_default()
}
