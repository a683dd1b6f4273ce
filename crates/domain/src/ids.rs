//! Typed identifiers. Each wraps a UUID so a `UserId` can never be passed where a
//! `ConversationId` is expected; on the wire they are plain UUID strings.
//!
//! ```
//! use confab_domain::ids::{ConversationId, UserId};
//!
//! let id: UserId = "0191d7a4-6a2b-7c3d-8e4f-5a6b7c8d9e0f".parse()?;
//! assert_eq!(id.to_string(), "0191d7a4-6a2b-7c3d-8e4f-5a6b7c8d9e0f");
//! // JSON carries the bare UUID string, not an object.
//! assert_eq!(serde_json::to_string(&id)?, r#""0191d7a4-6a2b-7c3d-8e4f-5a6b7c8d9e0f""#);
//! assert!("not-a-uuid".parse::<ConversationId>().is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Mixing two kinds of id does not compile:
//!
//! ```compile_fail
//! use confab_domain::ids::{ConversationId, UserId};
//!
//! fn leave(conversation: ConversationId) {}
//! leave(UserId::new());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[cfg_attr(test, derive(ts_rs::TS))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUID v7): new rows land at the end of the index, and
            /// a later id compares greater.
            ///
            /// ```
            #[doc = concat!("let first = confab_domain::ids::", stringify!($name), "::new();")]
            #[doc = concat!("let second = confab_domain::ids::", stringify!($name), "::new();")]
            /// assert!(first < second);
            /// ```
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (read from a row, a token or a path) without checking it.
            ///
            /// ```
            /// use uuid::Uuid;
            #[doc = concat!("use confab_domain::ids::", stringify!($name), ";")]
            ///
            /// let uuid = Uuid::from_u128(7);
            #[doc = concat!("assert_eq!(", stringify!($name), "::from_uuid(uuid).as_uuid(), uuid);")]
            /// ```
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The UUID inside, for the storage and wire layers.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// A user, as named by the `sub` claim of their token.
    UserId
);
typed_id!(
    /// A project: the tenant that owns conversations.
    ProjectId
);
typed_id!(
    /// A conversation inside a project.
    ConversationId
);
typed_id!(
    /// A message inside a conversation.
    MessageId
);
typed_id!(
    /// An uploaded file, attached to at most one message.
    FileId
);
typed_id!(
    /// A report filed against a message.
    ReportId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = MessageId::new();
        let parsed: MessageId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<MessageId>(&json).unwrap(), id);
    }

    #[test]
    fn a_malformed_id_is_rejected() {
        assert!("not-a-uuid".parse::<UserId>().is_err());
    }

    #[test]
    fn new_ids_sort_by_creation_time() {
        let a = MessageId::new();
        let b = MessageId::new();
        assert!(a < b);
    }
}
