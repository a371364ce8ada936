//! One row of `metric_values` and its status symbols, shared by every step of the engine.

use crate::config::queries::MetricKind;

/// Status of a suppressed cell.
pub const SUPPRESSED: &str = "c";
/// Status of a value that cannot be computed (a rate over nothing).
pub const NOT_APPLICABLE: &str = "z";
/// Status of a figure that is not available (the authority did not send the table).
pub const NOT_AVAILABLE: &str = "x";

/// One row of `metric_values`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// Metric id (the query's file stem).
    pub metric: String,
    /// How it is disclosure-controlled.
    pub kind: MetricKind,
    /// ONS code, `ALL`, `SN:<code>` or England's code.
    pub authority_code: String,
    /// Name of the area.
    pub authority_name: String,
    /// Quarter, or DfE reporting year for reference metrics.
    pub period: String,
    /// `''` or a code.
    pub breakdown: String,
    /// Numerator (the count for counts).
    pub numerator: Option<i64>,
    /// Denominator.
    pub denominator: Option<i64>,
    /// The value.
    pub value: Option<f64>,
    /// `''` published, `c` suppressed, `x` not available, `z` not applicable, or a published symbol.
    pub status: String,
}

impl MetricRow {
    /// Empties every figure and gives the row `status` (`c` suppressed, `x` not available).
    pub fn withhold(&mut self, status: &str) {
        self.numerator = None;
        self.denominator = None;
        self.value = None;
        self.status = status.to_string();
    }
}
