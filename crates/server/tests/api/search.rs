use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp};

async fn search_is_stemmed_ranked_highlighted_and_skips_deleted_messages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, outsider) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[]).await;
    app.send(
        &conversation,
        &alice,
        "We are running the migration tonight",
    )
    .await;
    app.send(&conversation, &alice, "lunch at noon?").await;
    let gone = app.send(&conversation, &alice, "the runner broke").await;
    app.send(&conversation, &alice, "run run run, the deploy runs")
        .await;
    app.delete(
        &format!("/api/messages/{}", gone["id"].as_str().unwrap()),
        &alice,
    )
    .await;

    let (status, body) = app
        .get(
            &format!("/api/conversations/{conversation}/search?q=run"),
            &alice,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hits = body["messages"].as_array().unwrap();
    let contents: Vec<&str> = hits
        .iter()
        .map(|h| h["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents.len(), 2, "{contents:?}");
    assert_eq!(
        contents[0], "run run run, the deploy runs",
        "best match first"
    );
    assert!(contents.contains(&"We are running the migration tonight"));
    assert!(
        hits.iter()
            .all(|h| h["highlight"].as_str().unwrap().contains("<mark>"))
    );

    for hostile in [
        "%22a%22%20OR%20(",
        "NEAR(",
        "*",
        "a%3Ab",
        "'); DROP TABLE messages; --",
    ] {
        let (status, body) = app
            .get(
                &format!("/api/conversations/{conversation}/search?q={hostile}"),
                &alice,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "q={hostile}: {body}");
    }
    assert_eq!(
        app.status(
            &format!("/api/conversations/{conversation}/search?q="),
            &alice
        )
        .await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.status(
            &format!("/api/conversations/{conversation}/search?q=run"),
            &outsider
        )
        .await,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

async fn searches_are_rate_limited_per_user(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.searches_per_minute = 10).await;
    let alice = app.user();
    let conversation = app.conversation(&alice, &[]).await;
    for i in 0..10 {
        assert_eq!(
            app.status(
                &format!("/api/conversations/{conversation}/search?q=x"),
                &alice
            )
            .await,
            StatusCode::OK,
            "search {i}"
        );
    }
    let (status, body) = app
        .get(
            &format!("/api/conversations/{conversation}/search?q=x"),
            &alice,
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "rate_limited");
    app.stop().await;
}

crate::on_both_backends!(
    search_is_stemmed_ranked_highlighted_and_skips_deleted_messages,
    searches_are_rate_limited_per_user
);
