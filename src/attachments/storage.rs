//! Where attachment bytes live: a local directory (`UPLOAD_DIR`) or an S3-compatible
//! bucket (`S3_BUCKET`), both through `object_store`. Keys are generated here and never
//! derived from a file's name.

use std::{ops::Range, sync::Arc};

use anyhow::Context;
use bytes::Bytes;
use futures_util::Stream;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
    aws::AmazonS3Builder, local::LocalFileSystem, path::Path,
};
use uuid::Uuid;

use crate::config::{Config, S3Config};

/// Bytes per part of a streamed upload (S3's smallest part is 5 MiB). An upload holds at
/// most `PART_BYTES × (UPLOADS_IN_FLIGHT + 1)` in memory, whatever the file's size.
const PART_BYTES: usize = 5 * 1024 * 1024;
const UPLOADS_IN_FLIGHT: usize = 2;

/// The attachment store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
}

impl Files {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match &config.s3 {
            Some(s3) => Arc::new(s3_store(s3)?),
            None => {
                std::fs::create_dir_all(&config.upload_dir).with_context(|| {
                    format!(
                        "UPLOAD_DIR {} cannot be created",
                        config.upload_dir.display()
                    )
                })?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(&config.upload_dir)
                        .context("UPLOAD_DIR is not usable")?
                        .with_automatic_cleanup(true),
                )
            }
        };
        Ok(Self { store })
    }

    /// A new, unused key for an object of `kind` (`file`, `thumb`, `avatar`).
    pub fn new_key(kind: &str) -> String {
        format!("{kind}/{}", Uuid::now_v7().simple())
    }

    /// Starts a streamed write to `key`; nothing is visible there until it finishes.
    pub async fn writer(&self, key: &str) -> object_store::Result<Writer> {
        let upload = self.store.put_multipart(&Path::from(key)).await?;
        Ok(Writer {
            inner: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
        })
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> object_store::Result<()> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// The whole object (for image processing; callers cap the size first).
    pub async fn read(&self, key: &str) -> object_store::Result<Bytes> {
        self.store.get(&Path::from(key)).await?.bytes().await
    }

    /// The object, or one range of it, as a stream of chunks.
    pub async fn stream(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> object_store::Result<impl Stream<Item = object_store::Result<Bytes>> + use<>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        Ok(self
            .store
            .get_opts(&Path::from(key), options)
            .await?
            .into_stream())
    }

    /// Removes objects; one that is already gone is not an error. Failures are logged
    /// (an orphaned object wastes space, nothing else).
    pub async fn remove(&self, keys: impl IntoIterator<Item = String>) {
        for key in keys {
            match self.store.delete(&Path::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => tracing::warn!(%err, key, "an attachment object was not removed"),
            }
        }
    }
}

fn s3_store(s3: &S3Config) -> anyhow::Result<object_store::aws::AmazonS3> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(&s3.bucket);
    if let Some(endpoint) = &s3.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = &s3.region {
        builder = builder.with_region(region);
    }
    if let Some((id, secret)) = &s3.credentials {
        builder = builder
            .with_access_key_id(id)
            .with_secret_access_key(secret.expose());
    }
    builder.build().context("S3 settings are not usable")
}

/// A streamed write in progress. Dropped before [`Writer::finish`] (an error, a client
/// that went away), it aborts the upload so no parts are left behind.
pub struct Writer {
    inner: Option<WriteMultipart>,
}

impl Writer {
    pub async fn write(&mut self, chunk: Bytes) -> object_store::Result<()> {
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        inner.wait_for_capacity(UPLOADS_IN_FLIGHT).await?;
        inner.put(chunk);
        Ok(())
    }

    pub async fn finish(mut self) -> object_store::Result<()> {
        if let Some(inner) = self.inner.take() {
            inner.finish().await?;
        }
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            handle.spawn(async move {
                if let Err(err) = inner.abort().await {
                    tracing::debug!(%err, "aborting an unfinished upload failed");
                }
            });
        }
    }
}
