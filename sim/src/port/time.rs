//! Wall-clock timestamps in Port's ISO-8601 form, without a date crate.
//!
//! Entities carry `createdAt`/`updatedAt`, and `datasource-entities` filters on `before`, so the
//! simulator both prints and parses RFC 3339 date-times.

use crate::generate::time::{civil_from_days, days_from_civil};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `2026-01-02T03:04:05.678Z`, the form Port returns.
pub fn format_iso(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, ms) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// Parses an RFC 3339 date-time (the JSON-schema `date-time` format) to epoch milliseconds.
/// A time-zone designator is required, as ajv's `date-time` requires it.
pub fn parse_iso(text: &str) -> Option<i64> {
    parse(text, true)
}

/// Like [`parse_iso`] but a missing zone means UTC (for lenient query parameters).
pub fn parse_iso_lenient(text: &str) -> Option<i64> {
    parse(text, false)
}

fn parse(text: &str, zone_required: bool) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &frac[..digits.min(3)]);
        millis = padded.parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset_minutes = match rest {
        "" if !zone_required => 0,
        "Z" | "z" => 0,
        zone => {
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (oh, om) = (
                digits[..2].parse::<i64>().ok()?,
                digits[2..].parse::<i64>().ok()?,
            );
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 60 + om)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        for millis in [0, 1_700_000_000_123, 951_782_400_000, -86_400_000] {
            assert_eq!(parse_iso(&format_iso(millis)), Some(millis));
        }
        assert_eq!(format_iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn applies_offsets_and_rejects_bad_dates() {
        assert_eq!(
            parse_iso("2024-01-01T02:00:00+02:00"),
            parse_iso("2024-01-01T00:00:00Z")
        );
        assert_eq!(parse_iso("2024-01-01T00:00:00.5Z"), Some(1_704_067_200_500));
        assert_eq!(parse_iso("2024-01-01T00:00:00"), None);
        assert!(parse_iso_lenient("2024-01-01T00:00:00").is_some());
        assert_eq!(parse_iso("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_iso("2024-01-01"), None);
        assert_eq!(parse_iso("2024-13-01T00:00:00Z"), None);
        for odd in [
            "2024-01-01T00:00:0é",
            "é2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.é",
            "2024-01-01T00:00:00+é",
        ] {
            assert_eq!(parse_iso(odd), None, "{odd}");
        }
    }
}
