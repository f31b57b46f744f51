//! A re-implementation of glibc's `strptime` in the C locale, which is what jq 1.8.2
//! calls on Linux. Behaviour, not code, follows glibc 2.3x: numbers skip leading
//! white space and stop reading digits once another digit would exceed the field's
//! maximum, names match case-insensitively, `%Z` swallows a word, `%z` is parsed but
//! (as in jq) has no effect, and weekday/day-of-year are derived at the end the way
//! glibc derives them.

use super::civil::{self, Tm, MONTHS, MON_YDAY, WEEKDAYS};

/// What glibc remembers between conversions (its `struct __strptime_state`).
#[derive(Default)]
struct State {
    have_i: bool,
    is_pm: bool,
    century: Option<i32>,
    want_century: bool,
    want_xday: bool,
    have_wday: bool,
    have_yday: bool,
    have_mon: bool,
    have_mday: bool,
    have_uweek: bool,
    have_wweek: bool,
    week_no: i32,
}

/// Parses `input` with `format` into `tm` (whose untouched fields keep their values).
/// Returns the byte offset where parsing stopped, or `None` where glibc returns NULL.
pub(crate) fn strptime(input: &str, format: &str, tm: &mut Tm) -> Option<usize> {
    let mut state = State::default();
    let end = parse(input.as_bytes(), 0, format.as_bytes(), tm, &mut state)?;
    finish(tm, &state);
    Some(end)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn skip_space(s: &[u8], mut pos: usize) -> usize {
    while s.get(pos).copied().is_some_and(is_space) {
        pos += 1;
    }
    pos
}

/// glibc's `get_number`: skip white space, read at most `max_digits` digits, and
/// stop early when one more digit would exceed `to`.
fn number(s: &[u8], pos: &mut usize, from: i32, to: i32, max_digits: u32) -> Option<i32> {
    let mut p = skip_space(s, *pos);
    if !s.get(p).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut value: i32 = 0;
    let mut left = max_digits;
    loop {
        value = value * 10 + i32::from(s[p] - b'0');
        p += 1;
        left -= 1;
        if left == 0 || value * 10 > to || !s.get(p).is_some_and(u8::is_ascii_digit) {
            break;
        }
    }
    if value < from || value > to {
        return None;
    }
    *pos = p;
    Some(value)
}

/// Case-insensitive prefix match (glibc `match_string`).
fn match_name(s: &[u8], pos: &mut usize, name: &str) -> bool {
    let n = name.len();
    if s.len() >= *pos + n && s[*pos..*pos + n].eq_ignore_ascii_case(name.as_bytes()) {
        *pos += n;
        true
    } else {
        false
    }
}

/// Full name first, then the three-letter abbreviation, for each entry in order.
fn match_names(s: &[u8], pos: &mut usize, names: &[&str]) -> Option<i32> {
    names
        .iter()
        .position(|name| match_name(s, pos, name) || match_name(s, pos, &name[..3]))
        .map(|i| i as i32)
}

fn parse(s: &[u8], mut pos: usize, fmt: &[u8], tm: &mut Tm, st: &mut State) -> Option<usize> {
    let mut f = 0;
    while f < fmt.len() {
        let c = fmt[f];
        if is_space(c) {
            pos = skip_space(s, pos);
            f += 1;
            continue;
        }
        if c != b'%' {
            if s.get(pos) != Some(&c) {
                return None;
            }
            pos += 1;
            f += 1;
            continue;
        }
        f += 1;
        // strftime flags and field widths are accepted and ignored.
        while f < fmt.len() && matches!(fmt[f], b'-' | b'_' | b'0' | b'^' | b'#') {
            f += 1;
        }
        while f < fmt.len() && fmt[f].is_ascii_digit() {
            f += 1;
        }
        // E and O modifiers select locale alternatives, which the C locale lacks.
        if f < fmt.len() && matches!(fmt[f], b'E' | b'O') {
            f += 1;
        }
        let conv = *fmt.get(f)?;
        f += 1;
        pos = conversion(conv, s, pos, tm, st)?;
    }
    Some(pos)
}

fn conversion(conv: u8, s: &[u8], mut pos: usize, tm: &mut Tm, st: &mut State) -> Option<usize> {
    match conv {
        b'%' => {
            if s.get(pos) != Some(&b'%') {
                return None;
            }
            pos += 1;
        }
        b'a' | b'A' => {
            tm.wday = match_names(s, &mut pos, &WEEKDAYS)?;
            st.have_wday = true;
        }
        b'b' | b'B' | b'h' => {
            tm.mon = match_names(s, &mut pos, &MONTHS)?;
            st.have_mon = true;
            st.want_xday = true;
        }
        b'c' => {
            pos = parse(s, pos, b"%a %b %e %H:%M:%S %Y", tm, st)?;
            st.want_xday = true;
        }
        b'C' => {
            st.century = Some(number(s, &mut pos, 0, 99, 2)?);
            st.want_xday = true;
        }
        b'd' | b'e' => {
            tm.mday = number(s, &mut pos, 1, 31, 2)?;
            st.have_mday = true;
            st.want_xday = true;
        }
        b'F' => {
            pos = parse(s, pos, b"%Y-%m-%d", tm, st)?;
            st.want_xday = true;
        }
        b'x' | b'D' => {
            pos = parse(s, pos, b"%m/%d/%y", tm, st)?;
            st.want_xday = true;
        }
        b'k' | b'H' => {
            tm.hour = number(s, &mut pos, 0, 23, 2)?;
            st.have_i = false;
        }
        b'l' | b'I' => {
            tm.hour = number(s, &mut pos, 1, 12, 2)? % 12;
            st.have_i = true;
        }
        b'j' => {
            tm.yday = number(s, &mut pos, 1, 366, 3)? - 1;
            st.have_yday = true;
        }
        b'm' => {
            tm.mon = number(s, &mut pos, 1, 12, 2)? - 1;
            st.have_mon = true;
            st.want_xday = true;
        }
        b'M' => tm.min = number(s, &mut pos, 0, 59, 2)?,
        b'n' | b't' => pos = skip_space(s, pos),
        b'p' => {
            if match_name(s, &mut pos, "AM") {
                st.is_pm = false;
            } else if match_name(s, &mut pos, "PM") {
                st.is_pm = true;
            } else {
                return None;
            }
        }
        b'r' => pos = parse(s, pos, b"%I:%M:%S %p", tm, st)?,
        b'R' => pos = parse(s, pos, b"%H:%M", tm, st)?,
        b's' => {
            // Seconds since the epoch (digits only, as glibc), converted with
            // localtime, which is UTC here.
            let mut p = pos;
            if !s.get(p).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            let mut secs: i64 = 0;
            while let Some(d) = s.get(p).filter(|b| b.is_ascii_digit()) {
                secs = secs.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
                p += 1;
            }
            *tm = civil::gmtime(secs)?;
            pos = p;
        }
        b'S' => tm.sec = number(s, &mut pos, 0, 61, 2)?,
        b'X' | b'T' => pos = parse(s, pos, b"%H:%M:%S", tm, st)?,
        b'u' => {
            tm.wday = number(s, &mut pos, 1, 7, 1)? % 7;
            st.have_wday = true;
        }
        b'g' => {
            number(s, &mut pos, 0, 99, 2)?;
        }
        b'G' => {
            if !s.get(pos).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            while s.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
        }
        b'U' | b'W' => {
            st.week_no = number(s, &mut pos, 0, 53, 2)?;
            if conv == b'U' {
                st.have_uweek = true;
            } else {
                st.have_wweek = true;
            }
        }
        b'V' => {
            number(s, &mut pos, 0, 53, 2)?;
        }
        b'w' => {
            tm.wday = number(s, &mut pos, 0, 6, 1)?;
            st.have_wday = true;
        }
        b'y' => {
            let year = number(s, &mut pos, 0, 99, 2)?;
            tm.year = if year >= 69 { year } else { year + 100 };
            st.want_century = true;
            st.want_xday = true;
        }
        b'Y' => {
            tm.year = number(s, &mut pos, 0, 9999, 4)? - 1900;
            st.want_century = false;
            st.want_xday = true;
        }
        b'Z' => {
            // Read a zone name but do not use it.
            pos = skip_space(s, pos);
            while s.get(pos).is_some_and(|&b| !is_space(b)) {
                pos += 1;
            }
        }
        b'z' => pos = utc_offset(s, pos)?,
        _ => return None,
    }
    Some(pos)
}

/// `%z`: `Z`, `±hh`, `±hhmm` or `±hh:mm`. The offset is validated and dropped:
/// jq's `mktime` ignores `tm_gmtoff`.
fn utc_offset(s: &[u8], pos: usize) -> Option<usize> {
    let mut p = skip_space(s, pos);
    match s.get(p) {
        Some(b'Z') => return Some(p + 1),
        Some(b'+' | b'-') => p += 1,
        _ => return None,
    }
    let mut value = 0;
    let mut digits = 0;
    while digits < 4 && s.get(p).is_some_and(u8::is_ascii_digit) {
        value = value * 10 + i32::from(s[p] - b'0');
        p += 1;
        digits += 1;
    }
    if digits == 2 && s.get(p) == Some(&b':') && s.get(p + 1).is_some_and(u8::is_ascii_digit) {
        p += 1;
        while digits < 4 && s.get(p).is_some_and(u8::is_ascii_digit) {
            value = value * 10 + i32::from(s[p] - b'0');
            p += 1;
            digits += 1;
        }
    }
    match digits {
        2 => Some(p),
        4 if value % 100 < 60 => Some(p),
        _ => None,
    }
}

/// glibc's post-processing once the whole format matched.
fn finish(tm: &mut Tm, st: &State) {
    if st.have_i && st.is_pm {
        tm.hour += 12;
    }
    if let Some(century) = st.century {
        tm.year = if st.want_century {
            tm.year % 100 + (century - 19) * 100
        } else {
            (century - 19) * 100
        };
    }
    let leap = |tm: &Tm| usize::from(civil::is_leap(1900 + i64::from(tm.year)));
    let mut have_mon = st.have_mon;
    let mut have_mday = st.have_mday;
    if st.want_xday && !st.have_wday {
        if !(have_mon && have_mday) && st.have_yday {
            month_and_day_from_yday(tm, have_mon, have_mday, leap(tm));
            have_mon = true;
            have_mday = true;
        }
        civil::glibc_day_of_the_week(tm);
    }
    if st.want_xday && !st.have_yday {
        civil::glibc_day_of_the_year(tm);
    }
    if (st.have_uweek || st.have_wweek) && st.have_wday {
        let save_wday = tm.wday;
        let save_mday = tm.mday;
        let save_mon = tm.mon;
        let w_offset = i32::from(!st.have_uweek);
        tm.mday = 1;
        tm.mon = 0;
        civil::glibc_day_of_the_week(tm);
        if have_mday {
            tm.mday = save_mday;
        }
        if have_mon {
            tm.mon = save_mon;
        }
        if !st.have_yday {
            tm.yday = (7 - (tm.wday - w_offset)) % 7
                + (st.week_no - 1) * 7
                + (save_wday - w_offset + 7) % 7;
        }
        if !have_mday || !have_mon {
            month_and_day_from_yday(tm, have_mon, have_mday, leap(tm));
        }
        tm.wday = save_wday;
    }
}

/// Month and day from the day of the year, scanning glibc's `__mon_yday` table the
/// way glibc does: a day of the year past December runs on into the table's leap
/// row (so week numbers late in a year can yield months past 11, as in glibc).
fn month_and_day_from_yday(tm: &mut Tm, have_mon: bool, have_mday: bool, leap: usize) {
    let flat: Vec<i32> = MON_YDAY.iter().flatten().copied().collect();
    let base = leap * 13;
    let mut t_mon = 0;
    while base + t_mon < flat.len() && flat[base + t_mon] <= tm.yday {
        t_mon += 1;
    }
    let t_mon = t_mon.max(1);
    if !have_mon {
        tm.mon = t_mon as i32 - 1;
    }
    if !have_mday {
        tm.mday = tm.yday - flat[base + t_mon - 1] + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jq's view: fields, with jq's sentinels for weekday/yearday.
    fn parse(input: &str, format: &str) -> Option<(Vec<i32>, String)> {
        let mut tm = Tm {
            wday: 8,
            yday: 367,
            ..Tm::default()
        };
        let end = strptime(input, format, &mut tm)?;
        let fields = vec![
            tm.year + 1900,
            tm.mon,
            tm.mday,
            tm.hour,
            tm.min,
            tm.sec,
            tm.wday,
            tm.yday,
        ];
        Some((fields, input[end..].to_string()))
    }

    // Expected values below were produced by glibc 2.36's strptime (through ctypes).
    #[test]
    fn iso_timestamps() {
        assert_eq!(
            parse("2015-03-05T23:51:47Z", "%Y-%m-%dT%H:%M:%SZ"),
            Some((vec![2015, 2, 5, 23, 51, 47, 4, 63], String::new()))
        );
        assert_eq!(
            parse("2015-03-05T23:51:47.123Z", "%Y-%m-%dT%H:%M:%SZ"),
            None
        );
        assert_eq!(
            parse(" 2015-3-5  x", "%Y-%m-%d"),
            Some((vec![2015, 2, 5, 0, 0, 0, 4, 63], "  x".to_string()))
        );
    }

    #[test]
    fn partial_dates_follow_glibc_derivations() {
        assert_eq!(
            parse("2015", "%Y"),
            Some((vec![2015, 0, 0, 0, 0, 0, 3, -1], String::new()))
        );
        assert_eq!(
            parse("20150", "%Y"),
            Some((vec![2015, 0, 0, 0, 0, 0, 3, -1], "0".to_string()))
        );
        assert_eq!(
            parse("10:30", "%H:%M"),
            Some((vec![1900, 0, 0, 10, 30, 0, 8, 367], String::new()))
        );
        assert_eq!(
            parse("067 2015", "%j %Y"),
            Some((vec![2015, 2, 8, 0, 0, 0, 0, 66], String::new()))
        );
        assert_eq!(parse("99", "%y").unwrap().0[..1], [1999]);
        assert_eq!(parse("68", "%y").unwrap().0[..1], [2068]);
        assert_eq!(parse("20 15", "%C %y").unwrap().0[..1], [2015]);
        assert_eq!(
            parse("20", "%C").unwrap().0,
            vec![2000, 0, 0, 0, 0, 0, 5, -1]
        );
    }

    #[test]
    fn names_zones_and_twelve_hour_clock() {
        assert_eq!(
            parse(
                "Thu, 05 Mar 2015 10:00:00 +0100",
                "%a, %d %b %Y %H:%M:%S %z"
            )
            .unwrap()
            .0,
            vec![2015, 2, 5, 10, 0, 0, 4, 63]
        );
        assert_eq!(
            parse("thursday MARCH 5 2015", "%A %B %e %Y").unwrap().0[..3],
            [2015, 2, 5]
        );
        assert_eq!(parse("12 pm", "%I %p").unwrap().0[3], 12);
        assert_eq!(parse("12 am", "%I %p").unwrap().0[3], 0);
        assert_eq!(parse("1 PM", "%H %p").unwrap().0[3], 1);
        assert_eq!(parse("GMTx y", "%Z").unwrap().1, " y");
        assert!(parse("Z", "%z").is_some());
        assert!(parse("+05:30", "%z").is_some());
        assert!(parse("+0575", "%z").is_none());
        assert!(parse("+5", "%z").is_none());
    }

    #[test]
    fn epoch_seconds_and_composites() {
        assert_eq!(
            parse("1425599507", "%s").unwrap().0,
            vec![2015, 2, 5, 23, 51, 47, 4, 63]
        );
        assert_eq!(
            parse("03/05/15 23:51:47", "%D %T").unwrap().0,
            vec![2015, 2, 5, 23, 51, 47, 4, 63]
        );
        assert_eq!(parse("2015-03-05", "%F").unwrap().0[..3], [2015, 2, 5]);
        assert_eq!(parse("-5", "%s"), None);
        assert_eq!(
            parse("1e", "%s"),
            Some((vec![1970, 0, 1, 0, 0, 1, 4, 0], "e".to_string()))
        );
        assert_eq!(
            parse("Mon Mar  5 10:00:00 2015", "%c").unwrap().0,
            vec![2015, 2, 5, 10, 0, 0, 1, 63]
        );
        assert_eq!(
            parse("Thu 066 2015", "%a %j %Y").unwrap().0,
            vec![2015, 0, 0, 0, 0, 0, 4, 65]
        );
        assert_eq!(
            parse("366 2016", "%j %Y").unwrap().0,
            vec![2016, 11, 31, 0, 0, 0, 6, 365]
        );
        assert_eq!(
            parse("a5", "a%5d").unwrap().0,
            vec![1900, 0, 5, 0, 0, 0, 5, 4]
        );
        assert_eq!(parse("11:05:09 PM", "%r").unwrap().0[3..6], [23, 5, 9]);
    }

    #[test]
    fn out_of_range_fields_fail() {
        assert_eq!(parse("2015-13-01", "%Y-%m-%d"), None);
        assert_eq!(parse("24:00", "%H:%M"), None);
        assert_eq!(
            parse("2015-02-30", "%Y-%m-%d").unwrap().0,
            vec![2015, 1, 30, 0, 0, 0, 1, 60]
        );
        assert_eq!(parse("13", "%I"), None);
        assert_eq!(parse("x", "%q"), None);
        assert_eq!(parse("2015-03-05", "%Y-%m-%d %H"), None);
    }

    #[test]
    fn week_numbers_with_weekday() {
        // Week 10 (Sunday-based), Thursday of 2015: 2015-03-12.
        assert_eq!(
            parse("2015 10 4", "%Y %U %w").unwrap().0,
            vec![2015, 2, 12, 0, 0, 0, 4, 70]
        );
        assert_eq!(
            parse("2015 10 4", "%Y %W %w").unwrap().0,
            vec![2015, 2, 12, 0, 0, 0, 4, 70]
        );
        assert_eq!(
            parse("Thu 2015 10", "%a %Y %W").unwrap().0,
            vec![2015, 2, 12, 0, 0, 0, 4, 70]
        );
    }
}
