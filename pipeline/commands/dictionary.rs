//! `rni dictionary`: write `data-dictionary.md`, or check that it is current.

use crate::cli::DictionaryArgs;
use crate::config::schema::Schemas;
use crate::error::{Error, ExitStatus, Result};
use crate::publish::dictionary::render;

/// Writes the dictionary; with `--check`, fails (exit 1) when the file differs.
pub fn run(args: &DictionaryArgs) -> Result<ExitStatus> {
    let out = &args.out;
    let text = render(&Schemas::builtin()?)?;
    if args.check {
        let current = std::fs::read_to_string(out).unwrap_or_default();
        if current != text {
            return Err(Error::Stale(format!(
                "{} is not what `rni dictionary` writes from the schemas; run `rni dictionary --out {}`",
                out.display(),
                out.display()
            )));
        }
        tracing::info!("{} is current", out.display());
        return Ok(ExitStatus::Success);
    }
    std::fs::write(out, text).map_err(Error::io("cannot write", out))?;
    tracing::info!("wrote {}", out.display());
    Ok(ExitStatus::Success)
}
