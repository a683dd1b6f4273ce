//! Moderation reports through their lifecycle.

use confab_domain::ids::{ReportId, UserId};
use confab_domain::model::{Report, ReportStatus};
use confab_domain::ports::ReportRepository;
use confab_store::Database;

use crate::support::{at, fixture, send};

fn report(message: &confab_domain::model::Message, by: UserId, seconds: i64) -> Report {
    Report {
        id: ReportId::new(),
        message_id: message.id,
        conversation_id: message.conversation_id,
        reported_by: by,
        reason: "spam".to_owned(),
        description: Some("buy now".to_owned()),
        status: ReportStatus::Pending,
        resolved_by: None,
        resolved_at: None,
        created_at: at(seconds),
    }
}

pub(crate) async fn reports_move_from_pending_to_resolved_and_list_by_status(db: &Database) {
    let f = fixture(db).await;
    let message = send(&f.store, f.conversation, f.alice, "cheap watches").await;
    let first = report(&message, f.bob, 1);
    let second = report(&message, f.carol, 2);
    f.store.create_report(&first).await.unwrap();
    f.store.create_report(&second).await.unwrap();

    assert_eq!(
        f.store.get_report(first.id).await.unwrap(),
        Some(first.clone())
    );
    let ids = |reports: Vec<Report>| reports.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(f.store.list_reports(None).await.unwrap()),
        vec![second.id, first.id]
    );

    let reviewed = f
        .store
        .update_report(first.id, ReportStatus::Reviewed, f.alice, at(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reviewed.status, ReportStatus::Reviewed);
    assert_eq!(reviewed.resolved_by, Some(f.alice));
    assert_eq!(reviewed.resolved_at, Some(at(3)));
    assert_eq!(reviewed.conversation_id, f.conversation);

    let pending = f
        .store
        .list_reports(Some(ReportStatus::Pending))
        .await
        .unwrap();
    assert_eq!(ids(pending), vec![second.id]);
    let listed = f
        .store
        .list_reports(Some(ReportStatus::Reviewed))
        .await
        .unwrap();
    assert_eq!(listed, vec![reviewed]);

    let resolved = f
        .store
        .update_report(first.id, ReportStatus::Resolved, f.bob, at(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (resolved.resolved_by, resolved.resolved_at),
        (Some(f.bob), Some(at(4)))
    );
    let missing = f
        .store
        .update_report(ReportId::new(), ReportStatus::Resolved, f.bob, at(5))
        .await
        .unwrap();
    assert!(missing.is_none());
    assert!(f.store.get_report(ReportId::new()).await.unwrap().is_none());
}
