//! `CONFAB_REDIS_URL`, parsed in one place into the kind of deployment it names:
//!
//! - `redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS): one server ([`RedisTarget::Standalone`]);
//! - `redis+sentinel://[user:pass@]h1:p1,h2:p2/<master-name>[/db]`, `rediss+sentinel://…`: the
//!   master that Sentinel names ([`RedisTarget::Sentinel`]); the user and password are the data
//!   nodes' (the sentinels' own are settings of their own);
//! - `redis+cluster://[user:pass@]h1:p1,h2:p2`, `rediss+cluster://…`: a Redis Cluster, reached
//!   through any of the seed nodes ([`RedisTarget::Cluster`]).
//!
//! Errors never repeat the URL (it may hold a password).

use std::fmt;

/// Port a Sentinel listens on when the URL names none.
pub const SENTINEL_PORT: u16 = 26379;
/// Port a Redis server listens on when the URL names none.
pub const REDIS_PORT: u16 = 6379;

/// One `host:port` of a multi-host URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    /// Host name or IP address as written, an IPv6 address without its `[]`; never empty.
    pub host: String,
    /// TCP port, never 0; the scheme's default ([`SENTINEL_PORT`], [`REDIS_PORT`]) when the
    /// URL gives none.
    pub port: u16,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// User and password from a URL's user info (percent-decoded).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The user (Redis ACL); `None` when the URL has none or an empty one (the `default` user).
    pub username: Option<String>,
    /// The password; `None` when the URL has none or an empty one (no AUTH). Never printed
    /// by `Debug`.
    pub password: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .finish()
    }
}

/// What `CONFAB_REDIS_URL` points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedisTarget {
    /// One server; `url` is the `redis://` or `rediss://` URL as given (checked by the redis
    /// crate's own parser).
    Standalone {
        /// The URL as given (trimmed), password included: never log it.
        url: String,
        /// `true` for `rediss://`.
        tls: bool,
    },
    /// A master found through Sentinel.
    Sentinel {
        /// The sentinels to ask for the master, in URL order; at least one.
        sentinels: Vec<HostPort>,
        /// The name the sentinels monitor the master under (percent-decoded, never empty).
        master_name: String,
        /// Database number on the master, `>= 0`; 0 when the URL gives none.
        db: i64,
        /// `true` for `rediss+sentinel://`: TLS to the sentinels and to the master.
        tls: bool,
        /// For the master and replicas, not for the sentinels ([`crate::LinkOptions`] has
        /// theirs).
        credentials: Credentials,
    },
    /// A Redis Cluster (seed nodes; the cluster reports the rest).
    Cluster {
        /// Seed nodes, in URL order; at least one. The cluster reports the others.
        nodes: Vec<HostPort>,
        /// `true` for `rediss+cluster://`: TLS to every node.
        tls: bool,
        /// For every node of the cluster.
        credentials: Credentials,
    },
}

/// A URL that names no Redis deployment confab can use. The message is safe to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetError(pub String);

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TargetError {}

fn err(message: impl Into<String>) -> TargetError {
    TargetError(message.into())
}

const SCHEMES: &str = "redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://";

impl RedisTarget {
    /// Parses `CONFAB_REDIS_URL`.
    pub fn parse(url: &str) -> Result<Self, TargetError> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(err(format!("CONFAB_REDIS_URL must start with {SCHEMES}")));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "redis" | "rediss" => Self::standalone(url, scheme.eq_ignore_ascii_case("rediss")),
            "redis+sentinel" | "rediss+sentinel" => {
                Self::sentinel(rest, scheme.to_ascii_lowercase().starts_with("rediss"))
            }
            "redis+cluster" | "rediss+cluster" => {
                Self::cluster(rest, scheme.to_ascii_lowercase().starts_with("rediss"))
            }
            "unix" | "redis+unix" => Err(err(
                "CONFAB_REDIS_URL: unix sockets are not supported; use redis://host:port",
            )),
            other => Err(err(format!(
                "CONFAB_REDIS_URL has scheme {other:?}; use {SCHEMES}"
            ))),
        }
    }

    /// `true` for `rediss…` URLs.
    pub fn tls(&self) -> bool {
        match self {
            Self::Standalone { tls, .. }
            | Self::Sentinel { tls, .. }
            | Self::Cluster { tls, .. } => *tls,
        }
    }

    /// The kind, for logs and error messages ("standalone", "sentinel", "cluster").
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Standalone { .. } => "standalone",
            Self::Sentinel { .. } => "sentinel",
            Self::Cluster { .. } => "cluster",
        }
    }

    fn standalone(url: &str, tls: bool) -> Result<Self, TargetError> {
        if url.contains('#') {
            // The redis crate reads `#insecure` as "skip certificate verification": confab
            // never does that.
            return Err(err(
                "CONFAB_REDIS_URL must not have a #fragment (certificate checks cannot be turned off; trust a private CA with CONFAB_REDIS__TLS_CA_FILE)",
            ));
        }
        redis::IntoConnectionInfo::into_connection_info(url).map_err(|e| {
            err(format!(
                "CONFAB_REDIS_URL is not a valid Redis URL: {}",
                e.detail().unwrap_or(&e.to_string())
            ))
        })?;
        Ok(Self::Standalone {
            url: url.to_owned(),
            tls,
        })
    }

    fn sentinel(rest: &str, tls: bool) -> Result<Self, TargetError> {
        let (credentials, hosts, path) = split_multi_host(rest, "redis+sentinel")?;
        let sentinels = parse_hosts(hosts, SENTINEL_PORT, "redis+sentinel")?;
        let mut parts = path.split('/');
        let master_name = match parts.next() {
            Some(name) if !name.is_empty() => percent_decode(name)?,
            _ => {
                return Err(err(
                    "CONFAB_REDIS_URL: a redis+sentinel:// URL names the master after the hosts: redis+sentinel://host1:26379,host2:26379/<master-name>[/<db>]",
                ));
            }
        };
        let db = match parts.next() {
            None | Some("") => 0,
            Some(db) => db.parse::<i64>().ok().filter(|db| *db >= 0).ok_or_else(|| {
                err(format!(
                    "CONFAB_REDIS_URL: the database after the master name must be a number, not {db:?}"
                ))
            })?,
        };
        if parts.any(|p| !p.is_empty()) {
            return Err(err(
                "CONFAB_REDIS_URL: a redis+sentinel:// URL ends with /<master-name>[/<db>]",
            ));
        }
        Ok(Self::Sentinel {
            sentinels,
            master_name,
            db,
            tls,
            credentials,
        })
    }

    fn cluster(rest: &str, tls: bool) -> Result<Self, TargetError> {
        let (credentials, hosts, path) = split_multi_host(rest, "redis+cluster")?;
        if !(path.is_empty() || path == "0") {
            return Err(err(
                "CONFAB_REDIS_URL: a Redis Cluster has only database 0; write redis+cluster://host1:port1,host2:port2",
            ));
        }
        let nodes = parse_hosts(hosts, REDIS_PORT, "redis+cluster")?;
        Ok(Self::Cluster {
            nodes,
            tls,
            credentials,
        })
    }
}

/// `[user:pass@]hosts[/path]` -> (credentials, hosts, path without its leading `/`).
fn split_multi_host<'a>(
    rest: &'a str,
    scheme: &str,
) -> Result<(Credentials, &'a str, &'a str), TargetError> {
    if rest.contains('?') || rest.contains('#') {
        return Err(err(format!(
            "CONFAB_REDIS_URL: a {scheme}:// URL takes no ?query or #fragment; use CONFAB_REDIS__* settings"
        )));
    }
    // The user info ends at the last '@' before the path (a password may contain '@' only
    // percent-encoded, but be lenient about it).
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let credentials = match userinfo {
        None => Credentials::default(),
        Some(info) => {
            let (user, pass) = match info.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (info, None),
            };
            Credentials {
                username: (!user.is_empty())
                    .then(|| percent_decode(user))
                    .transpose()?,
                password: pass
                    .filter(|p| !p.is_empty())
                    .map(percent_decode)
                    .transpose()?,
            }
        }
    };
    Ok((credentials, hosts, path.trim_end_matches('/')))
}

/// `h1:p1,h2,[::1]:p3` with `default_port` where none is given.
fn parse_hosts(hosts: &str, default_port: u16, scheme: &str) -> Result<Vec<HostPort>, TargetError> {
    let mut out = Vec::new();
    for entry in hosts.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (host, port) = if let Some(v6) = entry.strip_prefix('[') {
            let Some((host, after)) = v6.split_once(']') else {
                return Err(err(format!(
                    "CONFAB_REDIS_URL: unclosed '[' in host {entry:?}"
                )));
            };
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => {
                    return Err(err(format!("CONFAB_REDIS_URL: bad host {entry:?}")));
                }
            }
        } else {
            match entry.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (entry, None),
            }
        };
        if host.is_empty() {
            return Err(err(format!(
                "CONFAB_REDIS_URL: a host name is missing in {entry:?}"
            )));
        }
        let port = match port {
            None => default_port,
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| {
                    err(format!(
                        "CONFAB_REDIS_URL: port {port:?} of host {host:?} is not a port number"
                    ))
                })?,
        };
        out.push(HostPort {
            host: host.to_owned(),
            port,
        });
    }
    if out.is_empty() {
        return Err(err(format!(
            "CONFAB_REDIS_URL: a {scheme}:// URL needs at least one host: {scheme}://host1:port1,host2:port2"
        )));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String, TargetError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| err("CONFAB_REDIS_URL: a bad %-escape in the URL"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| err("CONFAB_REDIS_URL: a %-escape is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(host: &str, port: u16) -> HostPort {
        HostPort {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn standalone_urls_keep_the_url_and_note_tls() {
        assert_eq!(
            RedisTarget::parse("redis://127.0.0.1:6379/2"),
            Ok(RedisTarget::Standalone {
                url: "redis://127.0.0.1:6379/2".into(),
                tls: false
            })
        );
        let t = RedisTarget::parse("rediss://default:pw@cache.example.com:6380").unwrap();
        assert!(t.tls());
        assert_eq!(t.kind(), "standalone");
    }

    #[test]
    fn the_insecure_fragment_is_refused() {
        let e = RedisTarget::parse("rediss://h:6380/#insecure").unwrap_err();
        assert!(e.0.contains("TLS_CA_FILE"), "{e}");
    }

    #[test]
    fn sentinel_urls_name_hosts_master_db_and_data_node_credentials() {
        let t = RedisTarget::parse("redis+sentinel://u:p%40ss@s1:26380,s2,[::1]:26381/mymaster/3")
            .unwrap();
        assert_eq!(
            t,
            RedisTarget::Sentinel {
                sentinels: vec![hp("s1", 26380), hp("s2", SENTINEL_PORT), hp("::1", 26381)],
                master_name: "mymaster".into(),
                db: 3,
                tls: false,
                credentials: Credentials {
                    username: Some("u".into()),
                    password: Some("p@ss".into())
                },
            }
        );
        let t = RedisTarget::parse("rediss+sentinel://:pw@s1:26379/m").unwrap();
        let RedisTarget::Sentinel {
            db,
            tls,
            credentials,
            ..
        } = t
        else {
            panic!("not sentinel")
        };
        assert_eq!((db, tls), (0, true));
        assert_eq!(credentials.username, None);
        assert_eq!(credentials.password.as_deref(), Some("pw"));
    }

    #[test]
    fn cluster_urls_list_seed_nodes() {
        assert_eq!(
            RedisTarget::parse("rediss+cluster://n1:7000,n2:7001/"),
            Ok(RedisTarget::Cluster {
                nodes: vec![hp("n1", 7000), hp("n2", 7001)],
                tls: true,
                credentials: Credentials::default(),
            })
        );
    }

    #[test]
    fn bad_urls_get_a_short_error_without_the_password() {
        for (url, needle) in [
            ("http://h:6379", "scheme"),
            ("localhost:6379", "must start with"),
            ("redis+sentinel://:secret@s1:26379", "names the master"),
            ("redis+sentinel://:secret@s1:26379/m/x", "must be a number"),
            ("redis+sentinel://:secret@s1:99999/m", "not a port number"),
            ("redis+sentinel://:secret@/m", "at least one host"),
            ("redis+cluster://:secret@n1:7000/1", "only database 0"),
            ("redis+cluster://:secret@n1:7000?x=1", "no ?query"),
            ("redis://:secret@h:notaport", "not a valid Redis URL"),
        ] {
            let e = RedisTarget::parse(url).unwrap_err();
            assert!(e.0.contains(needle), "{url}: {e}");
            assert!(!e.0.contains("secret"), "{url}: {e}");
        }
    }
}
