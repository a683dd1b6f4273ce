//! `CONFAB_FILES__*`: what uploads may be, how long unattached ones live, how downloads are
//! served, and S3 connection settings. Where files are stored is `CONFAB_STORAGE_URL`; the
//! size cap is `CONFAB_LIMITS__MAX_FILE_BYTES`.

use std::path::Path;
use std::time::Duration;

use confab_http::files::{
    DEFAULT_ALLOWED_TYPES, FileSettings, S3Settings, StorageSettings, TypePolicy,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{LimitsConfig, masked, secret, string_list};

/// `CONFAB_FILES__*`: upload types, unattached-file expiry, download serving and S3 settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct FilesConfig {
    /// `CONFAB_FILES__ALLOWED_TYPES`: comma-separated MIME types, as detected from the
    /// content (`image/png, application/pdf, text/plain`...).
    #[serde(deserialize_with = "string_list")]
    pub allowed_types: Vec<String>,
    /// `CONFAB_FILES__UNATTACHED_TTL`: uploads no message attached are deleted after this.
    #[serde(with = "humantime_serde")]
    pub unattached_ttl: Duration,
    /// `CONFAB_FILES__SWEEP_INTERVAL`: how often the node looks for them; `0s` never.
    #[serde(with = "humantime_serde")]
    pub sweep_interval: Duration,
    /// `CONFAB_FILES__PRESIGN_DOWNLOADS`: with S3, answer downloads with a redirect to a
    /// presigned URL instead of streaming through the node.
    pub presign_downloads: bool,
    /// `CONFAB_FILES__PRESIGN_TTL`: how long such a URL works.
    #[serde(with = "humantime_serde")]
    pub presign_ttl: Duration,
    /// `CONFAB_FILES__S3__*`: S3 connection settings, used when `CONFAB_STORAGE_URL` is `s3://…`.
    pub s3: S3Config,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            allowed_types: DEFAULT_ALLOWED_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            unattached_ttl: Duration::from_secs(24 * 3600),
            sweep_interval: Duration::from_secs(600),
            presign_downloads: false,
            presign_ttl: Duration::from_secs(300),
            s3: S3Config::default(),
        }
    }
}

/// `CONFAB_FILES__S3__*`, each overriding the standard `AWS_*` variable `object_store`
/// reads (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_ALLOW_HTTP`...).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct S3Config {
    /// Endpoint URL of an S3-compatible service (MinIO, R2…); unset: AWS (`AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    /// The bucket's region; unset: `AWS_REGION`.
    pub region: Option<String>,
    /// Access key id; unset: `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// Secret access key (masked when printed); unset: `AWS_SECRET_ACCESS_KEY`.
    #[serde(deserialize_with = "secret", serialize_with = "masked")]
    pub secret_access_key: Option<SecretString>,
    /// Plain HTTP to a non-loopback endpoint (loopback endpoints may use it anyway).
    pub allow_http: Option<bool>,
    /// `bucket.host` addressing instead of path-style `host/bucket`.
    pub virtual_hosted_style: bool,
}

impl FilesConfig {
    /// Where files go: `storage_url`, or `<data_dir>/files`.
    pub fn storage(&self, storage_url: Option<&str>, data_dir: &Path) -> StorageSettings {
        StorageSettings {
            url: storage_url
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
            local_dir: data_dir.join("files"),
            s3: S3Settings {
                endpoint: self.s3.endpoint.clone(),
                region: self.s3.region.clone(),
                access_key_id: self.s3.access_key_id.clone(),
                secret_access_key: self.s3.secret_access_key.clone(),
                allow_http: self.s3.allow_http,
                virtual_hosted_style: self.s3.virtual_hosted_style,
            },
        }
    }

    /// The upload rules: these settings with the size and part caps of `[limits]`.
    pub fn settings(&self, limits: &LimitsConfig) -> FileSettings {
        FileSettings {
            max_file_bytes: limits.max_file_bytes,
            types: TypePolicy::new(&self.allowed_types),
            presign_downloads: self.presign_downloads,
            presign_ttl: self.presign_ttl,
            max_parts: limits.upload_max_parts,
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail API returns its own large error type"
)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::config::Config;

    #[test]
    fn defaults_store_files_under_the_data_dir_for_24_hours() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONFAB_DATA_DIR", "/srv/confab");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            let storage = config
                .files
                .storage(config.storage_url.as_deref(), &config.data_dir);
            assert_eq!(storage.url, None);
            assert_eq!(storage.local_dir, Path::new("/srv/confab/files"));
            assert_eq!(config.files.unattached_ttl, Duration::from_secs(86_400));
            assert_eq!(config.files.sweep_interval, Duration::from_secs(600));
            assert!(!config.files.presign_downloads);
            let settings = config.files.settings(&config.limits);
            assert_eq!(settings.max_file_bytes, 10 * 1024 * 1024);
            assert!(settings.types.allows("image/png"));
            assert!(settings.types.allows("application/msword"));
            assert!(!settings.types.allows("application/zip"));
            Ok(())
        });
    }

    #[test]
    fn environment_variables_configure_types_ttls_and_s3() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONFAB_STORAGE_URL", "s3://bucket/uploads");
            jail.set_env("CONFAB_FILES__ALLOWED_TYPES", "image/png, application/pdf");
            jail.set_env("CONFAB_FILES__UNATTACHED_TTL", "2h");
            jail.set_env("CONFAB_FILES__SWEEP_INTERVAL", "30s");
            jail.set_env("CONFAB_FILES__PRESIGN_DOWNLOADS", "true");
            jail.set_env("CONFAB_FILES__S3__ENDPOINT", "http://127.0.0.1:9000");
            jail.set_env("CONFAB_FILES__S3__SECRET_ACCESS_KEY", "12345");
            jail.set_env("CONFAB_LIMITS__MAX_FILE_BYTES", "1048576");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            let files = &config.files;
            assert_eq!(files.allowed_types, vec!["image/png", "application/pdf"]);
            assert_eq!(files.unattached_ttl, Duration::from_secs(7200));
            assert_eq!(files.sweep_interval, Duration::from_secs(30));
            assert!(files.presign_downloads);
            let storage = files.storage(config.storage_url.as_deref(), &config.data_dir);
            assert_eq!(storage.url.as_deref(), Some("s3://bucket/uploads"));
            assert_eq!(
                storage.s3.endpoint.as_deref(),
                Some("http://127.0.0.1:9000")
            );
            assert_eq!(
                storage
                    .s3
                    .secret_access_key
                    .as_ref()
                    .map(|s| s.expose_secret().to_owned()),
                Some("12345".to_owned())
            );
            let settings = files.settings(&config.limits);
            assert_eq!(settings.max_file_bytes, 1024 * 1024);
            assert!(!settings.types.allows("text/plain"));
            Ok(())
        });
    }
}
