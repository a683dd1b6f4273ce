//! `confab import seed`: a seed stack's PostgreSQL (the seed's DDL, fixed, with generated
//! data) into confab's database, then served by a node.

mod data;

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use confab_server::Config;
use confab_server::cli::SeedArgs;
use confab_server::import::{Summary, Tally, seed};
use confab_store::testing::{TEST_SCHEMA, TestDb, fresh_postgres, fresh_sqlite};
use data::{Shape, assert_same, count, seed_database, source_order};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, User, token_for};

const FIFTY_THOUSAND: Shape = Shape {
    conversations: 200,
    per_conversation: 250,
};
const SMALL: Shape = Shape {
    conversations: 5,
    per_conversation: 40,
};
const FILES: &str = "https://seed.example/storage/v1/object/public/files";

fn args(from: &str) -> SeedArgs {
    SeedArgs {
        from: from.to_owned(),
        schema: "public".to_owned(),
        project_map: None,
        copy_files: false,
        dry_run: false,
    }
}

fn dry_run(from: &str) -> SeedArgs {
    SeedArgs {
        dry_run: true,
        ..args(from)
    }
}

fn config_for(database: &str, data_dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.database_url = Some(database.to_owned());
    config.database_schema = TEST_SCHEMA.to_owned();
    config.data_dir = data_dir.to_path_buf();
    config
}

async fn tables_in(dst: &DatabaseConnection) -> i64 {
    count(
        dst,
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'confab'",
    )
    .await
}

fn nothing_new(summary: &Summary) {
    for (what, tally) in [
        ("users", summary.users),
        ("projects", summary.projects),
        ("conversations", summary.conversations),
        ("participants", summary.participants),
        ("messages", summary.messages),
        ("files", summary.files),
        ("receipts", summary.receipts),
        ("reports", summary.reports),
    ] {
        assert_eq!(tally.new, 0, "a re-run imported {what} again: {summary}");
        assert!(tally.found > 0, "{what}: {summary}");
    }
    assert_eq!(summary.members_added + summary.edits, 0, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_messages_arrive_in_order_and_a_rerun_adds_nothing() {
    let (src_db, src) = seed_database(FIFTY_THOUSAND, FILES).await;
    let dst_db = fresh_postgres().await;
    let dst = dst_db.connect().await.connection().pool().clone();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dst_db.url(), dir.path());

    let dry = seed(&config, &dry_run(&src_db.url)).await.unwrap();
    assert_eq!(
        dry.messages,
        Tally {
            found: 50_000,
            new: 50_000
        }
    );
    assert_eq!(dry.conversations.new, 200);
    assert_eq!(tables_in(&dst).await, 0, "a dry run wrote nothing at all");

    let summary = seed(&config, &args(&src_db.url)).await.unwrap();
    println!("{summary}");
    println!(
        "import speed: {:.0} messages/s (50k messages, 200 conversations, PostgreSQL to PostgreSQL)",
        summary.messages_per_second()
    );
    assert_eq!(summary.messages.new, 50_000, "{summary}");
    assert_eq!(summary.placeholder_users, 3, "the ghosts: {summary}");
    assert_eq!(summary.replaced_values, 0, "{summary}");
    assert_same(&src, &dst).await;

    let again = seed(&config, &args(&src_db.url)).await.unwrap();
    nothing_new(&again);
    assert_same(&src, &dst).await;

    let dry = seed(&config, &dry_run(&src_db.url)).await.unwrap();
    assert_eq!(dry.messages.new, 0, "{dry}");

    let order = source_order(&src).await;
    let app = TestApp::spawn_on(dst_db, |_| {}).await;
    served_as_a_user_sees_them(&app, &src, &order, 3).await;
    src_db.cleanup().await;
}

/// The conversation `md5('conv<c>')` over REST, as one of its participants: every message
/// in the source's order, with its reactions, edits, deletion and files.
async fn served_as_a_user_sees_them(
    app: &TestApp,
    src: &DatabaseConnection,
    order: &BTreeMap<Uuid, Vec<Uuid>>,
    c: u32,
) {
    let conversation = uuid_of(src, &format!("SELECT md5('conv{c}')::uuid AS id")).await;
    // The reader of the fixture: neither the sender of most messages nor an admin.
    let reader = uuid_of(
        src,
        &format!("SELECT md5('user{}')::uuid AS id", (c + 2) % 20),
    )
    .await;
    let reader = User {
        id: reader,
        token: token_for(reader, false, Duration::from_secs(3600)),
    };
    let messages = history(app, &reader, conversation).await;
    let ids: Vec<Uuid> = messages
        .iter()
        .map(|m| m["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        &ids, &order[&conversation],
        "the REST history is the source's order"
    );
    for (n, m) in messages.iter().enumerate() {
        assert_eq!(m["seq"], n + 1);
    }
    let source = source_messages(src, conversation).await;
    let mut seen = [0; 5];
    for m in &messages {
        let id: Uuid = m["id"].as_str().unwrap().parse().unwrap();
        let s = &source[&id];
        if s.deleted {
            seen[0] += 1;
            assert!(!m["deletedAt"].is_null(), "{m}");
            if m["senderId"] != reader.id.to_string() {
                assert_eq!(
                    m["content"], "",
                    "others see no content of a deleted message: {m}"
                );
                continue;
            }
        }
        assert_eq!(m["content"], s.content.clone().unwrap_or_default(), "{m}");
        if s.edited {
            seen[1] += 1;
            assert!(!m["editedAt"].is_null(), "{m}");
        }
        if let Some(reactions) = s.metadata.get("reactions") {
            seen[2] += 1;
            let shown = &m["metadata"]["reactions"];
            match reactions {
                Value::Object(_) => assert_eq!(shown, reactions, "{m}"),
                _ => assert_eq!(shown["🎉"].as_array().unwrap().len(), 2, "{m}"),
            }
        }
        if s.file_url.is_some() {
            seen[3] += 1;
            assert_eq!(
                m["files"][0]["fileUrl"].as_str(),
                s.file_url.as_deref(),
                "{m}"
            );
        }
        if s.content.is_none() {
            seen[4] += 1;
            assert_eq!(m["type"], "system", "{m}");
        }
    }
    assert!(
        seen[..4].iter().all(|n| *n > 0),
        "the conversation has every edge case: {seen:?}"
    );
}

async fn history(app: &TestApp, who: &User, conversation: Uuid) -> Vec<Value> {
    let mut all = Vec::new();
    let mut before = String::new();
    loop {
        let path = format!("/api/conversations/{conversation}/messages?limit=100&before={before}");
        let (status, body) = app.get(&path, who).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = body["messages"].as_array().unwrap().clone();
        let Some(oldest) = page.last() else { break };
        before = oldest["id"].as_str().unwrap().to_owned();
        all.extend(page);
        if body["hasMore"] != true {
            break;
        }
    }
    all.reverse();
    all
}

struct SourceMessage {
    content: Option<String>,
    metadata: Value,
    edited: bool,
    deleted: bool,
    file_url: Option<String>,
}

async fn source_messages(
    src: &DatabaseConnection,
    conversation: Uuid,
) -> BTreeMap<Uuid, SourceMessage> {
    let sql = "SELECT m.id, m.content, COALESCE(m.metadata, '{}') AS metadata, \
               m.edited_at IS NOT NULL AS edited, m.deleted_at IS NOT NULL AS deleted, f.file_url \
               FROM messages m LEFT JOIN message_files f ON f.message_id = m.id \
               WHERE m.conversation_id = $1";
    let rows = src
        .query_all_raw(Statement::from_sql_and_values(
            src.get_database_backend(),
            sql,
            [conversation.into()],
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                SourceMessage {
                    content: r.try_get("", "content").unwrap(),
                    metadata: r.try_get("", "metadata").unwrap(),
                    edited: r.try_get("", "edited").unwrap(),
                    deleted: r.try_get("", "deleted").unwrap(),
                    file_url: r.try_get("", "file_url").unwrap(),
                },
            )
        })
        .collect()
}

async fn uuid_of(db: &DatabaseConnection, sql: &str) -> Uuid {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "id").unwrap()
}

/// `confab` with only the given settings in its environment.
#[expect(
    clippy::disallowed_methods,
    reason = "passes the test's own PATH on to the child; not a confab setting"
)]
fn confab(database: &str, data_dir: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confab"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CONFAB_DATABASE_URL", database)
        .env("CONFAB_DATABASE_SCHEMA", TEST_SCHEMA)
        .env("CONFAB_DATA_DIR", data_dir)
        .current_dir(data_dir)
        .stdin(Stdio::null());
    command
}

async fn messages_in(dst: &DatabaseConnection) -> i64 {
    let sql = "SELECT COUNT(*) AS n FROM messages";
    match dst
        .query_one_raw(Statement::from_string(dst.get_database_backend(), sql))
        .await
    {
        Ok(Some(row)) => row.try_get("", "n").unwrap(),
        _ => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_midway_completes_when_run_again() {
    let (src_db, src) = seed_database(FIFTY_THOUSAND, FILES).await;
    let dst_db = fresh_postgres().await;
    let dst = dst_db.connect().await.connection().pool().clone();
    let dir = tempfile::tempdir().unwrap();
    let run = ["import", "seed", "--from", src_db.url.as_str()];

    let mut child = confab(dst_db.url(), dir.path(), &run)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it as soon as the first messages are committed.
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be interrupted"
        );
        if messages_in(&dst).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = messages_in(&dst).await;
    assert!(
        (1..50_000).contains(&partial),
        "{partial} messages after the kill"
    );

    let output = confab(dst_db.url(), dir.path(), &run).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("confab import seed: done"), "{stdout}");
    assert_same(&src, &dst).await;
    src_db.cleanup().await;
    dst_db.cleanup().await;
}

/// Runs the CLI against a fresh confab database; returns its output after checking it
/// failed with one short message and left the database untouched.
async fn refused(args: &[&str]) -> String {
    let dst_db = fresh_postgres().await;
    let dst = dst_db.connect().await.connection().pool().clone();
    let dir = tempfile::tempdir().unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = confab(dst_db.url(), dir.path(), args).output().unwrap();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{}", String::from_utf8_lossy(&stdout));
    assert!(
        stderr.lines().count() <= 2 && stderr.len() < 400,
        "a short error: {stderr}"
    );
    assert_eq!(tables_in(&dst).await, 0, "nothing changed after: {stderr}");
    dst_db.cleanup().await;
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sources_are_refused_with_a_short_error_and_change_nothing() {
    let (src_db, _src) = seed_database(SMALL, FILES).await;
    let empty = fresh_postgres().await;
    let seed_url = src_db.url.as_str();
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["--from", "postgres://postgres@127.0.0.1:1/postgres"],
            "cannot connect to the seed database",
        ),
        (
            vec!["--from", empty.url.as_str()],
            "lacks the table(s) projects, conversations, conversation_participants, messages",
        ),
        (
            vec!["--from", seed_url, "--schema", "nope"],
            "the seed database has no schema \"nope\"",
        ),
        (
            vec!["--from", "mysql://root@127.0.0.1/seed"],
            "--from must be a postgres:// URL",
        ),
        (
            vec![
                "--from",
                seed_url,
                "--project-map",
                "11111111-1111-4111-8111-111111111111=22222222-2222-4222-8222-222222222222",
            ],
            "--project-map names the project 11111111-1111-4111-8111-111111111111",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["import", "seed"];
        args.extend(extra);
        let stderr = refused(&args).await;
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    src_db.cleanup().await;
    empty.cleanup().await;
}

/// Serves `file <id>` at `/files/<id>`, and 404 under `/missing/`.
async fn file_server() -> String {
    use axum::extract::Path;
    let app = axum::Router::new().route(
        "/files/{id}",
        axum::routing::get(|Path(id): Path<String>| async move { format!("file {id}") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_files_are_copied_into_confabs_storage_and_projects_mapped() {
    let base = file_server().await;
    let (src_db, src) = seed_database(SMALL, &format!("{base}/files")).await;
    let gone = uuid_of(
        &src,
        "UPDATE message_files SET file_url = replace(file_url, '/files/', '/missing/') \
         WHERE id = (SELECT id FROM message_files ORDER BY id LIMIT 1) RETURNING id",
    )
    .await;
    let project0 = uuid_of(&src, "SELECT md5('project0')::uuid AS id").await;
    let mapped = Uuid::new_v4();
    let dst_db: TestDb = fresh_sqlite();
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dst_db.url(), dir.path());
    let import = SeedArgs {
        copy_files: true,
        project_map: Some(format!("{project0}={mapped}")),
        ..args(&src_db.url)
    };

    let summary = seed(&config, &import).await.unwrap();
    let files = count(&src, "SELECT COUNT(*) AS n FROM message_files").await as u64;
    assert_eq!(summary.files.new, files, "{summary}");
    assert_eq!(summary.files_copied, files - 1, "{summary}");
    assert_eq!(summary.files_not_copied, 1, "{summary}");
    let dst = dst_db.connect().await.connection().pool().clone();
    assert_same(&src, &dst).await;
    let mapped_rows = dst
        .query_all_raw(Statement::from_sql_and_values(
            dst.get_database_backend(),
            "SELECT id FROM conversations WHERE project_id = $1",
            [mapped.into()],
        ))
        .await
        .unwrap();
    assert_eq!(mapped_rows.len(), 2, "conversations 0 and 3 moved");
    nothing_new(&seed(&config, &import).await.unwrap());

    let app = TestApp::spawn_on(dst_db, |c| c.data_dir = dir.path().to_path_buf()).await;
    let file_rows = src
        .query_all_raw(Statement::from_string(
            src.get_database_backend(),
            "SELECT f.id, f.message_id, m.conversation_id FROM message_files f \
             JOIN messages m ON m.id = f.message_id",
        ))
        .await
        .unwrap();
    for row in file_rows {
        let id: Uuid = row.try_get("", "id").unwrap();
        let message: Uuid = row.try_get("", "message_id").unwrap();
        let conversation: Uuid = row.try_get("", "conversation_id").unwrap();
        let reader = uuid_of(
            &src,
            &format!(
                "SELECT user_id AS id FROM conversation_participants \
                 WHERE conversation_id = '{conversation}' AND role = 'owner'"
            ),
        )
        .await;
        let reader = User {
            id: reader,
            token: token_for(reader, true, Duration::from_secs(3600)),
        };
        let page = history(&app, &reader, conversation).await;
        let shown = page
            .iter()
            .find(|m| m["id"] == message.to_string())
            .unwrap();
        let url = shown["files"][0]["fileUrl"].as_str().unwrap().to_owned();
        if id == gone {
            assert!(url.contains("/missing/"), "kept its URL: {url}");
            continue;
        }
        assert_eq!(url, format!("/api/files/{id}"));
        if !shown["deletedAt"].is_null() {
            continue; // nobody downloads a deleted message's files
        }
        let response = app
            .client
            .get(format!("{}{url}", app.base))
            .bearer_auth(&reader.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), format!("file {message}"));
    }
    src_db.cleanup().await;
}
