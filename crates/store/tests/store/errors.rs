//! How failures surface: conflicts, unreachable databases, unsupported URLs.

use std::time::{Duration, Instant};

use confab_domain::Error;
use confab_domain::model::Project;
use confab_domain::ports::ProjectRepository;
use confab_store::{Database, StoreError, StoreOptions, connect};

use crate::support::{fixture, now};

pub(crate) async fn a_duplicate_key_is_a_conflict(db: &Database) {
    let f = fixture(db).await;
    let project = Project {
        id: f.project,
        name: "again".to_owned(),
        created_by: None,
        created_at: now(),
    };
    let err = f.store.create_project(&project, &[]).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(!err.public_message().to_lowercase().contains("insert"));
}

#[tokio::test]
async fn an_unreachable_postgres_fails_fast() {
    let options = StoreOptions {
        acquire_timeout: Duration::from_secs(1),
        ..StoreOptions::default()
    };
    let started = Instant::now();
    let result = connect("postgres://postgres:secret@127.0.0.1:1/confab", &options).await;
    let Err(StoreError::Connect(message)) = result else {
        panic!("expected a connect error, got {result:?}");
    };
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!message.contains("secret"), "{message}");
}

#[tokio::test]
async fn an_unsupported_url_is_refused() {
    let result = connect("mysql://localhost/confab", &StoreOptions::default()).await;
    assert!(matches!(result, Err(StoreError::UnsupportedUrl)));
}
