//! Feature flags change without a rebuild or a restart: SIGHUP re-reads them.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::helpers::{SECRET, token_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_messaging_flags() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("confab.toml");
    let write_flags = |rollout: u8| {
        std::fs::write(
            &config,
            format!("[features.messaging]\nrollout_percentage = {rollout}\n"),
        )
        .unwrap();
    };
    write_flags(100);
    let port = crate::helpers::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_confab"))
        .arg("--config")
        .arg(&config)
        .env_clear()
        .env("CONFAB_BIND", format!("127.0.0.1:{port}"))
        .env("CONFAB_DATA_DIR", dir.path().join("data"))
        .env(
            "CONFAB_JWT_SECRET",
            String::from_utf8(SECRET.to_vec()).unwrap(),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("the confab binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let token = token_for(Uuid::new_v4(), false, Duration::from_secs(600));
    let status = |client: reqwest::Client, base: String, token: String| async move {
        let url = format!("{base}/api/projects/{}/conversations", Uuid::new_v4());
        client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    let started = Instant::now();
    while status(client.clone(), base.clone(), token.clone()).await != 404 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the node did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    write_flags(0);
    let hup = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let started = Instant::now();
    let mut last = 0;
    while started.elapsed() < Duration::from_secs(10) {
        last = status(client.clone(), base.clone(), token.clone()).await;
        if last == 403 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(last, 403, "after SIGHUP the user is outside the rollout");
}
