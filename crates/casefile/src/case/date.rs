//! Dates of stated precision: a year, a month, a day, or a range of them.

use time::{Date, Month};

/// Checks `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `FROM/TO` (each side one of those,
/// FROM not after TO). Returns why not, for the error message.
pub fn check(text: &str) -> Result<(), String> {
    match text.split_once('/') {
        Some((from, to)) => {
            let a = parse_one(from)?;
            let b = parse_one(to)?;
            if a.0 > b.1 {
                return Err(format!("{text:?} ends before it starts"));
            }
            Ok(())
        }
        None => parse_one(text).map(|_| ()),
    }
}

/// Whether `end` cannot be as late as `start`: the latest day it can mean
/// is before the earliest day `start` can. Dates that do not parse are
/// left to [`check`].
pub fn ends_before(start: &str, end: &str) -> bool {
    match (span(start), span(end)) {
        (Ok((earliest, _)), Ok((_, latest))) => latest < earliest,
        _ => false,
    }
}

/// The earliest and latest day a date or range can mean.
fn span(text: &str) -> Result<(Date, Date), String> {
    match text.split_once('/') {
        Some((from, to)) => Ok((parse_one(from)?.0, parse_one(to)?.1)),
        None => parse_one(text),
    }
}

/// The earliest and latest day a date of any precision can mean.
fn parse_one(text: &str) -> Result<(Date, Date), String> {
    let bad = || format!("{text:?} is not a date (use YYYY, YYYY-MM, YYYY-MM-DD or FROM/TO)");
    let parts: Vec<&str> = text.split('-').collect();
    let num = |s: &str, len: usize| -> Result<u32, String> {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let year = num(parts.first().copied().unwrap_or(""), 4)? as i32;
    let month = |m: u32| Month::try_from(m as u8).map_err(|_| format!("{text:?} has no month {m}"));
    let day = |y: i32, m: Month, d: u8| {
        Date::from_calendar_date(y, m, d)
            .map_err(|_| format!("{text:?} is not a day of the calendar"))
    };
    match parts.len() {
        1 => Ok((
            day(year, Month::January, 1)?,
            day(year, Month::December, 31)?,
        )),
        2 => {
            let m = month(num(parts[1], 2)?)?;
            Ok((day(year, m, 1)?, day(year, m, m.length(year))?))
        }
        3 => {
            let m = month(num(parts[1], 2)?)?;
            let d = day(year, m, num(parts[2], 2)? as u8)?;
            Ok((d, d))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::{check, ends_before};

    #[test]
    fn an_end_before_its_start() {
        assert!(ends_before("2024-05-10", "2024-05-01"));
        assert!(ends_before("2024", "2023-12"));
        assert!(!ends_before("2024-05", "2024-05-01"), "may be the same day");
        assert!(!ends_before("2024-05-01", "2024"));
        assert!(!ends_before("2020/2024", "2021"));
        assert!(!ends_before("soon", "2021"), "left to check");
    }

    #[test]
    fn precisions_and_ranges() {
        for ok in [
            "1975",
            "1975-04",
            "1975-04-30",
            "1970/1975",
            "2024-02-29",
            "2023-12/2024-01-15",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "75",
            "1975-13",
            "1975-02-30",
            "2023-02-29",
            "1980/1970",
            "1975-4-1",
            "soon",
            "1975/",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
