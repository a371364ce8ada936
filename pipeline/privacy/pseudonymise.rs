//! Pseudonymisation: validated raw rows → safe Arrow record batches.
//!
//! The boundary of the pipeline. [`SafeBatch`] can only be made here, from
//! the output columns the schema defines: identifiers become keyed pseudonyms
//! ([`crate::privacy::keys`]), dates of birth become `birth_month` and
//! `age_at_period_end`, postcodes become districts, ethnicity gains its
//! five-group, free text is scrubbed ([`crate::privacy::scrub`]) and direct
//! identifiers are left behind. Anything unexpected is an error that drops
//! the table's output (fail closed): no code path copies a raw identifier or
//! raw free text into a batch.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow::record_batch::RecordBatch;
use chrono::{Datelike, NaiveDate};
use regex::Regex;

use crate::config::period::{Period, age_on};
use crate::config::schema::{ColumnType, IdKind, Method, TableSchema, Treatment, ethnic_group};
use crate::error::{Error, Result};
use crate::ingest::validate::{ValidRow, Value};
use crate::privacy::keys::Pseudonymiser;
use crate::privacy::scrub::{Scrubber, person_token};

/// A record batch that holds only pseudonymised, generalised or scrubbed data.
#[derive(Debug, Clone)]
pub struct SafeBatch {
    batch: RecordBatch,
}

impl SafeBatch {
    /// The Arrow batch, ready to write.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }
}

/// Pseudonymises the rows of one table of one return.
pub struct TablePseudonymiser<'a> {
    schema: &'a TableSchema,
    pseudonymiser: &'a Pseudonymiser,
    authority_code: &'a str,
    period: Period,
    scrubber: &'a Scrubber,
    /// Postcodes that were not valid UK postcodes (their district is left empty).
    pub postcodes_malformed: usize,
    /// The pseudonyms of the schools met so far: a return names a few hundred schools over
    /// thousands of rows, so each is keyed once.
    schools: std::collections::HashMap<String, String>,
}

/// Most schools whose pseudonyms a table keeps (a table naming more keys the rest each time).
const SCHOOLS_KEPT: usize = 100_000;

fn days_since_epoch(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

/// The outward code of a UK postcode (`UB8 1QX` → `UB8`), or `None` when malformed.
pub fn postcode_district(postcode: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$").ok()).as_ref()?;
    let compact: String = postcode.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect();
    re.is_match(&compact).then(|| compact[..compact.len() - 3].to_string())
}

impl<'a> TablePseudonymiser<'a> {
    /// A pseudonymiser for one table of the return of `authority_code` for `period`.
    pub fn new(
        schema: &'a TableSchema,
        pseudonymiser: &'a Pseudonymiser,
        authority_code: &'a str,
        period: Period,
        scrubber: &'a Scrubber,
    ) -> Self {
        TablePseudonymiser {
            schema,
            pseudonymiser,
            authority_code,
            period,
            scrubber,
            postcodes_malformed: 0,
            schools: std::collections::HashMap::new(),
        }
    }

    /// The column of the row's young person (a person id, not a list), when the table also
    /// has free text to scrub for them.
    fn owner_column(&self) -> Option<usize> {
        let has_text = self.schema.columns.iter().any(|c| matches!(c.treatment, Treatment::Scrub));
        let person = self.schema.columns.iter().position(|c| {
            matches!(c.treatment, Treatment::Pseudonymise { kind: IdKind::Person, .. })
                && !matches!(c.column_type, ColumnType::IdList)
        });
        person.filter(|_| has_text)
    }

    /// Turns validated rows into a safe batch, or fails without producing anything.
    pub fn apply(&mut self, rows: &[ValidRow]) -> Result<SafeBatch> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.schema.outputs.len());
        // The pseudonyms of the row's young person, keyed once: the person column, and the
        // token each row's notes are scrubbed for.
        let owner_column = self.owner_column();
        let owner_pseudonyms: Vec<Option<String>> = match owner_column {
            Some(at) => rows
                .iter()
                .map(|r| match r.values.get(at) {
                    Some(Value::Text(id)) => {
                        Some(self.pseudonymiser.pseudonym(IdKind::Person, self.authority_code, id))
                    }
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        let owners: Vec<Option<String>> = owner_pseudonyms.iter().map(|p| p.as_deref().map(person_token)).collect();
        for (i, spec) in self.schema.columns.iter().enumerate() {
            let fail = || Error::Pseudonymise { table: self.schema.name.clone(), column: spec.name.clone() };
            let column = rows.iter().map(|r| r.values.get(i).unwrap_or(&Value::Null));
            match &spec.treatment {
                Treatment::Drop => {}
                Treatment::Keep => arrays.push(kept(spec.column_type, column).ok_or_else(fail)?),
                Treatment::Pseudonymise { kind, .. } => {
                    let (kind, authority) = (*kind, self.authority_code);
                    let p = self.pseudonymiser;
                    match spec.column_type {
                        ColumnType::IdList => {
                            let mut b = ListBuilder::new(StringBuilder::new());
                            for v in column {
                                match v {
                                    Value::Null => b.append_null(),
                                    Value::Ids(ids) => {
                                        for id in ids {
                                            b.values().append_value(p.pseudonym_of_normalised(kind, authority, id));
                                        }
                                        b.append(true);
                                    }
                                    _ => return Err(fail()),
                                }
                            }
                            arrays.push(Arc::new(b.finish()));
                        }
                        _ => {
                            let mut b = StringBuilder::new();
                            let known = if owner_column == Some(i) { owner_pseudonyms.as_slice() } else { &[] };
                            for (row, v) in column.enumerate() {
                                match (v, known.get(row)) {
                                    (Value::Null, _) => b.append_null(),
                                    (Value::Text(_), Some(Some(pseudonym))) => b.append_value(pseudonym),
                                    (Value::Text(id), _) if kind == IdKind::School => match self.schools.get(id) {
                                        Some(pseudonym) => b.append_value(pseudonym),
                                        None => {
                                            let pseudonym = p.pseudonym(kind, authority, id);
                                            b.append_value(&pseudonym);
                                            if self.schools.len() < SCHOOLS_KEPT {
                                                self.schools.insert(id.clone(), pseudonym);
                                            }
                                        }
                                    },
                                    (Value::Text(id), _) => b.append_value(p.pseudonym(kind, authority, id)),
                                    _ => return Err(fail()),
                                }
                            }
                            arrays.push(Arc::new(b.finish()));
                        }
                    }
                }
                Treatment::Generalise(Method::BirthDate) => {
                    let (mut month, mut age) = (StringBuilder::new(), Int32Builder::new());
                    let end = self.period.end();
                    for v in column {
                        match v {
                            Value::Null => {
                                month.append_null();
                                age.append_null();
                            }
                            Value::Date(d) => {
                                month.append_value(format!("{:04}-{:02}", d.year(), d.month()));
                                age.append_value(age_on(*d, end));
                            }
                            _ => return Err(fail()),
                        }
                    }
                    arrays.push(Arc::new(month.finish()));
                    arrays.push(Arc::new(age.finish()));
                }
                Treatment::Generalise(Method::Postcode) => {
                    let mut b = StringBuilder::new();
                    for v in column {
                        match v {
                            Value::Null => b.append_null(),
                            Value::Text(pc) => match postcode_district(pc) {
                                Some(d) => b.append_value(d),
                                None => {
                                    self.postcodes_malformed += 1;
                                    b.append_null();
                                }
                            },
                            _ => return Err(fail()),
                        }
                    }
                    arrays.push(Arc::new(b.finish()));
                }
                Treatment::Generalise(Method::Ethnicity) => {
                    let (mut code, mut group) = (StringBuilder::new(), StringBuilder::new());
                    for v in column {
                        match v {
                            Value::Null => {
                                code.append_null();
                                group.append_value("UNKNOWN");
                            }
                            Value::Code(c) => {
                                code.append_value(c);
                                group.append_value(ethnic_group(c));
                            }
                            _ => return Err(fail()),
                        }
                    }
                    arrays.push(Arc::new(code.finish()));
                    arrays.push(Arc::new(group.finish()));
                }
                Treatment::Scrub => {
                    let values: Vec<&Value> = column.collect();
                    if values.iter().any(|v| !matches!(v, Value::Null | Value::Text(_))) {
                        return Err(fail());
                    }
                    let scrubbed = scrub_parallel(self.scrubber, &values, &owners);
                    let mut b =
                        StringBuilder::with_capacity(scrubbed.len(), scrubbed.iter().flatten().map(String::len).sum());
                    for s in &scrubbed {
                        match s {
                            Some(s) => b.append_value(s),
                            None => b.append_null(),
                        }
                    }
                    arrays.push(Arc::new(b.finish()));
                }
            }
        }
        let batch = RecordBatch::try_new(self.schema.arrow_schema.clone(), arrays)
            .map_err(|_| Error::Pseudonymise { table: self.schema.name.clone(), column: "(batch)".into() })?;
        Ok(SafeBatch { batch })
    }
}

/// Scrubs free text on every core: scrubbing is the costliest step of the pipeline. Each note
/// is scrubbed for its row's young person (`owners`, when the table has one).
fn scrub_parallel(scrubber: &Scrubber, values: &[&Value], owners: &[Option<String>]) -> Vec<Option<String>> {
    use rayon::prelude::*;
    let one = |(i, v): (usize, &&Value)| match v {
        Value::Text(t) => Some(scrubber.scrub_for(t, owners.get(i).and_then(|o| o.as_deref()))),
        _ => None,
    };
    // Notes are independent; chunks of 64 keep the pool's bookkeeping small next to the work.
    values.par_iter().enumerate().with_min_len(64).map(one).collect()
}

fn kept<'v>(column_type: ColumnType, values: impl Iterator<Item = &'v Value>) -> Option<ArrayRef> {
    Some(match column_type {
        ColumnType::Text | ColumnType::Code => {
            let mut b = StringBuilder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Code(s) => b.append_value(s),
                    // Free text and identifiers are never kept as they are.
                    _ => return None,
                }
            }
            Arc::new(b.finish())
        }
        ColumnType::Date => {
            let mut b = Date32Builder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Date(d) => b.append_value(days_since_epoch(*d)),
                    _ => return None,
                }
            }
            Arc::new(b.finish())
        }
        ColumnType::CodeList => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Codes(codes) => {
                        for c in codes {
                            b.values().append_value(c);
                        }
                        b.append(true);
                    }
                    _ => return None,
                }
            }
            Arc::new(b.finish())
        }
        ColumnType::Flag => {
            let mut b = BooleanBuilder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Flag(f) => b.append_value(*f),
                    _ => return None,
                }
            }
            Arc::new(b.finish())
        }
        ColumnType::Count => {
            let mut b = Int64Builder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Count(n) => b.append_value(*n),
                    _ => return None,
                }
            }
            Arc::new(b.finish())
        }
        ColumnType::IdList => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcode_districts() {
        assert_eq!(postcode_district("UB8 1QX").as_deref(), Some("UB8"));
        assert_eq!(postcode_district("ub81qx").as_deref(), Some("UB8"));
        assert_eq!(postcode_district("SW1A 1AA").as_deref(), Some("SW1A"));
        assert_eq!(postcode_district("M1 1AE").as_deref(), Some("M1"));
        assert_eq!(postcode_district("not a postcode"), None);
        assert_eq!(postcode_district("UB8"), None);
    }

    #[test]
    fn epoch_days() {
        assert_eq!(days_since_epoch(NaiveDate::from_ymd_opt(1970, 1, 1).expect("d")), 0);
        assert_eq!(days_since_epoch(NaiveDate::from_ymd_opt(2025, 1, 1).expect("d")), 20089);
    }
}
