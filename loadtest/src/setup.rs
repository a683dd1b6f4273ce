//! Target checks (loopback only) and the run's fixtures, created through the REST API as an
//! admin: one project, the conversations, their participants.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use reqwest::Url;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cli::Plan;

/// A server under test: its REST base and its Socket.IO websocket endpoint.
#[derive(Clone, Debug)]
pub struct Target {
    pub base: Url,
    pub addr: SocketAddr,
    pub ws_url: String,
}

/// Parses `http://host:port` and refuses anything that is not on this machine's loopback.
pub fn target(url: &str) -> anyhow::Result<Target> {
    let base = Url::parse(url).with_context(|| format!("invalid --url {url}"))?;
    anyhow::ensure!(
        matches!(base.scheme(), "http" | "ws"),
        "--url {url}: only http:// or ws:// (plain, loopback) targets"
    );
    let host = base.host_str().unwrap_or_default();
    let ip = match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => ip,
        Err(_) if host == "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Err(_) => anyhow::bail!("--url {url}: the host must be a loopback address or localhost"),
    };
    anyhow::ensure!(
        ip.is_loopback(),
        "--url {url}: refusing a non-loopback target ({ip}); load runs stay on 127.0.0.0/8 or ::1"
    );
    let port = base.port_or_known_default().unwrap_or(80);
    let addr = SocketAddr::new(ip, port);
    let host = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    let ws_url = format!("ws://{host}:{port}/socket.io/?EIO=4&transport=websocket");
    let mut base = base;
    if base.scheme() == "ws" {
        base.set_scheme("http")
            .map_err(|()| anyhow::anyhow!("--url {url}: cannot use as http"))?;
    }
    Ok(Target { base, addr, ws_url })
}

/// Source addresses must be loopback too.
pub fn check_sources(ips: &[IpAddr]) -> anyhow::Result<()> {
    for ip in ips {
        anyhow::ensure!(
            ip.is_loopback(),
            "--source-ips: {ip} is not a loopback address"
        );
    }
    Ok(())
}

/// What setup created.
pub struct Fixtures {
    pub project: String,
    /// Conversation id per room.
    pub conversations: Vec<String>,
}

/// Creates the project and one conversation per room with its clients as participants.
pub async fn create(
    target: &Target,
    admin_token: &str,
    plan: &Plan,
    users: &[Uuid],
    concurrency: usize,
    label: &str,
) -> anyhow::Result<Fixtures> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(60))
        .build()?;
    let created = post(
        &http,
        target.base.join("/api/admin/projects")?,
        admin_token,
        &json!({ "name": label }),
    )
    .await
    .context("creating the project (is the admin claim accepted and the secret right?)")?;
    let project = id_of(&created, "project")?;
    let url = target
        .base
        .join(&format!("/api/projects/{project}/conversations"))?;
    let mut members: Vec<Vec<String>> = vec![Vec::new(); plan.rooms];
    for (i, user) in users.iter().enumerate() {
        members[plan.room_of(i)].push(user.to_string());
    }
    let conversations = futures::stream::iter(members.into_iter().enumerate())
        .map(|(room, ids)| {
            let (http, url) = (&http, url.clone());
            async move {
                let body = json!({ "title": format!("load {room}"), "type": "project", "participantIds": ids });
                let created = post(http, url, admin_token, &body)
                    .await
                    .with_context(|| format!("creating conversation {room}"))?;
                id_of(&created, "conversation")
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(Fixtures {
        project,
        conversations,
    })
}

async fn post(
    http: &reqwest::Client,
    url: Url,
    token: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let response = http
        .post(url.clone())
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "POST {url}: {status}: {text}");
    Ok(serde_json::from_str(&text)?)
}

fn id_of(body: &Value, key: &str) -> anyhow::Result<String> {
    body.get(key)
        .and_then(|o| o.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("response has no {key}.id: {body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_are_accepted_and_mapped_to_the_socket_io_endpoint() {
        let t = target("http://127.0.0.1:3000").unwrap();
        assert_eq!(
            t.ws_url,
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(t.addr.port(), 3000);
        assert!(target("http://localhost:8080/").is_ok());
        assert!(target("http://127.0.0.2:1").is_ok());
        assert!(target("http://[::1]:3000").is_ok());
    }

    #[test]
    fn other_hosts_are_refused() {
        assert!(target("http://10.0.0.1:3000").is_err());
        assert!(target("http://192.168.1.1:3000").is_err());
        assert!(target("http://example.com:3000").is_err());
        assert!(target("https://127.0.0.1:3000").is_err());
        assert!(check_sources(&["127.0.0.3".parse().unwrap()]).is_ok());
        assert!(check_sources(&["10.1.1.1".parse().unwrap()]).is_err());
    }
}
