//! The shipped dashboard (deploy/grafana/confab.json) and alert rules
//! (deploy/prometheus/alerts.yml) watch metrics a running node really exports: a node on
//! PostgreSQL and Redis gets the traffic an operator's node sees (REST calls, a socket send,
//! a rate-limit refusal, an upload), then every metric name the dashboard and the alerts use
//! must be on its `/metrics` page.

use std::collections::BTreeSet;
use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, unique_prefix};

fn deploy(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(path)
}

/// The metric names (confab's own and the standard `process_*`) in a PromQL expression,
/// with label matchers, label values, quoted strings and label lists left out.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut depth = 0usize; // inside `{...}` (label matchers)
    let mut quoted = false;
    let mut word = String::new();
    let mut flush = |word: &mut String, depth: usize| {
        if depth == 0 && (word.starts_with("confab_") || word.starts_with("process_")) {
            names.insert(std::mem::take(word));
        }
        word.clear();
    };
    for c in expr.chars() {
        if quoted {
            quoted = c != '"';
            continue;
        }
        match c {
            '"' => {
                flush(&mut word, depth);
                quoted = true;
            }
            '{' => {
                flush(&mut word, depth);
                depth += 1;
            }
            '}' => {
                flush(&mut word, depth);
                depth = depth.saturating_sub(1);
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == ':' => word.push(c),
            _ => flush(&mut word, depth),
        }
    }
    flush(&mut word, depth);
    names
}

/// Every panel target's expression in the dashboard, checked for shape on the way: unique
/// panel ids, a grid position, a datasource, and targets with an expression and a refId.
fn dashboard_expressions() -> Vec<String> {
    let text = std::fs::read_to_string(deploy("grafana/confab.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    assert_eq!(dashboard["uid"], "confab-overview");
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 30);
    let variables: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(variables, ["datasource", "instance"]);
    let mut ids = BTreeSet::new();
    let mut expressions = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = panel["title"].as_str().expect("every panel has a title");
        assert!(
            ids.insert(panel["id"].as_u64().unwrap()),
            "duplicate id: {title}"
        );
        let grid = &panel["gridPos"];
        for key in ["h", "w", "x", "y"] {
            assert!(grid[key].is_u64(), "{title}: gridPos.{key}");
        }
        assert!(
            grid["x"].as_u64().unwrap() + grid["w"].as_u64().unwrap() <= 24,
            "{title}"
        );
        if panel["type"] == "row" {
            continue;
        }
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "{title}");
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title} has no query");
        for target in targets {
            assert!(target["refId"].is_string(), "{title}");
            let expr = target["expr"].as_str().expect("a PromQL expression");
            assert!(expr.contains("instance=~\"$instance\""), "{title}: {expr}");
            expressions.push(expr.to_owned());
        }
    }
    expressions
}

/// Every `expr:` of alerts.yml (one line, or a `|` block).
fn alert_expressions() -> Vec<String> {
    let text = std::fs::read_to_string(deploy("prometheus/alerts.yml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("expr:") else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        if rest.trim() != "|" {
            out.push(rest.trim().to_owned());
            continue;
        }
        let block: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
            .copied()
            .collect();
        out.push(block.join("\n"));
    }
    out
}

#[test]
fn metric_names_are_read_off_expressions_without_labels_or_strings() {
    let names = metric_names(
        r#"histogram_quantile(0.99, sum by (le, route) (rate(confab_http_request_duration_seconds_bucket{instance=~"$instance",route!="/socket.io/"}[5m]))) / process_open_fds{x="confab_not_a_metric"}"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            "confab_http_request_duration_seconds_bucket",
            "process_open_fds"
        ]
    );
}

#[test]
fn the_dashboard_is_well_formed_and_covers_what_operators_watch() {
    let names: BTreeSet<String> = dashboard_expressions()
        .iter()
        .flat_map(|e| metric_names(e))
        .collect();
    for watched in [
        "confab_sockets_connected",
        "confab_broadcast_fanout_total",
        "confab_delivery_seconds_bucket",
        "confab_send_ack_seconds_bucket",
        "confab_errors_total",
        "confab_db_pool_connections",
        "confab_redis_degraded",
        "process_resident_memory_bytes",
    ] {
        assert!(
            names.contains(watched),
            "the dashboard does not show {watched}"
        );
    }
    let alerts = alert_expressions();
    assert_eq!(alerts.len(), 7, "{alerts:?}");
}

/// Names on a Prometheus text page (`name{...} v` or `name v`).
fn exported(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_dashboard_and_alerts_use_is_exported_by_a_running_node() {
    let prefix = unique_prefix();
    let app = TestApp::spawn_with(Backend::Postgres, |c| {
        crate::helpers::on_redis(c, crate::helpers::redis_url(), &prefix);
        c.limits.searches_per_minute = 1;
        c.ops_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let alice = app.user();
    // REST, a socket send and a refused one, an upload, a rate-limit refusal.
    let (_socket, conversation) = app.sent_and_refused(&alice, "watched").await;
    let (status, _) = app.upload(&conversation, &alice, "a.txt", b"hello").await;
    assert_eq!(status, StatusCode::CREATED);
    let search = format!("/api/conversations/{conversation}/search?q=watched");
    assert_eq!(app.status(&search, &alice).await, StatusCode::OK);
    assert_eq!(
        app.status(&search, &alice).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.call(Method::GET, "/readyz", None, None).await.0,
        StatusCode::OK
    );

    let ops = app.ops.clone().unwrap();
    let page = crate::helpers::text_at(&app.client, format!("{ops}/metrics")).await;
    let exported = exported(&page);
    let mut used: BTreeSet<String> = dashboard_expressions()
        .iter()
        .chain(alert_expressions().iter())
        .flat_map(|e| metric_names(e))
        .collect();
    assert!(used.len() > 30, "{used:?}");
    used.retain(|name| !exported.contains(name));
    assert!(
        used.is_empty(),
        "used by the dashboard or the alerts but not exported: {used:?}\n\n{page}"
    );
    // The refusal and the upload are labelled as an operator would filter them.
    crate::helpers::assert_contains_all(
        &page,
        &[
            "confab_rate_limited_total{limit=\"searches\"} ",
            "confab_storage_operations_total{op=\"put\",outcome=\"ok\"} ",
            "confab_ready 1",
            "confab_redis_degraded{link=\"adapter\"} 0",
        ],
    );
    app.stop().await;
}
