//! `rni prepare`: pseudonymise an authority's returns at source into a package.

use crate::cli::PrepareArgs;
use crate::config::schema::Schemas;
use crate::error::{Error, ExitStatus, Result};
use crate::ingest::discover::{discover_returns, with_sibling_quarters};
use crate::privacy::keys::{ProjectKey, Pseudonymiser};
use crate::privacy::scrub::Lexicon;
use crate::publish::package::{Mode, run_all, summary, write_package_manifest, write_rejections};

/// Prepares every return under the folder given; exit 1 when a table could not be read.
pub fn run(args: &PrepareArgs) -> Result<ExitStatus> {
    // The key is checked before anything is read or written.
    let key = ProjectKey::from_flag_or_env(args.key_file.as_deref())?;
    let pseudonymiser = Pseudonymiser::new(&key);
    drop(key);
    let lexicon = Lexicon::with_vocabularies(&args.vocabulary)?;
    let schemas = Schemas::builtin()?;
    let returns = discover_returns(&args.returns, &schemas)?;
    let mut names_from = with_sibling_quarters(&returns, &schemas)?;
    for dir in &args.names_from {
        names_from.extend(discover_returns(dir, &schemas)?);
    }
    std::fs::create_dir_all(&args.out).map_err(Error::io("cannot create", &args.out))?;
    let mode =
        Mode::Prepare { pseudonymiser: &pseudonymiser, out: &args.out, lexicon: &lexicon, names_from: &names_from };
    let report = run_all(&returns, &args.returns, &schemas, mode)?;
    write_rejections(&args.out.join("restricted").join("rejected_rows.csv"), &report.returns)?;
    write_package_manifest(&args.out, &schemas, pseudonymiser.key_id(), &report)?;
    crate::term::out(&summary(&report));
    tracing::info!(key_id = pseudonymiser.key_id(), "package written to {}", args.out.display());
    Ok(ExitStatus::problems_if(report.has_table_errors()))
}
