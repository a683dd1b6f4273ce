//! Project membership: who may list a project's conversations and take part in them.
//! Admins manage members; everyone lists the projects they belong to.

use serde_json::json;

use super::Services;
use crate::admin::audit::AuditAction;
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::ids::{ProjectId, UserId};
use crate::input::AddMembersInput;
use crate::model::{Project, ProjectMember};
use crate::policy;
use crate::ports::Event;

impl Services {
    /// The projects the caller is a member of; every project for admins.
    pub async fn my_projects(&self, actor: &Identity) -> Result<Vec<Project>> {
        if actor.is_admin {
            return self.store.list_projects().await;
        }
        self.store.projects_of(actor.user_id).await
    }

    /// Admins only: the project's members, earliest added first; `not_found` for an unknown
    /// project.
    pub async fn list_members(
        &self,
        actor: &Identity,
        project: ProjectId,
    ) -> Result<Vec<ProjectMember>> {
        policy::require_admin(actor)?;
        self.existing_project(project).await?;
        self.store.list_members(project).await
    }

    /// Makes the listed users members (idempotent; user rows are created for ids not seen
    /// yet) and returns the project's members.
    pub async fn add_members(
        &self,
        actor: &Identity,
        project: ProjectId,
        input: AddMembersInput,
    ) -> Result<Vec<ProjectMember>> {
        policy::require_admin(actor)?;
        let (users, role) = input.parse()?;
        self.existing_project(project).await?;
        self.store
            .add_members(project, &users, role, self.clock.now())
            .await?;
        let details = json!({ "userIds": users, "role": role.map(|r| r.as_str()) });
        self.audit(actor, AuditAction::MemberAdd, project.to_string(), details)
            .await;
        self.store.list_members(project).await
    }

    /// Ends a membership. The user also leaves every conversation of the project, and
    /// their sockets leave those rooms at once, on every node.
    pub async fn remove_member(
        &self,
        actor: &Identity,
        project: ProjectId,
        user: UserId,
    ) -> Result<()> {
        policy::require_admin(actor)?;
        self.existing_project(project).await?;
        let left = self
            .store
            .remove_member(project, user, self.clock.now())
            .await?
            .ok_or(Error::NotFound("member"))?;
        let details = json!({ "userId": user, "conversations": left.len() });
        self.audit(
            actor,
            AuditAction::MemberRemove,
            project.to_string(),
            details,
        )
        .await;
        for conversation_id in left {
            self.publish(Event::ParticipantRemoved {
                conversation_id,
                user_id: user,
            })
            .await;
        }
        Ok(())
    }

    async fn existing_project(&self, project: ProjectId) -> Result<()> {
        match self.store.project_exists(project).await? {
            true => Ok(()),
            false => Err(Error::NotFound("project")),
        }
    }
}
