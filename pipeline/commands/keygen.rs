//! `rni keygen`: write a new project key file.

use crate::cli::KeygenArgs;
use crate::error::{ExitStatus, Result};
use crate::privacy::keys::ProjectKey;

/// Writes a new key (mode 0600, never over an existing file) and prints its key id.
pub fn run(args: &KeygenArgs) -> Result<ExitStatus> {
    let key = ProjectKey::generate()?;
    key.write_new(&args.out)?;
    tracing::info!(
        key_id = key.key_id(),
        "key written to {} (mode 0600); keep it secret and backed up",
        args.out.display()
    );
    crate::term::out(&key.key_id());
    Ok(ExitStatus::Success)
}
