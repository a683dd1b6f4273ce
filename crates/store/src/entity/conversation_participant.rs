//! `conversation_participants`: membership. A removed participant keeps the row with
//! `left_at` set, so re-adding them keeps their read marker.

use sea_orm::entity::prelude::*;

/// A row of `conversation_participants`: one user's membership of one conversation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_participants")]
pub struct Model {
    /// The conversation (first half of the primary key); deleting it deletes the row.
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: Uuid,
    /// The participant (second half of the primary key).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `owner`, `admin` or `member` (`ParticipantRole`).
    pub role: String,
    /// When they joined; re-adding someone who left resets it, re-adding an active participant
    /// does not.
    pub joined_at: DateTimeUtc,
    /// When they were removed; NULL while they are a participant.
    pub left_at: Option<DateTimeUtc>,
    /// Whether they get notifications for this conversation (true when they are added).
    pub notifications_enabled: bool,
    /// When they last marked a message read; NULL if never.
    pub last_read_at: Option<DateTimeUtc>,
    /// `seq` of the newest message they have read (0 if none); kept when they leave.
    pub last_read_seq: i64,
}

/// The relations of `conversation_participants`, for sea-orm joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The conversation (`conversation_id`; delete cascades).
    #[sea_orm(
        belongs_to = "super::conversation::Entity",
        from = "Column::ConversationId",
        to = "super::conversation::Column::Id",
        on_delete = "Cascade"
    )]
    Conversation,
}

impl Related<super::conversation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Conversation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
