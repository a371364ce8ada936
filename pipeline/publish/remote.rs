//! Warehouses, returns and packages on object storage (the `distributed` feature):
//! `s3://bucket/prefix` (credentials, region and endpoint from the standard `AWS_*`
//! environment variables) or `file:///folder`, through the `object_store` crate
//! DataFusion reads with.
//!
//! A warehouse on a store is a series of complete builds and one pointer:
//!
//! ```text
//! s3://bucket/prefix/builds/20261130T021500Z-3f9a1c2e/MANIFEST.json, tables/…, metrics/…
//! s3://bucket/prefix/builds/20261201T021500Z-77b0e4d1/…
//! s3://bucket/prefix/CURRENT            {"build": "20261201T021500Z-77b0e4d1"}
//! ```
//!
//! A build is made in a local folder as always, then uploaded under a new
//! `builds/<id>/` (its `MANIFEST.json` last), and only then is `CURRENT`
//! replaced, in one PUT, which a store makes visible whole or not at all. A
//! reader reads `CURRENT` first and then only that build, so a build killed at
//! any moment leaves readers the previous build. The newest builds are kept
//! (by default seven: a reader that read the pointer just before it moved
//! still finds its build); older ones, and uploads a killed build left, go.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::{Error, Result};

/// The pointer to the current build, under a warehouse's prefix.
const CURRENT: &str = "CURRENT";
/// Where the builds are, under a warehouse's prefix.
const BUILDS: &str = "builds";

/// A prefix on an object store.
#[derive(Debug, Clone)]
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    prefix: StorePath,
    url: String,
    /// For `file://`, the folder itself.
    folder: Option<PathBuf>,
}

/// The current build of a warehouse on a store, as the engine reads it in place.
#[derive(Debug)]
pub enum CurrentBuild {
    /// On `s3://`: the build's objects.
    Store(crate::engine::store::StoreWarehouse),
    /// On `file://`: the build's folder.
    Folder(PathBuf),
}

/// Whether a command-line path names an object store location rather than a folder.
pub fn is_remote(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.starts_with("s3://") || p.starts_with("file://"))
}

fn store_error(what: String) -> impl FnOnce(object_store::Error) -> Error {
    move |source| Error::Usage(format!("{what}: {source}"))
}

/// As [`store_error`], with the store's reason told without the object's name (the store's
/// own message names it, and a return's file may be named after a child).
fn store_error_unnamed(what: String) -> impl FnOnce(object_store::Error) -> Error {
    move |source| {
        let reason = match &source {
            object_store::Error::NotFound { .. } => "a file went missing while it was read".to_string(),
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                "the credentials do not allow it".to_string()
            }
            object_store::Error::Generic { store, .. } => format!("the {store} client failed"),
            _ => "the store refused".to_string(),
        };
        Error::Usage(format!("{what}: {reason}"))
    }
}

impl Remote {
    /// The location a command-line path names (`s3://bucket/prefix` or `file:///folder`).
    pub fn parse(path: &Path) -> Result<Remote> {
        let text = path.to_str().unwrap_or_default().trim_end_matches('/').to_string();
        let url = url::Url::parse(&text).map_err(|e| Error::Usage(format!("{text} is not a URL: {e}")))?;
        let mut folder = None;
        let (store, prefix): (Arc<dyn ObjectStore>, StorePath) = match url.scheme() {
            "s3" => {
                let store = object_store::aws::AmazonS3Builder::from_env()
                    .with_url(text.as_str())
                    .build()
                    .map_err(store_error(format!("cannot use {text}")))?;
                let prefix = StorePath::from_url_path(url.path()).map_err(|e| Error::Usage(format!("{text}: {e}")))?;
                (Arc::new(store), prefix)
            }
            "file" => {
                let path = url.to_file_path().map_err(|()| Error::Usage(format!("{text} is not a folder")))?;
                std::fs::create_dir_all(&path).map_err(Error::io("cannot create", &path))?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(&path)
                    .map_err(store_error(format!("cannot use {text}")))?;
                folder = Some(path);
                (Arc::new(store), StorePath::default())
            }
            other => return Err(Error::Usage(format!("{text}: unknown store `{other}://` (use s3:// or file://)"))),
        };
        Ok(Remote { store, prefix, url: text, folder })
    }

    fn child(&self, rel: &str) -> StorePath {
        let mut path = self.prefix.clone();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            path = path.clone().join(part);
        }
        path
    }

    /// The build `CURRENT` points to, if any.
    pub async fn current(&self) -> Result<Option<String>> {
        let pointer = self.child(CURRENT);
        let bytes = match self.store.get(&pointer).await {
            Ok(got) => got.bytes().await.map_err(store_error(format!("cannot read {}/{CURRENT}", self.url)))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(store_error(format!("cannot read {}/{CURRENT}", self.url))(e)),
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Usage(format!("{}/{CURRENT} is not rni's pointer: {e}", self.url)))?;
        let build = value.get("build").and_then(|b| b.as_str()).filter(|b| is_build_id(b));
        match build {
            Some(id) => Ok(Some(id.to_string())),
            None => Err(Error::Usage(format!("{}/{CURRENT} names no build", self.url))),
        }
    }

    /// The current build, to be read where it lies; `None` when nothing is published.
    pub async fn current_build(&self) -> Result<Option<CurrentBuild>> {
        let Some(id) = self.current().await? else { return Ok(None) };
        Ok(Some(match &self.folder {
            Some(folder) => CurrentBuild::Folder(folder.join(BUILDS).join(&id)),
            None => CurrentBuild::Store(crate::engine::store::StoreWarehouse::new(
                self.store.clone(),
                self.child(&format!("{BUILDS}/{id}")),
                format!("{}/{BUILDS}/{id}", self.url),
            )),
        }))
    }

    /// Copies every object under `rel` (relative to the prefix) into `to`, keeping their paths.
    async fn download(&self, rel: &str, to: &Path) -> Result<usize> {
        let from = self.child(rel);
        let mut listing = self.store.list(Some(&from));
        let mut count = 0;
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_error_unnamed(format!("cannot list {}", self.url)))?;
            let Some(inner) = meta.location.prefix_match(&from) else { continue };
            let mut target = to.to_path_buf();
            for part in inner {
                target.push(part.as_ref());
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(Error::io("cannot create a folder in", to))?;
            }
            // Never the object's name: a return's file may be named after a child.
            let what = format!("cannot read a file under {}", self.url);
            let bytes = self.store.get(&meta.location).await.map_err(store_error_unnamed(what.clone()))?;
            let bytes = bytes.bytes().await.map_err(store_error_unnamed(what))?;
            std::fs::write(&target, &bytes).map_err(Error::io("cannot write a file in", to))?;
            count += 1;
        }
        Ok(count)
    }

    /// Copies everything under the prefix (returns, packages) into `to`.
    pub async fn download_all(&self, to: &Path) -> Result<usize> {
        let count = self.download("", to).await?;
        if count == 0 {
            return Err(Error::Usage(format!("{} holds no files", self.url)));
        }
        Ok(count)
    }

    /// Copies the current build into `to` (a folder that does not exist yet); `false` when none
    /// is published.
    pub async fn download_current(&self, to: &Path) -> Result<bool> {
        let Some(id) = self.current().await? else { return Ok(false) };
        self.download(&format!("{BUILDS}/{id}"), to).await?;
        if !to.join("MANIFEST.json").is_file() {
            return Err(Error::Usage(format!("{}/{BUILDS}/{id} has no MANIFEST.json", self.url)));
        }
        Ok(true)
    }

    /// Uploads a complete warehouse folder as a new build, points `CURRENT` at it, and removes
    /// all but the newest `keep` builds (never the current one). Returns the build's id.
    pub async fn publish(&self, warehouse: &Path, keep: usize) -> Result<String> {
        let id = new_build_id()?;
        let mut files = Vec::new();
        walk(warehouse, warehouse, &mut files)?;
        // The manifest last: a build without one is never pointed at.
        files.sort_by_key(|rel| rel == "MANIFEST.json");
        for rel in &files {
            let local = warehouse.join(rel);
            let bytes = std::fs::read(&local).map_err(Error::io("cannot read", &local))?;
            let target = self.child(&format!("{BUILDS}/{id}/{rel}"));
            self.store
                .put(&target, PutPayload::from(bytes))
                .await
                .map_err(store_error(format!("cannot write {}/{target}", self.url)))?;
        }
        let pointer = serde_json::json!({ "build": id }).to_string();
        self.store
            .put(&self.child(CURRENT), PutPayload::from(pointer.into_bytes()))
            .await
            .map_err(store_error(format!("cannot write {}/{CURRENT}", self.url)))?;
        if let Err(e) = self.prune(&id, keep).await {
            tracing::warn!("the older builds could not all be removed: {e}");
        }
        Ok(id)
    }

    /// Every build under the prefix, oldest first.
    pub async fn builds(&self) -> Result<Vec<String>> {
        let listed = self
            .store
            .list_with_delimiter(Some(&self.child(BUILDS)))
            .await
            .map_err(store_error(format!("cannot list {}/{BUILDS}", self.url)))?;
        let mut ids: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .filter(|id| is_build_id(id))
            .collect();
        ids.sort();
        Ok(ids)
    }

    async fn prune(&self, current: &str, keep: usize) -> Result<()> {
        let ids = self.builds().await?;
        let drop = ids.len().saturating_sub(keep.max(1));
        for id in ids.iter().take(drop).filter(|id| id.as_str() != current) {
            let mut listing = self.store.list(Some(&self.child(&format!("{BUILDS}/{id}"))));
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(store_error(format!("cannot list {}", self.url)))?;
                self.store
                    .delete(&meta.location)
                    .await
                    .map_err(store_error(format!("cannot remove a file of {}/{BUILDS}/{id}", self.url)))?;
            }
        }
        Ok(())
    }

    /// The location as written on the command line.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// `20261130T021500Z-3f9a1c2e`: the time, to the second, then a random part; ids sort in time order.
fn new_build_id() -> Result<String> {
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(|e| Error::Usage(format!("no randomness for a build id: {e}")))?;
    Ok(format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ"), hex::encode(random)))
}

fn is_build_id(id: &str) -> bool {
    id.len() == 25 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(Error::io("cannot read", dir))?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// Runs `work` on a runtime of its own (the commands are not async).
pub fn blocking<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the object store client", "."))?
        .block_on(work)
}
