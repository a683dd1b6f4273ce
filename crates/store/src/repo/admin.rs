//! [`SqlStore`] as the admin views' port: each method delegates to a module per feature
//! (`admin_conversations`, `analytics`, `audit`, `export`) and maps failures ([`run`]).

use async_trait::async_trait;
use confab_domain::Result;
use confab_domain::admin::export::{ExportBatches, ExportHeader};
use confab_domain::admin::{
    AdminRepository, AnalyticsTotals, AnalyticsWindow, AuditEntry, ConversationDetail,
    ConversationDetails, ConversationFilter, PageCursor,
};
use confab_domain::ids::{ConversationId, ProjectId};

use super::{SqlStore, admin_conversations, analytics, audit, export};
use crate::error::run;

#[async_trait]
impl AdminRepository for SqlStore {
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<ConversationDetails>> {
        let work = admin_conversations::list(&self.db, filter, after, limit);
        run("admin_list_conversations", work).await
    }

    async fn conversation_details(&self, id: ConversationId) -> Result<Option<ConversationDetail>> {
        let work = admin_conversations::one(&self.db, id);
        run("admin_conversation_details", work).await
    }

    async fn analytics(
        &self,
        project: Option<ProjectId>,
        window: &AnalyticsWindow,
    ) -> Result<AnalyticsTotals> {
        run("analytics", analytics::totals(&self.db, project, window)).await
    }

    async fn refresh_analytics(&self) -> Result<bool> {
        run("refresh_analytics", analytics::refresh(&self.writer)).await
    }

    async fn record_audit(&self, entry: &AuditEntry) -> Result<()> {
        run("record_audit", audit::record(&self.writer, entry)).await
    }

    async fn list_audit(&self, before: Option<&PageCursor>, limit: u32) -> Result<Vec<AuditEntry>> {
        run("list_audit", audit::list(&self.db, before, limit)).await
    }

    async fn export_header(&self, id: ConversationId) -> Result<Option<ExportHeader>> {
        run("export_header", export::header(&self.db, id)).await
    }

    fn export_messages(&self, id: ConversationId, up_to_seq: i64, batch: u32) -> ExportBatches {
        export::batches(self.db.clone(), id, up_to_seq, batch)
    }
}
