//! `rni audit`: scan a warehouse, package or export for raw identifiers.

use crate::audit::audit_with_logs;
use crate::cli::AuditArgs;
use crate::config::schema::Schemas;
use crate::error::{ExitStatus, Result};
use crate::ingest::discover::discover_returns;
use crate::term::out;

/// Prints every finding (file, column, kind, authority; never the value); exit 1 on any.
pub fn run(args: &AuditArgs) -> Result<ExitStatus> {
    let schemas = Schemas::builtin()?;
    let returns = discover_returns(&args.returns, &schemas)?;
    let audit = audit_with_logs(&args.warehouse, &returns, &args.logs, &schemas)?;
    if !audit.residue.is_empty() {
        out("left in free text, by table (not leaks; words on no list and identifier-shaped tokens):");
        for ((table, kind), n) in &audit.residue {
            out(&format!("  {table:<14} {kind:<20} {n}"));
        }
    }
    let findings = audit.findings;
    if findings.is_empty() {
        out(&format!("audit: no identifier from {} found in {}", args.returns.display(), args.warehouse.display()));
        return Ok(ExitStatus::Success);
    }
    out(&format!("audit: {} finding(s); values are not shown", findings.len()));
    out(&format!("{:<60} {:<22} {:<14} {}", "file", "column", "kind", "authority"));
    for f in &findings {
        out(&format!("{:<60} {:<22} {:<14} {}", f.file, f.column, f.kind, f.authority_code));
    }
    Ok(ExitStatus::Problems)
}
