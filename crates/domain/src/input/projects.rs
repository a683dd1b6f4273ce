//! Bodies of the admin project routes: creating a project with its first members, and
//! adding members.

use garde::Validate;
use serde::Deserialize;

use super::{MAX_USER_IDS, at_most, checked, distinct_ids, not_blank, one_of, uuid_text};
use crate::error::Result;
use crate::ids::UserId;
use crate::model::ProjectRole;

/// Body of `POST /admin/projects`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateProjectInput {
    /// The project's name, 1 to 255 characters, not blank.
    #[garde(length(chars, min = 1, max = 255), custom(not_blank))]
    pub name: String,
    /// Users who become members (role `member`); unknown ids get a user row.
    #[serde(default)]
    #[garde(length(max = MAX_USER_IDS), inner(custom(uuid_text)))]
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub member_ids: Vec<String>,
}

impl CreateProjectInput {
    /// The trimmed name and the distinct member ids.
    pub fn parse(self) -> Result<(String, Vec<UserId>)> {
        at_most("memberIds", self.member_ids.len(), MAX_USER_IDS)?;
        checked(&self)?;
        Ok((self.name.trim().to_owned(), distinct_ids(&self.member_ids)))
    }
}

/// Body of `POST /admin/projects/:id/members`.
#[derive(Clone, Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AddMembersInput {
    /// The users to add: 1 to 1,000 UUIDs; unknown ids get a user row.
    #[garde(length(min = 1, max = MAX_USER_IDS), inner(custom(uuid_text)))]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub user_ids: Vec<String>,
    /// `member` or `owner`. Absent: new members get `member`, existing ones keep their role.
    #[serde(default)]
    #[garde(inner(custom(one_of(ProjectRole::parse, &["member", "owner"]))))]
    pub role: Option<String>,
}

impl AddMembersInput {
    /// The distinct user ids and the role, or a validation error.
    pub fn parse(self) -> Result<(Vec<UserId>, Option<ProjectRole>)> {
        at_most("userIds", self.user_ids.len(), MAX_USER_IDS)?;
        checked(&self)?;
        let role = self.role.as_deref().and_then(ProjectRole::parse);
        Ok((distinct_ids(&self.user_ids), role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn member_lists_are_bounded_and_deduplicated() {
        let id = uuid::Uuid::new_v4().to_string();
        let input = AddMembersInput {
            user_ids: vec![id.clone(), id],
            role: Some("owner".into()),
        };
        let (ids, role) = input.parse().unwrap();
        assert_eq!((ids.len(), role), (1, Some(ProjectRole::Owner)));
        let empty = AddMembersInput {
            user_ids: vec![],
            role: None,
        };
        assert!(empty.parse().is_err());
        let wrong_role = AddMembersInput {
            user_ids: vec![uuid::Uuid::new_v4().to_string()],
            role: Some("admin".into()),
        };
        assert!(wrong_role.parse().is_err());
        let project = CreateProjectInput {
            name: "Acme".into(),
            member_ids: vec!["x".into(); 1001],
        };
        let Err(Error::Validation {
            details: Some(details),
            ..
        }) = project.parse()
        else {
            panic!("expected a validation error with details")
        };
        assert!(details.get("memberIds").is_some(), "{details}");
    }
}
