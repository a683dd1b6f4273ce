//! Files: upload into a conversation, download to its participants.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_domain::files::StoredFile;
use confab_domain::ids::{ConversationId, FileId};
use confab_domain::service::{NewFile, UploadPermit};
use confab_domain::{Error, Services};
use futures::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, Id};
use crate::files::{Files, headers, upload};
use crate::state::AppState;

/// Room for the multipart framing around the file (boundaries, part headers, small fields)
/// when judging a `Content-Length` before reading.
const MULTIPART_SLACK: u64 = 64 * 1024;

/// `POST /conversations/{id}/files` (multipart upload) and `GET /files/{id}` (download);
/// axum's body-size limit is off, the upload enforces its own.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_file))
        .routes(routes!(download_file))
        // The upload enforces its own cap while streaming; axum's 2 MB default would refuse
        // files the contract allows.
        .layer(DefaultBodyLimit::disable())
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the request body for OpenAPI only")]
pub struct UploadForm {
    /// The file (one). Its type is decided by its content, not its name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The stored upload: attach it with `fileIds` in a `type: "file"` message.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFile {
    /// The file's id, to put in a message's `fileIds`.
    #[schema(value_type = String, format = Uuid)]
    pub file_id: FileId,
    /// `/api/files/<fileId>`.
    pub file_url: String,
    /// The name as uploaded, sanitised.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: i64,
    /// The MIME type detected from the content.
    pub file_type: String,
}

impl From<StoredFile> for UploadedFile {
    fn from(file: StoredFile) -> Self {
        Self {
            file_id: file.id,
            file_url: file.file_url,
            file_name: file.file_name,
            file_size: file.file_size,
            file_type: file.file_type,
        }
    }
}

fn files(state: &AppState) -> ApiResult<Arc<Files>> {
    state
        .files
        .clone()
        .ok_or_else(|| ApiError(Error::Unavailable("file storage is not configured".into())))
}

/// Uploads a file into a conversation (participants and admins, while it is open). The
/// multipart field `file` holds it: at most `CONFAB_LIMITS__MAX_FILE_BYTES` (10 MiB by
/// default; exactly the limit is accepted), one of the allowed types as detected from the
/// content (images, PDF, UTF-8 text, Office documents by default). The upload stays
/// unattached until a message lists it in `fileIds`; unattached uploads are deleted after
/// a while.
#[utoipa::path(post, path = "/conversations/{id}/files", tag = "files",
    params(("id" = String, Path, format = Uuid)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = UploadedFile),
        (status = 400, description = "no `file` field, an empty file or a malformed body", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "over the size limit", body = ErrorBody),
        (status = 415, description = "a type not allowed", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn upload_file(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(conversation): Id<ConversationId>,
    request: Request,
) -> ApiResult<(StatusCode, Json<UploadedFile>)> {
    let files = files(&state)?;
    // Who may upload, and the rate limit, before a byte of the body is read.
    let permit = state.services.authorize_upload(&me, conversation).await?;
    let max = files.settings.max_file_bytes;
    if let Some(len) = content_length(&request)
        && len > max.saturating_add(MULTIPART_SLACK)
    {
        refuse_body(request, len, max).await;
        return Err(ApiError(upload::too_large(max)));
    }
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| ApiError::bad_request(e.body_text()))?;
    // In a task of its own: a client that disconnects drops this handler, but the task
    // still sees the body end and either removes what it stored or records it (so the
    // sweeper finds it), never leaving an object nobody knows about.
    let services = state.services.clone();
    let stored = tokio::spawn(store_upload(services, files, permit, multipart))
        .await
        .map_err(|e| ApiError(Error::internal_in("upload task failed", e)))??;
    Ok((StatusCode::CREATED, Json(stored.into())))
}

/// Streams the upload into storage and records it; on failure nothing stays stored.
async fn store_upload(
    services: Arc<Services>,
    files: Arc<Files>,
    permit: UploadPermit,
    multipart: Multipart,
) -> Result<StoredFile, Error> {
    let key = Files::key_for(&permit);
    let settings = &files.settings;
    let received = upload::receive(
        multipart,
        &files.storage,
        &key,
        settings.types.clone(),
        settings.max_file_bytes,
        settings.max_parts,
    )
    .await?;
    let new = NewFile {
        file_name: received.file_name,
        file_size: received.size,
        file_type: received.file_type.to_owned(),
        storage_path: key.clone(),
    };
    match services.record_upload(permit, new).await {
        Ok(stored) => Ok(stored),
        Err(e) => {
            if let Err(cleanup) = files.storage.delete(&key).await {
                tracing::warn!(%key, error = %cleanup, "removing an unrecorded upload failed");
            }
            Err(e)
        }
    }
}

/// Before answering 413 to a body declared too large: a client waiting for
/// `100 Continue` sends nothing, so there is nothing to read; a body up to twice the cap is
/// read and dropped, so the client gets the answer instead of a reset connection; larger
/// ones are cut off.
async fn refuse_body(request: Request, len: u64, max: u64) {
    let expects_continue = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if expects_continue || len > max.saturating_mul(2).saturating_add(MULTIPART_SLACK) {
        return;
    }
    let mut body = request.into_body().into_data_stream();
    let drain = async { while let Some(Ok(_)) = body.next().await {} };
    if tokio::time::timeout(upload::DRAIN_TIME, drain)
        .await
        .is_err()
    {
        tracing::debug!("stopped draining a refused upload body");
    }
}

fn content_length(request: &Request) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Downloads a file: active participants of its conversation and admins; an upload not
/// yet sent only by its uploader. Served as an attachment with the type detected on upload
/// and `X-Content-Type-Options: nosniff`; with presigned downloads on (S3), a 302 to a
/// short-lived URL instead.
#[utoipa::path(get, path = "/files/{id}", tag = "files",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the file's bytes", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 302, description = "redirect to a presigned URL (S3 with presigned downloads)"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn download_file(
    State(state): State<AppState>,
    Auth(me): Auth,
    Id(id): Id<FileId>,
) -> ApiResult<Response> {
    let files = files(&state)?;
    let file = state.services.file_for_download(&me, id).await?;
    let content_type = headers::content_type(&file.file_type);
    let disposition = headers::content_disposition(&file.file_name);
    if files.settings.presign_downloads
        && let Some(url) = files
            .storage
            .presigned_download(
                &file.storage_path,
                files.settings.presign_ttl,
                &content_type,
                &disposition,
            )
            .await
            .map_err(storage_error)?
    {
        return redirect(&url);
    }
    let object = files.storage.read(&file.storage_path).await.map_err(|e| {
        if matches!(e, object_store::Error::NotFound { .. }) {
            tracing::warn!(file = %file.id, "a recorded file has no object");
            ApiError(Error::NotFound("file"))
        } else {
            storage_error(e)
        }
    })?;
    let size = object.size;
    let mut response = Body::from_stream(object.into_io_stream()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header_value(&content_type)?);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    headers.insert(header::CONTENT_DISPOSITION, header_value(&disposition)?);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Should a browser render it anyway, it runs nothing and loads nothing.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    Ok(response)
}

fn redirect(url: &str) -> ApiResult<Response> {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, header_value(url)?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Our header values are ASCII by construction (sanitised names are percent-encoded).
fn header_value(value: &str) -> ApiResult<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|e| ApiError(Error::internal_in("invalid header value", e)))
}

fn storage_error(e: object_store::Error) -> ApiError {
    ApiError(Error::Unavailable(format!("object storage: {e}")))
}
