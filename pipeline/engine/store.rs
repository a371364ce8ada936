//! A warehouse read in place on object storage (the `distributed` feature): its
//! tables are registered at their `s3://` addresses, so the engine (and every
//! Ballista executor that has the same credentials) reads the Parquet where it
//! lies, without a copy.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::StreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Error, Result};

/// One build of a warehouse on a store.
#[derive(Debug, Clone)]
pub struct StoreWarehouse {
    store: Arc<dyn ObjectStore>,
    /// The build's folder within the store (`prefix/builds/<id>`).
    root: StorePath,
    /// The same folder as a URL (`s3://bucket/prefix/builds/<id>`).
    url: String,
}

fn store_error(what: String) -> impl FnOnce(object_store::Error) -> Error {
    move |source| Error::Usage(format!("{what}: {source}"))
}

impl StoreWarehouse {
    /// The build at `root` in `store`, whose URL is `url` (`s3://bucket/…`, no trailing slash).
    pub fn new(store: Arc<dyn ObjectStore>, root: StorePath, url: String) -> StoreWarehouse {
        StoreWarehouse { store, root, url: url.trim_end_matches('/').to_string() }
    }

    /// The build's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Registers the store with the session, so that its `s3://` tables can be read.
    pub fn register(&self, ctx: &datafusion::prelude::SessionContext) -> Result<()> {
        let parsed = url::Url::parse(&self.url).map_err(|e| Error::Usage(format!("{}: {e}", self.url)))?;
        let base = format!("{}://{}", parsed.scheme(), parsed.host_str().unwrap_or_default());
        let base = url::Url::parse(&base).map_err(|e| Error::Usage(format!("{base}: {e}")))?;
        ctx.register_object_store(&base, self.store.clone());
        Ok(())
    }

    /// The address DataFusion reads a table of the build at.
    pub fn table_url(&self, table: &str) -> String {
        format!("{}/tables/{table}/", self.url)
    }

    /// Every (table, authority, period) partition of the build, and the rows each table's files
    /// hold (from their Parquet footers).
    pub async fn partitions(&self) -> Result<(BTreeSet<(String, String, String)>, Vec<(String, u64)>)> {
        let tables = self.root.clone().join("tables");
        let mut listing = self.store.list(Some(&tables));
        let mut parts = BTreeSet::new();
        let mut files = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_error(format!("cannot list {}/tables", self.url)))?;
            let Some(inner) = meta.location.prefix_match(&tables) else { continue };
            let inner: Vec<String> = inner.map(|p| p.as_ref().to_string()).collect();
            if let [table, authority, period, file] = inner.as_slice()
                && let (Some(code), Some(period)) =
                    (authority.strip_prefix("authority_code="), period.strip_prefix("period="))
                && file.ends_with(".parquet")
            {
                parts.insert((table.clone(), code.to_string(), period.to_string()));
                files.push((table.clone(), meta.location.clone(), meta.size));
            }
        }
        let mut rows: Vec<(String, u64)> = Vec::new();
        for (table, location, size) in files {
            let n = self.footer_rows(&location, size).await?;
            match rows.last_mut() {
                Some((t, total)) if *t == table => *total += n,
                _ => rows.push((table, n)),
            }
        }
        Ok((parts, rows))
    }

    /// The rows a Parquet file holds, from its footer (two small range reads).
    async fn footer_rows(&self, location: &StorePath, size: u64) -> Result<u64> {
        let what = || format!("cannot read a Parquet footer under {}", self.url);
        if size < 12 {
            return Err(Error::Usage(what()));
        }
        let tail = self.store.get_range(location, size - 8..size).await.map_err(store_error(what()))?;
        let length = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
        if &tail[4..8] != b"PAR1" || length + 8 > size {
            return Err(Error::Usage(what()));
        }
        let footer = self.store.get_range(location, size - 8 - length..size - 8).await.map_err(store_error(what()))?;
        let metadata = parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&footer)
            .map_err(|e| Error::Usage(format!("{}: {e}", what())))?;
        Ok(metadata.file_metadata().num_rows().max(0) as u64)
    }

    /// A file of the build (relative to its folder).
    pub async fn get(&self, rel: &str) -> Result<Vec<u8>> {
        let mut path = self.root.clone();
        for part in rel.split('/') {
            path = path.join(part);
        }
        let what = format!("cannot read {}/{rel}", self.url);
        let got = self.store.get(&path).await.map_err(store_error(what.clone()))?;
        Ok(got.bytes().await.map_err(store_error(what))?.to_vec())
    }

    /// Whether the build holds a file (relative to its folder).
    pub async fn has(&self, rel: &str) -> bool {
        let mut path = self.root.clone();
        for part in rel.split('/') {
            path = path.join(part);
        }
        self.store.head(&path).await.is_ok()
    }
}
