//! `confab import seed`: the seed stack's PostgreSQL tables into confab's database.
//!
//! The source is checked (reachable, schema, tables, columns) before anything is written.
//! Then confab's database is migrated and filled table by table, one conversation at a time:
//! participants (and project membership), messages in batches (each batch one transaction
//! that takes its `seq` numbers from the conversation's counter), files, read receipts,
//! reports, read markers. Source ids are kept, so a re-run inserts only the rows confab does
//! not have yet and finishes an import that was interrupted: new messages of a conversation
//! are numbered after the ones already imported.

pub mod convert;
mod files;
mod map;
mod run;
mod source;
mod target;

use std::fmt;
use std::time::Duration;

pub use map::ProjectMap;
pub use run::seed;

/// Rows of one kind: how many the source has and how many were (or would be) new.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Rows in the source.
    pub found: u64,
    /// Rows confab did not have yet: inserted (or, on a dry run, that would be).
    pub new: u64,
}

impl Tally {
    fn add(&mut self, found: usize, new: usize) {
        self.found += found as u64;
        self.new += new as u64;
    }
}

/// What an import did (or, on a dry run, would do).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Nothing was written (`--dry-run`); the counts are what would be imported.
    pub dry_run: bool,
    /// Rows of the source's `users` table.
    pub users: Tally,
    /// Users referred to by other tables but missing from `users`: created with no name.
    pub placeholder_users: u64,
    /// Rows of the source's `projects` table.
    pub projects: Tally,
    /// Rows of the source's `conversations` table.
    pub conversations: Tally,
    /// Conversation participants (each also made a project member; see `members_added`).
    pub participants: Tally,
    /// Project memberships added for participants.
    pub members_added: u64,
    /// Rows of the source's `messages` table.
    pub messages: Tally,
    /// Edit history entries carried over with the new messages.
    pub edits: u64,
    /// File attachment rows (the bytes are copied only with `--copy-files`).
    pub files: Tally,
    /// Files downloaded into confab's storage (`--copy-files`).
    pub files_copied: u64,
    /// Files `--copy-files` could not download: they keep their original URL.
    pub files_not_copied: u64,
    /// Read receipts of messages.
    pub receipts: Tally,
    /// Reports of messages (moderation).
    pub reports: Tally,
    /// Values confab does not know (a message type, a status...) replaced by the default.
    pub replaced_values: u64,
    /// Wall-clock time of the whole run.
    pub elapsed: Duration,
}

impl Summary {
    /// New messages per second of the whole run.
    pub fn messages_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.messages.new as f64 / seconds
        } else {
            0.0
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would import" } else { "new" };
        writeln!(
            f,
            "{}",
            if self.dry_run {
                "confab import seed: dry run, nothing written"
            } else {
                "confab import seed: done"
            }
        )?;
        let rows = [
            ("users", self.users),
            ("projects", self.projects),
            ("conversations", self.conversations),
            ("participants", self.participants),
            ("messages", self.messages),
            ("files", self.files),
            ("read receipts", self.receipts),
            ("reports", self.reports),
        ];
        for (name, tally) in rows {
            writeln!(
                f,
                "  {name:<14} {:>9} in the source, {:>9} {verb}",
                tally.found, tally.new
            )?;
        }
        let notes = [
            (
                self.placeholder_users,
                "users created for ids missing from `users`",
            ),
            (self.members_added, "project memberships for participants"),
            (self.edits, "edit history entries"),
            (self.files_copied, "files copied into confab's storage"),
            (
                self.files_not_copied,
                "files not copied (download failed; they keep their URL)",
            ),
            (
                self.replaced_values,
                "unknown type/status/role values replaced by the default",
            ),
        ];
        for (count, what) in notes {
            if count > 0 {
                writeln!(f, "  {count} {what}")?;
            }
        }
        write!(
            f,
            "  {:.1} s, {:.0} messages/s",
            self.elapsed.as_secs_f64(),
            self.messages_per_second()
        )
    }
}
