//! Redis goes away while nodes broadcast, and comes back.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::Client;
use crate::helpers::{Node, PrivateRedis, eventually, unique_prefix};

#[tokio::test]
async fn rooms_work_locally_during_a_redis_outage_and_the_cluster_heals_by_itself() {
    let mut redis = PrivateRedis::start().await;
    let prefix = unique_prefix();
    let a = Node::start(&redis.url(), &prefix).await;
    let b = Node::start(&redis.url(), &prefix).await;
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    a.join(&a1.sid, &["room"]);
    b.join(&b1.sid, &["room"]);
    assert!(a.ctr.is_healthy() && b.ctr.is_healthy());

    a.io.to("room").emit("msg", &0).await.unwrap();
    a1.expect("msg").await;
    b1.expect("msg").await;

    // Redis dies while node a keeps broadcasting.
    redis.kill();
    for i in 1..=20 {
        a.io.to("room")
            .emit("msg", &i)
            .await
            .expect("a broadcast does not fail because redis is down");
        assert_eq!(
            a1.expect("msg").await.args,
            [json!(i)],
            "local delivery continues"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        eventually(Duration::from_secs(5), || !a.ctr.is_healthy()
            && !b.ctr.is_healthy())
        .await,
        "both nodes report the outage"
    );
    assert!(a.ctr.last_error().is_some());

    // Requests that need other nodes fail fast instead of hanging.
    let started = Instant::now();
    assert!(a.io.to("room").fetch_sockets().await.is_err());
    assert!(
        a.ctr
            .server_side_emit_with_ack("/", "x", vec![])
            .await
            .is_err()
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    // A room change is applied here and reports that the other nodes were not told.
    assert!(a.io.to("room").join("later").await.is_err());
    assert_eq!(a.local_members("later"), [a1.sid.clone()]);

    // Node b serves its own room meanwhile.
    b.io.to("room").emit("from-b", &1).await.unwrap();
    b1.expect("from-b").await;
    b1.drain();
    a1.drain();

    // Redis comes back on the same port: the nodes resubscribe on their own.
    redis.restart().await;
    assert!(
        eventually(Duration::from_secs(10), || a.ctr.is_healthy()
            && b.ctr.is_healthy())
        .await,
        "both nodes are healthy again: a={:?} b={:?}",
        a.ctr.last_error(),
        b.ctr.last_error()
    );
    // Cross-node delivery resumes (the first publish may still find a dead pooled connection).
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut n = 100;
    loop {
        a.io.to("room").emit("again", &n).await.unwrap();
        if let Some(event) = b1.next(Duration::from_millis(300)).await {
            assert_eq!(event.name, "again");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "cross-node delivery did not resume within 5 s"
        );
        n += 1;
    }
    b.io.to("room").emit("both-ways", &1).await.unwrap();
    let event = loop {
        let event = a1
            .next(Duration::from_secs(3))
            .await
            .expect("node a hears node b again");
        if event.name == "both-ways" {
            break event;
        }
    };
    assert_eq!(event.args, [json!(1)]);
    assert!(a.ctr.is_healthy() && b.ctr.is_healthy());
}

#[tokio::test]
async fn a_node_started_while_redis_is_down_serves_locally_and_joins_the_cluster_later() {
    use confab_redis_adapter::{RedisAdapter, RedisAdapterCtr};
    use socketioxide::SocketIo;
    use socketioxide::adapter::Emitter;
    use socketioxide::extract::SocketRef;

    let mut redis = PrivateRedis::start().await;
    let prefix = unique_prefix();
    let a = Node::start(&redis.url(), &prefix).await;
    redis.kill();

    let ctr =
        RedisAdapterCtr::from_url(&redis.url(), crate::helpers::test_config(&prefix)).unwrap();
    let (layer, io) = SocketIo::builder()
        .with_adapter::<RedisAdapter<Emitter>>(ctr.clone())
        .build_layer();
    let init = io
        .ns("/", async |_s: SocketRef<RedisAdapter<Emitter>>| {})
        .await;
    assert!(init.is_err(), "init reports that redis is unreachable");
    assert!(!ctr.is_healthy());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().layer(layer))
            .await
            .unwrap();
    });

    // The namespace works for this node's own sockets.
    let mut b1 = Client::connect(port).await;
    io.get_socket(b1.sid.parse().unwrap()).unwrap().join("room");
    io.to("room").emit("local", &1).await.unwrap();
    b1.expect("local").await;

    redis.restart().await;
    assert!(
        eventually(Duration::from_secs(10), || ctr.is_healthy()
            && a.ctr.is_healthy())
        .await
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        a.io.to("room").emit("remote", &1).await.unwrap();
        if b1.next(Duration::from_millis(300)).await.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the late node never heard the cluster"
        );
    }
    server.abort();
}
