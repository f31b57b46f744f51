//! Helpers that only generated code calls and that are not jq builtins themselves.

use crate::{Error, Regex, Value, R};

/// A regex whose pattern or flags are computed at run time; also says whether `g` was given.
pub fn regex_dynamic(pattern: &Value, flags: &Value, global: bool) -> R<(Regex, bool)> {
    // jq's one-argument forms also take `[regex, flags]`.
    if let (Value::Array(pair), Value::Null) = (pattern, flags) {
        return match pair.len() {
            0 => Err(Error::msg("array not a string or array")),
            1 => regex_dynamic(&pair[0], &Value::Null, global),
            _ => regex_dynamic(&pair[0], &pair[1], global),
        };
    }
    let Value::String(p) = pattern else {
        return Err(Error::msg(format!(
            "{} cannot be matched, as it is not a string",
            pattern.kind_name()
        )));
    };
    let mut f = match flags {
        Value::Null => String::new(),
        Value::String(s) => s.to_string(),
        other => return Err(Error::msg(format!("{} is not a string", other.kind_name()))),
    };
    if global && !f.contains('g') {
        f.push('g');
    }
    let g = f.contains('g');
    Ok((Regex::new(p, &f)?, g))
}
