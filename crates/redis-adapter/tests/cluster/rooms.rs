//! Broadcasts across nodes.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use crate::client::Client;
use crate::helpers::cluster;

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn a_broadcast_reaches_the_room_on_every_node_both_ways() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    let mut b2 = Client::connect(b.port).await;
    a.join(&a1.sid, &["room"]);
    b.join(&b1.sid, &["room"]);

    a.io.to("room")
        .emit("hello", &json!({ "from": "a" }))
        .await
        .unwrap();
    assert_eq!(a1.expect("hello").await.args, [json!({ "from": "a" })]);
    assert_eq!(b1.expect("hello").await.args, [json!({ "from": "a" })]);

    b.io.to("room").emit("back", &(1, "two")).await.unwrap();
    assert_eq!(a1.expect("back").await.args, [json!(1), json!("two")]);
    assert_eq!(b1.expect("back").await.args, [json!(1), json!("two")]);
    b2.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_namespace_wide_broadcast_reaches_every_socket_of_every_node() {
    let nodes = cluster(3).await;
    let mut clients = Vec::new();
    for node in &nodes {
        clients.push(Client::connect(node.port).await);
    }
    nodes[2].io.emit("all", &"x").await.unwrap();
    for client in &mut clients {
        client.expect("all").await;
    }
}

#[tokio::test]
async fn except_excludes_a_room_on_every_node() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    let mut b2 = Client::connect(b.port).await;
    a.join(&a1.sid, &["conversation:1"]);
    b.join(&b1.sid, &["conversation:1", "user:1"]);
    b.join(&b2.sid, &["conversation:1"]);

    a.io.to("conversation:1")
        .except("user:1")
        .emit("typing", &1)
        .await
        .unwrap();
    a1.expect("typing").await;
    b2.expect("typing").await;
    b1.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_socket_broadcast_skips_only_the_sender() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut sender = Client::connect(a.port).await;
    let mut a2 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    for (node, sid) in [(a, &sender.sid), (a, &a2.sid), (b, &b1.sid)] {
        node.join(sid, &["room"]);
    }
    let socket = a.io.get_socket(sender.sid.parse().unwrap()).unwrap();
    socket.to("room").emit("from-peer", &"hi").await.unwrap();
    a2.expect("from-peer").await;
    b1.expect("from-peer").await;
    sender.expect_silence(QUIET).await;
}

#[tokio::test]
async fn binary_payloads_cross_nodes() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut b1 = Client::connect(b.port).await;
    b.join(&b1.sid, &["room"]);
    let payload = (json!({ "name": "f" }), Bytes::from_static(&[1, 2, 3]));
    a.io.to("room").emit("file", &payload).await.unwrap();
    let event = b1.expect("file").await;
    assert_eq!(event.args[0], json!({ "name": "f" }));
    assert_eq!(event.args[1], json!({ "_placeholder": true, "num": 0 }));
    assert_eq!(event.attachments, [vec![1u8, 2, 3]]);
}

#[tokio::test]
async fn local_broadcasts_stay_on_their_node() {
    let nodes = cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    a.join(&a1.sid, &["room"]);
    b.join(&b1.sid, &["room"]);
    a.io.local().to("room").emit("only-here", &1).await.unwrap();
    a1.expect("only-here").await;
    b1.expect_silence(QUIET).await;
}
