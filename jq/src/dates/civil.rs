//! Calendar arithmetic on C-style broken-down time (`struct tm`), UTC only.
//!
//! jq hands dates to libc (`timegm`, `gmtime_r`, glibc `strptime`/`strftime`); these
//! functions reproduce what glibc does with the same fields, including its
//! normalisation of out-of-range fields.

/// The fields of C's `struct tm` that jq reads or writes. `year` counts from 1900
/// and `mon` from 0, as in C; every field is a C `int`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tm {
    pub year: i32,
    pub mon: i32,
    pub mday: i32,
    pub hour: i32,
    pub min: i32,
    pub sec: i32,
    pub wday: i32,
    pub yday: i32,
}

const SECS_PER_DAY: i64 = 86_400;

/// Cumulative days before each month, for common and leap years (glibc `__mon_yday`).
pub(crate) const MON_YDAY: [[i32; 13]; 2] = [
    [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365],
    [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366],
];

pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` 1..=12).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `(year, month 1..=12, day)` of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `gmtime_r`: seconds since the epoch to broken-down UTC time. `None` when the
/// year does not fit a C `int` (glibc fails with EOVERFLOW).
pub(crate) fn gmtime(secs: i64) -> Option<Tm> {
    let days = secs.div_euclid(SECS_PER_DAY);
    let rem = secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let tm_year = i32::try_from(year - 1900).ok()?;
    Some(Tm {
        year: tm_year,
        mon: (month - 1) as i32,
        mday: day as i32,
        hour: (rem / 3600) as i32,
        min: (rem % 3600 / 60) as i32,
        sec: (rem % 60) as i32,
        wday: (days + 4).rem_euclid(7) as i32,
        yday: (days - days_from_civil(year, 1, 1)) as i32,
    })
}

/// `timegm`: normalises every field of `tm` (wday and yday recomputed, overflowing
/// fields carried) and returns seconds since the epoch. `None` (glibc: -1 with
/// EOVERFLOW, `tm` untouched) when the normalised year does not fit a C `int`.
pub(crate) fn timegm(tm: &mut Tm) -> Option<i64> {
    let months = i64::from(tm.year) * 12 + i64::from(tm.mon);
    let year = 1900 + months.div_euclid(12);
    let month = months.rem_euclid(12) + 1;
    let days = days_from_civil(year, month, 1) + i64::from(tm.mday) - 1;
    let secs = days * SECS_PER_DAY
        + i64::from(tm.hour) * 3600
        + i64::from(tm.min) * 60
        + i64::from(tm.sec);
    let normalised = gmtime(secs)?;
    *tm = normalised;
    Some(secs)
}

/// glibc strptime's `day_of_the_week`: weekday from year, month and day, where the
/// day may be 0 (the last day of the previous month).
pub(crate) fn glibc_day_of_the_week(tm: &mut Tm) {
    let mon = tm.mon.clamp(0, 11) as usize;
    let days = days_from_civil(1900 + i64::from(tm.year), 1, 1)
        + i64::from(MON_YDAY[0][mon])
        + i64::from(is_leap(1900 + i64::from(tm.year)) && mon >= 2)
        + i64::from(tm.mday)
        - 1;
    tm.wday = (days + 4).rem_euclid(7) as i32;
}

/// glibc strptime's `day_of_the_year`.
pub(crate) fn glibc_day_of_the_year(tm: &mut Tm) {
    let leap = usize::from(is_leap(1900 + i64::from(tm.year)));
    let mon = tm.mon.clamp(0, 11) as usize;
    tm.yday = MON_YDAY[leap][mon] + tm.mday - 1;
}

/// jq's own `set_tm_wday` (Gauss's algorithm), used when libc left the sentinel.
pub(crate) fn jq_set_tm_wday(tm: &mut Tm) {
    let full_year = 1900 + i64::from(tm.year);
    let century = full_year / 100;
    let mut year = full_year % 100;
    if tm.mon < 2 {
        year -= 1;
    }
    let mut mon = i64::from(tm.mon) - 1;
    if mon < 1 {
        mon += 12;
    }
    let mut wday = (i64::from(tm.mday)
        + (2.6 * mon as f64 - 0.2).floor() as i64
        + year
        + (year as f64 / 4.0).floor() as i64
        + (century as f64 / 4.0).floor() as i64
        - 2 * century)
        % 7;
    if wday < 0 {
        wday += 7;
    }
    tm.wday = wday as i32;
}

/// jq's own `set_tm_yday`, used when libc left the sentinel.
pub(crate) fn jq_set_tm_yday(tm: &mut Tm) {
    let year = 1900 + i64::from(tm.year);
    let leap_day = i32::from(tm.mon > 1 && is_leap(year));
    let mut mon = tm.mon.unsigned_abs() as usize;
    if mon > 11 {
        mon %= 12;
    }
    tm.yday = MON_YDAY[0][mon] + leap_day + tm.mday - 1;
}

/// C-locale day names (`%A`; `%a` is the first three letters).
pub(super) const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
/// C-locale month names (`%B`; `%b` is the first three letters).
pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_over_a_wide_range() {
        for days in (-1_000_000..1_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn gmtime_matches_known_instants() {
        let tm = gmtime(1_425_599_507).unwrap();
        assert_eq!(
            [tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec, tm.wday, tm.yday],
            [115, 2, 5, 23, 51, 47, 4, 63]
        );
        let before_epoch = gmtime(-1).unwrap();
        assert_eq!(
            (before_epoch.year, before_epoch.yday, before_epoch.sec),
            (69, 364, 59)
        );
        assert_eq!(gmtime(i64::MAX / 2), None);
    }

    #[test]
    fn timegm_normalises_like_glibc() {
        // 2024-01-32 is 2024-02-01; month 12 carries into the next year.
        let mut tm = Tm {
            year: 124,
            mon: 0,
            mday: 32,
            ..Tm::default()
        };
        assert_eq!(timegm(&mut tm), Some(1_706_745_600));
        assert_eq!((tm.mon, tm.mday, tm.wday, tm.yday), (1, 1, 4, 31));
        let mut tm = Tm {
            year: 123,
            mon: 12,
            mday: 1,
            hour: -1,
            ..Tm::default()
        };
        timegm(&mut tm).unwrap();
        assert_eq!((tm.year, tm.mon, tm.mday, tm.hour), (123, 11, 31, 23));
        let mut tm = Tm {
            year: 124,
            mon: 8,
            mday: 21,
            ..Tm::default()
        };
        assert_eq!(timegm(&mut tm), Some(1_726_876_800));
    }

    #[test]
    fn weekday_helpers_agree_with_gmtime() {
        for days in (-40_000..60_000).step_by(13) {
            let tm = gmtime(days * SECS_PER_DAY).unwrap();
            let mut glibc = Tm {
                wday: 8,
                yday: 367,
                ..tm
            };
            glibc_day_of_the_week(&mut glibc);
            glibc_day_of_the_year(&mut glibc);
            assert_eq!((glibc.wday, glibc.yday), (tm.wday, tm.yday), "{tm:?}");
            let mut jq = Tm {
                wday: 8,
                yday: 367,
                ..tm
            };
            jq_set_tm_yday(&mut jq);
            assert_eq!(jq.yday, tm.yday);
            // jq documents that Gauss's formula is right from 1900-03-01 to 2100-02-28.
            if (0..200).contains(&tm.year) && !(tm.year == 0 && tm.mon < 2) {
                jq_set_tm_wday(&mut jq);
                assert_eq!(jq.wday, tm.wday, "{tm:?}");
            }
        }
    }

    #[test]
    fn glibc_day_zero_is_last_day_of_previous_month() {
        // strptime("%Y") leaves mday 0: glibc reports Dec 31 of the previous year.
        let mut tm = Tm {
            year: 115,
            ..Tm::default()
        };
        glibc_day_of_the_week(&mut tm);
        glibc_day_of_the_year(&mut tm);
        assert_eq!((tm.wday, tm.yday), (3, -1));
    }
}
