//! Several nodes on one PostgreSQL and one Redis behave as one server.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, TestApp, unique_prefix};

const WAIT: Duration = Duration::from_secs(5);

/// Two nodes sharing a fresh database and a private Redis namespace.
async fn two_nodes(configure: fn(&mut confab_server::Config)) -> (TestApp, TestApp) {
    two_nodes_on(crate::helpers::redis_url(), configure).await
}

async fn two_nodes_on(
    url: String,
    configure: fn(&mut confab_server::Config),
) -> (TestApp, TestApp) {
    let prefix = unique_prefix();
    let first = TestApp::spawn_with(Backend::Postgres, |c| {
        crate::helpers::on_redis(c, url.clone(), &prefix);
        configure(c);
    })
    .await;
    let second = first.peer(configure).await;
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_cross_nodes_in_both_directions() {
    let (one, two) = two_nodes(|_| {}).await;
    let (alice, bob) = (one.user(), one.user());
    let conversation = one.conversation(&alice, &[&bob]).await;
    let mut on_one = one.joined(&alice, &conversation).await;
    let mut on_two = two.joined(&bob, &conversation).await;

    let ack = on_one
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": "from one" }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(
        on_two.wait_for("message:new", WAIT).await["content"],
        "from one"
    );
    let echo = on_one.wait_for("message:new", WAIT).await;
    assert_eq!(
        echo["content"], "from one",
        "the sender's own sockets get it too"
    );
    let ack = on_two
        .ask(
            "message:send",
            json!({ "conversationId": conversation, "content": "from two" }),
        )
        .await;
    assert_eq!(ack["message"]["seq"], 2);
    let got = on_one.wait_for("message:new", WAIT).await;
    assert_eq!(got["content"], "from two", "{got}");
    // REST writes on one node reach sockets on the other.
    two.send(&conversation, &bob, "over REST on two").await;
    assert_eq!(
        on_one.wait_for("message:new", WAIT).await["content"],
        "over REST on two"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_is_shared_across_nodes() {
    let (one, two) = two_nodes(|c| c.realtime.offline_grace = Duration::from_millis(500)).await;
    let (alice, bob) = (one.user(), one.user());
    let conversation = one.conversation(&alice, &[&bob]).await;
    let mut watcher = two.joined(&bob, &conversation).await;

    let first = one.socket(&alice).await;
    assert_eq!(
        watcher.wait_for("user:online", WAIT).await["userId"],
        alice.id.to_string()
    );
    let second = two.socket(&alice).await;
    assert!(
        watcher
            .maybe("user:online", Duration::from_millis(500))
            .await
            .is_none(),
        "announced once"
    );
    first.close();
    assert!(
        watcher
            .maybe("user:offline", Duration::from_millis(1200))
            .await
            .is_none(),
        "still online on node two"
    );
    second.close();
    assert_eq!(
        watcher.wait_for("user:offline", WAIT).await["userId"],
        alice.id.to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_crosses_nodes() {
    let (one, two) = two_nodes(|_| {}).await;
    let (alice, bob) = (one.user(), one.user());
    let conversation = one.conversation(&alice, &[&bob]).await;
    let typist = one.joined(&alice, &conversation).await;
    let mut watcher = two.joined(&bob, &conversation).await;
    typist
        .ask("typing:start", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(
        watcher.wait_for("user:typing", WAIT).await["isTyping"],
        true
    );
    typist
        .ask("typing:stop", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(
        watcher.wait_for("user:typing", WAIT).await["isTyping"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_on_two_nodes_get_distinct_gapless_seqs() {
    let (one, two) = two_nodes(|_| {}).await;
    let owner = one.user();
    let writers: Vec<_> = (0..4).map(|_| one.user()).collect();
    let refs: Vec<_> = writers.iter().collect();
    let conversation = one.conversation(&owner, &refs).await;
    let nodes = Arc::new([one, two]);
    let mut tasks = Vec::new();
    for (i, writer) in writers.into_iter().enumerate() {
        let nodes = nodes.clone();
        let conversation = conversation.clone();
        tasks.push(tokio::spawn(async move {
            let node = &nodes[i % 2];
            let mut seqs = Vec::new();
            for n in 0..50 {
                let message = node
                    .send(&conversation, &writer, &format!("w{i} #{n}"))
                    .await;
                seqs.push(message["seq"].as_i64().unwrap());
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 200);
    assert_eq!(distinct, (1..=200).collect::<BTreeSet<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_participant_on_one_node_cuts_off_their_socket_on_the_other() {
    let (one, two) = two_nodes(|_| {}).await;
    let (alice, bob, admin) = (one.user(), one.user(), one.admin());
    let conversation = one.conversation(&alice, &[&bob]).await;
    let mut removed = two.joined(&bob, &conversation).await;
    one.remove_participant(&admin, &conversation, &bob).await;
    // The leave travels through Redis; give it a moment before sending.
    tokio::time::sleep(Duration::from_millis(300)).await;
    one.send(&conversation, &alice, "not for bob").await;
    assert!(
        removed
            .maybe("message:new", Duration::from_millis(800))
            .await
            .is_none()
    );
    let ack = removed
        .ask("join", json!({ "conversationId": conversation }))
        .await;
    assert_eq!(ack["error"]["code"], "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_limit_holds_across_nodes() {
    let (one, two) = two_nodes(|c| c.limits.messages_per_minute = 30).await;
    let alice = one.user();
    let conversation = one.conversation(&alice, &[]).await;
    let path = format!("/api/conversations/{conversation}/messages");
    let mut created = 0;
    let mut limited = 0;
    for i in 0..40 {
        let node = if i % 2 == 0 { &one } else { &two };
        let (status, _) = node
            .post(&path, &alice, json!({ "content": format!("m{i}") }))
            .await;
        match status.as_u16() {
            201 => created += 1,
            429 => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, limited), (30, 10));
}

/// The same nodes on a Redis Cluster (`redis+cluster://`, three masters started for the test):
/// sharded Pub/Sub for rooms, hash-tagged presence keys.
mod on_a_redis_cluster {
    use super::*;
    use confab_redis_link::testing::PrivateCluster;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn messages_presence_and_removals_cross_nodes() {
        let cluster = PrivateCluster::start().await;
        let (one, two) = two_nodes_on(cluster.url(), |c| {
            c.realtime.offline_grace = Duration::from_millis(300);
        })
        .await;
        let (alice, bob, admin) = (one.user(), one.user(), one.admin());
        let conversation = one.conversation(&alice, &[&bob]).await;
        let mut on_two = two.joined(&bob, &conversation).await;

        // Presence: alice comes online on node one; bob hears it on node two.
        let mut on_one = one.joined(&alice, &conversation).await;
        assert_eq!(
            on_two.wait_for("user:online", WAIT).await["userId"],
            alice.id.to_string()
        );
        let ack = on_one
            .ask(
                "message:send",
                json!({ "conversationId": conversation, "content": "over the Cluster" }),
            )
            .await;
        assert_eq!(ack["ok"], true, "{ack}");
        assert_eq!(
            on_two.wait_for("message:new", WAIT).await["content"],
            "over the Cluster"
        );
        assert_eq!(
            on_one.wait_for("message:new", WAIT).await["content"],
            "over the Cluster",
            "the sender's own socket gets it too"
        );
        two.send(&conversation, &bob, "back").await;
        assert_eq!(
            on_one.wait_for("message:new", WAIT).await["content"],
            "back"
        );
        assert_eq!(
            on_two.wait_for("message:new", WAIT).await["content"],
            "back",
            "bob's own echo"
        );

        // Removing bob on node one cuts off his socket on node two.
        let (status, _) = one
            .delete(
                &format!(
                    "/api/admin/conversations/{conversation}/participants/{}",
                    bob.id
                ),
                &admin,
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(300)).await;
        one.send(&conversation, &alice, "not for bob").await;
        assert!(
            on_two
                .maybe("message:new", Duration::from_millis(800))
                .await
                .is_none()
        );

        // Alice's last socket closes on node one: a participant of another of her
        // conversations, watching on node two, hears that she went offline.
        let carol = one.user();
        let other = one.conversation(&alice, &[&carol]).await;
        let mut watcher = two.joined(&carol, &other).await;
        on_one.close();
        assert_eq!(
            watcher.wait_for("user:offline", WAIT).await["userId"],
            alice.id.to_string()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_message_limit_holds_across_nodes() {
        let cluster = PrivateCluster::start().await;
        let (one, two) = two_nodes_on(cluster.url(), |c| c.limits.messages_per_minute = 10).await;
        let alice = one.user();
        let conversation = one.conversation(&alice, &[]).await;
        let path = format!("/api/conversations/{conversation}/messages");
        let mut statuses = Vec::new();
        for i in 0..14 {
            let node = if i % 2 == 0 { &one } else { &two };
            let (status, _) = node
                .post(&path, &alice, json!({ "content": format!("m{i}") }))
                .await;
            statuses.push(status.as_u16());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            10,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 429).count(),
            4,
            "{statuses:?}"
        );
    }
}
