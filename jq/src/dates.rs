//! jq 1.8.2's date builtins: `strptime`, `strftime`, `strflocaltime`, `mktime`,
//! `gmtime`, `localtime`, `todate`/`todateiso8601`, `fromdate`/`fromdateiso8601`
//! and `now`.
//!
//! Broken-down time is jq's array `[year, month0, mday, hours, minutes, seconds,
//! wday, yday]` (C `struct tm`). jq delegates to libc; the `civil`, `strptime` and
//! `strftime` submodules reproduce glibc's behaviour in the C locale, which is what
//! Port Ocean's jq (Linux, `TZ=UTC`, `LC_ALL=C`) does.
//!
//! The local time zone is always UTC here (`localtime` = `gmtime`,
//! `strflocaltime` = `strftime` except that `%Z` prints `UTC` rather than `GMT`),
//! matching Ocean's environment. jq 1.8.2 has no `date`, `dateadd` or `datesub`
//! (they were removed in jq 1.7), so none are provided.

mod civil;
mod strftime;
mod strptime;

use std::time::{SystemTime, UNIX_EPOCH};

use self::civil::Tm;
use super::error::{Error, R};
use super::value::Value;

/// The format behind `todate`/`fromdate` and their ISO 8601 aliases.
const ISO8601: &str = "%Y-%m-%dT%H:%M:%SZ";

/// `strptime(fmt)`: parses a string into broken-down time. When the input has
/// unparsed trailing white space, jq appends that remainder as a ninth element.
pub fn strptime(input: &Value, format: &Value) -> R<Value> {
    let (Some(text), Some(fmt)) = (input.as_str(), format.as_str()) else {
        return Err(Error::msg(
            "strptime/1 requires string inputs and arguments",
        ));
    };
    // jq's sentinels: glibc leaves them when it cannot derive the fields.
    let mut tm = Tm {
        wday: 8,
        yday: 367,
        ..Tm::default()
    };
    let end = strptime::strptime(text, fmt, &mut tm)
        .filter(|&end| text[end..].chars().next().is_none_or(is_c_space))
        .ok_or_else(|| Error::msg(format!("date \"{text}\" does not match format \"{fmt}\"")))?;
    let month_known = (0..=11).contains(&tm.mon);
    if tm.wday == 8 && tm.mday != 0 && month_known {
        civil::jq_set_tm_wday(&mut tm);
    }
    if tm.yday == 367 && tm.mday != 0 && month_known {
        civil::jq_set_tm_yday(&mut tm);
    }
    let mut fields = broken_down_fields(&tm, 0.0);
    if end < text.len() {
        fields.push(Value::from(&text[end..]));
    }
    Ok(Value::from(fields))
}

/// `mktime`: broken-down time to seconds since the epoch (fields truncated to
/// integers, out-of-range fields normalised as `timegm` does).
pub fn mktime(input: &Value) -> R<Value> {
    if input.as_array().is_none() {
        return Err(Error::msg("mktime requires array inputs"));
    }
    let mut tm =
        to_tm(input).ok_or_else(|| Error::msg("mktime requires parsed datetime inputs"))?;
    match civil::timegm(&mut tm) {
        // glibc's timegm signals failure with -1, so jq rejects that instant too.
        Some(secs) if secs != -1 => Ok(Value::from(secs)),
        _ => Err(Error::msg("invalid gmtime representation")),
    }
}

/// `gmtime`: seconds since the epoch to broken-down UTC time; the seconds field
/// keeps the input's fraction.
pub fn gmtime(input: &Value) -> R<Value> {
    broken_down_from_number(input, "gmtime() requires numeric inputs")
}

/// `localtime`: as `gmtime`, the local zone being UTC.
pub fn localtime(input: &Value) -> R<Value> {
    broken_down_from_number(input, "localtime() requires numeric inputs")
}

/// `strftime(fmt)`: formats a number (seconds since the epoch) or broken-down time.
pub fn strftime(input: &Value, format: &Value) -> R<Value> {
    format_time(input, format, "strftime/1", "GMT")
}

/// `strflocaltime(fmt)`: as `strftime` in the local zone (UTC).
pub fn strflocaltime(input: &Value, format: &Value) -> R<Value> {
    format_time(input, format, "strflocaltime/1", "UTC")
}

/// `todate` = `todateiso8601` = `strftime("%Y-%m-%dT%H:%M:%SZ")`.
pub fn todate(input: &Value) -> R<Value> {
    strftime(input, &Value::from(ISO8601))
}

/// `todateiso8601`.
pub fn todateiso8601(input: &Value) -> R<Value> {
    todate(input)
}

/// `fromdate` = `fromdateiso8601` = `strptime("%Y-%m-%dT%H:%M:%SZ") | mktime`
/// (so fractional seconds are rejected, as in jq 1.8.2).
pub fn fromdate(input: &Value) -> R<Value> {
    mktime(&strptime(input, &Value::from(ISO8601))?)
}

/// `fromdateiso8601`.
pub fn fromdateiso8601(input: &Value) -> R<Value> {
    fromdate(input)
}

/// `now`: the current time in seconds since the epoch, with microseconds.
pub fn now() -> Value {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Value::from(since_epoch.as_secs() as f64 + f64::from(since_epoch.subsec_micros()) / 1e6)
}

fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// jq's `tm2jv`: the eight fields, seconds plus the fraction of `fractional_secs`.
fn broken_down_fields(tm: &Tm, fractional_secs: f64) -> Vec<Value> {
    let fraction = fractional_secs - fractional_secs.floor();
    vec![
        Value::from(i64::from(tm.year) + 1900),
        Value::from(i64::from(tm.mon)),
        Value::from(i64::from(tm.mday)),
        Value::from(i64::from(tm.hour)),
        Value::from(i64::from(tm.min)),
        Value::from(f64::from(tm.sec) + fraction),
        Value::from(i64::from(tm.wday)),
        Value::from(i64::from(tm.yday)),
    ]
}

fn broken_down_from_number(input: &Value, type_message: &str) -> R<Value> {
    let secs = input.as_f64().ok_or_else(|| Error::msg(type_message))?;
    let tm = tm_from_epoch(secs)?;
    Ok(Value::from(broken_down_fields(&tm, secs)))
}

/// C's `(time_t)secs` (truncation toward zero) followed by `gmtime_r`.
fn tm_from_epoch(secs: f64) -> R<Tm> {
    // Out-of-range conversions give i64::MIN on x86-64, which gmtime_r rejects.
    let whole = if secs.is_finite() && secs.abs() < 9.2e18 {
        secs.trunc() as i64
    } else {
        i64::MIN
    };
    civil::gmtime(whole)
        .ok_or_else(|| Error::msg("error converting number of seconds since epoch to datetime"))
}

/// jq's `jv2tm`: up to eight numeric fields, each truncated to a C `int` (the
/// year less 1900), then normalised by `timegm`. `None` when a field is not a
/// number (or is NaN).
fn to_tm(input: &Value) -> Option<Tm> {
    let items = input.as_array()?;
    let mut fields = [0i32; 8];
    for (slot, item) in fields.iter_mut().zip(items.iter()) {
        let value = item.as_f64().filter(|v| !v.is_nan())?;
        *slot = value as i32; // saturating truncation, like jq's clamp-then-cast
    }
    let year = items
        .first()
        .and_then(Value::as_f64)
        .map_or(0, |y| (y - 1900.0) as i32);
    let [_, mon, mday, hour, min, sec, wday, yday] = fields;
    let mut tm = Tm {
        year,
        mon,
        mday,
        hour,
        min,
        sec,
        wday,
        yday,
    };
    // A year that overflows leaves the fields as they were, as glibc does.
    let mut normalised = tm;
    if civil::timegm(&mut normalised).is_some() {
        tm = normalised;
    }
    Some(tm)
}

fn format_time(input: &Value, format: &Value, name: &str, zone: &str) -> R<Value> {
    let datetime_error = || Error::msg(format!("{name} requires parsed datetime inputs"));
    // jq's order: the input kind, then the format, then the array's fields.
    let epoch_tm = match input {
        Value::Number(n) => Some(tm_from_epoch(n.as_f64())?),
        Value::Array(_) => None,
        _ => return Err(datetime_error()),
    };
    let fmt = format
        .as_str()
        .ok_or_else(|| Error::msg(format!("{name} requires a string format")))?;
    let tm = match epoch_tm {
        Some(tm) => tm,
        None => to_tm(input).ok_or_else(datetime_error)?,
    };
    let text = strftime::strftime(fmt, &tm, zone);
    // jq gives strftime a buffer of strlen(fmt) + 100 bytes; longer output fails.
    if (text.is_empty() && !fmt.is_empty()) || text.len() >= fmt.len() + 100 {
        return Err(Error::msg(format!("{name}: unknown system failure")));
    }
    Ok(Value::from(text))
}

#[cfg(test)]
pub(crate) mod tests;
