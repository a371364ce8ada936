//! The raw side: finding returns, reading their files, validating rows.
//!
//! Everything here may hold a raw value from a return (a name, a child id,
//! a date of birth); only this folder and [`crate::privacy`] may. Returns are
//! found under a folder ([`discover`]), read in batches of raw cells from
//! CSV in any of the encodings authorities send, from workbooks ([`read`])
//! or from the CIN census's XML, streamed ([`xml`]), and checked row by row against the schemas ([`validate`]): a
//! bad row becomes a rejection (row, column, rule; never the value). Every
//! raw type here prints no value in `Debug`, so a stray `?row` in a log line
//! cannot leak a child's name.

pub mod discover;
pub mod normalise;
pub mod raw;
pub mod read;
pub mod validate;
pub mod xml;
