//! Typing signals on Redis, so a start on one node and a stop (or the expiry) on another are
//! announced once. Each key holds its expiry (Redis clock, ms) and outlives it briefly so
//! the node that watches it can claim the expiry announcement.

use std::sync::Arc;

use async_trait::async_trait;
use confab_domain::ids::{ConversationId, UserId};
use confab_domain::ports::{TypingCheck, TypingState};
use redis::Script;

use super::throttle::ErrorLog;
use super::{CallError, Link};

/// Returns 1 when the user was not typing (or their signal had expired).
const START: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', now + ttl), 'PX', ttl + 10000)
if old > now then return 0 end
return 1
";

/// Returns -1 (gone), 0 (expired now: the caller announces), or the ms left.
const CHECK: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local left = tonumber(v) - now
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
return left
";

/// Returns 1 when a live signal was stopped.
const STOP: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
redis.call('DEL', KEYS[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(v) > now then return 1 end
return 0
";

/// Typing signals in Redis with their expiry, so a user's typing on one node stops on
/// every node when it times out; signals are dropped while Redis is unreachable.
pub struct RedisTyping {
    link: Link,
    prefix: String,
    start: Script,
    check: Script,
    stop: Script,
    errors: Arc<ErrorLog>,
}

impl std::fmt::Debug for RedisTyping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTyping").finish_non_exhaustive()
    }
}

impl RedisTyping {
    pub(crate) fn new(link: Link, prefix: &str, errors: Arc<ErrorLog>) -> Self {
        Self {
            link,
            prefix: prefix.to_owned(),
            start: Script::new(START),
            check: Script::new(CHECK),
            stop: Script::new(STOP),
            errors,
        }
    }

    fn key(&self, user: UserId, conversation: ConversationId) -> String {
        format!("{}:typing:{conversation}:{user}", self.prefix)
    }

    async fn run(&self, script: &Script, key: String, arg: Option<u64>) -> Result<i64, CallError> {
        self.link
            .run(async |conn| {
                let mut invocation = script.key(key);
                if let Some(arg) = arg {
                    invocation.arg(arg);
                }
                Ok(invocation.invoke_async::<i64>(conn).await?)
            })
            .await
    }
}

#[async_trait]
impl TypingState for RedisTyping {
    async fn start(&self, user: UserId, conversation: ConversationId, ttl_ms: u64) -> bool {
        match self
            .run(&self.start, self.key(user, conversation), Some(ttl_ms))
            .await
        {
            Ok(started) => started == 1,
            Err(e) => {
                self.errors.failed("typing start", &e);
                false
            }
        }
    }

    async fn stop(&self, user: UserId, conversation: ConversationId) -> bool {
        match self
            .run(&self.stop, self.key(user, conversation), None)
            .await
        {
            Ok(stopped) => stopped == 1,
            Err(e) => {
                self.errors.failed("typing stop", &e);
                false
            }
        }
    }

    async fn check(&self, user: UserId, conversation: ConversationId) -> TypingCheck {
        match self
            .run(&self.check, self.key(user, conversation), None)
            .await
        {
            Ok(-1) => TypingCheck::Gone,
            Ok(0) => TypingCheck::Expired,
            Ok(left) => TypingCheck::Pending(u64::try_from(left).unwrap_or(1)),
            Err(e) => {
                self.errors.failed("typing check", &e);
                TypingCheck::Gone
            }
        }
    }
}
