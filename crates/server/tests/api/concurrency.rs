use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// 8 writers x 50 sends into one conversation give exactly seq 1..=400.
async fn concurrent_writers_get_gapless_distinct_seqs(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let owner = app.user();
    let writers: Vec<_> = (0..8).map(|_| app.user()).collect();
    let refs: Vec<_> = writers.iter().collect();
    let conversation = app.conversation(&owner, &refs).await;
    let mut tasks = Vec::new();
    for writer in writers {
        let app = app.clone();
        let conversation = conversation.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..50 {
                let (status, body) = app
                    .post(
                        &format!("/api/conversations/{conversation}/messages"),
                        &writer,
                        json!({ "content": format!("{} #{i}", writer.id) }),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                seqs.push(body["message"]["seq"].as_i64().unwrap());
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 400);
    assert_eq!(distinct, (1..=400).collect::<BTreeSet<i64>>());
}

crate::on_both_backends!(concurrent_writers_get_gapless_distinct_seqs);
