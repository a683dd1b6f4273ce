//! The command line: `confab [serve]`, `confab migrate`, `confab token`, `confab healthcheck`,
//! `confab config check|print`, `confab import seed`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// `confab`'s command line: a global `--config` and an optional subcommand (`serve` when absent).
#[derive(Debug, Parser)]
#[command(
    name = "confab",
    version,
    about = "Real-time messaging server speaking Socket.IO"
)]
pub struct Cli {
    /// Configuration file (default: ./confab.toml when present).
    #[arg(long, global = true, env = "CONFAB_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do; none means `serve`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `confab`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one node (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print a JWT signed with this node's HS256 secret (development and tests).
    Token {
        /// The user id (`sub`), a UUID.
        #[arg(long)]
        user: uuid::Uuid,
        /// Display name, put in the token's `user_metadata.name`.
        #[arg(long)]
        name: Option<String>,
        /// Email, put in the token's `email` claim.
        #[arg(long)]
        email: Option<String>,
        /// Adds `app_metadata.role = "admin"`.
        #[arg(long)]
        admin: bool,
        /// Lifetime, e.g. `1h`, `30m`, `7d`.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
    /// Exit 0 iff the node's `/readyz` answers ready (container healthchecks).
    Healthcheck {
        /// The node to ask (e.g. `http://127.0.0.1:3000`; `/readyz` is added when the URL has
        /// no path). Default: the configured bind address, a wildcard bind asked on loopback.
        #[arg(long)]
        url: Option<String>,
        /// Give up after this long.
        #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
    /// Validate or show the configuration (file and `CONFAB_*` variables) without starting.
    Config {
        /// `check` or `print`.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Bring existing data into confab's database (the configured `CONFAB_DATABASE_URL`).
    Import {
        /// What to import (only `seed` for now).
        #[command(subcommand)]
        command: ImportCommand,
    },
}

/// `confab import` subcommands: the sources confab can import from.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Copy the seed stack's tables (projects, users, conversations and their participants,
    /// messages with reactions and edits, files, read receipts, reports) from its PostgreSQL
    /// into confab's database.
    ///
    /// Migrates confab's database first, keeps the source ids, numbers each conversation's
    /// messages (`seq`) by `created_at` then id, and makes participants project members.
    /// Run it again at any time: it imports only what is new, and completes an import that
    /// was interrupted. Prints a summary on stdout and a progress bar on stderr (when it is
    /// a terminal). Nothing is written when the source cannot be read.
    #[command(verbatim_doc_comment)]
    Seed(SeedArgs),
}

/// `confab import seed` options.
#[derive(Clone, Debug, clap::Args)]
pub struct SeedArgs {
    /// The seed stack's PostgreSQL, e.g. `postgres://postgres:…@db.xyz.supabase.co:5432/postgres`
    /// (a direct or session-pooler connection, not a transaction pooler; it is only read).
    #[arg(long, value_name = "POSTGRES_URL")]
    pub from: String,
    /// The source schema holding the seed's tables.
    #[arg(long, default_value = "public")]
    pub schema: String,
    /// Put a seed project's conversations into another confab project: a file with one
    /// `SEED_PROJECT_ID=CONFAB_PROJECT_ID` per line (`#` starts a comment), or the pairs
    /// inline, comma-separated. Unmapped projects keep their ids.
    #[arg(long, value_name = "FILE|SEED=CONFAB,...")]
    pub project_map: Option<String>,
    /// Download every file from its `file_url` into confab's file storage (local directory
    /// or S3) and serve it from `/api/files/<id>`. Without it, files keep their URL.
    #[arg(long)]
    pub copy_files: bool,
    /// Read everything and report what would be imported; write nothing (not even
    /// migrations).
    #[arg(long)]
    pub dry_run: bool,
}

/// `confab config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Exit 0 ("configuration ok") when every key and variable is known and every value
    /// valid; otherwise exit 1 listing every problem.
    Check,
    /// Print the effective configuration as TOML, secrets masked.
    Print,
}
