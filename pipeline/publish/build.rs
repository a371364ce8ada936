//! The nightly build (`rni build`): returns → a published warehouse.
//!
//! A build is a list of named steps, run by [`build`]: take the lock, read
//! the last manifest, discover the returns and hash their files (once; the list goes to every
//! later step), [`prepare_authority`] for each authority (carry over what is
//! unchanged, prepare the rest), [`compute_metrics`], apply disclosure
//! control, [`write_outputs`], [`audit_staging`], [`write_manifest`], and
//! publish (see [`crate::publish::staging`] for the lock, the staging folder
//! and the atomic swap). It is incremental: a return whose files have the
//! sha256 that the last manifest recorded (same key, schemas and tool) is
//! linked from the previous warehouse instead of being read again. The
//! scrubber of a return knows the names in all of its authority's returns,
//! so when a changed return changes that list (a keyed digest in the
//! manifest tells), every return of the authority is scrubbed again. A
//! warehouse never mixes keys: a different key id is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::config::policy::Policy;
use crate::config::queries::catalogue;
use crate::config::schema::Schemas;
use crate::engine::{attack, disclosure, metrics, session};
use crate::error::{Error, Result};
use crate::ingest::discover::{ReturnDir, discover_returns};
use crate::ingest::read::TableReader;
use crate::privacy::keys::Pseudonymiser;
use crate::privacy::names::names_by_authority_held;
use crate::privacy::scrub::Lexicon;
use crate::publish::manifest::{
    AuthorityEntry, DisclosureSummary, OutputReport, ReturnEntry, SetAside, WarehouseManifest, read_manifest,
    sha256_file, write_json,
};
use crate::publish::package::{self, Stage, Writing};
use crate::publish::packages::{self, PackagedReturn};
use crate::publish::{metric_files, staging};

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Folder of raw returns (`<authority_code>/<period>/…`), if any.
    pub returns: Option<PathBuf>,
    /// Packages made at source by `rni prepare` (each a package or a folder of them).
    pub packages: Vec<PathBuf>,
    /// The warehouse to publish.
    pub out: PathBuf,
    /// Disclosure policy.
    pub policy: Policy,
    /// Fail (publish nothing) when any row is rejected.
    pub is_strict: bool,
    /// The words free text may keep.
    pub lexicon: Arc<Lexicon>,
    /// Bytes the query engine may hold at once before spilling.
    pub memory_limit: u64,
    /// The engine the metrics run on.
    pub engine: session::Engine,
}

impl BuildOptions {
    /// The folder raw returns' paths are recorded relative to.
    fn returns_base(&self) -> &Path {
        self.returns.as_deref().unwrap_or(Path::new(""))
    }
}

/// What a build did, for the summary.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The manifest published.
    pub manifest: WarehouseManifest,
    /// Exact metric rows (restricted).
    pub exact: Vec<metrics::MetricRow>,
    /// Published metric rows.
    pub published: Vec<metrics::MetricRow>,
    /// Seconds taken in all.
    pub seconds: f64,
    /// Whether nothing had changed since the last build, which therefore stands as it was.
    pub unchanged: bool,
}

/// Seconds per step, as the manifest records them.
#[derive(Default)]
struct Timings(BTreeMap<String, f64>);

impl Timings {
    /// Runs a step and records how long it took.
    fn time<T>(&mut self, step: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let out = work()?;
        self.0.insert(step.to_string(), started.elapsed().as_secs_f64());
        Ok(out)
    }
}

/// The state a build carries from step to step.
struct Build<'a> {
    options: &'a BuildOptions,
    pseudonymiser: &'a Pseudonymiser,
    schemas: &'a Schemas,
    staging: &'a Path,
    /// The last build's manifest, when its returns can be carried over (same schemas, tool and
    /// vocabulary).
    reusable: Option<&'a WarehouseManifest>,
    /// sha256 of every return file, read once.
    hashes: &'a BTreeMap<PathBuf, String>,
}

/// A build's inputs: raw returns and the returns of verified packages.
struct Inputs {
    raw: Vec<ReturnDir>,
    packaged: Vec<PackagedReturn>,
}

/// sha256 of every file of every return, each read once.
fn file_hashes(returns: &[ReturnDir]) -> Result<BTreeMap<PathBuf, String>> {
    let paths: BTreeSet<&PathBuf> = returns.iter().flat_map(|r| r.tables.values().map(|s| &s.path)).collect();
    let hashed: Vec<Result<(PathBuf, String)>> =
        paths.into_par_iter().map(|p| Ok((p.clone(), sha256_file(p)?))).collect();
    hashed.into_iter().collect()
}

/// The digest of everything a build depends on (see [`WarehouseManifest::inputs_digest`]).
fn inputs_digest(
    options: &BuildOptions,
    pseudonymiser: &Pseudonymiser,
    schemas: &Schemas,
    inputs: &Inputs,
    hashes: &BTreeMap<PathBuf, String>,
) -> String {
    let mut parts = vec![
        format!("tool\x1f{}", env!("CARGO_PKG_VERSION")),
        format!("schema\x1f{}", schemas.version),
        format!("policy\x1f{:?}", options.policy),
        format!("vocabulary\x1f{}", options.lexicon.vocabulary_digest()),
        format!("strict\x1f{}", options.is_strict),
    ];
    for ret in &inputs.raw {
        for (table, source) in &ret.tables {
            let rel =
                source.path.strip_prefix(options.returns_base()).unwrap_or(&source.path).to_string_lossy().into_owned();
            let sheet = source.sheet.clone().unwrap_or_default();
            let hash = hashes.get(&source.path).cloned().unwrap_or_default();
            parts.push(format!(
                "return\x1f{}\x1f{}\x1f{table}\x1f{rel}\x1f{sheet}\x1f{hash}",
                ret.authority_code,
                ret.label()
            ));
        }
        for (path, _) in &ret.unreadable {
            parts.push(format!("unreadable\x1f{}", path.display()));
        }
    }
    for r in &inputs.packaged {
        for o in &r.outputs {
            parts.push(format!("package\x1f{}\x1f{}\x1f{}\x1f{}", r.authority_code, r.period, o.path, o.sha256));
        }
        for i in r.inputs.iter().filter(|i| i.error.is_some()) {
            parts.push(format!("package unreadable\x1f{}\x1f{}\x1f{}", r.authority_code, r.period, i.table));
        }
        parts.push(format!("package rejections\x1f{}\x1f{}\x1f{}", r.authority_code, r.period, r.rejected_sha256));
    }
    parts.sort();
    pseudonymiser.keyed_digest("build inputs", &parts)
}

/// A quiet night: the last build had exactly these inputs, set nothing aside, and every file it
/// published is still there.
fn is_quiet(previous: &WarehouseManifest, inputs_digest: &str, out: &Path) -> bool {
    previous.inputs_digest == inputs_digest
        && previous.set_aside.is_empty()
        && previous.files.iter().all(|f| out.join(&f.path).is_file())
        && previous
            .authorities
            .iter()
            .flat_map(|a| &a.returns)
            .flat_map(|r| &r.outputs)
            .all(|o| out.join(&o.path).is_file())
}

/// Builds and publishes the warehouse.
pub fn build(options: &BuildOptions, pseudonymiser: &Pseudonymiser, schemas: &Schemas) -> Result<BuildReport> {
    let started = Instant::now();
    let out = &options.out;
    refuse_a_folder_that_is_no_warehouse(out)?;
    let _lock = staging::lock(out)?;
    let previous = read_manifest(out)?;
    check_key(previous.as_ref(), pseudonymiser, out)?;
    // Folders left by killed builds go first, quiet night or not.
    staging::clean_stale_staging(out);
    let inputs = gather_inputs(options, pseudonymiser, schemas)?;
    let hashes = file_hashes(&inputs.raw)?;
    let inputs_digest = inputs_digest(options, pseudonymiser, schemas, &inputs, &hashes);
    if let Some(prev) = previous.as_ref().filter(|p| is_quiet(p, &inputs_digest, out)) {
        tracing::info!(built_at = %prev.built_at, "nothing changed since the last build; the warehouse stands as it was");
        let seconds = started.elapsed().as_secs_f64();
        return Ok(BuildReport {
            manifest: prev.clone(),
            exact: Vec::new(),
            published: Vec::new(),
            seconds,
            unchanged: true,
        });
    }
    let staging_dir = staging::staging_path(out);
    std::fs::create_dir_all(&staging_dir).map_err(Error::io("cannot create", &staging_dir))?;
    let reusable = previous.as_ref().filter(|p| {
        p.schema_version == schemas.version
            && p.tool_version == env!("CARGO_PKG_VERSION")
            && p.vocabulary_digest == options.lexicon.vocabulary_digest()
    });
    let step = Build { options, pseudonymiser, schemas, staging: &staging_dir, reusable, hashes: &hashes };
    let mut timings = Timings::default();
    let report = match build_into(&step, &mut timings, started, inputs, inputs_digest) {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging_dir);
            return Err(e);
        }
    };
    staging::publish(&staging_dir, out)?;
    Ok(report)
}

/// Step: the raw returns and the packages, each package verified whole and each return given
/// once; a package that cannot be used, or a return given twice, stops the build here.
fn gather_inputs(options: &BuildOptions, pseudonymiser: &Pseudonymiser, schemas: &Schemas) -> Result<Inputs> {
    let raw = match &options.returns {
        Some(dir) => discover_returns(dir, schemas)?,
        None => Vec::new(),
    };
    let packaged = packages::open(&options.packages, pseudonymiser.key_id(), schemas)?;
    for r in &packaged {
        if let Some(ret) = raw.iter().find(|d| d.authority_code == r.authority_code && d.label() == r.period) {
            return Err(Error::Package {
                path: r.package.clone(),
                reason: format!(
                    "holds the return {} {}, which is also given raw ({}); give each return once",
                    r.authority_code,
                    r.period,
                    ret.dir.display()
                ),
            });
        }
    }
    if raw.is_empty() && packaged.is_empty() {
        return Err(Error::Usage("no returns and no packages were given; nothing was published".into()));
    }
    Ok(Inputs { raw, packaged })
}

/// A build replaces its `--out` folder: one that holds anything but a warehouse is refused
/// untouched, so that a mistyped path never swaps away someone's files.
fn refuse_a_folder_that_is_no_warehouse(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let is_empty_dir = std::fs::read_dir(out).map(|mut entries| entries.next().is_none()).unwrap_or(false);
    if out.is_dir() && (is_empty_dir || out.join("MANIFEST.json").is_file()) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} exists and is not a warehouse (no MANIFEST.json); a build replaces its --out folder, so it \
         touched nothing: choose an empty or new folder",
        out.display()
    )))
}

/// A warehouse never mixes keys.
fn check_key(previous: Option<&WarehouseManifest>, pseudonymiser: &Pseudonymiser, out: &Path) -> Result<()> {
    match previous {
        Some(prev) if prev.key_id != pseudonymiser.key_id() => Err(Error::Key(format!(
            "{} was built with key id {}, and this key has id {}; a warehouse never mixes keys \
             (use the warehouse's key, or build a new warehouse)",
            out.display(),
            prev.key_id,
            pseudonymiser.key_id()
        ))),
        _ => Ok(()),
    }
}

/// Every step up to a complete staging folder, its manifest written last.
fn build_into(
    b: &Build<'_>,
    timings: &mut Timings,
    started: Instant,
    inputs: Inputs,
    inputs_digest: String,
) -> Result<BuildReport> {
    let (authorities, set_aside) = timings.time("prepare", || prepare_all(b, &inputs))?;
    refuse_rejections_when_strict(b.options, &authorities)?;
    let metrics_catalogue = catalogue()?;
    let (exact, published) = timings.time("metrics", || {
        let exact = compute_metrics(b)?;
        let published = disclosure::apply(&exact, &metrics_catalogue, &b.options.policy);
        Ok((exact, published))
    })?;
    let attack =
        timings.time("disclosure audit", || Ok(attack::audit(&published, &metrics_catalogue, &b.options.policy)))?;
    let files = timings.time("write", || write_outputs(b, &exact, &published, &authorities, &set_aside))?;
    write_json(&b.staging.join("restricted/disclosure-audit.json"), &attack)?;
    timings.time("audit", || audit_staging(b, &inputs.raw))?;
    timings.0.insert("total".into(), started.elapsed().as_secs_f64());
    let summary = DisclosureSummary {
        suppressed_rows: published.iter().filter(|r| r.status == disclosure::SUPPRESSED).count(),
        suppressed_figures: attack.suppressed_figures,
        narrowest_interval: attack.narrowest_interval,
        protection_level: b.options.policy.protection_level,
        findings: attack.findings.len(),
    };
    let contents =
        Contents { authorities, files, metric_rows: published.len(), disclosure: summary, set_aside, inputs_digest };
    let manifest = write_manifest(b, timings, contents)?;
    refuse_recoverable_figures(b, &attack)?;
    Ok(BuildReport { manifest, exact, published, seconds: started.elapsed().as_secs_f64(), unchanged: false })
}

/// Where a build refused by the attacker's audit leaves its restricted files (beside `--out`).
pub fn refused_path(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "warehouse".into());
    out.with_file_name(format!("{name}.refused"))
}

/// Step: a build whose published metrics would give a suppressed figure away publishes nothing;
/// the manifest it would have published and the audit's findings go to `<out>.refused/restricted/`.
fn refuse_recoverable_figures(b: &Build<'_>, attack: &attack::Report) -> Result<()> {
    let refused = refused_path(&b.options.out);
    if attack.findings.is_empty() {
        let _ = std::fs::remove_dir_all(&refused);
        return Ok(());
    }
    let restricted = b.staging.join("restricted");
    let manifest = b.staging.join("MANIFEST.json");
    std::fs::rename(&manifest, restricted.join("MANIFEST.json")).map_err(Error::io("cannot move", &manifest))?;
    let _ = std::fs::remove_dir_all(&refused);
    std::fs::create_dir_all(&refused).map_err(Error::io("cannot create", &refused))?;
    std::fs::rename(&restricted, refused.join("restricted")).map_err(Error::io("cannot move", &restricted))?;
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &attack.findings {
        *rules.entry(f.rule).or_default() += 1;
        tracing::error!(metric = %f.metric, authority = %f.authority_code, period = %f.period, rule = f.rule, "published metrics would give a figure away");
    }
    let rules: Vec<String> = rules.iter().map(|(rule, n)| format!("{n} {rule}")).collect();
    Err(Error::Failed(format!(
        "the attacker's audit of the metrics found {} figure(s) that could be recovered ({}); nothing was \
         published; the manifest it would have published and the findings are in {}",
        attack.findings.len(),
        rules.join(", "),
        refused.join("restricted").display()
    )))
}

/// Step: prepare every authority, one per core; returns the authorities and the returns set aside.
fn prepare_all(b: &Build<'_>, inputs: &Inputs) -> Result<(Vec<AuthorityEntry>, Vec<SetAside>)> {
    let mut codes: BTreeSet<String> = package::authority_codes(&inputs.raw).into_iter().collect();
    codes.extend(inputs.packaged.iter().map(|r| r.authority_code.clone()));
    let codes: Vec<String> = codes.into_iter().collect();
    let built: Vec<Result<(AuthorityEntry, Vec<SetAside>)>> = codes
        .par_iter()
        .map(|code| {
            let raw: Vec<&ReturnDir> = inputs.raw.iter().filter(|r| &r.authority_code == code).collect();
            let packaged: Vec<&PackagedReturn> = inputs.packaged.iter().filter(|r| &r.authority_code == code).collect();
            let prior = b.reusable.and_then(|p| p.authorities.iter().find(|a| &a.authority_code == code));
            let (mut entry, mut set_aside) = if raw.is_empty() {
                let entry =
                    AuthorityEntry { authority_code: code.clone(), names_digest: String::new(), returns: vec![] };
                (entry, Vec::new())
            } else {
                prepare_authority(b, code, &raw)?
            };
            for r in packaged {
                match take_packaged(b, prior, r)? {
                    Ok(taken) => entry.returns.push(taken),
                    Err(problem) => {
                        let (stand_in, problem) = stand_in(b, prior, problem)?;
                        entry.returns.extend(stand_in);
                        set_aside.push(problem);
                    }
                }
            }
            entry.returns.sort_by(|a, b| a.period.cmp(&b.period));
            Ok((entry, set_aside))
        })
        .collect();
    let mut authorities = Vec::new();
    let mut set_aside = Vec::new();
    for result in built {
        let (authority, problems) = result?;
        authorities.push(authority);
        set_aside.extend(problems);
    }
    authorities.sort_by(|a, b| a.authority_code.cmp(&b.authority_code));
    if b.options.is_strict && !set_aside.is_empty() {
        return Err(Error::Failed(format!(
            "{} return(s) could not be read and --strict is on; nothing was published (see the warnings above)",
            set_aside.len()
        )));
    }
    Ok((authorities, set_aside))
}

/// Files of a return with their sha256, as the manifest records them.
fn files_of(ret: &ReturnDir, base: &Path, hashes: &BTreeMap<PathBuf, String>) -> Result<BTreeSet<(String, String)>> {
    let mut out = BTreeSet::new();
    for source in ret.tables.values() {
        let rel = source.path.strip_prefix(base).unwrap_or(&source.path).to_string_lossy().replace('\\', "/");
        let hash = match hashes.get(&source.path) {
            Some(h) => h.clone(),
            None => sha256_file(&source.path)?,
        };
        out.insert((rel, hash));
    }
    Ok(out)
}

/// The returns of an authority that the last build already holds as they are now.
fn unchanged_returns(
    b: &Build<'_>,
    prior: Option<&AuthorityEntry>,
    rets: &[&ReturnDir],
) -> Result<BTreeMap<String, ReturnEntry>> {
    let mut unchanged = BTreeMap::new();
    for ret in rets {
        let period = ret.label();
        let Some(entry) = prior.and_then(|a| a.returns.iter().find(|r| r.period == period)) else { continue };
        let before: BTreeSet<(String, String)> =
            entry.inputs.iter().map(|i| (i.path.clone(), i.sha256.clone())).collect();
        let has_outputs = entry.outputs.iter().all(|o| b.options.out.join(&o.path).is_file());
        if entry.package.is_none() && has_outputs && before == files_of(ret, b.options.returns_base(), b.hashes)? {
            unchanged.insert(period, entry.clone());
        }
    }
    Ok(unchanged)
}

/// Step, per authority: carry over what is unchanged, prepare the rest; returns set aside come
/// back beside it.
fn prepare_authority(b: &Build<'_>, code: &str, rets: &[&ReturnDir]) -> Result<(AuthorityEntry, Vec<SetAside>)> {
    let prior = b.reusable.and_then(|p| p.authorities.iter().find(|a| a.authority_code == code));
    let mut unchanged = unchanged_returns(b, prior, rets)?;
    if let Some(prior) = prior.filter(|_| unchanged.len() == rets.len()) {
        let entries = carry_over(b, code, &unchanged)?;
        let entry = AuthorityEntry {
            authority_code: code.to_string(),
            names_digest: prior.names_digest.clone(),
            returns: entries,
        };
        return Ok((entry, Vec::new()));
    }
    // Something changed: the scrubber needs every name of the authority. If the names are
    // not what they were, every return is scrubbed again with the new list.
    // Each young people's table is read once when it fits: the names pass and then preparing
    // take its rows from memory (see `package::hold_young_people`).
    let held = package::hold_young_people(rets, b.schemas);
    let held_of = |r: &ReturnDir| package::held_for(rets, &held, r);
    let known = names_by_authority_held(rets.iter().copied(), b.schemas, b.pseudonymiser, held_of)
        .remove(code)
        .unwrap_or_default();
    let digest = known.digest(b.pseudonymiser);
    if prior.is_none_or(|a| a.names_digest != digest) {
        unchanged.clear();
    }
    let scrubber = known.scrubber(&b.options.lexicon);
    drop(known);
    let mut entries = carry_over(b, code, &unchanged)?;
    let to_prepare: Vec<(&ReturnDir, Option<TableReader>)> =
        rets.iter().copied().zip(held).filter(|(r, _)| !unchanged.contains_key(&r.label())).collect();
    let stage = Stage::Prepare(Writing { pseudonymiser: b.pseudonymiser, out: b.staging, scrubber: &scrubber });
    let bar = crate::term::progress(to_prepare.len() as u64, code);
    let mut set_aside = Vec::new();
    for (ret, held) in to_prepare {
        match prepare_return(b, ret, stage, held)? {
            Ok(entry) => entries.push(entry),
            Err(problem) => {
                let (stand_in, problem) = stand_in(b, prior, problem)?;
                entries.extend(stand_in);
                set_aside.push(problem);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    entries.sort_by(|a, b| a.period.cmp(&b.period));
    Ok((AuthorityEntry { authority_code: code.to_string(), names_digest: digest, returns: entries }, set_aside))
}

/// A return set aside: the last good version of it, when the warehouse has one, stands in.
fn stand_in(
    b: &Build<'_>,
    prior: Option<&AuthorityEntry>,
    mut problem: SetAside,
) -> Result<(Option<ReturnEntry>, SetAside)> {
    let last_good = prior
        .and_then(|a| a.returns.iter().find(|r| r.period == problem.period))
        .filter(|r| r.outputs.iter().all(|o| b.options.out.join(&o.path).is_file()));
    let mut entry = None;
    if let Some(last) = last_good {
        let carried =
            carry_over(b, &problem.authority_code, &BTreeMap::from([(problem.period.clone(), last.clone())]))?;
        entry = carried.into_iter().next();
        problem.carried_over = true;
    }
    tracing::warn!(
        authority = %problem.authority_code,
        period = %problem.period,
        table = %problem.table,
        carried_over = problem.carried_over,
        "return set aside: {}",
        problem.rule
    );
    Ok((entry, problem))
}

/// Takes one return of a verified package: carried over when the warehouse already holds the
/// same tables from it, copied (and hashed again) otherwise; set aside when a table of it could
/// not be read at source.
fn take_packaged(
    b: &Build<'_>,
    prior: Option<&AuthorityEntry>,
    r: &PackagedReturn,
) -> Result<std::result::Result<ReturnEntry, SetAside>> {
    let code = &r.authority_code;
    if let Some(bad) = r.failed_input() {
        return Ok(Err(SetAside {
            authority_code: code.clone(),
            period: r.period.clone(),
            table: bad.table.clone(),
            path: format!("{}: {}", r.name, bad.path),
            rule: bad.error.clone().unwrap_or_default(),
            carried_over: false,
        }));
    }
    let outputs = |entry: &ReturnEntry| -> BTreeSet<(String, String)> {
        entry.outputs.iter().map(|o| (o.path.clone(), o.sha256.clone())).collect()
    };
    let theirs: BTreeSet<(String, String)> = r.outputs.iter().map(|o| (o.path.clone(), o.sha256.clone())).collect();
    let same = prior.and_then(|a| a.returns.iter().find(|e| e.period == r.period)).filter(|e| {
        e.package.is_some() && outputs(e) == theirs && e.outputs.iter().all(|o| b.options.out.join(&o.path).is_file())
    });
    if let Some(entry) = same {
        let entry = ReturnEntry { package: Some(r.name.clone()), ..entry.clone() };
        return Ok(Ok(carry_over(b, code, &BTreeMap::from([(r.period.clone(), entry)]))?.remove(0)));
    }
    for o in &r.outputs {
        packages::copy_verified(r, o, &b.staging.join(&o.path))?;
    }
    package::write_rejected_rows(&b.staging.join(rejected_file(code, &r.period)), &r.rejected)?;
    tracing::info!(authority = %code, period = %r.period, package = %r.name, "return taken from a package");
    Ok(Ok(ReturnEntry {
        period: r.period.clone(),
        prepared: true,
        rows_rejected: r.rows_rejected(),
        inputs: r.inputs.clone(),
        outputs: r.outputs.clone(),
        package: Some(r.name.clone()),
    }))
}

/// Links the outputs (and rejected-row reports) of unchanged returns from the last build.
fn carry_over(b: &Build<'_>, code: &str, unchanged: &BTreeMap<String, ReturnEntry>) -> Result<Vec<ReturnEntry>> {
    let out = &b.options.out;
    let mut entries = Vec::new();
    for (period, entry) in unchanged {
        for o in &entry.outputs {
            link_or_copy(&out.join(&o.path), &b.staging.join(&o.path))?;
        }
        let rejected = rejected_file(code, period);
        if out.join(&rejected).is_file() {
            link_or_copy(&out.join(&rejected), &b.staging.join(&rejected))?;
        }
        entries.push(ReturnEntry { prepared: false, ..entry.clone() });
    }
    if !unchanged.is_empty() {
        tracing::info!(authority = %code, returns = unchanged.len(), "unchanged since the last build; carried over");
    }
    Ok(entries)
}

/// Prepares one return into the staging folder. A return with a table that cannot be read is
/// set aside: what it wrote to the staging folder is removed, and the problem comes back.
fn prepare_return(
    b: &Build<'_>,
    ret: &ReturnDir,
    stage: Stage<'_>,
    held: Option<TableReader>,
) -> Result<std::result::Result<ReturnEntry, SetAside>> {
    let report = package::process_return(ret, b.schemas, stage, b.options.returns_base(), b.hashes, held)?;
    if let Some(bad) = report.inputs.iter().find(|i| i.error.is_some()) {
        for o in &report.outputs {
            let path = b.staging.join(&o.path);
            std::fs::remove_file(&path).map_err(Error::io("cannot remove", &path))?;
            // Its partition folders go too, so that no table of the return seems sent.
            for dir in path.ancestors().skip(1).take(2) {
                if std::fs::remove_dir(dir).is_err() {
                    break;
                }
            }
        }
        return Ok(Err(SetAside {
            authority_code: report.authority_code.clone(),
            period: report.period.clone(),
            table: bad.table.clone(),
            path: bad.path.clone(),
            rule: bad.error.clone().unwrap_or_default(),
            carried_over: false,
        }));
    }
    package::write_rejections(&b.staging.join(rejected_file(&report.authority_code, &report.period)), [&report])?;
    Ok(Ok(ReturnEntry {
        period: report.period.clone(),
        prepared: true,
        rows_rejected: report.rows_rejected(),
        inputs: report.inputs,
        outputs: report.outputs,
        package: None,
    }))
}

/// With `--strict`, one rejected row publishes nothing.
fn refuse_rejections_when_strict(options: &BuildOptions, authorities: &[AuthorityEntry]) -> Result<()> {
    let rejected_total: usize = authorities.iter().map(AuthorityEntry::rows_rejected).sum();
    if options.is_strict && rejected_total > 0 {
        return Err(Error::Failed(format!(
            "{rejected_total} row(s) were rejected and --strict is on; nothing was published \
             (see `rni validate` for where they are)"
        )));
    }
    Ok(())
}

/// Step: every metric, exact, over the staging folder's tables.
fn compute_metrics(b: &Build<'_>) -> Result<Vec<metrics::MetricRow>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the query engine", b.staging))?;
    runtime.block_on(async {
        // The views' folder sits in the staging folder and is gone before the audit and publishing.
        let session =
            session::open_in(b.staging, b.schemas, b.staging, Some(b.options.memory_limit), &b.options.engine).await?;
        let rows = metrics::compute(&session).await?;
        session.close().map_err(Error::io("cannot remove the metric views from", b.staging))?;
        Ok(rows)
    })
}

/// Step: metric files, the exact metrics (restricted) and the report; returns them with their sha256.
fn write_outputs(
    b: &Build<'_>,
    exact: &[metrics::MetricRow],
    published: &[metrics::MetricRow],
    authorities: &[AuthorityEntry],
    set_aside: &[SetAside],
) -> Result<Vec<OutputReport>> {
    let staging = b.staging;
    let metrics_dir = staging.join("metrics");
    std::fs::create_dir_all(&metrics_dir).map_err(Error::io("cannot create", &metrics_dir))?;
    metric_files::write_parquet(&metrics_dir.join("metric_values.parquet"), published)?;
    metric_files::write_csv(&metrics_dir.join("metric_values.csv"), published)?;
    std::fs::create_dir_all(staging.join("restricted")).map_err(Error::io("cannot create", staging))?;
    metric_files::write_csv(&staging.join("restricted/metric_values_exact.csv"), exact)?;
    let html = crate::publish::report::render(published, authorities, set_aside)?;
    write_file(&staging.join("report/index.html"), html.as_bytes())?;
    let mut files = Vec::new();
    for rel in [
        "metrics/metric_values.parquet",
        "metrics/metric_values.csv",
        "report/index.html",
        "restricted/metric_values_exact.csv",
    ] {
        files.push(OutputReport {
            path: rel.to_string(),
            table: String::new(),
            rows: 0,
            sha256: sha256_file(&staging.join(rel))?,
        });
    }
    Ok(files)
}

/// Step: an independent scan for raw identifiers; a finding stops the build before anything is published.
fn audit_staging(b: &Build<'_>, returns: &[ReturnDir]) -> Result<()> {
    let audit = crate::audit::audit(b.staging, returns, b.schemas)?;
    for ((table, kind), n) in &audit.residue {
        tracing::info!(table = %table, kind = %kind, count = n, "left in free text (not a leak; watch it)");
    }
    let findings = audit.findings;
    if findings.is_empty() {
        return Ok(());
    }
    for f in &findings {
        tracing::error!(file = %f.file, column = %f.column, kind = %f.kind, authority = %f.authority_code, "raw identifier found");
    }
    Err(Error::Failed(format!(
        "the leak audit found {} raw identifier(s) in the new warehouse (files and columns logged above, values never); \
         nothing was published",
        findings.len()
    )))
}

/// What a manifest records of one build, gathered from its steps.
struct Contents {
    authorities: Vec<AuthorityEntry>,
    files: Vec<OutputReport>,
    metric_rows: usize,
    disclosure: DisclosureSummary,
    set_aside: Vec<SetAside>,
    inputs_digest: String,
}

/// Step: the manifest, written last: a staging folder without one is never published.
fn write_manifest(b: &Build<'_>, timings: &Timings, contents: Contents) -> Result<WarehouseManifest> {
    let manifest = WarehouseManifest {
        kind: "rni-warehouse".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: b.schemas.version.clone(),
        key_id: b.pseudonymiser.key_id().to_string(),
        built_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        timings: timings.0.iter().map(|(k, v)| (k.clone(), (v * 1000.0).round() / 1000.0)).collect(),
        authorities: contents.authorities,
        files: contents.files,
        metric_rows: contents.metric_rows,
        disclosure: contents.disclosure,
        set_aside: contents.set_aside,
        vocabulary_digest: b.options.lexicon.vocabulary_digest().to_string(),
        inputs_digest: contents.inputs_digest,
    };
    write_json(&b.staging.join("MANIFEST.json"), &manifest)?;
    Ok(manifest)
}

/// Per-return rejected-row report inside a warehouse.
fn rejected_file(code: &str, period: &str) -> PathBuf {
    PathBuf::from("restricted").join("rejected_rows").join(code).join(format!("{period}.csv"))
}

fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).map_err(Error::io("cannot copy", from))?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    std::fs::write(path, bytes).map_err(Error::io("cannot write", path))
}
