//! The few date formats the two APIs use, parsed to epoch milliseconds without a date crate:
//! RFC 3339 (`2023-09-27T16:07:06.6Z`, offsets allowed) and IMF-fixdate HTTP dates
//! (`Sun, 06 Nov 1994 08:49:37 GMT`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12; // March = 0
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn epoch_millis(date: (i64, i64, i64), time: (i64, i64, i64), millis: i64) -> Option<i64> {
    let (year, month, day) = date;
    let (hour, minute, second) = time;
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..=23).contains(&hour)
        && (0..=59).contains(&minute)
        && (0..=60).contains(&second);
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

fn number(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` → epoch ms (fraction truncated to ms).
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = text.split_at_checked(10)?;
    let mut date_parts = date.split('-');
    let year = number(date_parts.next()?)?;
    let month = number(date_parts.next()?)?;
    let day = number(date_parts.next()?)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, mut zone) = rest.split_at_checked(8)?;
    let mut clock_parts = clock.split(':');
    let hour = number(clock_parts.next()?)?;
    let minute = number(clock_parts.next()?)?;
    let second = number(clock_parts.next()?)?;

    let mut millis = 0;
    if let Some(fraction) = zone.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let (fraction_digits, after) = fraction.split_at(digits);
        let padded: String = fraction_digits
            .chars()
            .chain("000".chars())
            .take(3)
            .collect();
        millis = number(&padded)?;
        zone = after;
    }
    let offset_minutes = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (hours, minutes) = zone.get(1..)?.split_once(':')?;
            sign * (number(hours)? * 60 + number(minutes)?)
        }
    };
    let local = epoch_millis((year, month, day), (hour, minute, second), millis)?;
    Some(local - offset_minutes * 60_000)
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) → epoch ms.
pub fn parse_http_date_millis(text: &str) -> Option<i64> {
    let (_, rest) = text.trim().split_once(", ")?;
    let mut parts = rest.split(' ');
    let day = number(parts.next()?)?;
    let month_name = parts.next()?;
    let year = number(parts.next()?)?;
    let clock = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let mut clock_parts = clock.split(':');
    let hour = number(clock_parts.next()?)?;
    let minute = number(clock_parts.next()?)?;
    let second = number(clock_parts.next()?)?;
    epoch_millis((year, month, day), (hour, minute, second), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_variants() {
        assert_eq!(parse_rfc3339_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_millis("2023-09-27T16:07:06.6Z"),
            Some(1_695_830_826_600)
        );
        assert_eq!(
            parse_rfc3339_millis("2023-09-27T16:07:06.123456Z"),
            Some(1_695_830_826_123)
        );
        assert_eq!(
            parse_rfc3339_millis("2023-09-27T18:07:06+02:00"),
            Some(1_695_830_826_000)
        );
        assert_eq!(
            parse_rfc3339_millis("2000-02-29T00:00:00Z"),
            Some(951_782_400_000)
        );
        for bad in [
            "",
            "2023-09-27",
            "2023-13-01T00:00:00Z",
            "2023-09-27T16:07:06",
            "x",
        ] {
            assert_eq!(parse_rfc3339_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date_millis("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(
            parse_http_date_millis("Sun, 06 Nov 1994 08:49:37 PST"),
            None
        );
        assert_eq!(parse_http_date_millis("06 Nov 1994"), None);
    }
}
