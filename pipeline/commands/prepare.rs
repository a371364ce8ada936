//! `rni prepare`: pseudonymise an authority's returns at source into a package.

use std::path::Path;

use crate::cli::PrepareArgs;
use crate::config::schema::Schemas;
use crate::error::{Error, ExitStatus, Result};
use crate::ingest::discover::{discover_returns, sibling_quarters};
use crate::privacy::keys::{ProjectKey, Pseudonymiser};
use crate::privacy::scrub::Lexicon;
use crate::publish::package::{Mode, REJECTED_ROWS, run_all, summary, write_package_manifest, write_rejections};
use crate::publish::staging;

/// Prepares every return under the folder given; exit 1 when a table could not be read.
pub fn run(args: &PrepareArgs) -> Result<ExitStatus> {
    // The key is checked before anything is read or written.
    let key = ProjectKey::from_flag_or_env(args.key_file.as_deref())?;
    let pseudonymiser = Pseudonymiser::new(&key);
    drop(key);
    let lexicon = Lexicon::with_vocabularies(&args.vocabulary)?;
    let schemas = Schemas::builtin()?;
    let returns = discover_returns(&args.returns, &schemas)?;
    let mut names_from = sibling_quarters(&args.returns, &schemas)?;
    for dir in &args.names_from {
        names_from.extend(discover_returns(dir, &schemas)?);
    }
    refuse_another_keys_package(&args.out, pseudonymiser.key_id())?;
    // Written whole into a staging folder beside the package, then swapped in as `rni build`
    // publishes a warehouse: a prepare killed at any moment leaves the previous package whole.
    let _lock = staging::lock(&args.out)?;
    staging::clean_stale_staging(&args.out);
    let stage = staging::staging_path(&args.out);
    std::fs::create_dir_all(&stage).map_err(Error::io("cannot create", &stage))?;
    let written = (|| {
        let mode =
            Mode::Prepare { pseudonymiser: &pseudonymiser, out: &stage, lexicon: &lexicon, names_from: &names_from };
        let report = run_all(&returns, &args.returns, &schemas, mode)?;
        write_rejections(&stage.join(REJECTED_ROWS), &report.returns)?;
        write_package_manifest(&stage, &schemas, pseudonymiser.key_id(), &report)?;
        Ok::<_, Error>(report)
    })();
    let report = match written {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&stage);
            return Err(e);
        }
    };
    staging::publish(&stage, &args.out)?;
    crate::term::out(&summary(&report));
    tracing::info!(key_id = pseudonymiser.key_id(), "package written to {}", args.out.display());
    Ok(ExitStatus::problems_if(report.has_table_errors()))
}

/// A package holds one key's pseudonyms: writing into a package made with another key (or into
/// a folder that holds anything but a package) would mix them, so it is refused untouched.
fn refuse_another_keys_package(out: &Path, key_id: &str) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let manifest = out.join("MANIFEST.json");
    if !manifest.is_file() {
        let is_empty = std::fs::read_dir(out).map(|mut e| e.next().is_none()).unwrap_or(false);
        return if is_empty {
            Ok(())
        } else {
            Err(Error::Usage(format!(
                "{} exists and is not a package (no MANIFEST.json); nothing was written: choose an empty or new folder",
                out.display()
            )))
        };
    }
    let bytes = std::fs::read(&manifest).map_err(Error::io("cannot read", &manifest))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        action: "is not a package manifest:",
        path: manifest.clone(),
        source,
    })?;
    match value.get("key_id").and_then(|k| k.as_str()) {
        Some(existing) if existing == key_id => Ok(()),
        Some(existing) => Err(Error::Key(format!(
            "{} was made with key id {existing} and this key has id {key_id}; a package never mixes keys \
             (use that key, or prepare into a new folder); nothing was written",
            out.display()
        ))),
        None => Err(Error::Usage(format!("{} holds a manifest without a key id; nothing was written", out.display()))),
    }
}
