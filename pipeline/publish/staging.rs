//! The staging folder and the atomic swap that publishes it.
//!
//! A build holds a lock beside the warehouse (`<warehouse>.lock`, an OS file
//! lock, so a build that dies releases it and the next one simply takes it),
//! writes everything into a staging folder beside the warehouse
//! (`.<name>.staging-<pid>`; folders left by killed builds are removed by the
//! next one), and publishes by swapping the staging folder with the
//! warehouse in one atomic rename (`renameat2(RENAME_EXCHANGE)` on Linux; a
//! plain rename for the first build). A build killed at any moment therefore
//! leaves the previous warehouse whole, and readers never see half of one.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "warehouse".into());
    out.with_file_name(format!("{name}{suffix}"))
}

/// The build's lock, held until dropped.
pub struct BuildLock {
    _file: File,
}

/// Takes the warehouse's lock or says who holds it.
pub fn lock(out: &Path) -> Result<BuildLock> {
    let path = sibling(out, ".lock");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(Error::io("cannot open lock", &path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(Error::Locked(format!(
                "another build of {} is running (lock {} held by process {}); this build did nothing",
                out.display(),
                path.display(),
                holder.trim()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::Io { action: "cannot lock", path, source: e }),
    }
    // The pid is only for the message a second build prints; the OS lock is what counts,
    // and it is released when this process ends, however it ends.
    file.set_len(0).map_err(Error::io("cannot write", &path))?;
    let _ = write!(file, "{}", std::process::id());
    Ok(BuildLock { _file: file })
}

/// Removes staging folders left by builds that were killed.
pub fn clean_stale_staging(out: &Path) {
    let Some(parent) = out.parent() else { return };
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    let prefix = format!(".{}.staging-", out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// The staging folder of this process's build, beside the warehouse.
pub fn staging_path(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "warehouse".into());
    out.with_file_name(format!(".{name}.staging-{}", std::process::id()))
}

/// Swaps the finished staging folder into place atomically, then removes the old warehouse.
pub fn publish(staging: &Path, out: &Path) -> Result<()> {
    sync_tree(staging);
    if out.exists() {
        exchange(staging, out)?;
        // `staging` now holds the previous warehouse.
        let _ = std::fs::remove_dir_all(staging);
    } else {
        std::fs::rename(staging, out).map_err(Error::io("cannot publish", out))?;
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = File::open(parent)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(|e| Error::Io {
        action: "cannot publish",
        path: b.to_path_buf(),
        source: e.into(),
    })
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> Result<()> {
    // Without an atomic exchange: move the old warehouse aside, then the new one in.
    let aside = sibling(b, ".previous");
    let _ = std::fs::remove_dir_all(&aside);
    std::fs::rename(b, &aside).map_err(Error::io("cannot publish", b))?;
    std::fs::rename(a, b).map_err(Error::io("cannot publish", b))?;
    std::fs::rename(&aside, a).map_err(Error::io("cannot publish", b))
}

/// Flushes every file of a folder to disk before it is published.
fn sync_tree(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(f) = File::open(&p) {
                let _ = f.sync_all();
            }
        }
        if let Ok(f) = File::open(&d) {
            let _ = f.sync_all();
        }
    }
}
