//! A re-implementation of glibc's `strftime` in the C locale for a normalised UTC
//! `struct tm` — the behaviour jq 1.8.2 gets on Linux. Supports glibc's flags
//! (`_ - 0 ^ #`), field widths and the `E`/`O` modifiers (no-ops in the C locale);
//! an unknown conversion is copied to the output as written.

use super::civil::{self, Tm, MONTHS, WEEKDAYS};

/// One conversion's flags and width.
#[derive(Clone, Copy, Default)]
struct Spec {
    /// `_`, `-` or `0` when given.
    pad: Option<u8>,
    upcase: bool,
    swap_case: bool,
    width: Option<usize>,
}

/// Formats `tm` (already normalised by `timegm`); `zone` is what `%Z` prints.
pub(crate) fn strftime(format: &str, tm: &Tm, zone: &str) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let (consumed, text) = conversion(&rest[at..], tm, zone);
        out.push_str(&text);
        rest = &rest[at + consumed..];
    }
    out.push_str(rest);
    out
}

/// Formats the conversion at the start of `spec_text` (which begins with `%`) and
/// returns how many bytes it used.
fn conversion(spec_text: &str, tm: &Tm, zone: &str) -> (usize, String) {
    let bytes = spec_text.as_bytes();
    let mut i = 1;
    let mut spec = Spec::default();
    while let Some(&b) = bytes.get(i) {
        match b {
            b'_' | b'-' | b'0' => spec.pad = Some(b),
            b'^' => spec.upcase = true,
            b'#' => spec.swap_case = true,
            _ => break,
        }
        i += 1;
    }
    let width_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i > width_start {
        spec.width = spec_text[width_start..i].parse().ok();
    }
    if matches!(bytes.get(i), Some(b'E' | b'O')) {
        i += 1;
    }
    let Some(conv) = spec_text[i..].chars().next() else {
        // A lone `%` (with flags) at the end is copied.
        return (spec_text.len(), spec_text.to_string());
    };
    let used = i + conv.len_utf8();
    match format_one(conv, spec, tm, zone) {
        Some(text) => (used, text),
        None => (used, spec_text[..used].to_string()),
    }
}

fn format_one(conv: char, spec: Spec, tm: &Tm, zone: &str) -> Option<String> {
    let year = i64::from(tm.year) + 1900;
    let hour12 = match tm.hour % 12 {
        0 => 12,
        h => h,
    };
    let weekday = WEEKDAYS.get(tm.wday as usize).copied().unwrap_or("?");
    let month = MONTHS.get(tm.mon as usize).copied().unwrap_or("?");
    let number = |value: i64, digits: usize| pad_number(value, digits, b'0', spec);
    let spaced = |value: i64| pad_number(value, 2, b' ', spec);
    let text = |s: &str, upcase_on_swap: bool| {
        let s = if spec.upcase || (spec.swap_case && upcase_on_swap) {
            s.to_ascii_uppercase()
        } else if spec.swap_case {
            s.to_ascii_lowercase()
        } else {
            s.to_string()
        };
        pad_text(s, spec)
    };
    let composite = |fmt: &str| text(&strftime(fmt, tm, zone), false);
    Some(match conv {
        '%' => text("%", false),
        'a' => text(&weekday[..3.min(weekday.len())], true),
        'A' => text(weekday, true),
        'b' | 'h' => text(&month[..3.min(month.len())], true),
        'B' => text(month, true),
        'c' => composite("%a %b %e %H:%M:%S %Y"),
        'C' => number(year.div_euclid(100), 1),
        'd' => number(i64::from(tm.mday), 2),
        'D' | 'x' => composite("%m/%d/%y"),
        'e' => spaced(i64::from(tm.mday)),
        'F' => composite("%Y-%m-%d"),
        'g' => number(iso_week(tm).0.rem_euclid(100), 2),
        'G' => number(iso_week(tm).0, 1),
        'H' => number(i64::from(tm.hour), 2),
        'I' => number(i64::from(hour12), 2),
        'j' => number(i64::from(tm.yday) + 1, 3),
        'k' => spaced(i64::from(tm.hour)),
        'l' => spaced(i64::from(hour12)),
        'm' => number(i64::from(tm.mon) + 1, 2),
        'M' => number(i64::from(tm.min), 2),
        'n' => text("\n", false),
        'p' => text(if tm.hour >= 12 { "PM" } else { "AM" }, false),
        'P' => text(if tm.hour >= 12 { "pm" } else { "am" }, false),
        'r' => composite("%I:%M:%S %p"),
        'R' => composite("%H:%M"),
        's' => {
            let mut copy = *tm;
            number(civil::timegm(&mut copy).unwrap_or(-1), 1)
        }
        'S' => number(i64::from(tm.sec), 2),
        't' => text("\t", false),
        'T' | 'X' => composite("%H:%M:%S"),
        'u' => number(i64::from((tm.wday + 6) % 7 + 1), 1),
        'U' => number(i64::from((tm.yday - tm.wday + 7) / 7), 2),
        'V' => number(iso_week(tm).1, 2),
        'w' => number(i64::from(tm.wday), 1),
        'W' => number(i64::from((tm.yday - (tm.wday + 6) % 7 + 7) / 7), 2),
        'y' => number(year.rem_euclid(100), 2),
        'Y' => number(year, 1),
        'z' => text("+0000", false),
        'Z' => {
            let s = if spec.swap_case {
                zone.to_ascii_lowercase()
            } else {
                zone.to_string()
            };
            text(&s, false)
        }
        _ => return None,
    })
}

/// Pads a number glibc-style: `digits` is the default minimum width, `default_pad`
/// the default fill; `-` disables the default padding, `_`/`0` pick the fill.
fn pad_number(value: i64, digits: usize, default_pad: u8, spec: Spec) -> String {
    let magnitude = value.unsigned_abs().to_string();
    let sign = if value < 0 { "-" } else { "" };
    let (fill, width) = match (spec.pad, spec.width) {
        (Some(b'-'), None) => return format!("{sign}{magnitude}"),
        (Some(b'-') | Some(b'_'), Some(w)) => (b' ', w),
        (Some(b'_'), None) => (b' ', digits),
        (Some(b'0'), w) => (b'0', w.unwrap_or(digits)),
        (_, Some(w)) => (if default_pad == b' ' { b' ' } else { b'0' }, w),
        (_, None) => (default_pad, digits),
    };
    let len = sign.len() + magnitude.len();
    if len >= width {
        return format!("{sign}{magnitude}");
    }
    let padding = String::from(fill as char).repeat(width - len);
    if fill == b'0' {
        format!("{sign}{padding}{magnitude}")
    } else {
        format!("{padding}{sign}{magnitude}")
    }
}

/// Pads text to the field width: spaces, or zeros with the `0` flag (as glibc does).
fn pad_text(s: String, spec: Spec) -> String {
    let len = s.chars().count();
    match spec.width {
        Some(w) if w > len => {
            let fill = if spec.pad == Some(b'0') { '0' } else { ' ' };
            let mut out: String = std::iter::repeat_n(fill, w - len).collect();
            out.push_str(&s);
            out
        }
        _ => s,
    }
}

/// ISO 8601 week-based year and week number of a normalised `tm`.
fn iso_week(tm: &Tm) -> (i64, i64) {
    // Days since the Monday of ISO week 1 (glibc's `iso_week_days`).
    fn week_days(yday: i64, wday: i64) -> i64 {
        let big_enough_multiple_of_7 = (366 / 7 + 2) * 7;
        yday - (yday - wday + 4 + big_enough_multiple_of_7) % 7 + 3
    }
    let year = i64::from(tm.year) + 1900;
    let (yday, wday) = (i64::from(tm.yday), i64::from(tm.wday));
    let mut days = week_days(yday, wday);
    let mut iso_year = year;
    if days < 0 {
        iso_year -= 1;
        days = week_days(yday + 365 + i64::from(civil::is_leap(year - 1)), wday);
    } else {
        let next = week_days(yday - (365 + i64::from(civil::is_leap(year))), wday);
        if next >= 0 {
            iso_year += 1;
            days = next;
        }
    }
    (iso_year, days / 7 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tm(fields: &[i32]) -> Tm {
        let mut f = [0; 6];
        f[..fields.len()].copy_from_slice(fields);
        let mut tm = Tm {
            year: f[0] - 1900,
            mon: f[1],
            mday: f[2],
            hour: f[3],
            min: f[4],
            sec: f[5],
            ..Tm::default()
        };
        civil::timegm(&mut tm).unwrap();
        tm
    }

    // Expected strings were produced by glibc 2.36's strftime (through ctypes).
    #[test]
    fn conversions_match_glibc() {
        let t = tm(&[2015, 2, 5, 23, 51, 47]);
        assert_eq!(
            strftime("%Y-%m-%dT%H:%M:%SZ", &t, "GMT"),
            "2015-03-05T23:51:47Z"
        );
        assert_eq!(
            strftime("%a %A %b %B %h", &t, "GMT"),
            "Thu Thursday Mar March Mar"
        );
        assert_eq!(
            strftime(
                "%-5d|%_5d|%05d|%5d|%-y|%5a|%-5a|%_5a|%05a|%^B|%10B|%3j|%-j|%H%%",
                &tm(&[2015, 2, 5, 23]),
                "GMT"
            ),
            "    5|    5|00005|00005|15|  Thu|  Thu|  Thu|00Thu|MARCH|     March|064|64|23%"
        );
        assert_eq!(
            strftime(
                "%I %l %r %R %T %X %x %k %-k %p %P %n%t|",
                &tm(&[2015, 2, 5, 3, 1, 7]),
                "GMT"
            ),
            "03  3 03:01:07 AM 03:01 03:01:07 03:01:07 03/05/15  3 3 AM am \n\t|"
        );
        assert_eq!(
            strftime("%c|%s|%Z|%z|%#Z|%q|%", &t, "GMT"),
            "Thu Mar  5 23:51:47 2015|1425599507|GMT|+0000|gmt|%q|%"
        );
        assert_eq!(
            strftime("%F %a %j", &tm(&[2024, 1, 30]), "GMT"),
            "2024-03-01 Fri 061"
        );
    }

    #[test]
    fn years_and_iso_weeks_match_glibc() {
        let cases: [(i32, &str); 4] = [
            (
                99,
                "99|0|99|99|99|99-01-01|01/01/99| 1|001|00|00|01|4|4|0000000099|THU|am",
            ),
            (
                5,
                "5|0|05|4|04|5-01-01|01/01/05| 1|001|00|00|53|6|6|0000000005|SAT|am",
            ),
            (
                -5,
                "-5|-1|95|-6|94|-5-01-01|01/01/95| 1|001|01|00|52|7|0|-000000005|SUN|am",
            ),
            (
                12345,
                "12345|123|45|12345|45|12345-01-01|01/01/45| 1|001|00|01|01|1|1|0000012345|MON|am",
            ),
        ];
        for (year, expected) in cases {
            let got = strftime(
                "%Y|%C|%y|%G|%g|%F|%D|%e|%j|%U|%W|%V|%u|%w|%10Y|%#a|%#p",
                &tm(&[year, 0, 1]),
                "GMT",
            );
            assert_eq!(got, expected, "year {year}");
        }
        assert_eq!(
            strftime("%G %g %V %U %W", &tm(&[2021, 0, 1]), "GMT"),
            "2020 20 53 00 00"
        );
        assert_eq!(
            strftime("%G %g %V %U %W", &tm(&[2020, 11, 31]), "GMT"),
            "2020 20 53 52 52"
        );
        assert_eq!(strftime("%G-%V", &tm(&[2027, 0, 1]), "GMT"), "2026-53");
    }
}
