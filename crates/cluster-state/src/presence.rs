//! Cluster-wide presence on Redis: live sockets per user and node, an "announced" set so
//! each arrival and departure is announced once across the cluster, and node heartbeats so
//! a live node clears the sockets of a dead one.
//!
//! Keys (under the configured prefix):
//! - `<p>:presence:user:<user>`: hash socket id -> node id
//! - `<p>:presence:node:<node>`: set of users with sockets on that node
//! - `<p>:presence:nodes`: sorted set node id -> last heartbeat (ms)
//! - `<p>:presence:announced`: set of users announced online
//!
//! On a Redis Cluster `<p>` is `{<prefix>}`: a hash tag, so that every presence key lives in
//! one slot and the scripts (which touch several of them, and REAP builds user keys itself)
//! run without CROSSSLOT errors. Presence is then served by one master; rate limits and
//! typing (one key per script) spread over all of them.
//!
//! While Redis is unreachable, calls answer as a single node would from this node's own
//! sockets (a mirror kept in memory) and errors are logged once per interval; when Redis is
//! back, this node rewrites its entries from the mirror.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use confab_domain::ids::UserId;
use confab_domain::ports::Presence;
use redis::{AsyncCommands, Script};

use super::throttle::ErrorLog;
use super::{CallError, Conn as Connection, Link};

/// Also registers the node (if unknown) so its sockets can be reaped should it die before
/// its first heartbeat.
const CONNECT: &str = r"
local t = redis.call('TIME')
redis.call('ZADD', KEYS[4], 'NX', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return redis.call('SADD', KEYS[3], ARGV[3])
";

const DISCONNECT: &str = r"
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local here = false
for _, node in ipairs(redis.call('HVALS', KEYS[1])) do
  if node == ARGV[2] then here = true break end
end
if not here then redis.call('SREM', KEYS[2], ARGV[3]) end
if redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0
";

const SETTLE: &str = r"
if redis.call('HLEN', KEYS[1]) > 0 then return 0 end
return redis.call('SREM', KEYS[2], ARGV[1])
";

/// Removes every socket of node ARGV[1]; returns the users left with none who were
/// announced (their departure is now announced by the caller).
const REAP: &str = r"
local gone = {}
local prefix = ARGV[2]
for _, user in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = prefix .. ':presence:user:' .. user
  local entries = redis.call('HGETALL', key)
  for i = 1, #entries, 2 do
    if entries[i + 1] == ARGV[1] then redis.call('HDEL', key, entries[i]) end
  end
  if redis.call('HLEN', key) == 0 and redis.call('SREM', KEYS[2], user) == 1 then
    table.insert(gone, user)
  end
end
redis.call('DEL', KEYS[1])
return gone
";

/// Presence shared by every node through Redis.
pub struct RedisPresence {
    link: Link,
    keys: Keys,
    node: String,
    dead_after: Duration,
    /// This node's sockets (socket id -> user), whatever Redis says.
    mirror: Mutex<HashMap<String, UserId>>,
    /// Set when a write may have been lost; the next upkeep rewrites this node's entries.
    dirty: AtomicBool,
    errors: Arc<ErrorLog>,
    scripts: Scripts,
}

struct Keys {
    prefix: String,
}

impl Keys {
    fn user(&self, user: impl std::fmt::Display) -> String {
        format!("{}:presence:user:{user}", self.prefix)
    }

    fn node(&self, node: &str) -> String {
        format!("{}:presence:node:{node}", self.prefix)
    }

    fn nodes(&self) -> String {
        format!("{}:presence:nodes", self.prefix)
    }

    fn announced(&self) -> String {
        format!("{}:presence:announced", self.prefix)
    }
}

struct Scripts {
    connect: Script,
    disconnect: Script,
    settle: Script,
    reap: Script,
}

impl std::fmt::Debug for RedisPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPresence")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl RedisPresence {
    /// `node` must be unique per running process; `dead_after` is how long a silent node is
    /// trusted (keep it a few heartbeats long).
    pub(crate) fn new(
        link: Link,
        prefix: &str,
        node: String,
        dead_after: Duration,
        errors: Arc<ErrorLog>,
    ) -> Self {
        let cluster = link.is_cluster();
        Self {
            link,
            keys: Keys {
                prefix: if cluster {
                    format!("{{{prefix}}}")
                } else {
                    prefix.to_owned()
                },
            },
            node,
            dead_after,
            mirror: Mutex::new(HashMap::new()),
            dirty: AtomicBool::new(true),
            errors,
            scripts: Scripts {
                connect: Script::new(CONNECT),
                disconnect: Script::new(DISCONNECT),
                settle: Script::new(SETTLE),
                reap: Script::new(REAP),
            },
        }
    }

    fn mirror(&self) -> std::sync::MutexGuard<'_, HashMap<String, UserId>> {
        self.mirror.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn locally_online(&self, user: UserId) -> bool {
        self.mirror().values().any(|u| *u == user)
    }

    fn failed<T>(&self, operation: &str, error: &CallError, fallback: T) -> T {
        self.dirty.store(true, Ordering::Relaxed);
        self.errors.failed(operation, error);
        fallback
    }

    async fn add(
        &self,
        conn: &mut Connection,
        user: UserId,
        socket: &str,
    ) -> Result<i64, CallError> {
        Ok(self
            .scripts
            .connect
            .key(self.keys.user(user))
            .key(self.keys.node(&self.node))
            .key(self.keys.announced())
            .key(self.keys.nodes())
            .arg(socket)
            .arg(&self.node)
            .arg(user.to_string())
            .invoke_async(conn)
            .await?)
    }

    async fn heartbeat(&self, conn: &mut Connection) -> Result<Vec<UserId>, CallError> {
        let (secs, micros): (u64, u64) = redis::cmd("TIME").query_async(conn).await?;
        let now_ms = secs * 1000 + micros / 1000;
        let added: i64 = conn.zadd(self.keys.nodes(), &self.node, now_ms).await?;
        // Newly added means another node presumed this one dead and cleared its sockets
        // (say, after a long pause): put them back.
        if added == 1 {
            self.dirty.store(true, Ordering::Relaxed);
        }
        if self.dirty.swap(false, Ordering::Relaxed) {
            self.resync(conn).await?;
        }
        let cutoff =
            now_ms.saturating_sub(u64::try_from(self.dead_after.as_millis()).unwrap_or(u64::MAX));
        let dead: Vec<String> = conn
            .zrangebyscore(self.keys.nodes(), "-inf", cutoff)
            .await?;
        let mut gone = Vec::new();
        for node in dead {
            // ZREM answers 1 to exactly one node: that one cleans up.
            let claimed: i64 = conn.zrem(self.keys.nodes(), &node).await?;
            if claimed == 1 {
                tracing::info!(dead_node = %node, "clearing the presence entries of a node that stopped heartbeating");
                gone.extend(self.reap(conn, &node).await?);
            }
        }
        Ok(gone)
    }

    async fn reap(&self, conn: &mut Connection, node: &str) -> Result<Vec<UserId>, CallError> {
        let users: Vec<String> = self
            .scripts
            .reap
            .key(self.keys.node(node))
            .key(self.keys.announced())
            .arg(node)
            .arg(&self.keys.prefix)
            .invoke_async(conn)
            .await?;
        Ok(users.iter().filter_map(|u| u.parse().ok()).collect())
    }

    /// Rewrites this node's entries from the mirror (after an outage lost some writes).
    async fn resync(&self, conn: &mut Connection) -> Result<(), CallError> {
        let stale: Vec<String> = conn.smembers(self.keys.node(&self.node)).await?;
        for user in stale {
            let key = self.keys.user(&user);
            let entries: HashMap<String, String> = conn.hgetall(&key).await?;
            for (socket, node) in entries {
                if node == self.node {
                    let _: () = conn.hdel(&key, socket).await?;
                }
            }
        }
        let _: () = conn.del(self.keys.node(&self.node)).await?;
        let sockets: Vec<(String, UserId)> =
            self.mirror().iter().map(|(s, u)| (s.clone(), *u)).collect();
        for (socket, user) in sockets {
            self.add(conn, user, &socket).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Presence for RedisPresence {
    async fn connect(&self, user: UserId, socket: &str) -> bool {
        let first_here = !self.locally_online(user);
        self.mirror().insert(socket.to_owned(), user);
        match self
            .link
            .run(async |conn| self.add(conn, user, socket).await)
            .await
        {
            Ok(announce) => {
                self.errors.succeeded();
                announce == 1
            }
            Err(e) => self.failed("presence connect", &e, first_here),
        }
    }

    async fn disconnect(&self, user: UserId, socket: &str) -> bool {
        let known = self.mirror().remove(socket).is_some();
        let last_here = known && !self.locally_online(user);
        let script = &self.scripts.disconnect;
        let result = self
            .link
            .run(async |conn| {
                Ok(script
                    .key(self.keys.user(user))
                    .key(self.keys.node(&self.node))
                    .arg(socket)
                    .arg(&self.node)
                    .arg(user.to_string())
                    .invoke_async::<i64>(conn)
                    .await?)
            })
            .await;
        match result {
            Ok(last) => {
                self.errors.succeeded();
                last == 1
            }
            Err(e) => self.failed("presence disconnect", &e, last_here),
        }
    }

    async fn settle_offline(&self, user: UserId) -> bool {
        let script = &self.scripts.settle;
        let result = self
            .link
            .run(async |conn| {
                Ok(script
                    .key(self.keys.user(user))
                    .key(self.keys.announced())
                    .arg(user.to_string())
                    .invoke_async::<i64>(conn)
                    .await?)
            })
            .await;
        match result {
            Ok(announce) => announce == 1,
            Err(e) => self.failed("presence settle", &e, !self.locally_online(user)),
        }
    }

    async fn is_online(&self, user: UserId) -> bool {
        let result = self
            .link
            .run(async |conn| Ok(conn.hlen::<_, i64>(self.keys.user(user)).await?))
            .await;
        match result {
            Ok(n) => n > 0,
            Err(e) => self.failed("presence lookup", &e, self.locally_online(user)),
        }
    }

    async fn maintain(&self) -> Vec<UserId> {
        match self.link.run(async |conn| self.heartbeat(conn).await).await {
            Ok(gone) => {
                self.errors.succeeded();
                gone
            }
            Err(e) => self.failed("presence heartbeat", &e, Vec::new()),
        }
    }

    async fn leave_cluster(&self) -> Vec<UserId> {
        let result = self
            .link
            .run(async |conn| {
                let _: i64 = conn.zrem(self.keys.nodes(), &self.node).await?;
                self.reap(conn, &self.node).await
            })
            .await;
        self.mirror().clear();
        match result {
            Ok(gone) => gone,
            Err(e) => self.failed("presence leave", &e, Vec::new()),
        }
    }
}
