//! Test support (feature `testing`): a private `redis-server` that tests can crash and
//! restart, for the outage tests of the adapter, the cluster state and the server; one that
//! speaks TLS with certificates made for the test ([`TlsFiles`]); and a Sentinel group (a
//! master, a replica and three sentinels, [`SentinelGroup`]) whose master a test can kill.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{Link, LinkOptions};

mod sentinel;
pub use sentinel::SentinelGroup;

/// The shared test Redis (`CONFAB_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`).
#[expect(
    clippy::disallowed_methods,
    reason = "a test fixture's service address, not a confab setting"
)]
pub fn redis_url() -> String {
    std::env::var("CONFAB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Fails the test loudly when Redis is not there: these tests are never skipped.
pub async fn require_redis(url: &str) {
    let ping = async {
        let client = redis::Client::open(url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(3), ping).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!(
            "Redis at {url} is required by these tests and is not reachable: {e} (scripts/services starts it)"
        ),
        Err(_) => {
            panic!("Redis at {url} is required by these tests and did not answer PING within 3 s")
        }
    }
}

/// A channel prefix no other test uses.
pub fn unique_prefix() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "confab-test-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A free loopback port (bound and released: another process may take it, rarely).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A fresh directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `<temp dir>/<what>-<unique suffix>`; panics when it cannot.
    pub fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{what}-{}", unique_prefix()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate authority and a server certificate for `127.0.0.1` and `localhost` that it
/// signed, plus a second, unrelated CA (made with the `openssl` CLI, in a temp dir).
#[derive(Debug)]
pub struct TlsFiles {
    /// PEM certificate of the CA that signed `cert` (what clients trust, [`Self::options`]).
    pub ca: PathBuf,
    /// PEM server certificate for `127.0.0.1` and `localhost`, valid for 2 days.
    pub cert: PathBuf,
    /// PEM private key of `cert` (EC P-256, unencrypted).
    pub key: PathBuf,
    /// A CA that did not sign the server's certificate.
    pub other_ca: PathBuf,
    _dir: TempDir,
}

impl TlsFiles {
    /// Panics (with an install hint) when `openssl` is absent: TLS tests never skip.
    pub fn generate() -> Self {
        let dir = TempDir::new("confab-tls");
        let path = |name: &str| dir.0.join(name);
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for (name, cn) in [("ca", "confab test CA"), ("other-ca", "someone else's CA")] {
            openssl(&[
                &["req", "-x509", "-days", "2", "-subj", &format!("/CN={cn}")][..],
                &ec[..],
                &[
                    "-keyout",
                    &path(&format!("{name}.key")).to_string_lossy(),
                    "-out",
                    &path(&format!("{name}.crt")).to_string_lossy(),
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ][..],
            ]);
        }
        openssl(&[
            &["req", "-subj", "/CN=localhost"][..],
            &ec[..],
            &[
                "-keyout",
                &path("server.key").to_string_lossy(),
                "-out",
                &path("server.csr").to_string_lossy(),
            ][..],
        ]);
        std::fs::write(
            path("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap_or_else(|e| panic!("cannot write server.ext: {e}"));
        openssl(&[&[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            &path("server.csr").to_string_lossy(),
            "-CA",
            &path("ca.crt").to_string_lossy(),
            "-CAkey",
            &path("ca.key").to_string_lossy(),
            "-CAcreateserial",
            "-extfile",
            &path("server.ext").to_string_lossy(),
            "-out",
            &path("server.crt").to_string_lossy(),
        ][..]]);
        Self {
            ca: path("ca.crt"),
            cert: path("server.crt"),
            key: path("server.key"),
            other_ca: path("other-ca.crt"),
            _dir: dir,
        }
    }

    /// Options that trust this CA.
    pub fn options(&self) -> LinkOptions {
        LinkOptions {
            tls_ca_pem: Some(
                std::fs::read(&self.ca).unwrap_or_else(|e| panic!("cannot read the CA: {e}")),
            ),
            ..LinkOptions::default()
        }
    }
}

fn openssl(args: &[&[&str]]) {
    let args: Vec<&str> = args.concat();
    let out = Command::new("openssl")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("openssl must be installed for the TLS tests (apt-get install openssl): {e}")
        });
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// PING through `link` (bounded by `within`).
pub async fn ping(link: &Link, within: Duration) -> Result<(), String> {
    let ping = async {
        let mut conn = link.connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(within, ping).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer in time".into()),
    }
}

/// A private `redis-server` on its own port, killed on drop.
#[derive(Debug)]
pub struct PrivateRedis {
    /// Loopback port it listens on (the TLS port for a TLS server); kept across restarts.
    pub port: u16,
    child: Option<Child>,
    /// Extra arguments (TLS, replication).
    args: Vec<String>,
    /// `Some`: TLS only, trusting this CA.
    tls: Option<LinkOptions>,
    /// Its working directory (a replica writes the master's snapshot there).
    dir: TempDir,
}

impl PrivateRedis {
    /// Starts one on a free port. Panics (with an install hint) when `redis-server` is absent:
    /// an outage test must fail, not skip, without it.
    pub async fn start() -> Self {
        Self::start_with(Vec::new(), None).await
    }

    /// One that speaks TLS only (`rediss://`), with the server certificate of `tls`; clients
    /// need not present a certificate.
    pub async fn start_tls(tls: &TlsFiles) -> Self {
        let args = [
            "--tls-cert-file",
            &tls.cert.to_string_lossy(),
            "--tls-key-file",
            &tls.key.to_string_lossy(),
            "--tls-ca-cert-file",
            &tls.ca.to_string_lossy(),
            "--tls-auth-clients",
            "no",
        ]
        .map(str::to_owned)
        .to_vec();
        Self::start_with(args, Some(tls.options())).await
    }

    /// A replica of the server on `master_port` (plain TCP).
    pub async fn start_replica_of(master_port: u16) -> Self {
        let args = ["--replicaof", "127.0.0.1", &master_port.to_string()]
            .map(str::to_owned)
            .to_vec();
        Self::start_with(args, None).await
    }

    async fn start_with(args: Vec<String>, tls: Option<LinkOptions>) -> Self {
        let mut redis = Self {
            port: free_port(),
            child: None,
            args,
            tls,
            dir: TempDir::new("confab-redis"),
        };
        redis.restart().await;
        redis
    }

    /// `redis://127.0.0.1:port`, or `rediss://` for a TLS server.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL: no shutdown, no save), like a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and waits until it answers.
    pub async fn restart(&mut self) {
        self.kill();
        let port = self.port.to_string();
        let ports: [&str; 4] = if self.tls.is_some() {
            ["--port", "0", "--tls-port", &port]
        } else {
            ["--port", &port, "--tls-port", "0"]
        };
        let child = Command::new("redis-server")
            .args(ports)
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir.0)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("redis-server must be installed for outage tests (apt-get install redis-server): {e}"));
        self.child = Some(child);
        let options = self.tls.clone().unwrap_or_default();
        let link =
            Link::open(&self.url(), &options).unwrap_or_else(|e| panic!("the test Redis URL: {e}"));
        let start = Instant::now();
        loop {
            let answer = ping(&link, Duration::from_millis(500)).await;
            if answer.is_ok() {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server on port {} did not start: {answer:?}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A private Redis Cluster of three masters (no replicas) on free loopback ports, in a
/// temporary directory; every server is killed and the directory removed on drop.
#[derive(Debug)]
pub struct PrivateCluster {
    /// Loopback ports of the three masters, the seed nodes of [`Self::url`].
    pub ports: Vec<u16>,
    dir: std::path::PathBuf,
    children: Vec<Child>,
}

impl PrivateCluster {
    /// Starts three `redis-server --cluster-enabled yes`, joins them with
    /// `redis-cli --cluster create` and waits for `cluster_state:ok` on each. Panics with an
    /// install hint when the tools are missing (cluster tests fail, never skip).
    pub async fn start() -> Self {
        let ports: Vec<u16> = (0..3)
            .map(|_| {
                std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map(|a| a.port())
                    .unwrap_or_else(|e| panic!("no free port: {e}"))
            })
            .collect();
        let dir = std::env::temp_dir().join(unique_prefix());
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {dir:?}: {e}"));
        let mut cluster = Self {
            ports,
            dir,
            children: Vec::new(),
        };
        for port in cluster.ports.clone() {
            let conf = cluster.dir.join(format!("nodes-{port}.conf"));
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes", "--cluster-config-file"])
                .arg(&conf)
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .arg("--dir")
                .arg(&cluster.dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("redis-server (7 or later) must be installed for the Cluster tests (apt-get install redis-server): {e}"));
            cluster.children.push(child);
        }
        for port in &cluster.ports {
            wait_for_ping(&format!("redis://127.0.0.1:{port}")).await;
        }
        let nodes: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("redis-cli must be installed for the Cluster tests (apt-get install redis-tools): {e}"));
        assert!(
            created.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        let start = Instant::now();
        for port in cluster.ports.clone() {
            loop {
                if cluster.info(port).await.contains("cluster_state:ok") {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "the Redis Cluster did not reach cluster_state:ok"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        cluster
    }

    async fn info(&self, port: u16) -> String {
        let query = async {
            let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("CLUSTER")
                .arg("INFO")
                .query_async::<String>(&mut conn)
                .await
        };
        match tokio::time::timeout(Duration::from_secs(2), query).await {
            Ok(Ok(info)) => info,
            _ => String::new(),
        }
    }

    /// `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+cluster://{}", hosts.join(","))
    }

    /// The port of the master that serves `key` (a key or a sharded channel).
    pub async fn master_of(&self, key: &str) -> u16 {
        let query = async {
            let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.ports[0]))?;
            let mut conn = client.get_multiplexed_async_connection().await?;
            let slot: u16 = redis::cmd("CLUSTER")
                .arg("KEYSLOT")
                .arg(key)
                .query_async(&mut conn)
                .await?;
            let slots: Vec<(u16, u16, (String, u16))> = redis::cmd("CLUSTER")
                .arg("SLOTS")
                .query_async::<Vec<redis::Value>>(&mut conn)
                .await?
                .into_iter()
                .filter_map(|range| {
                    let redis::Value::Array(parts) = range else {
                        return None;
                    };
                    let start = redis::from_redis_value_ref::<u16>(parts.first()?).ok()?;
                    let end = redis::from_redis_value_ref::<u16>(parts.get(1)?).ok()?;
                    let redis::Value::Array(master) = parts.get(2)? else {
                        return None;
                    };
                    let host = redis::from_redis_value_ref::<String>(master.first()?).ok()?;
                    let port = redis::from_redis_value_ref::<u16>(master.get(1)?).ok()?;
                    Some((start, end, (host, port)))
                })
                .collect();
            Ok::<_, redis::RedisError>(
                slots
                    .into_iter()
                    .find(|(start, end, _)| (*start..=*end).contains(&slot))
                    .map_or(0, |(_, _, (_, port))| port),
            )
        };
        query
            .await
            .unwrap_or_else(|e| panic!("asking the Cluster where {key} lives: {e}"))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn wait_for_ping(url: &str) {
    let start = Instant::now();
    loop {
        let ping = async {
            let client = redis::Client::open(url)?;
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await
        };
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), ping).await {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "redis-server at {url} did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
