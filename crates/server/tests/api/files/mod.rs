//! Uploads and downloads end to end: the shared helpers, then the scenarios on the local
//! storage ([`uploads`]: types by content, the size cap and nothing left behind when
//! refused, the rate limit; [`access`]: who may upload and download, attaching uploads to
//! messages, the sweeper) and against a real S3-compatible server ([`s3`]).

mod access;
mod s3;
mod uploads;

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};

pub(crate) const MIB: usize = 1024 * 1024;
pub(crate) const BOUNDARY: &str = "confab-test-boundary-7MA4YWxkTrZu0gW";

/// A PNG signature and header chunk, padded with `len - 16` bytes of data.
pub(crate) fn png(len: usize) -> Vec<u8> {
    let mut bytes = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];
    bytes.extend((0..len.saturating_sub(bytes.len())).map(|i| (i % 251) as u8));
    bytes.truncate(len);
    bytes
}

pub(crate) fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        .to_vec()
}

/// A Windows executable (DOS stub, PE header): what a renamed `.exe` looks like.
pub(crate) fn executable() -> Vec<u8> {
    let mut exe = vec![0u8; 4096];
    exe[..2].copy_from_slice(b"MZ");
    exe[0x3C] = 0x80;
    exe[0x80..0x84].copy_from_slice(b"PE\0\0");
    exe
}

/// A stored (uncompressed) ZIP local file entry; CRCs are not checked by the sniffer.
pub(crate) fn zip_entry(name: &str, data: &[u8]) -> Vec<u8> {
    let mut entry = b"PK\x03\x04".to_vec();
    entry.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, method, time, date
    entry.extend([0, 0, 0, 0]); // crc
    entry.extend((data.len() as u32).to_le_bytes());
    entry.extend((data.len() as u32).to_le_bytes());
    entry.extend((name.len() as u16).to_le_bytes());
    entry.extend([0, 0]);
    entry.extend(name.as_bytes());
    entry.extend(data);
    entry
}

/// The start of a Word document as Word writes it.
pub(crate) fn docx() -> Vec<u8> {
    let mut bytes = zip_entry("[Content_Types].xml", b"<Types/>");
    bytes.extend(zip_entry("_rels/.rels", b"<Relationships/>"));
    bytes.extend(zip_entry(
        "word/_rels/document.xml.rels",
        b"<Relationships/>",
    ));
    bytes.extend(zip_entry("word/document.xml", b"<w:document/>"));
    bytes.extend(b"PK\x01\x02");
    bytes
}

/// A multipart body with one `file` part.
pub(crate) fn multipart(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl TestApp {
    /// Posts `body` (a multipart body) to the conversation's files.
    pub(crate) async fn upload_raw(
        &self,
        conversation: &str,
        who: &User,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(format!(
                "{}/api/conversations/{conversation}/files",
                self.base
            ))
            .bearer_auth(&who.token)
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .expect("the upload is answered")
    }

    /// Uploads `bytes` as `name`; the status and the JSON answer.
    pub(crate) async fn upload(
        &self,
        conversation: &str,
        who: &User,
        name: &str,
        bytes: &[u8],
    ) -> (StatusCode, Value) {
        let response = self
            .upload_raw(conversation, who, multipart(name, bytes))
            .await;
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Uploads and expects 201; the answer.
    pub(crate) async fn uploaded(
        &self,
        conversation: &str,
        who: &User,
        name: &str,
        bytes: &[u8],
    ) -> Value {
        let (status, body) = self.upload(conversation, who, name, bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub(crate) async fn download(&self, file_id: &str, who: &User) -> reqwest::Response {
        self.client
            .get(format!("{}/api/files/{file_id}", self.base))
            .bearer_auth(&who.token)
            .send()
            .await
            .expect("the download is answered")
    }

    /// Every regular file under the local storage directory.
    pub(crate) fn stored_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        walk(&self.data_dir().join("files"), &mut found);
        found
    }

    /// Sends a `type: "file"` message over REST; the status and answer.
    pub(crate) async fn send_files(
        &self,
        conversation: &str,
        who: &User,
        file_ids: &[&str],
    ) -> (StatusCode, Value) {
        self.post(
            &format!("/api/conversations/{conversation}/messages"),
            who,
            json!({ "content": "see attached", "type": "file", "fileIds": file_ids }),
        )
        .await
    }
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, found);
        } else {
            found.push(path);
        }
    }
}

pub(crate) fn header(
    response: &reqwest::Response,
    name: impl reqwest::header::AsHeaderName,
) -> &str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

pub(crate) fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// Writes `request` on a fresh connection and returns the start of the answer.
pub(crate) async fn raw_exchange(app: &TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer without the body")
        .unwrap();
    String::from_utf8_lossy(&answer[..read]).into_owned()
}
