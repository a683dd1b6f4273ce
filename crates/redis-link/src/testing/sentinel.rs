//! A Redis Sentinel group on loopback: one master, one replica, three sentinels (quorum 2,
//! `down-after-milliseconds` 1000), for failover tests.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{PrivateRedis, TempDir, free_port};

/// The master's name the sentinels monitor.
pub(super) const MASTER_NAME: &str = "confab-test";

/// A master, its replica and three sentinels monitoring it as `confab-test` (quorum 2), all
/// on loopback; the sentinels are killed on drop, the servers by their own drop.
#[derive(Debug)]
pub struct SentinelGroup {
    /// The server that is master at start; after a failover it is a replica or (killed) down.
    pub master: PrivateRedis,
    /// The replica of `master` at start, the one the sentinels promote on failover.
    pub replica: PrivateRedis,
    /// Loopback ports of the three sentinels, in the order of [`Self::url`].
    pub sentinel_ports: Vec<u16>,
    sentinels: Vec<Child>,
    _dir: TempDir,
}

impl SentinelGroup {
    /// Starts the servers and the sentinels and waits (at most 20 s) until every sentinel
    /// knows the replica and the other sentinels, so that a failover can happen.
    pub async fn start() -> Self {
        let master = PrivateRedis::start().await;
        let replica = PrivateRedis::start_replica_of(master.port).await;
        wait_until(Duration::from_secs(10), "the replica to sync", || {
            info(replica.port, "replication").is_some_and(|i| i.contains("master_link_status:up"))
        })
        .await;
        let dir = TempDir::new("confab-sentinel");
        let mut sentinel_ports = Vec::new();
        let mut sentinels = Vec::new();
        for i in 0..3 {
            let port = free_port();
            let conf = dir.0.join(format!("sentinel-{i}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                     sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n\
                     sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                     sentinel failover-timeout {MASTER_NAME} 5000\n\
                     sentinel parallel-syncs {MASTER_NAME} 1\n",
                    dir = dir.0.display(),
                    master = master.port,
                ),
            )
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", conf.display()));
            let child = Command::new("redis-server")
                .arg(&conf)
                .arg("--sentinel")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("redis-server (with --sentinel) must be installed for the Sentinel tests (apt-get install redis-server): {e}")
                });
            sentinel_ports.push(port);
            sentinels.push(child);
        }
        let group = Self {
            master,
            replica,
            sentinel_ports,
            sentinels,
            _dir: dir,
        };
        for &port in &group.sentinel_ports {
            wait_until(
                Duration::from_secs(20),
                "the sentinels to find the replica and each other",
                || {
                    let replicas = cli(port, &["SENTINEL", "REPLICAS", MASTER_NAME]);
                    let others = cli(port, &["SENTINEL", "SENTINELS", MASTER_NAME]);
                    replicas.is_some_and(|r| r.contains(&group.replica.port.to_string()))
                        && others.is_some_and(|s| s.matches("runid").count() >= 2)
                },
            )
            .await;
        }
        group
    }

    /// `redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/<master name>`.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinel_ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+sentinel://{}/{MASTER_NAME}", hosts.join(","))
    }

    /// The master's port as the first sentinel that answers reports it.
    pub fn master_port(&self) -> Option<u16> {
        self.sentinel_ports.iter().find_map(|&port| {
            cli(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME])?
                .lines()
                .nth(1)?
                .trim()
                .parse()
                .ok()
        })
    }

    /// SIGKILLs the master, like a crash.
    pub fn kill_master(&mut self) {
        self.master.kill();
    }

    /// Asks the sentinels for a failover while the master is up (`SENTINEL FAILOVER`): the
    /// replica is promoted and the old master, still running, becomes its replica.
    pub fn failover(&self) {
        let answer = cli(
            self.sentinel_ports[0],
            &["SENTINEL", "FAILOVER", MASTER_NAME],
        );
        assert_eq!(
            answer.as_deref().map(str::trim),
            Some("OK"),
            "SENTINEL FAILOVER"
        );
    }

    /// Waits (at most `within`) until the sentinels name the replica as the master and it has
    /// taken the role.
    pub async fn wait_for_failover(&self, within: Duration) {
        let replica = self.replica.port;
        wait_until(within, "the sentinels to promote the replica", || {
            self.master_port() == Some(replica)
                && info(replica, "replication").is_some_and(|i| i.contains("role:master"))
        })
        .await;
    }
}

impl Drop for SentinelGroup {
    fn drop(&mut self) {
        for child in &mut self.sentinels {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `redis-cli -p port args...` (plain TCP); `None` when it fails.
fn cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn info(port: u16, section: &str) -> Option<String> {
    cli(port, &["INFO", section])
}

async fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < within,
            "waited {within:?} for {what}, in vain"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
