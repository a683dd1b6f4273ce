//! The wire records as TypeScript, for `@confab/client` (clients/js/src/generated/wire.ts).
//!
//! Why ts-rs: it derives from the serde attributes these types already carry (`rename_all`,
//! `rename`, `skip_serializing_if`), needs no CLI and no build script, and its derives live
//! behind `cfg(test)` here, so ts-rs is a dev-dependency only: the server build never sees
//! it. (typeshare needs its own CLI; specta wants its own type registry.) The test below
//! fails when the file no longer matches the Rust types; `CONFAB_WRITE_TS=1 cargo test -p
//! confab-domain wire_ts` rewrites it.

use std::path::PathBuf;

use ts_rs::{Config, TS};

use crate::ids::{ConversationId, FileId, MessageId, ProjectId, UserId};
use crate::model::{
    Conversation, ConversationStatus, ConversationType, FileAttachment, Message, MessageKind,
    ReadReceipt,
};

const HEADER: &str = "\
// GENERATED from the Rust types in crates/domain/src/{ids,model}.rs by ts-rs (the test
// `wire_ts` in crates/domain/src/wire_ts.rs). Do not edit: change the Rust types and run
// `CONFAB_WRITE_TS=1 cargo test -p confab-domain wire_ts`; the test fails while this file is stale.
";

fn declarations() -> String {
    // `seq` and sizes are i64 in Rust but well inside JavaScript's safe integers.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        UserId::decl(&cfg),
        ProjectId::decl(&cfg),
        ConversationId::decl(&cfg),
        MessageId::decl(&cfg),
        FileId::decl(&cfg),
        MessageKind::decl(&cfg),
        ConversationType::decl(&cfg),
        ConversationStatus::decl(&cfg),
        FileAttachment::decl(&cfg),
        Message::decl(&cfg),
        Conversation::decl(&cfg),
        ReadReceipt::decl(&cfg),
    ];
    let mut out = String::from(HEADER);
    for decl in decls {
        out.push('\n');
        out.push_str("export ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

fn target() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../clients/js/src/generated/wire.ts")
}

#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "a developer's switch for this test (rewrite the file), not a confab setting"
)]
fn wire_ts_matches_the_rust_types() {
    let fresh = declarations();
    let path = target();
    if std::env::var_os("CONFAB_WRITE_TS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "{} is stale: run `CONFAB_WRITE_TS=1 cargo test -p confab-domain wire_ts` and commit it",
        path.display()
    );
}
