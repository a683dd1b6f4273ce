//! What admins see beyond the client API: conversations with their details, analytics, the
//! moderation audit log and full conversation exports. The records, the query inputs (with
//! their validation) and the [`ports::AdminRepository`] port the store implements.
//!
//! Kept apart from the client-facing model so the admin surface can grow without touching
//! the hot path.

pub mod analytics;
pub mod audit;
pub mod conversations;
pub mod cursor;
pub mod export;
pub mod ports;

pub use analytics::{AnalyticsQuery, AnalyticsTotals, AnalyticsWindow, ConversationAnalytics};
pub use audit::{AuditAction, AuditEntry, AuditPage, AuditQuery};
pub use conversations::{
    AdminConversationsQuery, ConversationDetail, ConversationDetails, ConversationFilter,
    ConversationPage, ParticipantDetails,
};
pub use cursor::PageCursor;
pub use export::{ConversationExport, ExportFormat, ExportHeader, ExportMessage};
pub use ports::{AdminRepository, UnavailableAdmin};
