//! Throwaway databases for integration tests (feature `testing`).
//!
//! [`fresh_postgres`] creates `confab_test_<random>` on the PostgreSQL at
//! `postgres://postgres@127.0.0.1:5432/postgres` (or at `$CONFAB_TEST_POSTGRES_URL`) and
//! panics if that server is unreachable: tests never skip themselves. Its tables go in the
//! schema [`TEST_SCHEMA`] (`confab`), not `public`, so every PostgreSQL test covers
//! `CONFAB_DATABASE_SCHEMA`; [`fresh_postgres_in`] picks another. With
//! `$CONFAB_TEST_PGBOUNCER_URL` set (a PgBouncer in transaction mode in front of that server,
//! `scripts/pgbouncer`), [`TestDb::pooled_url`] is the same database through it. [`fresh_sqlite`] makes
//! a file in a new temporary directory. Either is removed when the [`TestDb`] drops, or by
//! [`TestDb::cleanup`].
//!
//! ```no_run
//! # async fn example() {
//! let test_db = confab_store::testing::fresh_postgres().await;
//! let db = test_db.database().await; // connected and migrated
//! // ... use db.store() ...
//! test_db.cleanup().await;
//! # }
//! ```

pub mod seed;

use std::path::PathBuf;

use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::{Backend, Database, StoreOptions, connect};

/// The server tests expect, as the maintenance database to create test databases from.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Overrides [`DEFAULT_POSTGRES_URL`].
pub const POSTGRES_URL_ENV: &str = "CONFAB_TEST_POSTGRES_URL";
/// A PgBouncer (transaction mode) in front of the test PostgreSQL, e.g.
/// `postgres://postgres@127.0.0.1:6432/postgres`: the server tests then reach their database
/// through it.
pub const PGBOUNCER_URL_ENV: &str = "CONFAB_TEST_PGBOUNCER_URL";
/// The schema [`fresh_postgres`] databases keep confab's tables in.
pub const TEST_SCHEMA: &str = "confab";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    /// What to hand to `confab_store::connect` (or to a server under test).
    pub url: String,
    /// PostgreSQL: the schema confab's tables go in (`CONFAB_DATABASE_SCHEMA`).
    schema: Option<String>,
    /// PostgreSQL behind `$CONFAB_TEST_PGBOUNCER_URL`: this database through PgBouncer.
    pooled_url: Option<String>,
    place: Place,
    removed: bool,
}

#[derive(Debug)]
enum Place {
    Postgres { admin_url: String, name: String },
    Sqlite { dir: PathBuf },
}

/// A new, empty PostgreSQL database whose confab tables go in [`TEST_SCHEMA`]. Panics when
/// PostgreSQL is unreachable.
pub async fn fresh_postgres() -> TestDb {
    fresh_postgres_in(TEST_SCHEMA).await
}

/// A new, empty PostgreSQL database whose confab tables go in `schema`.
#[expect(
    clippy::disallowed_methods,
    reason = "a test fixture's service addresses, not confab settings"
)]
pub async fn fresh_postgres_in(schema: &str) -> TestDb {
    let admin_url =
        std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let pgbouncer = std::env::var(PGBOUNCER_URL_ENV)
        .ok()
        .filter(|url| !url.is_empty());
    let name = format!("confab_test_{}", Uuid::new_v4().simple());
    let admin = admin_connection(&admin_url).await;
    if let Err(err) = admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
    {
        panic!("cannot create the test database {name}: {err}");
    }
    let _ = admin.close().await;
    TestDb {
        url: with_database(&admin_url, &name),
        schema: Some(schema.to_owned()),
        pooled_url: pgbouncer.map(|url| with_database(&url, &name)),
        place: Place::Postgres { admin_url, name },
        removed: false,
    }
}

/// A new SQLite database file in a fresh temporary directory.
pub fn fresh_sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(format!("confab-test-{}", Uuid::new_v4().simple()));
    if let Err(err) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {err}", dir.display());
    }
    TestDb {
        url: format!("sqlite://{}?mode=rwc", dir.join("confab.db").display()),
        schema: None,
        pooled_url: None,
        place: Place::Sqlite { dir },
        removed: false,
    }
}

impl TestDb {
    /// The database's URL, straight to the server (not through PgBouncer).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which engine the database is on.
    pub fn backend(&self) -> Backend {
        match self.place {
            Place::Postgres { .. } => Backend::Postgres,
            Place::Sqlite { .. } => Backend::Sqlite,
        }
    }

    /// PostgreSQL: the schema confab's tables go in.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// PostgreSQL with `$CONFAB_TEST_PGBOUNCER_URL` set: this database through PgBouncer in
    /// transaction mode.
    pub fn pooled_url(&self) -> Option<&str> {
        self.pooled_url.as_deref()
    }

    /// The options to connect with directly (this database's schema).
    pub fn options(&self) -> StoreOptions {
        StoreOptions {
            schema: self
                .schema
                .clone()
                .unwrap_or_else(|| crate::DEFAULT_SCHEMA.to_owned()),
            ..StoreOptions::default()
        }
    }

    /// A connection pool on the database as it is (not migrated).
    pub async fn connect(&self) -> Database {
        connect(&self.url, &self.options())
            .await
            .unwrap_or_else(|err| panic!("cannot connect to the test database: {err}"))
    }

    /// A connection pool on the database with every migration applied.
    pub async fn database(&self) -> Database {
        let db = self.connect().await;
        if let Err(err) = db.migrate().await {
            panic!("cannot migrate the test database: {err}");
        }
        db
    }

    /// Removes the database now (rather than in `Drop`, which blocks a thread to do it).
    pub async fn cleanup(mut self) {
        self.removed = true;
        match &self.place {
            Place::Postgres { admin_url, name } => drop_database(admin_url, name).await,
            Place::Sqlite { dir } => remove_dir(dir),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        match &self.place {
            Place::Sqlite { dir } => remove_dir(dir),
            Place::Postgres { admin_url, name } => {
                // Drop cannot await; a fresh runtime on its own thread can, even when this
                // runs inside a test's runtime.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let dropper =
                    std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => runtime.block_on(drop_database(&admin_url, &name)),
                        Err(err) => eprintln!("cannot drop the test database {name}: {err}"),
                    });
                let _ = dropper.join();
            }
        }
    }
}

async fn admin_connection(admin_url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(admin_url);
    options
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .sqlx_logging(false);
    match sea_orm::Database::connect(options).await {
        Ok(connection) => connection,
        Err(err) => panic!(
            "confab's tests need PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), or \
             its URL in {POSTGRES_URL_ENV}; start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`. \
             Connecting failed: {err}"
        ),
    }
}

/// `FORCE` ends the connections a test left open.
async fn drop_database(admin_url: &str, name: &str) {
    let admin = admin_connection(admin_url).await;
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    if let Err(err) = admin.execute_unprepared(&sql).await {
        eprintln!("cannot drop the test database {name}: {err}");
    }
    let _ = admin.close().await;
}

fn remove_dir(dir: &PathBuf) {
    if let Err(err) = std::fs::remove_dir_all(dir)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("cannot remove {}: {err}", dir.display());
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let host_start = base.find("://").map_or(0, |at| at + 3);
    let path_start = base[host_start..]
        .find('/')
        .map_or(base.len(), |at| host_start + at);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_parameters_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t3"),
            "postgres://h:5432/t3"
        );
    }
}
