//! sea-orm entities, one module per table (the schema lives in `confab-migrations`).
//!
//! Ids are plain `Uuid`s here; the repositories convert them to the domain's typed ids.
//! Enum-like columns stay `String`s so an unknown value read from the database becomes an
//! internal error in the conversion, never a panic in the driver.

pub mod conversation;
pub mod conversation_participant;
pub mod message;
pub mod message_edit;
pub mod message_file;
pub mod message_read_receipt;
pub mod message_report;
pub mod project;
pub mod project_member;
pub mod user;
