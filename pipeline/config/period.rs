//! Return periods: quarters written `2025Q3`, collection years `2025`, snapshot dates `2025-01-31`.
//!
//! Every CS return belongs to one quarter. The statutory returns have their own
//! periods: the CIN census and SSDA903 cover a collection year (`2025` = 1 April
//! 2024 to 31 March 2025), Ofsted's Annex A lists the twelve months up to its
//! date. Ages, plausibility rules and metrics are worked out against a period's
//! first and last day.

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};

/// The period a return covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// A calendar quarter (the CS return).
    Quarter {
        /// The calendar year.
        year: i32,
        /// 1 to 4.
        quarter: u8,
    },
    /// A collection year ending 31 March of `year` (CIN census, SSDA903).
    Year(i32),
    /// The twelve months ending on a day (Ofsted Annex A).
    Day(NaiveDate),
}

impl Period {
    /// A quarter.
    pub fn quarter(year: i32, quarter: u8) -> Period {
        Period::Quarter { year, quarter }
    }

    /// Whether this is a quarter (a CS return's period).
    pub fn is_quarter(self) -> bool {
        matches!(self, Period::Quarter { .. })
    }

    /// The year of the period's last day.
    pub fn year(self) -> i32 {
        self.end().year()
    }

    /// Parses a period as a folder names it: a quarter `2025Q3`, a collection year `2025`
    /// or a date `2025-01-31`.
    pub fn parse_any(text: &str) -> Result<Period> {
        let t = text.trim();
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            let year: i32 = t.parse().map_err(|_| Error::Usage(format!("`{text}` is not a period")))?;
            if (1900..=9999).contains(&year) {
                return Ok(Period::Year(year));
            }
        }
        if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
            && t.len() == 10
        {
            return Ok(Period::Day(day));
        }
        Period::parse(t).map_err(|_| {
            Error::Usage(format!("`{text}` is not a period; write a quarter 2025Q3, a year 2025 or a date 2025-01-31"))
        })
    }

    /// Parses `2025Q3` (case-insensitive, an optional `-` before the Q).
    pub fn parse(text: &str) -> Result<Period> {
        let upper = text.trim().to_ascii_uppercase().replace('-', "");
        let bad = || Error::Usage(format!("`{text}` is not a period; write a quarter as 2025Q3"));
        let (year, quarter) = upper.split_once('Q').ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let quarter: u8 = quarter.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&quarter) || !(1900..=9999).contains(&year) {
            return Err(bad());
        }
        Ok(Period::Quarter { year, quarter })
    }

    /// Parses a range `2025Q1..2025Q4` (or a single period) into every quarter in it.
    pub fn parse_range(text: &str) -> Result<Vec<Period>> {
        let (first, last) = match text.split_once("..") {
            Some((a, b)) => (Period::parse(a)?, Period::parse(b)?),
            None => {
                let p = Period::parse(text)?;
                (p, p)
            }
        };
        if last < first {
            return Err(Error::Usage(format!("period range `{text}` ends before it starts")));
        }
        let mut out = vec![first];
        while let Some(&p) = out.last() {
            if p == last {
                break;
            }
            out.push(p.next());
        }
        Ok(out)
    }

    /// The following period of the same kind.
    pub fn next(self) -> Period {
        match self {
            Period::Quarter { year, quarter: 4 } => Period::Quarter { year: year + 1, quarter: 1 },
            Period::Quarter { year, quarter } => Period::Quarter { year, quarter: quarter + 1 },
            Period::Year(year) => Period::Year(year + 1),
            Period::Day(day) => Period::Day(day.succ_opt().unwrap_or(day)),
        }
    }

    /// First day of the period.
    pub fn start(self) -> NaiveDate {
        match self {
            Period::Quarter { year, quarter } => {
                NaiveDate::from_ymd_opt(year, u32::from(quarter) * 3 - 2, 1).unwrap_or(NaiveDate::MIN)
            }
            Period::Year(year) => NaiveDate::from_ymd_opt(year - 1, 4, 1).unwrap_or(NaiveDate::MIN),
            Period::Day(day) => day
                .with_year(day.year() - 1)
                .or_else(|| NaiveDate::from_ymd_opt(day.year() - 1, 2, 28))
                .and_then(|d| d.succ_opt())
                .unwrap_or(NaiveDate::MIN),
        }
    }

    /// Last day of the period.
    pub fn end(self) -> NaiveDate {
        match self {
            Period::Quarter { .. } => self.next().start().pred_opt().unwrap_or(NaiveDate::MAX),
            Period::Year(year) => NaiveDate::from_ymd_opt(year, 3, 31).unwrap_or(NaiveDate::MAX),
            Period::Day(day) => day,
        }
    }

    /// Whether a date falls in the period.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Quarter { year, quarter } => write!(f, "{year}Q{quarter}"),
            Period::Year(year) => write!(f, "{year}"),
            Period::Day(day) => write!(f, "{}", day.format("%Y-%m-%d")),
        }
    }
}

/// Whole years between a birth date and a later date.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_have_the_right_days() {
        let q3 = Period::parse("2025q3").expect("parse");
        assert_eq!(q3.to_string(), "2025Q3");
        assert_eq!(q3.start(), NaiveDate::from_ymd_opt(2025, 7, 1).expect("date"));
        assert_eq!(q3.end(), NaiveDate::from_ymd_opt(2025, 9, 30).expect("date"));
        let q4 = Period::parse("2025-Q4").expect("parse");
        assert_eq!(q4.end(), NaiveDate::from_ymd_opt(2025, 12, 31).expect("date"));
    }

    #[test]
    fn ranges_cross_years() {
        let r = Period::parse_range("2024Q4..2025Q2").expect("range");
        let names: Vec<String> = r.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2024Q4", "2025Q1", "2025Q2"]);
        assert!(Period::parse_range("2025Q2..2025Q1").is_err());
        assert!(Period::parse("2025Q5").is_err());
        assert!(Period::parse("Q3").is_err());
    }

    #[test]
    fn statutory_periods() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        let year = Period::parse_any("2025").expect("year");
        assert_eq!((year.start(), year.end()), (d(2024, 4, 1), d(2025, 3, 31)));
        assert_eq!(year.to_string(), "2025");
        let day = Period::parse_any("2024-01-15").expect("day");
        assert_eq!((day.start(), day.end()), (d(2023, 1, 16), d(2024, 1, 15)));
        assert_eq!(day.to_string(), "2024-01-15");
        let leap = Period::parse_any("2024-02-29").expect("leap day");
        assert_eq!(leap.start(), d(2023, 3, 1));
        assert_eq!(Period::parse_any("2025q3").expect("quarter"), Period::quarter(2025, 3));
        assert!(Period::parse("2025").is_err(), "options take quarters only");
        assert!(Period::parse_any("25").is_err() && Period::parse_any("2025-13-01").is_err());
    }

    #[test]
    fn age_counts_birthdays() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        assert_eq!(age_on(d(2010, 9, 30), d(2025, 9, 30)), 15);
        assert_eq!(age_on(d(2010, 10, 1), d(2025, 9, 30)), 14);
    }
}
