//! Where upload bytes live: a directory on the node (the default, `<data dir>/files`) or an
//! S3-compatible bucket (`s3://bucket/prefix`), both through `object_store`.
//!
//! Objects are named by ids (`<conversation id>/<file id>`), never by client-supplied names.
//! Writes stream: up to one part (5 MiB, S3's minimum part size) is buffered, larger files go
//! up as a multipart upload, and an upload that fails or is refused half-way is aborted so
//! no part or staging file is left behind.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{
    Attribute, Attributes, MultipartUpload, ObjectStore, ObjectStoreExt, PutMultipartOptions,
    PutOptions, PutPayload, RetryConfig,
};
use secrecy::{ExposeSecret, SecretString};

/// The size of a multipart part (S3 refuses smaller parts except the last).
pub const PART_BYTES: usize = 5 * 1024 * 1024;

/// Where to store uploads.
#[derive(Clone, Debug, Default)]
pub struct StorageSettings {
    /// `s3://bucket/prefix` for an S3-compatible store; `None` for [`Self::local_dir`].
    pub url: Option<String>,
    /// The directory used when no URL is set.
    pub local_dir: std::path::PathBuf,
    /// Connection settings used when `url` is an `s3://` URL.
    pub s3: S3Settings,
}

/// S3 connection settings. Unset fields come from the standard `AWS_*` environment
/// variables (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_ALLOW_HTTP`...), read by `object_store` itself.
#[derive(Clone, Debug, Default)]
pub struct S3Settings {
    /// A self-hosted or non-AWS endpoint (`http://127.0.0.1:9000`, `https://minio.internal`).
    pub endpoint: Option<String>,
    /// The bucket's region; `None`: `AWS_REGION`, or the store's default.
    pub region: Option<String>,
    /// The access key; `None`: `AWS_ACCESS_KEY_ID`, or object_store's other credential sources.
    pub access_key_id: Option<String>,
    /// The secret paired with `access_key_id`; `None`: `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<SecretString>,
    /// Plain-HTTP endpoints; loopback endpoints are allowed without it.
    pub allow_http: Option<bool>,
    /// `bucket.host/key` instead of path-style `host/bucket/key` (self-hosted stores mostly
    /// want path-style, the default).
    pub virtual_hosted_style: bool,
}

/// Why the storage could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The URL is set but is not `s3://bucket/prefix`.
    #[error("unsupported storage URL {0:?}: expected s3://bucket/prefix")]
    UnsupportedUrl(String),
    /// The local upload directory could not be created.
    #[error("cannot create the upload directory {path}: {source}")]
    CreateDir {
        /// The directory that was to be created.
        path: std::path::PathBuf,
        /// The I/O error from creating it.
        #[source]
        source: std::io::Error,
    },
    /// `object_store` refused the configuration (bad bucket, endpoint or credentials).
    #[error("cannot open the object store: {0}")]
    Open(#[source] object_store::Error),
}

/// The blob store for uploads. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Only stores that can presign (S3).
    signer: Option<Arc<dyn Signer>>,
    prefix: Option<String>,
    description: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl Storage {
    /// Opens what `settings` describe (creating the local directory if needed).
    pub fn open(settings: &StorageSettings) -> Result<Self, StorageError> {
        match settings.url.as_deref().map(str::trim) {
            None | Some("") => Self::local(&settings.local_dir),
            Some(url) => Self::s3(url, &settings.s3),
        }
    }

    /// A directory on this node.
    pub fn local(dir: &std::path::Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        // Empty per-conversation directories go when their last file does; a file is on
        // disk (fsynced) before its upload is recorded and acknowledged.
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(StorageError::Open)?
            .with_automatic_cleanup(true)
            .with_fsync(true);
        Ok(Self {
            store: Arc::new(store),
            signer: None,
            prefix: None,
            description: format!("local directory {}", dir.display()),
        })
    }

    /// An S3-compatible bucket, `s3://bucket/optional/prefix`.
    pub fn s3(url: &str, settings: &S3Settings) -> Result<Self, StorageError> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| StorageError::UnsupportedUrl(url.to_owned()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StorageError::UnsupportedUrl(url.to_owned()));
        }
        let prefix = prefix.trim_matches('/');
        let store = Arc::new(
            s3_builder(bucket, settings)
                .build()
                .map_err(StorageError::Open)?,
        );
        Ok(Self {
            store: store.clone(),
            signer: Some(store),
            prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
            description: format!("s3://{bucket}/{prefix}"),
        })
    }

    /// Whether downloads can be handed out as presigned URLs.
    pub fn can_presign(&self) -> bool {
        self.signer.is_some()
    }

    fn location(&self, key: &str) -> Path {
        match &self.prefix {
            Some(prefix) => Path::from(format!("{prefix}/{key}")),
            None => Path::from(key),
        }
    }

    /// A streaming writer for `key`. Stores that keep headers with objects (S3) get the
    /// `Content-Type` and `Content-Disposition` downloads answer with, so a presigned URL
    /// serves the file as the node would.
    pub fn writer(&self, key: &str, content_type: &str, disposition: &str) -> ObjectWriter {
        let mut attributes = Attributes::new();
        if self.signer.is_some() {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
            attributes.insert(Attribute::ContentDisposition, disposition.to_owned().into());
        }
        ObjectWriter {
            store: self.store.clone(),
            location: self.location(key),
            attributes,
            buffer: BytesMut::new(),
            upload: None,
            written: 0,
        }
    }

    /// The object's size and its bytes as a stream.
    pub async fn read(&self, key: &str) -> object_store::Result<Download> {
        let location = self.location(key);
        let result = crate::metrics::storage("get", self.store.get(&location)).await?;
        let size = result.meta.size;
        Ok(Download {
            size,
            body: result.into_stream(),
        })
    }

    /// Deletes the object; one that is already gone counts as deleted.
    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        let location = self.location(key);
        match crate::metrics::storage("delete", self.store.delete(&location)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A URL that downloads the object for `ttl` without credentials, answering with the
    /// given `Content-Type` and `Content-Disposition`; `None` for stores that cannot sign.
    pub async fn presigned_download(
        &self,
        key: &str,
        ttl: Duration,
        content_type: &str,
        disposition: &str,
    ) -> object_store::Result<Option<String>> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let options = SignedUrlOptions::default().with_query([
            ("response-content-type", content_type),
            ("response-content-disposition", disposition),
        ]);
        let location = self.location(key);
        let signing =
            signer.signed_url_opts(object_store::signer::Method::GET, &location, ttl, &options);
        let url = crate::metrics::storage("presign", signing).await?;
        Ok(Some(url.to_string()))
    }

    /// A cheap round trip for readiness: reading a name that does not exist.
    pub async fn ping(&self) -> object_store::Result<()> {
        let location = self.location(".confab-ready");
        match crate::metrics::storage("ping", self.store.head(&location)).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Endpoint, region and credentials: the explicit settings over the `AWS_*` environment.
fn s3_builder(bucket: &str, settings: &S3Settings) -> AmazonS3Builder {
    // Uploads and downloads are interactive: give up within seconds, not object_store's
    // default three minutes.
    let retry = RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(20),
        ..RetryConfig::default()
    };
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_virtual_hosted_style_request(settings.virtual_hosted_style)
        .with_retry(retry);
    if let Some(endpoint) = &settings.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(region) = &settings.region {
        builder = builder.with_region(region);
    }
    if let Some(key) = &settings.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &settings.secret_access_key {
        builder = builder.with_secret_access_key(secret.expose_secret());
    }
    let endpoint = settings
        .endpoint
        .clone()
        .or_else(|| builder.get_config_value(&object_store::aws::AmazonS3ConfigKey::Endpoint));
    let loopback = endpoint.as_deref().is_some_and(is_loopback_http);
    match settings.allow_http {
        Some(allow) => builder.with_allow_http(allow),
        None if loopback => builder.with_allow_http(true),
        None => builder,
    }
}

/// `http://localhost…`, `http://127.…` or `http://[::1]…`: plain HTTP that never leaves the
/// machine.
fn is_loopback_http(endpoint: &str) -> bool {
    let Some(rest) = endpoint.strip_prefix("http://") else {
        return false;
    };
    let host_port = rest.split('/').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A stored object being read.
pub struct Download {
    /// The object's length in bytes.
    pub size: u64,
    /// The content, chunk by chunk; a chunk errs if the store fails mid-read.
    pub body: BoxStream<'static, object_store::Result<Bytes>>,
}

impl Download {
    /// The body as a stream of `io::Error`s for an HTTP response.
    pub fn into_io_stream(self) -> BoxStream<'static, std::io::Result<Bytes>> {
        self.body
            .map(|chunk| chunk.map_err(std::io::Error::other))
            .boxed()
    }
}

/// Writes one object: a single `put` when it fits in one part, a multipart upload
/// otherwise. Call [`ObjectWriter::finish`] or [`ObjectWriter::abort`].
#[derive(Debug)]
pub struct ObjectWriter {
    store: Arc<dyn ObjectStore>,
    location: Path,
    attributes: Attributes,
    buffer: BytesMut,
    upload: Option<Box<dyn MultipartUpload>>,
    /// Bytes handed to [`ObjectWriter::write`] so far.
    written: u64,
}

impl ObjectWriter {
    /// Buffers `chunk`, sending a multipart part each time [`PART_BYTES`] have accumulated;
    /// nothing is visible until [`ObjectWriter::finish`].
    pub async fn write(&mut self, chunk: &[u8]) -> object_store::Result<()> {
        self.written += chunk.len() as u64;
        self.buffer.extend_from_slice(chunk);
        while self.buffer.len() >= PART_BYTES {
            let part = self.buffer.split_to(PART_BYTES).freeze();
            self.put_part(part).await?;
        }
        Ok(())
    }

    async fn put_part(&mut self, part: Bytes) -> object_store::Result<()> {
        let upload = match &mut self.upload {
            Some(upload) => upload,
            None => {
                let options = PutMultipartOptions::from(self.attributes.clone());
                let upload = self
                    .store
                    .put_multipart_opts(&self.location, options)
                    .await?;
                self.upload.insert(upload)
            }
        };
        upload.put_part(PutPayload::from(part)).await
    }

    /// Makes the object visible, whole; on failure nothing is left behind. Counted as one
    /// `put` (timed from here: parts sent while writing are not in its duration).
    pub async fn finish(self) -> object_store::Result<()> {
        let bytes = self.written;
        let result = crate::metrics::storage("put", self.complete()).await;
        if result.is_ok() {
            metrics::counter!(crate::metrics::STORAGE_WRITTEN).increment(bytes);
        }
        result
    }

    async fn complete(mut self) -> object_store::Result<()> {
        let rest = self.buffer.split().freeze();
        let Some(mut upload) = self.upload.take() else {
            let options = PutOptions::from(self.attributes.clone());
            return self
                .store
                .put_opts(&self.location, rest.into(), options)
                .await
                .map(|_| ());
        };
        let mut result = Ok(());
        if !rest.is_empty() {
            result = upload.put_part(rest.into()).await;
        }
        if result.is_ok() {
            result = upload.complete().await.map(|_| ());
        }
        if result.is_err()
            && let Err(e) = upload.abort().await
        {
            tracing::warn!(location = %self.location, error = %e, "aborting a failed upload failed");
        }
        result
    }

    /// Drops what was written so far (parts already sent, staging files).
    pub async fn abort(mut self) {
        if let Some(mut upload) = self.upload.take()
            && let Err(e) = upload.abort().await
        {
            tracing::warn!(location = %self.location, error = %e, "aborting an upload failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints_may_use_plain_http() {
        assert!(is_loopback_http("http://127.0.0.1:9000"));
        assert!(is_loopback_http("http://localhost:9000/"));
        assert!(is_loopback_http("http://[::1]:9000"));
        assert!(!is_loopback_http("http://minio.internal:9000"));
        assert!(!is_loopback_http("https://127.0.0.1:9000"));
        assert!(!is_loopback_http("http://10.0.0.5"));
    }

    #[test]
    fn s3_urls_need_a_bucket() {
        let settings = S3Settings {
            region: Some("us-east-1".into()),
            ..S3Settings::default()
        };
        assert!(matches!(
            Storage::s3("s3:///prefix", &settings),
            Err(StorageError::UnsupportedUrl(_))
        ));
        assert!(matches!(
            Storage::s3("gs://bucket", &settings),
            Err(StorageError::UnsupportedUrl(_))
        ));
        let storage = Storage::s3("s3://bucket/some/prefix/", &settings).unwrap();
        assert!(storage.can_presign());
        assert_eq!(storage.location("c/f").as_ref(), "some/prefix/c/f");
    }

    #[tokio::test]
    async fn small_and_multipart_writes_read_back_and_aborts_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path()).unwrap();

        let mut small = storage.writer("c/small", "text/plain", "attachment");
        small.write(b"hello").await.unwrap();
        small.finish().await.unwrap();
        let read = storage.read("c/small").await.unwrap();
        assert_eq!(read.size, 5);

        let big: Vec<u8> = (0..PART_BYTES * 2 + 10).map(|i| (i % 251) as u8).collect();
        let mut writer = storage.writer("c/big", "image/png", "attachment");
        for chunk in big.chunks(64 * 1024) {
            writer.write(chunk).await.unwrap();
        }
        writer.finish().await.unwrap();
        let read = storage.read("c/big").await.unwrap();
        assert_eq!(read.size, big.len() as u64);
        let body: Vec<Bytes> = read
            .body
            .map(|chunk| chunk.unwrap())
            .collect::<Vec<_>>()
            .await;
        assert_eq!(body.concat(), big);

        let mut aborted = storage.writer("d/aborted", "image/png", "attachment");
        aborted.write(&big[..PART_BYTES + 1]).await.unwrap();
        aborted.abort().await;
        assert!(matches!(
            storage.read("d/aborted").await,
            Err(object_store::Error::NotFound { .. })
        ));
        storage.delete("c/small").await.unwrap();
        storage.delete("c/big").await.unwrap();
        storage.delete("c/big").await.unwrap();
        let left: Vec<_> = walk(dir.path());
        assert!(left.is_empty(), "{left:?}");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }
}
