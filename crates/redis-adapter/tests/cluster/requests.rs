//! Room changes, queries and acks across nodes.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use crate::client::Client;
use crate::helpers::{cluster, eventually, server_side_round};

const QUIET: Duration = Duration::from_millis(300);
const SOON: Duration = Duration::from_secs(3);

#[tokio::test]
async fn a_remote_leave_removes_the_users_sockets_from_the_room_on_every_node() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut removed_a = Client::connect(a.port).await;
    let mut removed_b = Client::connect(b.port).await;
    let mut other = Client::connect(b.port).await;
    a.join(&removed_a.sid, &["user:1", "conversation:1"]);
    b.join(&removed_b.sid, &["user:1", "conversation:1"]);
    b.join(&other.sid, &["user:2", "conversation:1"]);

    // What confab does when a participant is removed.
    a.io.to("user:1").leave("conversation:1").await.unwrap();

    assert!(a.local_members("conversation:1").is_empty());
    let stays = vec![other.sid.clone()];
    assert!(
        eventually(SOON, || b.local_members("conversation:1") == stays).await,
        "the removed user's socket on node b left the room"
    );
    a.io.to("conversation:1")
        .emit("message:new", &1)
        .await
        .unwrap();
    other.expect("message:new").await;
    removed_a.expect_silence(QUIET).await;
    removed_b.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_remote_join_adds_the_selected_sockets_on_every_node() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let b1 = Client::connect(b.port).await;
    b.join(&b1.sid, &["user:9"]);
    a.io.to("user:9").join("conversation:9").await.unwrap();
    let expected = vec![b1.sid.clone()];
    assert!(eventually(SOON, || b.local_members("conversation:9") == expected).await);
}

#[tokio::test]
async fn fetch_sockets_and_server_count_see_every_node() {
    let nodes = cluster(3).await;
    let mut expected = HashSet::new();
    let mut clients = Vec::new();
    for node in &nodes {
        let client = Client::connect(node.port).await;
        node.join(&client.sid, &["room"]);
        expected.insert(client.sid.clone());
        clients.push(client);
    }
    // A socket outside the room is not fetched.
    let _outside = Client::connect(nodes[1].port).await;

    let fetched = nodes[0].io.to("room").fetch_sockets().await.unwrap();
    let ids: HashSet<String> = fetched.iter().map(|s| s.data().id.to_string()).collect();
    assert_eq!(ids, expected);
    assert_eq!(nodes[0].ctr.server_count("/").await.unwrap(), 3);

    let rooms = nodes[2].io.rooms().await.unwrap();
    assert!(rooms.iter().any(|r| r == "room"));
}

#[tokio::test]
async fn a_fetched_remote_socket_can_be_messaged_and_moved() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut b1 = Client::connect(b.port).await;
    b.join(&b1.sid, &["room"]);
    let remote = a.io.to("room").fetch_sockets().await.unwrap();
    let [socket] = &remote[..] else {
        panic!("one socket, got {remote:?}")
    };
    socket.emit("direct", &"to you").await.unwrap();
    assert_eq!(b1.expect("direct").await.args, [json!("to you")]);

    socket.join("elsewhere").await.unwrap();
    let expected = vec![b1.sid.clone()];
    assert!(eventually(SOON, || b.local_members("elsewhere") == expected).await);
    let rooms: HashSet<String> = socket
        .rooms()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(
        rooms,
        HashSet::from(["room".to_owned(), "elsewhere".to_owned()])
    );
}

#[tokio::test]
async fn a_broadcast_with_acks_collects_the_acks_of_every_node() {
    let nodes = cluster(3).await;
    let mut clients = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let client = Client::connect(node.port).await;
        client.ack_with(json!({ "node": i }));
        node.join(&client.sid, &["room"]);
        clients.push(client);
    }
    assert_eq!(nodes[0].acks_from("room").await, [0, 1, 2]);
    for client in &mut clients {
        client.expect("ask").await;
    }
}

#[tokio::test]
async fn a_remote_disconnect_closes_the_sockets_on_the_other_node() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let b1 = Client::connect(b.port).await;
    let b2 = Client::connect(b.port).await;
    b.join(&b1.sid, &["kick"]);
    a.io.to("kick").disconnect().await.unwrap();
    let (gone, stays) = (b1.sid.parse().unwrap(), b2.sid.parse().unwrap());
    assert!(eventually(SOON, || b.io.get_socket(gone).is_none()).await);
    assert!(b.io.get_socket(stays).is_some());
}

#[tokio::test]
async fn server_side_emits_reach_the_other_nodes_and_come_back_with_acks() {
    let nodes = cluster(3).await;
    let (seen, acked_by) = server_side_round(&nodes, SOON, |i, emit| {
        (i, emit.event.clone(), emit.args.clone())
    })
    .await;
    assert!(
        seen.iter()
            .all(|(_, e, args)| e == "hello" && args == &[json!(1)])
    );
    assert_eq!(acked_by, [1, 2]);
}

#[tokio::test]
async fn a_request_that_a_node_does_not_answer_times_out() {
    let nodes = cluster(2).await;
    // Node b has no server-side listener, so it never answers (like a Node.js server).
    let started = std::time::Instant::now();
    let err = nodes[0]
        .ctr
        .server_side_emit_with_ack("/", "nobody-listens", vec![])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            confab_redis_adapter::Error::Timeout {
                expected: 1,
                received: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
