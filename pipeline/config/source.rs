//! Sources: the CS return and the statutory returns rni reads beside it.
//!
//! An authority's folder holds its CS return, one folder per quarter
//! (`2025Q3/`), and may hold the statutory returns it already makes: the
//! Children in Need census (`cin/<YYYY>/*.xml`), the SSDA903 looked-after
//! children return (`ssda903/<YYYY>/*.csv`) and Ofsted's Annex A
//! (`annex_a/<YYYY-MM-DD>/*.xlsx`). Every table of the schemas belongs to one
//! source; a return is one source for one period of one authority, and is
//! named in reports and manifests by its label: the quarter for the CS return
//! (`2025Q3`), the folder and period for the others (`cin/2025`).

use serde::Deserialize;

use crate::config::period::Period;
use crate::error::{Error, Result};

/// Where a table comes from.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The Contextual Safeguarding return, one per quarter.
    #[default]
    Cs,
    /// The DfE Children in Need census (XML), one per collection year.
    Cin,
    /// The DfE SSDA903 looked-after children return (CSV tables), one per collection year.
    Ssda903,
    /// Ofsted's Annex A (a workbook of lists), one per date.
    AnnexA,
}

impl Source {
    /// The statutory sources, in the order their folders are read.
    pub const STATUTORY: [Source; 3] = [Source::Cin, Source::Ssda903, Source::AnnexA];

    /// The folder under an authority that holds this source's returns (none for the CS return).
    pub fn folder(self) -> &'static str {
        match self {
            Source::Cs => "",
            Source::Cin => "cin",
            Source::Ssda903 => "ssda903",
            Source::AnnexA => "annex_a",
        }
    }

    /// The source's name in the data dictionary and in messages.
    pub fn title(self) -> &'static str {
        match self {
            Source::Cs => "CS return",
            Source::Cin => "Children in Need census",
            Source::Ssda903 => "SSDA903 looked-after children return",
            Source::AnnexA => "Ofsted Annex A",
        }
    }

    /// The statutory source a folder under an authority is named for (`cin`, `ssda903` or
    /// `903`, `annex_a` or `annex-a`), in any case.
    pub fn for_folder(folder: &str) -> Option<Source> {
        match folder.to_ascii_lowercase().as_str() {
            "cin" => Some(Source::Cin),
            "ssda903" | "903" => Some(Source::Ssda903),
            "annex_a" | "annexa" | "annex-a" => Some(Source::AnnexA),
            _ => None,
        }
    }

    /// The period a folder of this source names: a quarter for the CS return, a collection year
    /// `2025` for CIN and SSDA903, a date `2024-01-15` for Annex A.
    pub fn period(self, folder: &str) -> Option<Period> {
        let period = Period::parse_any(folder).ok()?;
        let fits = match self {
            Source::Cs => period.is_quarter(),
            Source::Cin | Source::Ssda903 => matches!(period, Period::Year(_)),
            Source::AnnexA => matches!(period, Period::Day(_)),
        };
        fits.then_some(period)
    }

    /// How a folder of this source must be named, for messages.
    pub fn period_form(self) -> &'static str {
        match self {
            Source::Cs => "a quarter such as 2025Q3",
            Source::Cin | Source::Ssda903 => "a collection year such as 2025 (the year ending 31 March 2025)",
            Source::AnnexA => "the list's date such as 2024-01-15",
        }
    }

    /// A return's label: `2025Q3` for the CS return, `cin/2025` for a statutory one.
    pub fn label(self, period: Period) -> String {
        match self {
            Source::Cs => period.to_string(),
            other => format!("{}/{period}", other.folder()),
        }
    }

    /// Reads a label written by [`Source::label`].
    pub fn parse_label(label: &str) -> Result<(Source, Period)> {
        let bad = || {
            Error::Usage(format!(
                "`{label}` names no return: write 2025Q3, cin/2025, ssda903/2025 or annex_a/2024-01-15"
            ))
        };
        let (source, period) = match label.split_once('/') {
            None => (Source::Cs, label),
            Some((folder, period)) => (Source::for_folder(folder).ok_or_else(bad)?, period),
        };
        let period = source.period(period).ok_or_else(bad)?;
        if source.label(period) != label {
            return Err(bad());
        }
        Ok((source, period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for label in ["2025Q3", "cin/2025", "ssda903/2024", "annex_a/2024-01-15"] {
            let (source, period) = Source::parse_label(label).expect(label);
            assert_eq!(source.label(period), label);
        }
        for bad in ["2025", "cin/2025Q3", "annex_a/2025", "ssda903/2024-01-15", "x/2025", "CIN/2025"] {
            assert!(Source::parse_label(bad).is_err(), "{bad}");
        }
    }
}
