//! Calendar quarters, as CMS's quarterly files (ZIP-locality, CLFS, ASP) take effect: each
//! id type names its quarter by year and number and asks here for its days.

use chrono::{Datelike, NaiveDate};

/// The quarter's first day: when a quarterly file takes effect.
pub fn first_day(year: u16, quarter: u8) -> NaiveDate {
    NaiveDate::from_ymd_opt(i32::from(year), u32::from(quarter) * 3 - 2, 1)
        .expect("a quarter's first day is a date")
}

/// The quarter's last day.
pub fn last_day(year: u16, quarter: u8) -> NaiveDate {
    let (year, month) = if quarter == 4 {
        (i32::from(year) + 1, 1)
    } else {
        (i32::from(year), u32::from(quarter) * 3 + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.pred_opt())
        .expect("a quarter's last day is a date")
}

/// The year and quarter holding `date`.
pub fn of(date: NaiveDate) -> Option<(u16, u8)> {
    Some((
        u16::try_from(date.year()).ok()?,
        (date.month0() / 3 + 1) as u8,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_run_from_their_first_to_their_last_day() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(first_day(2025, 4), day(2025, 10, 1));
        assert_eq!(last_day(2025, 4), day(2025, 12, 31));
        assert_eq!(last_day(2024, 1), day(2024, 3, 31));
        assert_eq!(of(day(2025, 11, 3)), Some((2025, 4)));
    }
}
