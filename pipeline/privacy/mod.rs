//! The privacy boundary: the only way from raw rows to anything that is kept.
//!
//! The project key and keyed pseudonyms live in [`keys`]; the names pass
//! ([`names`]) learns, from every return of an authority, the names, ids and
//! schools that its free text must lose; [`scrub`] removes them (and
//! contact details, addresses, dates, other names) from notes; and
//! [`pseudonymise`] turns validated rows into a [`pseudonymise::SafeBatch`],
//! the sealed type that is the only input the safe side accepts. An error
//! here drops the table's output: pseudonymisation fails closed.

pub mod keys;
pub mod names;
pub mod pseudonymise;
pub mod scrub;
