//! The port behind the admin views. The store implements it on both backends; a node
//! without one answers `503 service_unavailable` for these routes ([`UnavailableAdmin`]).

use async_trait::async_trait;

use super::analytics::{AnalyticsTotals, AnalyticsWindow};
use super::audit::AuditEntry;
use super::conversations::{ConversationDetail, ConversationDetails, ConversationFilter};
use super::cursor::PageCursor;
use super::export::{ExportBatches, ExportHeader};
use crate::error::{Error, Result};
use crate::ids::{ConversationId, ProjectId};

/// What the admin views read and the audit log writes.
#[async_trait]
pub trait AdminRepository: Send + Sync + 'static {
    /// Conversations matching `filter`, newest created first, strictly after `after`;
    /// at most `limit` of them.
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<ConversationDetails>>;

    /// One conversation's details and last message.
    async fn conversation_details(&self, id: ConversationId) -> Result<Option<ConversationDetail>>;

    /// Raw per-day totals for the window (see [`super::analytics`] for the definitions).
    async fn analytics(
        &self,
        project: Option<ProjectId>,
        window: &AnalyticsWindow,
    ) -> Result<AnalyticsTotals>;

    /// Brings precomputed analytics up to date; `false` when there is nothing to refresh
    /// (a backend that computes directly) or another node is refreshing right now.
    async fn refresh_analytics(&self) -> Result<bool>;

    /// Appends an entry to the audit log.
    async fn record_audit(&self, entry: &AuditEntry) -> Result<()>;

    /// Audit entries newest first, strictly older than `before`; at most `limit`.
    async fn list_audit(&self, before: Option<&PageCursor>, limit: u32) -> Result<Vec<AuditEntry>>;

    /// The conversation and its participants; `None` when it does not exist.
    async fn export_header(&self, id: ConversationId) -> Result<Option<ExportHeader>>;

    /// Messages `1..=up_to_seq` in `seq` order, `batch` at a time, each batch read (with its
    /// files and edits) only when the previous one has been consumed.
    fn export_messages(&self, id: ConversationId, up_to_seq: i64, batch: u32) -> ExportBatches;
}

/// The default: every admin view answers `Unavailable`.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnavailableAdmin;

fn unavailable() -> Error {
    Error::Unavailable("no admin repository is configured".into())
}

#[async_trait]
impl AdminRepository for UnavailableAdmin {
    async fn list_conversations(
        &self,
        _: &ConversationFilter,
        _: Option<&PageCursor>,
        _: u32,
    ) -> Result<Vec<ConversationDetails>> {
        Err(unavailable())
    }

    async fn conversation_details(&self, _: ConversationId) -> Result<Option<ConversationDetail>> {
        Err(unavailable())
    }

    async fn analytics(
        &self,
        _: Option<ProjectId>,
        _: &AnalyticsWindow,
    ) -> Result<AnalyticsTotals> {
        Err(unavailable())
    }

    async fn refresh_analytics(&self) -> Result<bool> {
        Ok(false)
    }

    async fn record_audit(&self, _: &AuditEntry) -> Result<()> {
        Err(unavailable())
    }

    async fn list_audit(&self, _: Option<&PageCursor>, _: u32) -> Result<Vec<AuditEntry>> {
        Err(unavailable())
    }

    async fn export_header(&self, _: ConversationId) -> Result<Option<ExportHeader>> {
        Err(unavailable())
    }

    fn export_messages(&self, _: ConversationId, _: i64, _: u32) -> ExportBatches {
        Box::pin(futures::stream::once(async { Err(unavailable()) }))
    }
}
