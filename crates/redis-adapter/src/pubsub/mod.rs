//! The Redis driver: an ordered, pipelined [`Publisher`] on a confab-redis-link pool and one
//! dedicated [`Subscriber`] connection (Node's `pubClient` / `subClient`), sharing one
//! [`ClusterHealth`].

mod publisher;
mod subscriber;

use std::sync::Weak;
use std::time::Duration;

use async_trait::async_trait;

use crate::config::ClusterConfig;
use crate::driver::{Driver, Inbox, Route};
use crate::error::Error;
use crate::health::ClusterHealth;
use publisher::Publisher;
use subscriber::{Subscriber, Timing};

pub(crate) struct RedisDriver {
    health: ClusterHealth,
    publisher: Publisher,
    subscriber: Subscriber,
}

impl RedisDriver {
    /// `pool` publishes (and answers `PUBSUB NUMSUB`); `subscriber` opens the dedicated
    /// subscriber connection. Both are bounded by [`ClusterConfig::redis_timeout`].
    pub(crate) fn new(
        pool: confab_redis_link::Pool,
        subscriber: confab_redis_link::Link,
        config: &ClusterConfig,
    ) -> Self {
        let health = ClusterHealth::new(config.error_log_interval);
        let timing = Timing {
            op_timeout: config.redis_timeout,
            ping_interval: config.ping_interval,
            backoff_min: Duration::from_millis(100),
            backoff_max: config.reconnect_max_backoff,
        };
        Self {
            publisher: Publisher::new(
                pool,
                health.clone(),
                config.redis_timeout,
                config.publish_queue,
            ),
            subscriber: Subscriber::new(subscriber, health.clone(), timing),
            health,
        }
    }
}

#[async_trait]
impl Driver for RedisDriver {
    fn health(&self) -> ClusterHealth {
        self.health.clone()
    }

    fn publish(&self, channel: String, payload: Vec<u8>) {
        self.publisher.publish(channel, payload);
    }

    async fn publish_wait(&self, channel: String, payload: Vec<u8>) -> Result<(), Error> {
        self.publisher.publish_wait(channel, payload).await
    }

    async fn numsub(&self, channel: &str) -> Result<usize, Error> {
        self.publisher.numsub(channel).await
    }

    async fn register(
        &self,
        channels: Vec<(String, Inbox)>,
        pattern: String,
        route: Weak<dyn Route>,
    ) -> Result<(), Error> {
        self.subscriber.register(channels, pattern, route).await
    }

    async fn unregister(&self, channels: &[String], pattern: &str) {
        self.subscriber.unregister(channels, pattern).await;
    }
}
