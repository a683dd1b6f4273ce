use std::time::Duration;

use crate::helpers::{Backend, TestApp};

const WAIT: Duration = Duration::from_secs(5);

async fn a_users_first_socket_announces_online_and_the_last_one_offline_after_grace(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |c| {
        c.realtime.offline_grace = Duration::from_millis(600)
    })
    .await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut theirs = app.joined(&bob, &conversation).await;

    let first = app.socket(&alice).await;
    let online = theirs.wait_for("user:online", WAIT).await;
    assert_eq!(online["userId"], alice.id.to_string());
    let second = app.socket(&alice).await;
    assert!(
        theirs
            .maybe("user:online", Duration::from_millis(400))
            .await
            .is_none(),
        "only the first socket announces"
    );

    first.close();
    assert!(
        theirs
            .maybe("user:offline", Duration::from_millis(1200))
            .await
            .is_none(),
        "another socket is still there"
    );
    second.close();
    let offline = theirs.wait_for("user:offline", WAIT).await;
    assert_eq!(offline["userId"], alice.id.to_string());
    app.stop().await;
}

async fn a_reconnect_within_the_grace_period_announces_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.realtime.offline_grace = Duration::from_millis(1500)
    })
    .await;
    let (alice, bob) = (app.user(), app.user());
    let conversation = app.conversation(&alice, &[&bob]).await;
    let mut theirs = app.joined(&bob, &conversation).await;
    let socket = app.socket(&alice).await;
    theirs.wait_for("user:online", WAIT).await;
    socket.close();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _again = app.socket(&alice).await;
    assert!(
        theirs
            .maybe("user:offline", Duration::from_millis(2500))
            .await
            .is_none()
    );
    assert!(
        theirs
            .maybe("user:online", Duration::from_millis(100))
            .await
            .is_none()
    );
    app.stop().await;
}

crate::on_both_backends!(
    a_users_first_socket_announces_online_and_the_last_one_offline_after_grace,
    a_reconnect_within_the_grace_period_announces_nothing,
);
