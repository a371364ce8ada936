//! The house's plan, checked from the source: stages in folders, the safe side
//! apart from the raw side, the audit apart from the scrubber, no cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn pipeline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline")
}

/// Every `.rs` file under `pipeline/`, relative to it, with its text.
fn sources() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![pipeline()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("pipeline folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(pipeline()).expect("inside").to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&path).expect("source"));
            }
        }
    }
    out
}

/// The module path of a source file: `publish/build.rs` → `publish::build`, `audit/mod.rs` → `audit`.
fn module_of(rel: &str) -> String {
    let stem = rel.trim_end_matches(".rs").trim_end_matches("/mod");
    if stem == "lib" || stem == "main" { String::new() } else { stem.replace('/', "::") }
}

/// The code of a file without its comments (so a doc link to another stage is not an import).
fn code_of(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The `crate::` paths a file uses, cut to the longest known module.
fn uses(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code_of(text);
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest: String =
            code[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        let mut path = rest.trim_end_matches(':').to_string();
        while !path.is_empty() && !modules.contains(&path) {
            path = path.rsplit_once("::").map(|(head, _)| head.to_string()).unwrap_or_default();
        }
        if !path.is_empty() {
            out.insert(path);
        }
    }
    out
}

/// Every file's module and the modules it imports (its own submodules' imports count for it too).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = sources();
    let modules: BTreeSet<String> = files.keys().map(|f| module_of(f)).filter(|m| !m.is_empty()).collect();
    files
        .iter()
        .map(|(rel, text)| {
            let me = module_of(rel);
            let used = uses(text, &modules).into_iter().filter(|m| *m != me).collect();
            (me, used)
        })
        .collect()
}

fn stage(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn lib_rs_is_an_overview_and_no_file_is_too_long() {
    let files = sources();
    assert!(files["lib.rs"].lines().count() <= 150, "lib.rs is an overview, not command code");
    for (rel, text) in &files {
        assert!(text.lines().count() <= 800, "{rel} has {} lines: give its second job a file", text.lines().count());
    }
    let folders: BTreeSet<&str> = files.keys().filter_map(|f| f.split_once('/').map(|(d, _)| d)).collect();
    for stage in ["config", "ingest", "privacy", "engine", "publish", "audit", "commands", "synth"] {
        assert!(folders.contains(stage), "no {stage}/ folder");
    }
}

#[test]
fn the_safe_side_never_imports_the_raw_side() {
    for (module, used) in graph() {
        if stage(&module) == "engine" {
            for u in &used {
                assert!(
                    !matches!(stage(u), "ingest" | "privacy" | "synth"),
                    "{module} imports {u}: the engine sees only pseudonymised data"
                );
            }
        }
    }
}

#[test]
fn the_audit_shares_nothing_with_the_scrubber() {
    for (module, used) in graph() {
        if stage(&module) == "audit" {
            for u in &used {
                assert!(stage(u) != "privacy", "{module} imports {u}: the checker must not borrow what it checks");
            }
        }
    }
    // Nor does the scrubber borrow the audit's folding.
    for (module, used) in graph() {
        if module.starts_with("privacy") {
            assert!(used.iter().all(|u| stage(u) != "audit"), "{module} imports the audit");
        }
    }
}

#[test]
fn no_two_modules_import_each_other() {
    let g = graph();
    for (a, used) in &g {
        for b in used {
            let back = g.get(b).is_some_and(|u| u.contains(a));
            assert!(!back, "{a} and {b} import each other");
        }
    }
    // Nor do two stages, counting every file in each.
    let mut stages: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, used) in &g {
        for b in used {
            if stage(a) != stage(b) && !a.is_empty() {
                stages.entry(stage(a)).or_default().insert(stage(b));
            }
        }
    }
    for (a, used) in &stages {
        for b in used {
            assert!(
                !stages.get(b).is_some_and(|u| u.contains(a)),
                "stages {a} and {b} import each other: {:?}",
                g.iter()
                    .filter(|(m, u)| (stage(m) == *a && u.iter().any(|x| stage(x) == *b))
                        || (stage(m) == *b && u.iter().any(|x| stage(x) == *a)))
                    .map(|(m, _)| m.clone())
                    .collect::<Vec<_>>()
            );
        }
    }
}

/// The checks above see imports: a planted one is caught.
#[test]
fn the_import_reader_sees_a_planted_import() {
    let modules: BTreeSet<String> =
        ["privacy::scrub", "privacy", "engine::metrics", "engine"].iter().map(|s| s.to_string()).collect();
    let text = "use crate::privacy::scrub::{fold, Scrubber};\n// crate::engine::metrics in a comment\nlet x = crate::engine::metrics::compute;";
    let used = uses(text, &modules);
    assert!(used.contains("privacy::scrub"));
    assert!(used.contains("engine::metrics"));
    assert_eq!(used.len(), 2);
}
