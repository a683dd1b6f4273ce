//! Cluster-wide per-user rate limits: the same GCRA rule as the in-process limiter, run
//! atomically in Redis with Redis's clock, so a user's allowance holds across all nodes.
//! When Redis fails, requests are let through (a limiter outage must not stop messaging) and
//! the failure is logged once per interval.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use confab_domain::ids::UserId;
use confab_domain::limits::Limits;
use confab_domain::ports::{LimitKind, RateLimiter};
use redis::Script;

use super::Link;
use super::throttle::ErrorLog;

/// KEYS[1]: the user's key. ARGV[1]: emission interval (µs), ARGV[2]: period (µs).
/// Returns 0 when allowed, else the wait in µs.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next = tat + interval
local wait = next - now - period
if wait > 0 then return wait end
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000) + 1000)
return 0
";

/// Per-user GCRA rate limits in Redis (a Lua script per check), shared by every node; lets
/// requests through while Redis is unreachable.
pub struct RedisLimiter {
    link: Link,
    prefix: String,
    limits: Limits,
    script: Script,
    errors: Arc<ErrorLog>,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    pub(crate) fn new(link: Link, prefix: &str, limits: Limits, errors: Arc<ErrorLog>) -> Self {
        Self {
            link,
            prefix: prefix.to_owned(),
            limits,
            script: Script::new(GCRA),
            errors,
        }
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn acquire(&self, user: UserId, kind: LimitKind) -> Result<(), Duration> {
        let quota = self.limits.quota(kind);
        if quota.limit == 0 {
            return Ok(());
        }
        let mut key = format!("{}:ratelimit:{}:{user}", self.prefix, kind.as_str());
        if let Some(scope) = kind.scope() {
            key = format!("{key}:{scope}");
        }
        let interval = u64::try_from(quota.interval().as_micros()).unwrap_or(u64::MAX);
        let period = u64::try_from(quota.period.as_micros()).unwrap_or(u64::MAX);
        let script = &self.script;
        let result = self
            .link
            .run(async |conn| {
                Ok(script
                    .key(key)
                    .arg(interval)
                    .arg(period)
                    .invoke_async::<u64>(conn)
                    .await?)
            })
            .await;
        match result {
            Ok(0) => {
                self.errors.succeeded();
                Ok(())
            }
            Ok(wait_us) => Err(Duration::from_micros(wait_us)),
            Err(e) => {
                self.errors.failed("rate limit", &e);
                Ok(())
            }
        }
    }
}
