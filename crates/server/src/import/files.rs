//! `--copy-files`: each file's bytes from its `file_url` into confab's file storage, under
//! the key an upload would get (`<conversation id>/<file id>`).

use std::time::Duration;

use anyhow::{Context, bail};
use confab_http::files::{Storage, headers};
use uuid::Uuid;

/// Per file: connecting and the whole download.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);

pub(super) struct Copier {
    storage: Storage,
    client: reqwest::Client,
}

impl Copier {
    pub(super) fn new(storage: Storage) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(DOWNLOAD_TIMEOUT)
            .build()
            .context("building the HTTP client for --copy-files")?;
        Ok(Self { storage, client })
    }

    /// Downloads `url` into the storage as `<conversation>/<file>` and returns that key.
    /// Copying again overwrites the same object, so an interrupted import can simply rerun.
    pub(super) async fn copy(
        &self,
        url: &str,
        conversation: Uuid,
        file: Uuid,
        file_type: &str,
        file_name: &str,
    ) -> anyhow::Result<String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("not an http(s) URL");
        }
        let response = self.client.get(url).send().await?.error_for_status()?;
        let key = format!("{conversation}/{file}");
        let disposition = headers::content_disposition(file_name);
        let mut writer = self
            .storage
            .writer(&key, &headers::content_type(file_type), &disposition);
        let mut response = response;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    writer.abort().await;
                    return Err(e.into());
                }
            };
            if let Err(e) = writer.write(&chunk).await {
                writer.abort().await;
                return Err(e.into());
            }
        }
        writer.finish().await?;
        Ok(key)
    }
}
