//! Configuration you can trust: the real binary refuses unknown `CONFAB_*` variables and
//! `confab.toml` keys with a "did you mean" hint, `confab config check` validates without
//! starting, `confab config print` masks secrets, and a bad `RUST_LOG` is reported.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::free_port;

/// Runs `confab <args>` in `dir` with a clean environment plus `env`.
fn confab(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(args)
        .env_clear()
        .env("CONFAB_DATA_DIR", dir.join("data"))
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("the confab binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn example_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../confab.example.toml")
}

#[test]
fn config_check_names_a_mistyped_variable_and_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = confab(
        dir.path(),
        &["config", "check"],
        &[("CONFAB_LIMITS__MESSAGE_PER_MINUTE", "5")],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "CONFAB_LIMITS__MESSAGE_PER_MINUTE: unknown variable; \
             did you mean `CONFAB_LIMITS__MESSAGES_PER_MINUTE`?"
        ),
        "{stderr}"
    );
    assert!(!text(&out.stdout).contains("configuration ok"));
}

#[test]
fn config_check_lists_every_problem_of_the_file_and_the_environment_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("confab.toml"),
        "bnd = \"127.0.0.1:4000\"\n[limits]\nmessage_per_minute = 5\n\
         [files.s3]\nregoin = \"eu-west-1\"\n",
    )
    .unwrap();
    let out = confab(
        dir.path(),
        &["config", "check"],
        &[
            ("CONFAB_DATABASE__URL", "postgres://x@y/z"),
            ("CONFAB_LIMITS__EDITS_PER_MINUTE", "many"),
            ("CONFAB_LOG_FORMAT", "xml"),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for expected in [
        "invalid configuration (6 problems)",
        "confab.toml: bnd: unknown key; did you mean `bind`?",
        "confab.toml: limits.message_per_minute: unknown key; did you mean `limits.messages_per_minute`?",
        "confab.toml: files.s3.regoin: unknown key; did you mean `files.s3.region`?",
        "CONFAB_DATABASE__URL: unknown variable; did you mean `CONFAB_DATABASE_URL`?",
        "CONFAB_LIMITS__EDITS_PER_MINUTE: expected a whole number from 0 to 4294967295",
        "CONFAB_LOG_FORMAT: `xml` is not one of `text`, `json`",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn config_check_accepts_a_valid_file_and_variables_including_the_tools_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("confab.toml"),
        "bind = \"127.0.0.1:4000\"\n[limits]\nmessages_per_minute = 5\n\
         [features.messaging]\nenabled_users = [\"a@example.com\"]\n",
    )
    .unwrap();
    let out = confab(
        dir.path(),
        &["config", "check"],
        &[
            ("CONFAB_LIMITS__MESSAGES_PER_MINUTE", "7"),
            ("CONFAB_REALTIME__TYPING_TTL", "3s"),
            (
                "CONFAB_CORS_ORIGINS",
                "http://localhost:3000, https://app.example",
            ),
            // Not settings, but set around the binary by the test and build tooling.
            ("CONFAB_BIN", "/usr/local/bin/confab"),
            ("CONFAB_TEST_REDIS_URL", "redis://127.0.0.1:6379"),
            ("RUST_LOG", "info,confab_gateway=debug"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).trim(), "configuration ok");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn config_check_accepts_the_annotated_example() {
    let dir = tempfile::tempdir().unwrap();
    let example = example_file();
    let out = confab(
        dir.path(),
        &["config", "check", "--config", example.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "configuration ok");
}

#[test]
fn config_check_refuses_a_config_file_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let out = confab(
        dir.path(),
        &["config", "check", "--config", "missing.toml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("missing.toml: the configuration file does not exist"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn config_print_shows_the_effective_values_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = [
        "jwt-secret-value-0123456789abcdef",
        "pg-password-42",
        "redis-password-42",
        "AKIAEXAMPLEKEYID",
        "s3-secret-key-42",
    ];
    let out = confab(
        dir.path(),
        &["config", "print"],
        &[
            ("CONFAB_JWT_SECRET", secrets[0]),
            (
                "CONFAB_DATABASE_URL",
                "postgres://confab:pg-password-42@db.internal:5432/confab",
            ),
            ("CONFAB_REDIS_URL", "redis://:redis-password-42@redis:6379"),
            ("CONFAB_FILES__S3__ACCESS_KEY_ID", secrets[3]),
            ("CONFAB_FILES__S3__SECRET_ACCESS_KEY", secrets[4]),
            ("CONFAB_LIMITS__MESSAGES_PER_MINUTE", "7"),
        ],
    );
    let printed = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for secret in secrets {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
    }
    for expected in [
        "jwt_secret = \"********\"",
        "database_url = \"postgres://confab:********@db.internal:5432/confab\"",
        "redis_url = \"redis://:********@redis:6379\"",
        "access_key_id = \"********\"",
        "secret_access_key = \"********\"",
        "messages_per_minute = 7",
        "# jwks_url = (unset)",
        "[limits]",
    ] {
        assert!(
            printed.contains(expected),
            "missing {expected:?} in:\n{printed}"
        );
    }
    // What it prints is a configuration file confab accepts.
    std::fs::write(dir.path().join("printed.toml"), &printed).unwrap();
    let again = confab(
        dir.path(),
        &["config", "check", "--config", "printed.toml"],
        &[],
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
}

#[test]
fn serve_refuses_to_start_with_a_mistyped_variable() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_confab"))
        .arg("serve")
        .env_clear()
        .env("CONFAB_DATA_DIR", dir.path().join("data"))
        .env("CONFAB_BIND", &bind)
        .env("CONFAB_LIMITS__MESSAGE_PER_MINUTE", "5")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("confab serve started despite an unknown variable");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("did you mean `CONFAB_LIMITS__MESSAGES_PER_MINUTE`?")
            && stderr.contains("not starting"),
        "{stderr}"
    );
    assert!(
        std::net::TcpStream::connect(&bind).is_err(),
        "something listens on {bind}"
    );
    // Nothing was created either: the refusal comes before any work.
    assert!(!dir.path().join("data").exists());
}

#[test]
fn an_invalid_rust_log_is_a_warning_in_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = confab(
        dir.path(),
        &["config", "check"],
        &[("RUST_LOG", "confab=verbose")],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: RUST_LOG=confab=verbose is not a valid log filter"),
        "{stderr}"
    );
}

#[test]
fn an_invalid_log_filter_setting_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = confab(
        dir.path(),
        &["config", "check"],
        &[("CONFAB_LOG_FILTER", "confab=verbose")],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("log_filter: `confab=verbose` is not a valid log filter"),
        "{stderr}"
    );
}

#[test]
fn serve_logs_a_warning_for_an_invalid_rust_log_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_confab"))
        .arg("serve")
        .env_clear()
        .env("CONFAB_DATA_DIR", dir.path().join("data"))
        .env("CONFAB_BIND", format!("127.0.0.1:{port}"))
        .env(
            "CONFAB_JWT_SECRET",
            "test-secret-0123456789abcdef0123456789",
        )
        .env("RUST_LOG", "confab=verbose")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut warned = false;
    let mut ready = false;
    while Instant::now() < deadline && !(warned && ready) {
        while let Ok(line) = lines.try_recv() {
            warned |= line.contains("WARN")
                && line.contains("RUST_LOG is not a valid log filter")
                && line.contains("confab=verbose");
            seen.push(line);
        }
        ready = ready || answers_200(&format!("http://127.0.0.1:{port}/readyz"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        warned,
        "no WARN line about RUST_LOG in:\n{}",
        seen.join("\n")
    );
    assert!(
        ready,
        "the node did not serve /readyz:\n{}",
        seen.join("\n")
    );
}

/// Whether a plain HTTP GET answers 200 (std only: this test runs outside tokio).
fn answers_200(url: &str) -> bool {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(mut stream) = std::net::TcpStream::connect(host) else {
        return false;
    };
    let request = format!("GET /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

#[test]
fn config_check_and_print_know_the_database_schema_pooler_and_migration_url() {
    let dir = tempfile::tempdir().unwrap();
    let refused = confab(
        dir.path(),
        &["config", "check"],
        &[
            ("CONFAB_DATABASE_SCHEMA", "Confab-Chat"),
            ("CONFAB_DATABASE_POOLER", "statement"),
        ],
    );
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    for expected in [
        "invalid configuration (2 problems)",
        "CONFAB_DATABASE_SCHEMA: invalid value: invalid database schema \"Confab-Chat\": \
         it may only hold lower-case letters a-z, digits and _",
        "CONFAB_DATABASE_POOLER: `statement` is not one of `session`, `transaction`",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }

    let settings = [
        ("CONFAB_DATABASE_SCHEMA", "confab"),
        ("CONFAB_DATABASE_POOLER", "transaction"),
        (
            "CONFAB_DATABASE_MIGRATION_URL",
            "postgres://confab:direct-password-42@db.internal:5432/postgres",
        ),
    ];
    let checked = confab(dir.path(), &["config", "check"], &settings);
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stderr));
    let printed = confab(dir.path(), &["config", "print"], &settings);
    let printed = text(&printed.stdout);
    assert!(!printed.contains("direct-password-42"), "{printed}");
    for expected in [
        "database_schema = \"confab\"",
        "database_pooler = \"transaction\"",
        "database_migration_url = \"postgres://confab:********@db.internal:5432/postgres\"",
    ] {
        assert!(
            printed.contains(expected),
            "missing {expected:?} in:\n{printed}"
        );
    }
}
