//! What an upload may be: types by content, the size cap (nothing left behind when one is
//! refused), empty files, the rate limit, and the OpenAPI description.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use serde_json::{Value, json};

use super::{
    BOUNDARY, MIB, docx, error_code, executable, header, multipart, pdf, png, raw_exchange,
};
use crate::helpers::{Backend, TestApp};

async fn a_png_round_trips_byte_for_byte_with_download_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let bytes = png(50_000);
    let body = app
        .uploaded(&conversation, &alice, "../../holiday photo.png", &bytes)
        .await;
    let id = body["fileId"].as_str().unwrap();
    assert_eq!(body["fileUrl"], format!("/api/files/{id}"));
    assert_eq!(body["fileName"], "holiday photo.png");
    assert_eq!(body["fileSize"], 50_000);
    assert_eq!(body["fileType"], "image/png");

    let response = app.download(id, &alice).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "image/png");
    assert_eq!(header(&response, CONTENT_LENGTH), "50000");
    assert_eq!(
        header(&response, CONTENT_DISPOSITION),
        "attachment; filename=\"holiday photo.png\"; filename*=UTF-8''holiday%20photo.png"
    );
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(app.stored_files().len(), 1);
    app.stop().await;
}

async fn pdfs_text_and_office_documents_are_typed_by_content_not_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let pdf = app
        .uploaded(&conversation, &alice, "scan.bin", &pdf())
        .await;
    assert_eq!(pdf["fileType"], "application/pdf");
    let text = "Grüße — plain UTF-8 text\n".repeat(100);
    let notes = app
        .uploaded(&conversation, &alice, "Résumé: final?.png", text.as_bytes())
        .await;
    assert_eq!(notes["fileType"], "text/plain");
    assert_eq!(notes["fileName"], "Résumé_ final_.png");
    let docx = app.uploaded(&conversation, &alice, "report", &docx()).await;
    assert_eq!(
        docx["fileType"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );

    let response = app
        .download(notes["fileId"].as_str().unwrap(), &alice)
        .await;
    assert_eq!(header(&response, CONTENT_TYPE), "text/plain; charset=utf-8");
    assert_eq!(
        header(&response, CONTENT_DISPOSITION),
        "attachment; filename=\"R_sum__ final_.png\"; \
         filename*=UTF-8''R%C3%A9sum%C3%A9_%20final_.png"
    );
    assert_eq!(response.text().await.unwrap(), text);
    app.stop().await;
}

async fn a_renamed_executable_or_binary_junk_is_415_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let (status, body) = app
        .upload(&conversation, &alice, "cute-cat.png", &executable())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(error_code(&body), "unsupported_media_type");
    // Text that turns binary past the first chunks: refused after streaming had started.
    let mut late = "a".repeat(6 * MIB).into_bytes();
    late.extend([0xFF, 0xFE, 0x00]);
    let (status, body) = app.upload(&conversation, &alice, "log.txt", &late).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
    app.stop().await;
}

async fn the_size_cap_allows_exactly_10_mib_and_refuses_one_byte_more(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let (status, body) = app
        .upload(&conversation, &alice, "big.png", &png(10 * MIB + 1))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(error_code(&body), "payload_too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10 MiB")
    );
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());

    // Clearly over the cap: refused from the Content-Length, nothing parsed or stored.
    let response = app
        .upload_raw(&conversation, &alice, multipart("huge.png", &png(15 * MIB)))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.stored_files().is_empty());
    // A client that waits for `100 Continue` is answered without sending the body.
    let answer = raw_exchange(
        &app,
        &format!(
            "POST /api/conversations/{conversation}/files HTTP/1.1\r\nHost: x\r\n\
             Authorization: Bearer {}\r\nExpect: 100-continue\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
             Content-Length: {}\r\n\r\n",
            alice.token,
            400 * MIB
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    let exact = png(10 * MIB);
    let body = app
        .uploaded(&conversation, &alice, "exact.png", &exact)
        .await;
    assert_eq!(body["fileSize"], 10 * MIB);
    let response = app.download(body["fileId"].as_str().unwrap(), &alice).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), exact.as_slice());
    assert_eq!(app.stored_files().len(), 1);
    app.stop().await;
}

async fn an_empty_file_or_a_body_without_a_file_is_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let (status, body) = app.upload(&conversation, &alice, "empty.txt", b"").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "validation_failed");
    assert_eq!(body["error"]["message"], "the file is empty");

    let other_field = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--{BOUNDARY}--\r\n"
    );
    let response = app
        .upload_raw(&conversation, &alice, other_field.into_bytes())
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`file`")
    );

    let (status, body) = app
        .post(
            &format!("/api/conversations/{conversation}/files"),
            &alice,
            json!({ "file": "not multipart" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(app.stored_files().is_empty());
    app.stop().await;
}

async fn uploads_are_rate_limited_per_user_with_retry_after(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.limits.uploads_per_hour = 2;
    })
    .await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    app.uploaded(&conversation, &alice, "1.pdf", &pdf()).await;
    app.uploaded(&conversation, &alice, "2.pdf", &pdf()).await;
    let response = app
        .upload_raw(&conversation, &alice, multipart("3.pdf", &pdf()))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = header(&response, RETRY_AFTER).parse().unwrap();
    assert!(wait > 0 && wait <= 1800, "{wait}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "rate_limited");
    assert_eq!(app.stored_files().len(), 2);
    // Per user: bob still has his allowance.
    app.uploaded(&conversation, &bob, "b.pdf", &pdf()).await;
    app.stop().await;
}

async fn an_upload_cut_off_mid_stream_leaves_nothing_behind(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn(backend).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    let body = multipart("partial.png", &png(8 * MIB));
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/conversations/{conversation}/files HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\n\r\n",
        alice.token,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Past one 5 MiB part, so the storage holds a staging file, then the client goes away.
    stream.write_all(&body[..6 * MIB]).await.unwrap();
    stream.flush().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.stored_files().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let staged = app.stored_files();
    assert_eq!(staged.len(), 1, "a staging file while the upload streams");
    drop(stream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !app.stored_files().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "left behind: {:?}",
            app.stored_files()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The next upload works as usual.
    app.uploaded(&conversation, &alice, "ok.png", &png(100))
        .await;
    app.stop().await;
}

async fn the_openapi_document_describes_the_file_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app.openapi().await;
    let upload = &doc["paths"]["/conversations/{id}/files"]["post"];
    assert!(
        upload["requestBody"]["content"]["multipart/form-data"].is_object(),
        "{upload}"
    );
    for code in ["201", "403", "413", "415", "429"] {
        assert!(upload["responses"][code].is_object(), "{code}: {upload}");
    }
    let download = &doc["paths"]["/files/{id}"]["get"];
    for code in ["200", "302", "403", "404"] {
        assert!(
            download["responses"][code].is_object(),
            "{code}: {download}"
        );
    }
    app.stop().await;
}

crate::on_both_backends!(
    a_png_round_trips_byte_for_byte_with_download_headers,
    pdfs_text_and_office_documents_are_typed_by_content_not_name,
    a_renamed_executable_or_binary_junk_is_415_and_stores_nothing,
    the_size_cap_allows_exactly_10_mib_and_refuses_one_byte_more,
    an_empty_file_or_a_body_without_a_file_is_400,
    uploads_are_rate_limited_per_user_with_retry_after,
    an_upload_cut_off_mid_stream_leaves_nothing_behind,
    the_openapi_document_describes_the_file_routes,
);
