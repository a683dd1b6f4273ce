//! The target (any host the user points it at: our own tests choose loopback) and the run's
//! fixtures, created through the REST API as an admin: one project, the conversations, their
//! participants.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use reqwest::Url;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cli::Plan;

/// A server under test: its REST base and its Socket.IO websocket endpoint.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub base: Url,
    pub addr: SocketAddr,
    pub ws_url: String,
}

/// Parses `http://host:port` (or `ws://`) and resolves the host once: every connection goes to
/// that address, so DNS is not part of what is measured. TLS is not spoken (put the load
/// generator next to the nodes, or behind the TLS terminator).
pub(crate) fn target(url: &str) -> anyhow::Result<Target> {
    let base = Url::parse(url).with_context(|| format!("invalid --url {url}"))?;
    anyhow::ensure!(
        matches!(base.scheme(), "http" | "ws"),
        "--url {url}: only plain http:// or ws:// targets (no TLS)"
    );
    let host = base
        .host_str()
        .with_context(|| format!("--url {url}: no host"))?;
    let port = base.port_or_known_default().unwrap_or(80);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = (bare, port)
        .to_socket_addrs()
        .with_context(|| format!("--url {url}: cannot resolve {host}"))?
        .collect();
    // IPv4 first: `localhost` often lists ::1 first while servers bind 127.0.0.1.
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .with_context(|| format!("--url {url}: {host} has no address"))?;
    // The Host header keeps the name the user gave (virtual hosts, load balancers).
    let ws_url = format!("ws://{host}:{port}/socket.io/?EIO=4&transport=websocket");
    let mut base = base;
    if base.scheme() == "ws" {
        base.set_scheme("http")
            .map_err(|()| anyhow::anyhow!("--url {url}: cannot use as http"))?;
    }
    Ok(Target { base, addr, ws_url })
}

/// Source addresses must be of the targets' family (an IPv4 source cannot reach an IPv6
/// target).
pub(crate) fn check_sources(ips: &[IpAddr], targets: &[Target]) -> anyhow::Result<()> {
    for ip in ips {
        for target in targets {
            anyhow::ensure!(
                ip.is_ipv4() == target.addr.is_ipv4(),
                "--source-ips: {ip} cannot reach {} (address families differ)",
                target.addr
            );
        }
    }
    Ok(())
}

/// What setup created.
pub(crate) struct Fixtures {
    pub project: String,
    /// Conversation id per room.
    pub conversations: Vec<String>,
}

/// Creates the project and one conversation per room with its clients as participants.
pub(crate) async fn create(
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
    fn targets_map_to_the_socket_io_endpoint_of_the_resolved_address() {
        let t = target("http://127.0.0.1:3000").unwrap();
        assert_eq!(
            t.ws_url,
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(t.addr, "127.0.0.1:3000".parse().unwrap());
        let t = target("http://localhost:8080/").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(
            t.ws_url,
            "ws://localhost:8080/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(
            target("ws://[::1]:3000").unwrap().base.as_str(),
            "http://[::1]:3000/"
        );
    }

    #[test]
    fn any_host_is_a_valid_target_but_tls_is_refused() {
        // Resolving needs no network for an IP literal: what matters is that a non-loopback
        // address is not refused by the tool (users load-test their staging).
        let t = target("http://10.0.0.1:3000").unwrap();
        assert_eq!(t.addr, "10.0.0.1:3000".parse().unwrap());
        assert_eq!(target("http://192.168.1.1").unwrap().addr.port(), 80);
        assert!(target("https://127.0.0.1:3000").is_err());
        let v4 = [target("http://127.0.0.1:1").unwrap()];
        assert!(check_sources(&["127.0.0.3".parse().unwrap()], &v4).is_ok());
        assert!(check_sources(&["::1".parse().unwrap()], &v4).is_err());
    }
}
