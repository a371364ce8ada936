//! Return periods: quarters written `2025Q3`.
//!
//! Every return belongs to one quarter; ages, plausibility rules and metrics
//! are worked out against its first and last day.

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// The calendar year.
    pub year: i32,
    /// 1 to 4.
    pub quarter: u8,
}

impl Period {
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
        Ok(Period { year, quarter })
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

    /// The following quarter.
    pub fn next(self) -> Period {
        if self.quarter == 4 {
            Period { year: self.year + 1, quarter: 1 }
        } else {
            Period { year: self.year, quarter: self.quarter + 1 }
        }
    }

    /// First day of the quarter.
    pub fn start(self) -> NaiveDate {
        let month = u32::from(self.quarter) * 3 - 2;
        NaiveDate::from_ymd_opt(self.year, month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day of the quarter.
    pub fn end(self) -> NaiveDate {
        self.next().start().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// Whether a date falls in the quarter.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}Q{}", self.year, self.quarter)
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
    fn age_counts_birthdays() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        assert_eq!(age_on(d(2010, 9, 30), d(2025, 9, 30)), 15);
        assert_eq!(age_on(d(2010, 10, 1), d(2025, 9, 30)), 14);
    }
}
