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
//!
//! Where the exchange is refused (NFS, overlayfs, FUSE, CephFS), or when
//! `RNI_PUBLISH=symlink` asks for it, the warehouse path is a symbolic link to
//! a versioned folder beside it (`.<name>.v-…`): a build renames its staging
//! folder to a new version, points a new link at it and renames the link over
//! the warehouse path, which replaces it atomically on every POSIX filesystem;
//! the previous version is then removed. Readers resolve the link when they
//! open a file, so they see the old warehouse or the new one. Moving a
//! warehouse that is a plain folder to this scheme is the one step that is not
//! atomic (the folder is moved aside, then the link put in its place).

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

/// Removes staging folders, links and versions left by builds that were killed (never the
/// version the warehouse path points to).
pub fn clean_stale_staging(out: &Path) {
    let Some(parent) = out.parent() else { return };
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let current = std::fs::read_link(out).ok().and_then(|t| t.file_name().map(|n| n.to_os_string()));
    let stale = [format!(".{name}.staging-"), format!(".{name}.v-"), format!(".{name}.link-")];
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            let file = e.file_name();
            let file_name = file.to_string_lossy();
            if !stale.iter().any(|p| file_name.starts_with(p.as_str())) || current.as_deref() == Some(file.as_os_str())
            {
                continue;
            }
            if e.file_type().is_ok_and(|t| t.is_symlink()) {
                let _ = std::fs::remove_file(e.path());
            } else {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Whether the symbolic-link scheme is asked for (`RNI_PUBLISH=symlink`).
fn symlink_asked() -> bool {
    std::env::var("RNI_PUBLISH").is_ok_and(|v| v.eq_ignore_ascii_case("symlink"))
}

/// Whether an error from the atomic exchange means the filesystem does not offer it.
fn exchange_unsupported(e: &Error) -> bool {
    let Error::Io { source, .. } = e else { return false };
    matches!(
        source.raw_os_error(),
        Some(code) if [libc_codes::EINVAL, libc_codes::ENOSYS, libc_codes::EOPNOTSUPP, libc_codes::EXDEV].contains(&code)
    )
}

/// The errno values that say "no atomic exchange here" (Linux numbering).
mod libc_codes {
    pub const EXDEV: i32 = 18;
    pub const EINVAL: i32 = 22;
    pub const ENOSYS: i32 = 38;
    pub const EOPNOTSUPP: i32 = 95;
}

/// Publishes by pointing the warehouse path, a symbolic link, at a new version folder.
fn publish_by_link(staging: &Path, out: &Path) -> Result<()> {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "warehouse".into());
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let version_name = format!(".{name}.v-{stamp}-{}", std::process::id());
    let version = out.with_file_name(&version_name);
    std::fs::rename(staging, &version).map_err(Error::io("cannot publish", out))?;
    let link = out.with_file_name(format!(".{name}.link-{}", std::process::id()));
    let _ = std::fs::remove_file(&link);
    make_link(Path::new(&version_name), &link)?;
    let previous = std::fs::read_link(out).ok().map(|t| out.with_file_name(t));
    let is_plain_folder = std::fs::symlink_metadata(out).is_ok_and(|m| m.is_dir());
    if is_plain_folder {
        // The one step that is not atomic: a plain folder cannot be replaced by a link in one go.
        let aside = out.with_file_name(format!(".{name}.v-plain-{}", std::process::id()));
        std::fs::rename(out, &aside).map_err(Error::io("cannot publish", out))?;
        std::fs::rename(&link, out).map_err(Error::io("cannot publish", out))?;
        let _ = std::fs::remove_dir_all(&aside);
    } else {
        std::fs::rename(&link, out).map_err(Error::io("cannot publish", out))?;
        if let Some(previous) = previous.filter(|p| p != &version) {
            let _ = std::fs::remove_dir_all(previous);
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link).map_err(Error::io("cannot publish", link))
}

#[cfg(not(unix))]
fn make_link(_target: &Path, link: &Path) -> Result<()> {
    Err(Error::Io {
        action: "cannot publish",
        path: link.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::Unsupported, "symbolic links are not available here"),
    })
}

/// The staging folder of this process's build, beside the warehouse.
pub fn staging_path(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "warehouse".into());
    out.with_file_name(format!(".{name}.staging-{}", std::process::id()))
}

/// Swaps the finished staging folder into place atomically, then removes the old warehouse.
pub fn publish(staging: &Path, out: &Path) -> Result<()> {
    sync_tree(staging);
    let is_link = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
    if is_link || symlink_asked() {
        publish_by_link(staging, out)?;
    } else if out.exists() {
        match exchange(staging, out) {
            // `staging` now holds the previous warehouse.
            Ok(()) => {
                let _ = std::fs::remove_dir_all(staging);
            }
            Err(e) if exchange_unsupported(&e) => {
                tracing::info!("this filesystem has no atomic exchange; publishing through a symbolic link instead");
                publish_by_link(staging, out)?;
            }
            Err(e) => return Err(e),
        }
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
