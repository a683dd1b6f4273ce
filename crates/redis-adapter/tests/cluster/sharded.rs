//! Nodes on a real Redis Cluster (three masters on loopback ports, started per test):
//! `redis+cluster://` selects sharded Pub/Sub in the format of `createShardedAdapter`. Rooms
//! have channels of their own, which a node listens on while it has a socket in the room.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use socketioxide::socket::Sid;

use crate::client::Client;
use crate::helpers::{Node, PrivateCluster, eventually, server_side_round, unique_prefix};

const SOON: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(300);

async fn on_cluster(n: usize) -> (PrivateCluster, Vec<Node>, String) {
    let cluster = PrivateCluster::start().await;
    let prefix = unique_prefix();
    let mut nodes = Vec::with_capacity(n);
    for _ in 0..n {
        nodes.push(Node::start(&cluster.url(), &prefix).await);
    }
    (cluster, nodes, prefix)
}

/// Joins through the adapter, as confab's gateway does (`socket.local().join(..)`): on a
/// Cluster that also subscribes the room's channel before it returns.
async fn join(node: &Node, sid: &str, room: &str) {
    let socket = node.io.get_socket(sid.parse::<Sid>().unwrap()).unwrap();
    socket.local().join(room.to_owned()).await.unwrap();
}

/// Two room names whose channels live on different masters.
async fn rooms_on_two_masters(cluster: &PrivateCluster, prefix: &str) -> (String, String) {
    let first = "conversation:0".to_owned();
    let home = cluster.master_of(&format!("{prefix}#/#{first}#")).await;
    for i in 1..100 {
        let room = format!("conversation:{i}");
        if cluster.master_of(&format!("{prefix}#/#{room}#")).await != home {
            return (first, room);
        }
    }
    panic!("no two rooms on different masters among 100")
}

#[tokio::test]
async fn on_a_redis_cluster_room_broadcasts_cross_nodes_for_rooms_on_different_masters() {
    let (cluster, nodes, prefix) = on_cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    assert!(a.ctr.is_healthy() && b.ctr.is_healthy());
    let (one, two) = rooms_on_two_masters(&cluster, &prefix).await;
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    let mut b2 = Client::connect(b.port).await;
    join(a, &a1.sid, &one).await;
    join(b, &b1.sid, &one).await;
    join(a, &a1.sid, &two).await;
    join(b, &b2.sid, &two).await;

    a.io.to(one.clone())
        .emit("hello", &json!({ "room": 1 }))
        .await
        .unwrap();
    assert_eq!(b1.expect("hello").await.args, [json!({ "room": 1 })]);
    assert_eq!(a1.expect("hello").await.args, [json!({ "room": 1 })]);
    b.io.to(two.clone()).emit("back", &(2, "x")).await.unwrap();
    assert_eq!(a1.expect("back").await.args, [json!(2), json!("x")]);
    assert_eq!(b2.expect("back").await.args, [json!(2), json!("x")]);
    b1.expect_silence(QUIET).await;
    // Several rooms, and the whole namespace, go on the main channel.
    a.io.to([one, two]).emit("both", &1).await.unwrap();
    a1.expect("both").await;
    b1.expect("both").await;
    b2.expect("both").await;
    b.io.emit("all", &"x").await.unwrap();
    a1.expect("all").await;
    b1.expect("all").await;
}

#[tokio::test]
async fn on_a_redis_cluster_a_node_listens_on_a_rooms_channel_only_while_it_has_a_socket_there() {
    let (cluster, nodes, prefix) = on_cluster(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let b1 = Client::connect(b.port).await;
    let channel = format!("{prefix}#/#lonely#");
    let listeners = || async {
        let port = cluster.master_of(&channel).await;
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let reply: Vec<(String, usize)> = redis::cmd("PUBSUB")
            .arg("SHARDNUMSUB")
            .arg(&channel)
            .query_async(&mut conn)
            .await
            .unwrap();
        reply[0].1
    };
    assert_eq!(listeners().await, 0);
    join(b, &b1.sid, "lonely").await;
    assert_eq!(
        listeners().await,
        1,
        "node b listens once its socket joined"
    );
    let _ = a;
    b.io.get_socket(b1.sid.parse().unwrap())
        .unwrap()
        .leave("lonely");
    // The test config prunes every 200 ms.
    let start = std::time::Instant::now();
    while listeners().await != 0 {
        assert!(
            start.elapsed() < SOON,
            "the room's channel is still subscribed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn on_a_redis_cluster_requests_reach_every_node_and_come_back() {
    let (_cluster, nodes, _) = on_cluster(3).await;
    let mut expected = HashSet::new();
    let mut clients = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let client = Client::connect(node.port).await;
        client.ack_with(json!({ "node": i }));
        join(node, &client.sid, "room").await;
        expected.insert(client.sid.clone());
        clients.push(client);
    }
    assert_eq!(nodes[0].ctr.server_count("/").await.unwrap(), 3);

    // fetchSockets
    let fetched = nodes[0].io.to("room").fetch_sockets().await.unwrap();
    let ids: HashSet<String> = fetched.iter().map(|s| s.data().id.to_string()).collect();
    assert_eq!(ids, expected);

    // A broadcast with acks: every node's socket answers.
    assert_eq!(nodes[0].acks_from("room").await, [0, 1, 2]);

    // serverSideEmit, with and without acks.
    let (heard, acked_by) = server_side_round(&nodes, SOON, |i, _| i).await;
    assert_eq!(heard.len(), 2);
    assert_eq!(acked_by, [1, 2]);

    // A remote leave (an admin removing a participant): the socket on node 2 leaves.
    let target = clients[2].sid.clone();
    nodes[0]
        .io
        .to("room")
        .except(clients[0].sid.clone())
        .except(clients[1].sid.clone())
        .leave("room")
        .await
        .unwrap();
    assert!(eventually(SOON, || !nodes[2].local_members("room").contains(&target)).await);
    assert_eq!(nodes[1].local_members("room"), [clients[1].sid.clone()]);
}

/// Figures, not a check: cross-node delivery latency (a room broadcast on node a until the
/// client on node b has it), one message at a time, on one private `redis-server` and on a
/// private three-master Redis Cluster in the same run. `cargo nextest run ... --run-ignored only -E 'test(latency)'
/// --no-capture`.
#[tokio::test]
#[ignore = "a measurement that prints figures; run it by hand"]
async fn cross_node_delivery_latency_on_one_redis_and_on_a_cluster() {
    const MESSAGES: usize = 2_000;
    async fn measure(url: &str) -> Vec<Duration> {
        let prefix = unique_prefix();
        let a = Node::start(url, &prefix).await;
        let b = Node::start(url, &prefix).await;
        let mut client = Client::connect(b.port).await;
        join(&b, &client.sid, "conversation:latency").await;
        let mut samples = Vec::with_capacity(MESSAGES);
        for i in 0..MESSAGES + 100 {
            let start = std::time::Instant::now();
            a.io.to("conversation:latency").emit("m", &i).await.unwrap();
            client.expect("m").await;
            if i >= 100 {
                samples.push(start.elapsed()); // the first 100 warm up
            }
        }
        samples.sort();
        samples
    }
    let pct = |s: &[Duration], p: f64| {
        let i = ((s.len() as f64 * p).ceil() as usize).clamp(1, s.len()) - 1;
        s[i].as_secs_f64() * 1000.0
    };
    // A private server for each, so that other tests' traffic on the shared Redis does not
    // weigh on one side only.
    let redis = crate::helpers::PrivateRedis::start().await;
    let single = measure(&redis.url()).await;
    let cluster = PrivateCluster::start().await;
    let sharded = measure(&cluster.url()).await;
    assert_eq!(single.len(), MESSAGES);
    assert_eq!(sharded.len(), MESSAGES);
    for (name, s) in [
        ("one Redis (PUBLISH)", &single),
        ("Redis Cluster (SPUBLISH)", &sharded),
    ] {
        println!(
            "{name}: {MESSAGES} messages, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            pct(s, 0.50),
            pct(s, 0.99),
            pct(s, 1.0)
        );
    }
}
