//! Presence, rate limits and typing on real Redis, as two nodes see them. Redis must be up
//! (127.0.0.1:6379 or `CONFAB_TEST_REDIS_URL`): without it these tests fail. The outage test
//! starts its own `redis-server`.

// `two_nodes` is not a `#[test]` function, so clippy does not see it as test code.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::time::Duration;

use confab_cluster_state::{RedisState, StateConfig};
use confab_domain::ids::{ConversationId, UserId};
use confab_domain::limits::{Limits, Quota};
use confab_domain::ports::{LimitKind, Presence, RateLimiter, TypingCheck, TypingState};

use confab_redis_link::testing::{PrivateRedis, redis_url, require_redis, unique_prefix};

fn config(prefix: &str, node: &str, dead_after: Duration) -> StateConfig {
    StateConfig {
        key_prefix: prefix.to_owned(),
        node_id: node.to_owned(),
        node_dead_after: dead_after,
        redis_timeout: Duration::from_secs(1),
        limits: Limits {
            messages: Quota::per_minute(5),
            ..Limits::default()
        },
    }
}

async fn two_nodes(dead_after: Duration) -> (RedisState, RedisState) {
    let url = redis_url();
    require_redis(&url).await;
    let prefix = unique_prefix();
    let a = RedisState::from_url(&url, config(&prefix, "node-a", dead_after)).unwrap();
    let b = RedisState::from_url(&url, config(&prefix, "node-b", dead_after)).unwrap();
    (a, b)
}

#[tokio::test]
async fn arrival_and_departure_are_announced_once_across_nodes() {
    let (a, b) = two_nodes(Duration::from_secs(15)).await;
    let user = UserId::new();
    assert!(
        a.presence.connect(user, "s1").await,
        "first socket anywhere: announce"
    );
    assert!(
        !b.presence.connect(user, "s2").await,
        "a second socket on another node: nothing"
    );
    assert!(b.presence.is_online(user).await);
    assert!(
        !a.presence.disconnect(user, "s1").await,
        "a socket is left on node b"
    );
    assert!(
        b.presence.disconnect(user, "s2").await,
        "the last socket went"
    );
    assert!(!a.presence.is_online(user).await);
    assert!(b.presence.settle_offline(user).await);
    assert!(!a.presence.settle_offline(user).await, "announced once");
    assert!(
        a.presence.connect(user, "s3").await,
        "a later arrival is announced again"
    );
}

#[tokio::test]
async fn a_live_node_clears_the_sockets_of_a_dead_one_and_reports_who_left() {
    let (a, b) = two_nodes(Duration::from_millis(400)).await;
    let (leaving, staying) = (UserId::new(), UserId::new());
    a.presence.maintain().await;
    assert!(a.presence.connect(leaving, "a1").await);
    assert!(a.presence.connect(staying, "a2").await);
    assert!(!b.presence.connect(staying, "b1").await);
    b.presence.maintain().await;
    // Node a stops heartbeating; node b keeps going.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let gone = b.presence.maintain().await;
    assert_eq!(
        gone,
        vec![leaving],
        "only the user with no socket left elsewhere departs"
    );
    assert!(!b.presence.is_online(leaving).await);
    assert!(b.presence.is_online(staying).await);
    assert!(b.presence.maintain().await.is_empty(), "cleared once");
}

#[tokio::test]
async fn a_clean_leave_reports_this_nodes_users() {
    let (a, b) = two_nodes(Duration::from_secs(15)).await;
    let user = UserId::new();
    a.presence.connect(user, "a1").await;
    assert_eq!(a.presence.leave_cluster().await, vec![user]);
    assert!(!b.presence.is_online(user).await);
}

#[tokio::test]
async fn the_rate_limit_holds_across_nodes() {
    let (a, b) = two_nodes(Duration::from_secs(15)).await;
    let user = UserId::new();
    for node in [&a, &b, &a, &b, &a] {
        assert!(
            node.limiter
                .acquire(user, LimitKind::Messages)
                .await
                .is_ok()
        );
    }
    let wait = b
        .limiter
        .acquire(user, LimitKind::Messages)
        .await
        .unwrap_err();
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(12),
        "{wait:?}"
    );
    assert!(
        a.limiter
            .acquire(UserId::new(), LimitKind::Messages)
            .await
            .is_ok(),
        "other users are not affected"
    );
    assert!(
        a.limiter.acquire(user, LimitKind::Searches).await.is_ok(),
        "other kinds are not affected"
    );
}

#[tokio::test]
async fn the_abuse_limits_hold_across_nodes_and_typing_is_counted_per_conversation() {
    let (a, b) = two_nodes(Duration::from_secs(15)).await;
    let user = UserId::new();
    for n in 0..60 {
        let node = if n % 2 == 0 { &a } else { &b };
        assert!(
            node.limiter.acquire(user, LimitKind::Edits).await.is_ok(),
            "edit {n}"
        );
    }
    let wait = a.limiter.acquire(user, LimitKind::Edits).await.unwrap_err();
    assert!(
        wait <= Duration::from_secs(1),
        "one edit a second: {wait:?}"
    );
    for n in 0..20 {
        assert!(
            b.limiter.acquire(user, LimitKind::Reports).await.is_ok(),
            "report {n}"
        );
    }
    assert!(a.limiter.acquire(user, LimitKind::Reports).await.is_err());
    assert!(a.limiter.acquire(user, LimitKind::Reactions).await.is_ok());

    let (here, there) = (ConversationId::new(), ConversationId::new());
    assert!(
        a.limiter
            .acquire(user, LimitKind::Typing(here))
            .await
            .is_ok()
    );
    let wait = b
        .limiter
        .acquire(user, LimitKind::Typing(here))
        .await
        .unwrap_err();
    assert!(
        wait > Duration::from_millis(1500) && wait <= Duration::from_secs(2),
        "one typing broadcast per 2 s: {wait:?}"
    );
    assert!(
        b.limiter
            .acquire(user, LimitKind::Typing(there))
            .await
            .is_ok(),
        "another conversation has its own allowance"
    );
}

#[tokio::test]
async fn typing_started_on_one_node_is_stopped_or_expired_once_anywhere() {
    let (a, b) = two_nodes(Duration::from_secs(15)).await;
    let (user, conversation) = (UserId::new(), ConversationId::new());
    assert!(a.typing.start(user, conversation, 5_000).await);
    assert!(
        !b.typing.start(user, conversation, 5_000).await,
        "a refresh, not a new start"
    );
    assert!(matches!(
        a.typing.check(user, conversation).await,
        TypingCheck::Pending(_)
    ));
    assert!(b.typing.stop(user, conversation).await);
    assert_eq!(a.typing.check(user, conversation).await, TypingCheck::Gone);
    assert!(!a.typing.stop(user, conversation).await);

    assert!(a.typing.start(user, conversation, 100).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        b.typing.check(user, conversation).await,
        TypingCheck::Expired
    );
    assert_eq!(
        a.typing.check(user, conversation).await,
        TypingCheck::Gone,
        "expired once"
    );
}

#[tokio::test]
async fn without_redis_limits_let_requests_through_and_presence_answers_locally() {
    let mut redis = PrivateRedis::start().await;
    let state = RedisState::from_url(
        &redis.url(),
        config(&unique_prefix(), "solo", Duration::from_secs(15)),
    )
    .unwrap();
    let user = UserId::new();
    assert!(state.presence.connect(user, "s1").await);
    redis.kill();
    let started = std::time::Instant::now();
    assert!(
        state
            .limiter
            .acquire(user, LimitKind::Messages)
            .await
            .is_ok(),
        "fail open"
    );
    assert!(
        state.presence.is_online(user).await,
        "answered from this node's own sockets"
    );
    assert!(!state.presence.connect(user, "s2").await);
    assert!(!state.is_healthy());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "calls fail fast: {:?}",
        started.elapsed()
    );
    assert!(!state.presence.disconnect(user, "s1").await);
    redis.restart().await;
    // Upkeep rewrites this node's entries; the remaining socket is back in Redis.
    state.presence.maintain().await;
    assert!(state.is_healthy());
    assert!(state.presence.is_online(user).await);
    assert!(state.presence.disconnect(user, "s2").await);
}

/// On a Redis Cluster (three masters, started for the test): presence keys share one hash
/// slot, so its multi-key scripts run without CROSSSLOT errors; limits and typing keys spread.
mod on_a_redis_cluster {
    use super::*;
    use confab_redis_link::testing::PrivateCluster;

    async fn two_nodes(cluster: &PrivateCluster, dead_after: Duration) -> (RedisState, RedisState) {
        let prefix = unique_prefix();
        let url = cluster.url();
        let a = RedisState::from_url(&url, config(&prefix, "node-a", dead_after)).unwrap();
        let b = RedisState::from_url(&url, config(&prefix, "node-b", dead_after)).unwrap();
        (a, b)
    }

    #[tokio::test]
    async fn presence_is_announced_once_and_a_dead_nodes_users_go_offline() {
        let cluster = PrivateCluster::start().await;
        let (a, b) = two_nodes(&cluster, Duration::from_millis(400)).await;
        let (user, other) = (UserId::new(), UserId::new());
        a.presence.maintain().await;
        assert!(
            a.presence.connect(user, "s1").await,
            "first socket: announce"
        );
        assert!(
            !b.presence.connect(user, "s2").await,
            "second node: nothing"
        );
        assert!(a.presence.connect(other, "s3").await);
        assert!(b.presence.is_online(user).await);
        assert!(!a.presence.disconnect(user, "s1").await);
        assert!(
            b.presence.disconnect(user, "s2").await,
            "the last socket went"
        );
        assert!(!a.presence.is_online(user).await);
        assert!(a.is_healthy() && b.is_healthy(), "{:?}", a.last_error());

        // Node a stops heartbeating: node b reaps its sockets and reports who left.
        b.presence.maintain().await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(b.presence.maintain().await, [other]);
        assert!(!b.presence.is_online(other).await);
        assert!(b.is_healthy(), "{:?}", b.last_error());
    }

    #[tokio::test]
    async fn a_rate_limit_and_typing_hold_across_nodes() {
        let cluster = PrivateCluster::start().await;
        let (a, b) = two_nodes(&cluster, Duration::from_secs(15)).await;
        let user = UserId::new();
        for (i, node) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
            assert!(
                node.limiter
                    .acquire(user, LimitKind::Messages)
                    .await
                    .is_ok(),
                "message {i} of 5 is allowed"
            );
        }
        assert!(b.limiter.acquire(user, LimitKind::Messages).await.is_err());
        assert!(
            a.limiter
                .acquire(UserId::new(), LimitKind::Messages)
                .await
                .is_ok()
        );

        let conversation = ConversationId::new();
        assert!(a.typing.start(user, conversation, 60_000).await);
        assert!(
            b.typing.stop(user, conversation).await,
            "stopped once, on the other node"
        );
        assert!(!a.typing.stop(user, conversation).await);
        assert!(a.is_healthy() && b.is_healthy(), "{:?}", a.last_error());
    }
}
