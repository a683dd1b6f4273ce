//! Export memory: a 100 000-message conversation exported (JSON, then CSV) through the real
//! `confab` binary, run as a child process, while its resident memory is sampled from
//! `/proc/<pid>/status`. The server reads the messages a batch at a time while writing the
//! body, so its memory must stay flat; the figures are printed for the record.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use confab_domain::ids::{ConversationId, ProjectId, UserId};
use confab_domain::model::{
    Conversation, ConversationStatus, ConversationType, ParticipantRole, Project, User,
};
use confab_domain::ports::{
    ConversationRepository, MemberRule, NewParticipant, ProjectRepository, UserRepository,
};
use confab_domain::time::truncate_micros;
use confab_store::testing::seed::{SeedMessage, insert_messages};
use confab_store::testing::{TestDb, fresh_postgres, fresh_sqlite};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{Backend, token_for};

const MESSAGES: i64 = 100_000;
/// Generous: a buffered export of this conversation would take several times more.
const MAX_GROWTH_KIB: u64 = 64 * 1024;

/// A `confab serve` child process at `RUST_LOG=info`; killed when dropped.
struct Node(crate::helpers::Served);

impl Node {
    fn start(url: &str, schema: &str, dir: &std::path::Path) -> Self {
        Self(crate::helpers::Served::start(
            dir,
            &[
                ("CONFAB_DATABASE_URL", url),
                ("CONFAB_DATABASE_SCHEMA", schema),
                ("RUST_LOG", "info"),
            ],
        ))
    }

    fn pid(&self) -> u32 {
        self.0.pid()
    }
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A project, a conversation of two users, and `MESSAGES` messages written in batches.
async fn seed(test_db: &TestDb) -> ConversationId {
    let db = test_db.database().await;
    let store = db.store();
    let now = truncate_micros(Utc::now());
    let (alice, bob) = (UserId::new(), UserId::new());
    for (id, name) in [(alice, "Alice"), (bob, "Bob")] {
        let user = User {
            id,
            email: Some(format!("{}@example.com", name.to_lowercase())),
            name: Some(name.to_owned()),
        };
        store.upsert_user(&user, now).await.unwrap();
    }
    let project = Project {
        id: ProjectId::new(),
        name: "Load".into(),
        created_by: Some(alice),
        created_at: now,
    };
    store.create_project(&project, &[alice, bob]).await.unwrap();
    let conversation = Conversation {
        id: ConversationId::new(),
        project_id: project.id,
        title: Some("Big".into()),
        kind: ConversationType::Project,
        status: ConversationStatus::Active,
        created_by: Some(alice),
        last_seq: 0,
        created_at: now,
        updated_at: now,
    };
    let participants = [alice, bob].map(|user_id| NewParticipant {
        user_id,
        role: ParticipantRole::Member,
    });
    store
        .create_conversation(&conversation, &participants, MemberRule::Require)
        .await
        .unwrap();
    let start = now - chrono::Duration::days(30);
    let messages: Vec<SeedMessage> = (1..=MESSAGES)
        .map(|seq| SeedMessage {
            id: Uuid::now_v7(),
            conversation_id: conversation.id.as_uuid(),
            seq,
            sender_id: if seq % 3 == 0 { bob } else { alice }.as_uuid(),
            content: format!(
                "message {seq}: the quick brown fox, \"quoted\", jumps over the lazy dog; \
                 =formula-looking text and ünïcödé 👋 padding padding padding"
            ),
            created_at: start + chrono::Duration::milliseconds(seq * 20),
        })
        .collect();
    insert_messages(&db, &messages).await;
    db.close().await.unwrap();
    conversation.id
}

struct Measured {
    bytes: u64,
    rss_before: u64,
    hwm_before: u64,
    sampled_peak: u64,
    hwm_after: u64,
    rss_after: u64,
}

impl Measured {
    /// The highest RSS during the export: the high-water mark when the export raised it,
    /// else the highest sample.
    fn peak(&self) -> u64 {
        if self.hwm_after > self.hwm_before {
            self.hwm_after.max(self.sampled_peak)
        } else {
            self.sampled_peak
        }
    }
}

/// Streams one export, sampling the node's RSS every 10 ms; checks its shape by counting.
async fn export(node: &Node, token: &str, conversation: ConversationId, format: &str) -> Measured {
    let pid = node.pid();
    let rss_before = status_kib(pid, "VmRSS");
    let hwm_before = status_kib(pid, "VmHWM");
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(status_kib(pid, "VmRSS"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let mut response = reqwest::Client::new()
        .get(format!(
            "{}/api/admin/conversations/{conversation}/export?format={format}",
            node.0.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (mut bytes, mut records, mut tail) = (0u64, 0u64, Vec::new());
    let marker: &[u8] = if format == "csv" {
        b"\r\n"
    } else {
        b"\"seq\":"
    };
    while let Some(chunk) = response.chunk().await.expect("the body streams to the end") {
        bytes += chunk.len() as u64;
        // Count markers across chunk boundaries.
        let mut window = std::mem::take(&mut tail);
        window.extend_from_slice(&chunk);
        records += window
            .windows(marker.len())
            .filter(|w| *w == marker)
            .count() as u64;
        let keep = window.len().min(marker.len() - 1);
        tail = window[window.len() - keep..].to_vec();
    }
    stop.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    let expected = if format == "csv" {
        MESSAGES + 1
    } else {
        MESSAGES
    };
    assert_eq!(
        records,
        u64::try_from(expected).unwrap(),
        "{format}: every message once"
    );
    Measured {
        bytes,
        rss_before,
        hwm_before,
        sampled_peak: peak.load(Ordering::Relaxed).max(status_kib(pid, "VmRSS")),
        hwm_after: status_kib(pid, "VmHWM"),
        rss_after: status_kib(pid, "VmRSS"),
    }
}

async fn a_100k_message_export_streams_with_flat_memory(backend: Backend) {
    let test_db = match backend {
        Backend::Sqlite => fresh_sqlite(),
        Backend::Postgres => fresh_postgres().await,
    };
    let conversation = seed(&test_db).await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(
        test_db.url(),
        test_db.schema().unwrap_or("public"),
        dir.path(),
    );
    let admin = token_for(Uuid::new_v4(), true, Duration::from_secs(3600));
    // Warm up: authentication, pools, the route.
    let warm = reqwest::Client::new()
        .get(format!(
            "{}/api/admin/conversations/{conversation}",
            node.0.base
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(warm.status(), StatusCode::OK);
    for format in ["json", "csv"] {
        let m = export(&node, &admin, conversation, format).await;
        let growth = m.peak().saturating_sub(m.rss_before);
        println!(
            "export memory [{backend:?} {format}, {MESSAGES} messages, {:.1} MiB body]: \
             RSS before {:.1} MiB, peak {:.1} MiB (sampled {:.1}, VmHWM {:.1} -> {:.1}), \
             after {:.1} MiB; growth {:.1} MiB",
            mib(m.bytes / 1024),
            mib(m.rss_before),
            mib(m.peak()),
            mib(m.sampled_peak),
            mib(m.hwm_before),
            mib(m.hwm_after),
            mib(m.rss_after),
            mib(growth),
        );
        assert!(
            growth < MAX_GROWTH_KIB,
            "{format}: RSS grew by {:.1} MiB exporting {:.1} MiB",
            mib(growth),
            mib(m.bytes / 1024)
        );
    }
    drop(node);
    test_db.cleanup().await;
}

crate::on_both_backends!(a_100k_message_export_streams_with_flat_memory);
