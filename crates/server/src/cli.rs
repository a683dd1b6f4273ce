//! The command line: `confab [serve]`, `confab migrate`, `confab token`, `confab healthcheck`,
//! `confab config check|print`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

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
    #[command(subcommand)]
    pub command: Option<Command>,
}

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
        #[arg(long)]
        name: Option<String>,
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
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Exit 0 ("configuration ok") when every key and variable is known and every value
    /// valid; otherwise exit 1 listing every problem.
    Check,
    /// Print the effective configuration as TOML, secrets masked.
    Print,
}
