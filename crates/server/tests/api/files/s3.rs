//! Uploads and downloads against a real S3-compatible server: moto's server mode, started
//! per test on a free loopback port (`python3 -m pip install 'moto[server]'`, which
//! `scripts/services` does). Without `moto_server` these tests fail; they never skip.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use confab_server::config::S3Config;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use secrecy::SecretString;

use super::{MIB, executable, png};
use crate::helpers::{Backend, TestApp};

/// A `moto_server` process, killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
    http: reqwest::Client,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    async fn start() -> Self {
        let port = crate::helpers::free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto_server ({e}); the S3 tests need it: \
                     python3 -m pip install 'moto[server]' (scripts/services installs it)"
                )
            });
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while moto.http.get(&moto.endpoint).send().await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "moto_server did not answer on {}",
                moto.endpoint
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        moto
    }

    async fn create_bucket(&self, bucket: &str) {
        let response = self
            .http
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// Keys in the bucket.
    async fn objects(&self, bucket: &str) -> Vec<String> {
        let xml = crate::helpers::text_at(
            &self.http,
            format!("{}/{bucket}?list-type=2", self.endpoint),
        )
        .await;
        elements(&xml, "Key")
    }

    /// Multipart uploads started and neither completed nor aborted.
    async fn pending_uploads(&self, bucket: &str) -> Vec<String> {
        let xml =
            crate::helpers::text_at(&self.http, format!("{}/{bucket}?uploads", self.endpoint))
                .await;
        elements(&xml, "UploadId")
    }

    async fn app(&self, backend: Backend, bucket: &str, presign: bool) -> TestApp {
        self.create_bucket(bucket).await;
        let endpoint = self.endpoint.clone();
        let url = format!("s3://{bucket}/confab");
        TestApp::spawn_with(backend, move |config| {
            config.storage_url = Some(url);
            config.files.presign_downloads = presign;
            config.files.s3 = S3Config {
                endpoint: Some(endpoint),
                region: Some("us-east-1".into()),
                access_key_id: Some("testing".into()),
                secret_access_key: Some(SecretString::from("testing")),
                ..S3Config::default()
            };
        })
        .await
    }
}

/// The text of every `<tag>` element.
fn elements(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next())
        .map(str::to_owned)
        .collect()
}

async fn s3_uploads_round_trip_and_refused_ones_leave_no_object_or_part(backend: Backend) {
    let moto = Moto::start().await;
    let app = moto.app(backend, "uploads", false).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;

    let bytes = png(20_000);
    let body = app.uploaded(&conversation, &alice, "s3.png", &bytes).await;
    let id = body["fileId"].as_str().unwrap();
    assert_eq!(
        moto.objects("uploads").await,
        vec![format!("confab/{conversation}/{id}")]
    );
    let response = app.download(id, &alice).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[CONTENT_TYPE].to_str().unwrap(),
        "image/png"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let (status, body) = app
        .upload(&conversation, &alice, "totally-a.png", &executable())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    // Past one 5 MiB part: a multipart upload was under way and is aborted.
    let (status, body) = app
        .upload(&conversation, &alice, "big.png", &png(10 * MIB + 1))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(moto.objects("uploads").await.len(), 1);
    assert!(moto.pending_uploads("uploads").await.is_empty());

    // Exactly the cap: two full parts, completed.
    let exact = png(10 * MIB);
    let body = app
        .uploaded(&conversation, &alice, "exact.png", &exact)
        .await;
    let response = app.download(body["fileId"].as_str().unwrap(), &alice).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), exact.as_slice());
    assert_eq!(moto.objects("uploads").await.len(), 2);
    assert!(moto.pending_uploads("uploads").await.is_empty());
    assert!(
        app.stored_files().is_empty(),
        "nothing goes to the local dir"
    );
    app.stop().await;
}

async fn s3_downloads_can_redirect_to_a_presigned_url(backend: Backend) {
    let moto = Moto::start().await;
    let app = moto.app(backend, "presigned", true).await;
    let (alice, outsider) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[]).await;
    let bytes = png(3000);
    let body = app
        .uploaded(&conversation, &alice, "présentation.png", &bytes)
        .await;
    let id = body["fileId"].as_str().unwrap();

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(format!("{}/api/files/{id}", app.base))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(&moto.endpoint), "{location}");
    assert!(location.contains("X-Amz-Signature="), "{location}");
    assert!(
        location.contains("response-content-disposition="),
        "{location}"
    );

    // The URL alone (no token) fetches the file.
    let fetched = no_redirects.get(&location).send().await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(
        fetched.headers()[CONTENT_TYPE].to_str().unwrap(),
        "image/png"
    );
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // Authorization still comes first.
    let response = no_redirects
        .get(format!("{}/api/files/{id}", app.base))
        .bearer_auth(&outsider.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

crate::on_both_backends!(
    s3_uploads_round_trip_and_refused_ones_leave_no_object_or_part,
    s3_downloads_can_redirect_to_a_presigned_url,
);
