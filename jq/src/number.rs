//! jq 1.8 numbers: an `f64`, plus the canonical decimal text of the literal it
//! came from while no arithmetic has touched it (jq's decNumber literals).
//!
//! Printing follows libjq: literals print as decNumber's to-scientific-string
//! (`1.50`, `1E-7`, `12345678909876543212345`); computed numbers print with the
//! shortest round-trip digits in jq's `jvp_dtoa_fmt` layout; NaN prints as
//! `null` and infinities as ±`1.7976931348623157e+308`.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::Arc;

/// A jq number. Cheap to clone.
#[derive(Clone)]
pub struct Number {
    value: f64,
    /// decNumber canonical text of an untouched literal. `None` for computed
    /// numbers and for short plain integers, whose text equals the computed form.
    literal: Option<Arc<str>>,
}

/// A parsed decimal literal: `(-1)^negative * coefficient * 10^exponent`.
struct Decimal<'a> {
    negative: bool,
    /// Coefficient digits without leading zeros (`"0"` for zero).
    digits: std::borrow::Cow<'a, str>,
    exponent: i64,
}

/// decNumber's largest exponent with default (jq) context; beyond it the literal
/// becomes an infinity, whose text is not preserved.
const DEC_MAX_EXPONENT: i64 = 999_999_999;

impl Number {
    /// A computed number (prints with the shortest round-trip digits).
    pub fn from_f64(value: f64) -> Number {
        Number {
            value,
            literal: None,
        }
    }

    /// A number from literal text (JSON or jq program syntax: `-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`).
    /// Returns `None` when `text` is not such a literal.
    pub fn from_literal(text: &str) -> Option<Number> {
        let decimal = parse_decimal(text)?;
        Some(Number::from_decimal(text, &decimal))
    }

    /// Fast path for the JSON parser: `text` is already known to be valid JSON number syntax
    /// and `plain_int` says it has no fraction and no exponent.
    pub(crate) fn from_json_literal(text: &str, plain_int: bool) -> Number {
        // Plain integers of up to 15 digits are exact doubles whose computed text
        // is the literal's canonical text; no need to keep the literal.
        let digits = text.len() - usize::from(text.starts_with('-'));
        if plain_int
            && digits <= 15
            && !(digits > 1 && text.as_bytes()[text.len() - digits] == b'0')
        {
            let mut v: i64 = 0;
            for &b in &text.as_bytes()[text.len() - digits..] {
                v = v * 10 + i64::from(b - b'0');
            }
            let mut value = v as f64;
            if text.starts_with('-') {
                value = -value;
            }
            return Number::from_f64(value);
        }
        if is_canonical_plain_decimal(text) {
            // Already decNumber's text (`1.5`, `-3.0`, `0.25`): one allocation.
            return Number {
                value: text.parse().unwrap_or(f64::NAN),
                literal: Some(Arc::from(text)),
            };
        }
        match parse_decimal(text) {
            Some(decimal) => Number::from_decimal(text, &decimal),
            None => Number::from_f64(text.parse().unwrap_or(f64::NAN)),
        }
    }

    /// The number jq sees when Ocean passes a JSON number through Python
    /// (`json.loads` then `json.dumps`): integers keep their digits (`-0`
    /// becomes `0`), other numbers become `repr(float)` (`1.50` -> `1.5`,
    /// `1E5` -> `100000.0`), infinities stay infinite.
    pub(crate) fn from_json_literal_python(text: &str, plain_int: bool) -> Number {
        if plain_int {
            return if text == "-0" {
                Number::from_f64(0.0)
            } else {
                Number::from_json_literal(text, true)
            };
        }
        let value: f64 = text.parse().unwrap_or(f64::NAN);
        if !value.is_finite() {
            return Number::from_f64(value);
        }
        let mut repr = String::with_capacity(24);
        write_python_float_repr(value, &mut repr);
        Number::from_literal(&repr).unwrap_or_else(|| Number::from_f64(value))
    }

    fn from_decimal(text: &str, decimal: &Decimal<'_>) -> Number {
        let value = decimal_to_f64(text, decimal);
        let adjusted = decimal.exponent + decimal.digits.len() as i64 - 1;
        if !(-DEC_MAX_EXPONENT..=DEC_MAX_EXPONENT).contains(&adjusted) {
            return Number::from_f64(value);
        }
        let canonical = decimal_to_string(decimal);
        Number {
            value,
            literal: Some(Arc::from(canonical)),
        }
    }

    /// The numeric value.
    pub fn as_f64(&self) -> f64 {
        self.value
    }

    /// The preserved literal text, if the number is an untouched literal.
    pub fn literal(&self) -> Option<&str> {
        self.literal.as_deref()
    }

    /// True when the value is integral (what jq's `jv_is_integer` checks).
    pub fn is_integer(&self) -> bool {
        let v = self.value;
        v.is_finite() && (v - v.trunc()).abs() < f64::EPSILON
    }

    /// `-x`, keeping literal text (decNumberMinus), as jq 1.8 does.
    pub fn negate(&self) -> Number {
        Number {
            value: -self.value,
            literal: self
                .literal
                .as_ref()
                .map(|text| match text.strip_prefix('-') {
                    Some(rest) => Arc::from(rest),
                    None => Arc::from(format!("-{text}")),
                }),
        }
    }

    /// `|x|`, keeping literal text (decNumberAbs), as jq 1.8 does.
    pub fn abs(&self) -> Number {
        match &self.literal {
            Some(text) if text.starts_with('-') => self.negate(),
            Some(_) => self.clone(),
            None => Number::from_f64(self.value.abs()),
        }
    }

    /// Appends jq's text for this number (`tojson`).
    pub fn write_jq(&self, out: &mut String) {
        if self.value.is_nan() {
            out.push_str("null");
            return;
        }
        if let Some(text) = &self.literal {
            out.push_str(text);
            return;
        }
        write_jq_double(self.value, out);
    }

    /// jq's text for this number.
    pub fn to_jq_string(&self) -> String {
        let mut out = String::new();
        self.write_jq(&mut out);
        out
    }

    /// jq's number comparison: two literals compare as decimals (exactly), anything
    /// else compares as doubles. NaN sorts below every number (jq: `nan < x`).
    pub fn cmp_jq(&self, other: &Number) -> Ordering {
        // Rounding to double is monotonic, so distinct doubles already order the
        // decimals; only equal doubles need an exact decimal comparison.
        let same_double = self.value == other.value && self.value.is_finite();
        if !same_double {
            // fall through to the double comparison
        } else if self.is_exact_small_int() && other.is_exact_small_int() {
            // Equal doubles that are exact integers denote equal decimals.
            return Ordering::Equal;
        } else if let (Some(a), Some(b)) =
            (self.literal_or_exact_int(), other.literal_or_exact_int())
        {
            if a == b {
                return Ordering::Equal;
            }
            if self.literal.is_some() || other.literal.is_some() {
                if let (Some(a), Some(b)) = (parse_decimal(&a), parse_decimal(&b)) {
                    return compare_decimals(&a, &b);
                }
            }
        }
        let (a, b) = (self.value, other.value);
        if a < b {
            Ordering::Less
        } else if a == b {
            Ordering::Equal
        } else {
            Ordering::Greater
        }
    }

    /// An integer below 2^53 whose literal text (if any) is plain digits, so
    /// the double is exactly the decimal.
    fn is_exact_small_int(&self) -> bool {
        let v = self.value;
        v.trunc() == v
            && v.abs() < 9_007_199_254_740_992.0
            && self
                .literal
                .as_deref()
                .is_none_or(|t| !t.contains(['.', 'e', 'E']))
    }

    /// Literal text, or for literal-less numbers the text of a short exact
    /// integer (those were literals whose text we did not keep).
    fn literal_or_exact_int(&self) -> Option<std::borrow::Cow<'_, str>> {
        if let Some(text) = &self.literal {
            return Some(std::borrow::Cow::Borrowed(text));
        }
        let v = self.value;
        if v.is_finite() && v.trunc() == v && v.abs() < 1e15 {
            return Some(std::borrow::Cow::Owned(format!("{}", v as i64)));
        }
        None
    }
}

impl std::fmt::Debug for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_jq_string())
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_jq_string())
    }
}

impl PartialEq for Number {
    /// jq equality (`jvp_number_equal`).
    fn eq(&self, other: &Number) -> bool {
        if self.literal.is_none() && other.literal.is_none() {
            return self.value == other.value;
        }
        self.cmp_jq(other) == Ordering::Equal
    }
}

impl From<f64> for Number {
    fn from(value: f64) -> Number {
        Number::from_f64(value)
    }
}

/// True for JSON decimals without exponent whose text is already decNumber's
/// canonical form and whose value needs no 17-digit pre-rounding: `-?I.F`
/// with at most 17 digits, and for `I = 0` at most five leading zeros in `F`.
fn is_canonical_plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let Some((int, frac)) = unsigned.split_once('.') else {
        return false;
    };
    if int.len() + frac.len() > 17 || frac.contains(['e', 'E']) {
        return false;
    }
    if int != "0" {
        return true;
    }
    let zeros = frac.bytes().take_while(|&b| b == b'0').count();
    zeros < frac.len() && zeros <= 5
}

/// Parses literal syntax into sign, coefficient digits and exponent.
fn parse_decimal(text: &str) -> Option<Decimal<'_>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = bytes.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    let int_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let int_end = i;
    let (mut frac_start, mut frac_end) = (i, i);
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        frac_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        frac_end = i;
    }
    if int_end == int_start && frac_end == frac_start {
        return None;
    }
    let mut exponent: i64 = 0;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        let mut exp_negative = false;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            exp_negative = bytes[i] == b'-';
            i += 1;
        }
        let exp_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            // Saturate: anything this large is out of decNumber's range anyway.
            exponent = (exponent * 10 + i64::from(bytes[i] - b'0')).min(1 << 40);
            i += 1;
        }
        if i == exp_start {
            return None;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let int_part = &text[int_start..int_end];
    let frac_part = &text[frac_start..frac_end];
    exponent -= frac_part.len() as i64;
    let digits: std::borrow::Cow<'_, str> = if frac_part.is_empty() {
        std::borrow::Cow::Borrowed(int_part.trim_start_matches('0'))
    } else {
        let mut s = String::with_capacity(int_part.len() + frac_part.len());
        s.push_str(int_part);
        s.push_str(frac_part);
        let trimmed = s.trim_start_matches('0').len();
        s.drain(..s.len() - trimmed);
        std::borrow::Cow::Owned(s)
    };
    let digits = if digits.is_empty() {
        std::borrow::Cow::Borrowed("0")
    } else {
        digits
    };
    Some(Decimal {
        negative,
        digits,
        exponent,
    })
}

/// decNumber's to-scientific-string.
fn decimal_to_string(d: &Decimal<'_>) -> String {
    let digits: &str = &d.digits;
    let n = digits.len() as i64;
    let adjusted = d.exponent + n - 1;
    let mut out = String::with_capacity(digits.len() + 8);
    if d.negative {
        out.push('-');
    }
    if d.exponent <= 0 && adjusted >= -6 {
        let point = n + d.exponent; // digits before the decimal point
        if d.exponent == 0 {
            out.push_str(digits);
        } else if point > 0 {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        } else {
            out.push_str("0.");
            for _ in 0..-point {
                out.push('0');
            }
            out.push_str(digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        out.push(if adjusted >= 0 { '+' } else { '-' });
        let _ = write!(out, "{}", adjusted.abs());
    }
    out
}

/// The double for a literal, like libjq: round to 17 significant digits
/// (half-even), then convert.
fn decimal_to_f64(text: &str, d: &Decimal<'_>) -> f64 {
    let digits: &str = &d.digits;
    if digits.len() <= 17 {
        return text.parse().unwrap_or(f64::NAN);
    }
    let kept = &digits[..17];
    let next = digits.as_bytes()[17];
    let rest_nonzero = digits[18..].bytes().any(|b| b != b'0');
    let last_odd = (kept.as_bytes()[16] - b'0') % 2 == 1;
    let round_up = next > b'5' || (next == b'5' && (rest_nonzero || last_odd));
    let mut rounded: Vec<u8> = kept.bytes().collect();
    let mut exponent = d.exponent + (digits.len() as i64 - 17);
    if round_up {
        let mut i = rounded.len();
        loop {
            if i == 0 {
                rounded.insert(0, b'1');
                rounded.pop();
                exponent += 1;
                break;
            }
            i -= 1;
            if rounded[i] == b'9' {
                rounded[i] = b'0';
            } else {
                rounded[i] += 1;
                break;
            }
        }
    }
    let mut s = String::with_capacity(32);
    if d.negative {
        s.push('-');
    }
    s.push_str(std::str::from_utf8(&rounded).unwrap_or("0"));
    let _ = write!(s, "e{exponent}");
    s.parse().unwrap_or(f64::NAN)
}

/// Exact decimal comparison of two literals.
fn compare_decimals(a: &Decimal<'_>, b: &Decimal<'_>) -> Ordering {
    let a_zero = a.digits.as_ref() == "0";
    let b_zero = b.digits.as_ref() == "0";
    let sign = |negative: bool, zero: bool| -> i8 {
        if zero {
            0
        } else if negative {
            -1
        } else {
            1
        }
    };
    let (sa, sb) = (sign(a.negative, a_zero), sign(b.negative, b_zero));
    if sa != sb || sa == 0 {
        return sa.cmp(&sb);
    }
    let magnitude = {
        let adj_a = a.exponent + a.digits.len() as i64;
        let adj_b = b.exponent + b.digits.len() as i64;
        adj_a.cmp(&adj_b).then_with(|| {
            // Same magnitude: compare digit strings padded with zeros.
            let (da, db) = (a.digits.as_bytes(), b.digits.as_bytes());
            let len = da.len().max(db.len());
            (0..len)
                .map(|i| {
                    let x = da.get(i).copied().unwrap_or(b'0');
                    let y = db.get(i).copied().unwrap_or(b'0');
                    x.cmp(&y)
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    };
    if sa < 0 {
        magnitude.reverse()
    } else {
        magnitude
    }
}

/// Shortest round-trip digits and decimal-point position of a finite, non-zero
/// `|x|`: `x = 0.DIGITS * 10^decpt` (the `jvp_dtoa` mode 0 result).
fn shortest_digits(x: f64) -> (String, i32) {
    let (mut digits, decpt) = scientific_digits(&format!("{:e}", x.abs()));
    // When two shortest candidates are equally near (the exact value ends in a
    // 5 right after them), David Gay's dtoa, used by jq and Python, takes the
    // even one; Rust rounds half up. Ties need about 16+ digits.
    if digits.len() >= 15 {
        let n = digits.len();
        let (exact, exact_decpt) = scientific_digits(&format!("{:.*e}", n + 24, x.abs()));
        let tail = &exact.as_bytes()[n..];
        let is_tie =
            exact_decpt == decpt && tail[0] == b'5' && tail[1..].iter().all(|&b| b == b'0');
        let last_odd = digits.as_bytes()[n - 1] % 2 == 1;
        if is_tie && last_odd {
            // The candidates are the truncation and the truncation + 1; pick the even one.
            let truncated = &exact[..n];
            digits = if truncated.as_bytes()[n - 1] % 2 == 0 {
                truncated.to_string()
            } else {
                increment_digits(truncated)
            };
        }
    }
    (digits, decpt)
}

/// Splits Rust's `d.ddde[-]x` into its digits and jq's decimal-point position.
fn scientific_digits(text: &str) -> (String, i32) {
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    (digits, exp + 1)
}

/// Adds one to the last digit (the caller guarantees no carry past the first).
fn increment_digits(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            break;
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// Appends a computed double the way jq 1.8 prints it (`jvp_dtoa_fmt`).
pub fn write_jq_double(x: f64, out: &mut String) {
    if x.is_nan() {
        out.push_str("null");
        return;
    }
    let x = x.clamp(-f64::MAX, f64::MAX);
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    // Small integers are by far the most common; print them directly.
    if x.trunc() == x && x.abs() < 1e16 {
        let _ = write!(out, "{}", x as i64);
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let (digits, decpt) = shortest_digits(x);
    let ndigits = digits.len() as i32;
    if decpt <= -4 || decpt > ndigits + 15 {
        out.push_str(&digits[..1]);
        if ndigits > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", e.abs());
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..-decpt {
            out.push('0');
        }
        out.push_str(&digits);
    } else if decpt >= ndigits {
        out.push_str(&digits);
        for _ in 0..decpt - ndigits {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..decpt as usize]);
        out.push('.');
        out.push_str(&digits[decpt as usize..]);
    }
}

/// Appends the number the way Port receives it from Ocean (jq.py hands numbers to
/// Python): integral doubles as exact integers, others as Python `repr(float)`;
/// NaN as `null`, infinities as ±`1.7976931348623157e+308`.
pub fn write_python_number(x: f64, out: &mut String) {
    if x.is_nan() {
        out.push_str("null");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x < 0.0 {
            "-1.7976931348623157e+308"
        } else {
            "1.7976931348623157e+308"
        });
        return;
    }
    if x.trunc() == x {
        if x.abs() < 9.0e18 {
            let _ = write!(out, "{}", x as i64);
        } else {
            // `{:.0}` prints the exact integer value of the double.
            let _ = write!(out, "{x:.0}");
        }
        return;
    }
    write_python_float_repr(x, out);
}

/// Appends Python's `repr(float)` of a finite `x` (`0.1`, `1e-07`, `100.0`,
/// `1e+16`): shortest round-trip digits, exponent form outside `1e-4 <= |x| < 1e16`.
pub fn write_python_float_repr(x: f64, out: &mut String) {
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let (digits, decpt) = shortest_digits(x);
    let ndigits = digits.len() as i32;
    if decpt > 16 || decpt <= -4 {
        out.push_str(&digits[..1]);
        if ndigits > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", e.abs());
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..-decpt {
            out.push('0');
        }
        out.push_str(&digits);
    } else if decpt >= ndigits {
        out.push_str(&digits);
        for _ in 0..decpt - ndigits {
            out.push('0');
        }
        out.push_str(".0");
    } else {
        out.push_str(&digits[..decpt as usize]);
        out.push('.');
        out.push_str(&digits[decpt as usize..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str) -> String {
        Number::from_literal(text).unwrap().to_jq_string()
    }

    fn computed(x: f64) -> String {
        Number::from_f64(x).to_jq_string()
    }

    fn python(x: f64) -> String {
        let mut s = String::new();
        write_python_number(x, &mut s);
        s
    }

    #[test]
    fn literals_keep_decnumber_text() {
        assert_eq!(lit("100.0"), "100.0");
        assert_eq!(lit("1.50"), "1.50");
        assert_eq!(lit("1e-07"), "1E-7");
        assert_eq!(lit("100e-2"), "1.00");
        assert_eq!(lit("1e1000"), "1E+1000");
        assert_eq!(lit("-1E+1000"), "-1E+1000");
        assert_eq!(lit("12345678909876543212345"), "12345678909876543212345");
        assert_eq!(lit("0.00"), "0.00");
        assert_eq!(lit("-0"), "-0");
        assert_eq!(lit("0.000001"), "0.000001");
        assert_eq!(lit("0.0000001"), "1E-7");
        assert_eq!(lit("1.5e3"), "1.5E+3");
        assert_eq!(lit("007"), "7");
        assert_eq!(lit(".5"), "0.5");
        assert!(Number::from_literal("1e").is_none());
        assert!(Number::from_literal("abc").is_none());
        assert!(Number::from_literal("").is_none());
    }

    #[test]
    fn json_fast_path_agrees_with_decnumber_rules() {
        for text in [
            "1.5",
            "-3.0",
            "0.25",
            "0.000001",
            "0.0000001",
            "0.0",
            "-0.00",
            "0.00000000",
            "10.50",
            "123456789.123456789",
            "0.100000",
            "1e5",
            "1.5E-3",
        ] {
            let fast = Number::from_json_literal(text, false);
            let slow = Number::from_literal(text).unwrap();
            assert_eq!(fast.literal(), slow.literal(), "{text}");
            assert_eq!(fast.as_f64().to_bits(), slow.as_f64().to_bits(), "{text}");
        }
    }

    #[test]
    fn literal_values() {
        assert_eq!(
            Number::from_literal("1e1000").unwrap().as_f64(),
            f64::INFINITY
        );
        assert_eq!(Number::from_literal("1.50").unwrap().as_f64(), 1.5);
        assert_eq!(
            Number::from_literal("0.12345678901234567890123456789")
                .unwrap()
                .as_f64(),
            0.12345678901234568
        );
    }

    #[test]
    fn computed_numbers_print_like_jq() {
        assert_eq!(computed(1.0), "1");
        assert_eq!(computed(-0.0), "-0");
        assert_eq!(computed(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(computed(1e15), "1000000000000000");
        assert_eq!(computed(1e16), "1e+16");
        assert_eq!(computed(1e17), "1e+17");
        assert_eq!(computed(123e15), "123000000000000000");
        assert_eq!(computed(1e300), "1e+300");
        assert_eq!(computed(1.5e300), "1.5e+300");
        assert_eq!(computed(0.0001), "0.0001");
        assert_eq!(computed(0.00001), "1e-05");
        assert_eq!(computed(1.25e-7), "1.25e-07");
        assert_eq!(computed(f64::INFINITY), "1.7976931348623157e+308");
        assert_eq!(computed(f64::NEG_INFINITY), "-1.7976931348623157e+308");
        assert_eq!(computed(f64::NAN), "null");
        assert_eq!(computed(3.5), "3.5");
        assert_eq!(computed(123456.789), "123456.789");
    }

    #[test]
    fn python_repr() {
        assert_eq!(python(100.0), "100");
        assert_eq!(python(0.1), "0.1");
        assert_eq!(python(1e-7), "1e-07");
        assert_eq!(python(1.5e16), "15000000000000000");
        assert_eq!(python(1.5e-5), "1.5e-05");
        assert_eq!(python(1e22), "10000000000000000000000");
        assert_eq!(python(1234567.5), "1234567.5");
        assert_eq!(python(f64::NAN), "null");
        assert_eq!(python(f64::NEG_INFINITY), "-1.7976931348623157e+308");
        assert_eq!(python(-2.5), "-2.5");
        assert_eq!(python(0.0001), "0.0001");
        let repr = |x: f64| {
            let mut s = String::new();
            write_python_float_repr(x, &mut s);
            s
        };
        assert_eq!(repr(100000.0), "100000.0");
        assert_eq!(repr(1e16), "1e+16");
        assert_eq!(repr(1e15), "1000000000000000.0");
        assert_eq!(repr(-0.0), "-0.0");
        assert_eq!(repr(1.5), "1.5");
        let ocean = |t: &str, int: bool| Number::from_json_literal_python(t, int).to_jq_string();
        assert_eq!(ocean("1.50", false), "1.5");
        assert_eq!(ocean("1E5", false), "100000.0");
        assert_eq!(ocean("1e-07", false), "1E-7");
        assert_eq!(ocean("3.0", false), "3.0");
        assert_eq!(ocean("-0", true), "0");
        assert_eq!(
            ocean("12345678909876543212345", true),
            "12345678909876543212345"
        );
        assert_eq!(ocean("1e400", false), "1.7976931348623157e+308");
        // Ties between two shortest candidates go to the even digit, as in dtoa.
        assert_eq!(python(7417185764839829.0 / 4.0), "1854296441209957.2");
        assert_eq!(python(-8225318530604989.0 / 4.0), "-2056329632651247.2");
        assert_eq!(computed(7417185764839829.0 / 4.0), "1854296441209957.2");
    }

    #[test]
    fn comparisons() {
        let n = |t: &str| Number::from_literal(t).unwrap();
        assert_eq!(n("1.0"), n("1"));
        assert_eq!(n("1.000"), Number::from_f64(1.0));
        assert_eq!(
            n("0.12345678901234567890123456789").cmp_jq(&n("0.12345678901234567890123456788")),
            Ordering::Greater
        );
        assert_eq!(
            n("12345678909876543212345").cmp_jq(&n("12345678909876543212346")),
            Ordering::Less
        );
        assert_eq!(n("-2").cmp_jq(&n("-1.5")), Ordering::Less);
        assert_eq!(n("0").cmp_jq(&n("-0")), Ordering::Equal);
        assert_eq!(n("-1.5").negate().to_jq_string(), "1.5");
        assert_eq!(n("1.50").negate().to_jq_string(), "-1.50");
    }
}
