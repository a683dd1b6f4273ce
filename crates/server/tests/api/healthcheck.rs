//! `confab healthcheck`, the container HEALTHCHECK: the real binary against a real node, a
//! closed port, a node that answers 503 and one that never answers.

use std::io::{Read, Write};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::helpers::{Backend, TestApp};

/// Runs `confab healthcheck <args>` with a clean environment plus `env`.
fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_confab"))
        .arg("healthcheck")
        .args(args)
        .env_clear()
        .env("CONFAB_DATA_DIR", dir.path())
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .output()
        .expect("the confab binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    crate::helpers::free_port()
}

/// A one-shot HTTP server on loopback that answers every request with `response`, or
/// never answers when it is `None`. Returns its port.
fn fake_server(response: Option<String>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            match &response {
                Some(answer) => {
                    let _ = stream.write_all(answer.as_bytes());
                }
                None => std::thread::sleep(Duration::from_secs(30)),
            }
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_0_when_the_node_is_ready() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || healthcheck(&["--url", &base], &[]))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains(&format!("{}/readyz: ok", app.base)),
        "{}",
        text(&out.stdout)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_asks_the_configured_bind_on_loopback_by_default() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let bind = format!("0.0.0.0:{port}");
    let out = tokio::task::spawn_blocking(move || healthcheck(&[], &[("CONFAB_BIND", &bind)]))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("http://127.0.0.1:{port}/readyz: ok")),
        "{}",
        text(&out.stdout)
    );
    app.stop().await;
}

#[test]
fn healthcheck_fails_with_a_clear_message_when_nothing_listens() {
    let port = closed_port();
    let out = healthcheck(&["--url", &format!("http://127.0.0.1:{port}")], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{port}/readyz"))
            && stderr.contains("cannot connect"),
        "{stderr}"
    );
}

#[test]
fn healthcheck_fails_when_readyz_answers_503() {
    let body = r#"{"status":"unavailable","checks":{"database":{"status":"error"}}}"#;
    let port = fake_server(Some(format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )));
    let out = healthcheck(&["--url", &format!("http://127.0.0.1:{port}/")], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("HTTP 503") && stderr.contains("unavailable"),
        "{stderr}"
    );
}

#[test]
fn healthcheck_gives_up_after_its_timeout_when_the_node_hangs() {
    let port = fake_server(None);
    let started = Instant::now();
    let out = healthcheck(
        &[
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--timeout",
            "1s",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        text(&out.stderr).contains("no answer within 1s"),
        "{}",
        text(&out.stderr)
    );
}
