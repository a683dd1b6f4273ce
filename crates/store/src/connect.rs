//! Opening the database: backend by URL, pool settings, SQLite pragmas, migrations.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use confab_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DbBackend, SqliteTransactionMode, TransactionOptions,
};

use crate::error::StoreError;
use crate::metrics::PoolStats;
use crate::repo::{GroupCommit, GroupRead, SqlStore};
use crate::scoped::{Db, Pooler, quoted, validate_schema};

/// How long a SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Pooled connections idle this long are pinged before reuse; busy ones are not (a ping per
/// checkout would add a round trip to every query).
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);
/// Serialises `migrate` across processes on PostgreSQL (an arbitrary, fixed key).
const MIGRATION_LOCK_KEY: i64 = 0x636f_6e66_6162; // "confab"

/// Pool and durability settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Most connections the main pool opens (at least 1). A SQLite file's writes go through
    /// an extra pool of one connection on top of these.
    pub max_connections: u32,
    /// How long to wait for a pooled connection (and for the first connection): an
    /// unreachable PostgreSQL fails within this time.
    pub acquire_timeout: Duration,
    /// SQLite only: `synchronous=FULL` (every commit survives power loss) rather than
    /// `NORMAL` (WAL commits may roll back on power loss, never corrupt).
    pub sqlite_synchronous_full: bool,
    /// PostgreSQL only: the schema confab's tables, view and migration records live in
    /// (created by [`Database::migrate`] when missing). SQLite has none and ignores it.
    pub schema: String,
    /// PostgreSQL only: what kind of pooler (if any) sits in front of the server.
    pub pooler: Pooler,
    /// How sends are batched into transactions.
    pub group_commit: GroupCommitOptions,
}

/// Group commit: sends waiting for the database together are stored in one transaction
/// (see `repo::group_commit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupCommitOptions {
    /// `false`: every send is a transaction of its own (the path before group commit).
    pub enabled: bool,
    /// Most sends in one batch (at least 1).
    pub max_rows: usize,
    /// How long a writer waits for more sends after the first before it writes. Zero (the
    /// default): it takes what is queued at that moment, so an idle node adds no latency and
    /// a busy one batches what arrived during the previous commit.
    pub window: Duration,
    /// PostgreSQL: writer tasks, each serving the conversations hashed to it (at least 1).
    /// SQLite always has one. One by default: measured in `persist` (docs/performance.md),
    /// one writer's batches are larger and PostgreSQL's CPU per send lower (6,082 sends/s
    /// against 5,943 with 2 writers and 5,154 with 4).
    pub writers: usize,
    /// PostgreSQL: access checks waiting for the database together are read in one
    /// statement (see `repo::group_read`); `false`: one statement each. SQLite reads each.
    pub reads: bool,
}

impl Default for GroupCommitOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            max_rows: 256,
            window: Duration::ZERO,
            writers: 1,
            reads: true,
        }
    }
}

/// The schema PostgreSQL puts unqualified names in by default.
pub const DEFAULT_SCHEMA: &str = "public";

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            sqlite_synchronous_full: true,
            schema: DEFAULT_SCHEMA.to_owned(),
            pooler: Pooler::Session,
            group_commit: GroupCommitOptions::default(),
        }
    }
}

/// The database engine behind a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// PostgreSQL, from a `postgres://` or `postgresql://` URL.
    Postgres,
    /// SQLite, from a `sqlite:` URL.
    Sqlite,
}

impl Backend {
    /// `postgres://` / `postgresql://` or `sqlite:`.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// The lowercase name, `postgres` or `sqlite` (for logs and labels).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

/// The open connection pools plus the repository adapter over them.
#[derive(Clone, Debug)]
pub struct Database {
    connection: Db,
    /// SQLite files only: the one-connection pool every write goes through (see
    /// [`SqlStore`]). Elsewhere writes share `connection`.
    writer: Option<Db>,
    backend: Backend,
    /// PostgreSQL: the schema (validated).
    schema: String,
    store: Arc<SqlStore>,
}

/// Opens a pool on `url` (`postgres://...` or `sqlite://path?mode=rwc`), and for a SQLite file
/// a second, one-connection pool for writes. Does not migrate.
pub async fn connect(url: &str, options: &StoreOptions) -> Result<Database, StoreError> {
    let backend = Backend::from_url(url)?;
    if backend == Backend::Postgres {
        validate_schema(&options.schema).map_err(StoreError::InvalidSchema)?;
    }
    let connection = open_pool(url, backend, options, options.max_connections).await?;
    let writer = match backend == Backend::Sqlite && !sqlite_in_memory(url) {
        true => Some(open_pool(url, backend, options, 1).await?),
        false => None,
    };
    Ok(Database::new(
        connection,
        writer,
        backend,
        options.schema.clone(),
        &options.group_commit,
    ))
}

async fn open_pool(
    url: &str,
    backend: Backend,
    options: &StoreOptions,
    max_connections: u32,
) -> Result<Db, StoreError> {
    let mut connect = ConnectOptions::new(url);
    connect
        .max_connections(max_connections.max(1))
        .acquire_timeout(options.acquire_timeout)
        .connect_timeout(options.acquire_timeout)
        .test_before_acquire_if_idle_for(PING_AFTER_IDLE)
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Trace)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_secs(1));
    let mut transaction_scope = None;
    match (backend, options.pooler) {
        (Backend::Sqlite, _) => configure_sqlite(&mut connect, url, options)?,
        // Each pooled connection is a session of its own: set the schema once.
        (Backend::Postgres, Pooler::Session) => {
            connect.set_schema_search_path(quoted(&options.schema));
        }
        (Backend::Postgres, Pooler::Transaction) => {
            // No statement outlives its transaction (see `scoped`); PgBouncer refuses
            // startup parameters it does not know, `extra_float_digits` among them.
            connect.map_sqlx_postgres_opts(|opts| {
                opts.statement_cache_capacity(0).extra_float_digits(None)
            });
            transaction_scope = Some(format!(
                "SET LOCAL search_path TO {}; DEALLOCATE ALL",
                quoted(&options.schema)
            ));
        }
    }
    let mut connection = sea_orm::Database::connect(connect)
        .await
        .map_err(|err| StoreError::Connect(err.to_string().replace(url, "<database url>")))?;
    connection.set_metric_callback(crate::metrics::statement);
    Ok(Db::new(
        connection,
        transaction_scope,
        max_connections,
        options.acquire_timeout,
    ))
}

/// Every connection to an in-memory SQLite database is a database of its own.
fn sqlite_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

fn configure_sqlite(
    connect: &mut ConnectOptions,
    url: &str,
    options: &StoreOptions,
) -> Result<(), StoreError> {
    let parsed = SqliteConnectOptions::from_str(url)
        .map_err(|err| StoreError::InvalidSqliteUrl(err.to_string()))?;
    let in_memory = sqlite_in_memory(url);
    if in_memory {
        // Every connection to `:memory:` is its own database: keep exactly one, forever.
        connect
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    } else {
        create_parent_dir(parsed.get_filename())?;
    }
    let synchronous = if options.sqlite_synchronous_full {
        SqliteSynchronous::Full
    } else {
        SqliteSynchronous::Normal
    };
    connect.map_sqlx_sqlite_opts(move |opts| {
        let opts = opts
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .synchronous(synchronous);
        if in_memory {
            opts
        } else {
            // WAL: readers run beside the single writer.
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
        }
    });
    Ok(())
}

fn create_parent_dir(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            }),
        _ => Ok(()),
    }
}

impl Database {
    fn new(
        connection: Db,
        writer: Option<Db>,
        backend: Backend,
        schema: String,
        group_commit: &GroupCommitOptions,
    ) -> Self {
        let writes = writer.clone().unwrap_or_else(|| connection.clone());
        let batcher = group_commit
            .enabled
            .then(|| GroupCommit::start(writes.clone(), group_commit));
        let reader = (group_commit.reads && backend == Backend::Postgres)
            .then(|| GroupRead::start(connection.clone(), group_commit.max_rows));
        let store = Arc::new(SqlStore::new(connection.clone(), writes, batcher, reader));
        Self {
            connection,
            writer,
            backend,
            schema,
            store,
        }
    }

    /// Which engine this database runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL schema confab's tables live in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Applies pending migrations (a no-op when there are none). Runs in one transaction that
    /// first takes a lock (a PostgreSQL transaction-level advisory lock, which works through a
    /// transaction pooler too; SQLite's write lock), so nodes started together migrate one
    /// after the other instead of racing. On PostgreSQL the schema is created first when it
    /// is missing, and the migration records (`seaql_migrations`) live in it as well.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .map_err(StoreError::Migrate)?;
        if self.backend == Backend::Postgres {
            transaction
                .execute_raw(sea_orm::Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [MIGRATION_LOCK_KEY.into()],
                ))
                .await
                .map_err(StoreError::Migrate)?;
            create_schema(&transaction, &self.schema).await?;
        }
        Migrator::up(&transaction, None)
            .await
            .map_err(StoreError::Migrate)?;
        transaction.commit().await.map_err(StoreError::Migrate)
    }

    /// The adapter implementing `confab_domain::ports::Store`.
    pub fn store(&self) -> Arc<SqlStore> {
        Arc::clone(&self.store)
    }

    /// The pools' occupancy now (`main`, and `writer` on a SQLite file), for `/metrics`.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        let mut stats = vec![pool_stats("main", &self.connection, self.backend)];
        if let Some(writer) = &self.writer {
            stats.push(pool_stats("writer", writer, self.backend));
        }
        stats
    }

    /// The pool, whose statements run in confab's schema.
    pub fn connection(&self) -> &Db {
        &self.connection
    }

    /// Closes the pools (waits for checked-out connections to come back).
    pub async fn close(self) -> Result<(), StoreError> {
        if let Some(writer) = self.writer {
            writer
                .close()
                .await
                .map_err(|err| StoreError::Connect(err.to_string()))?;
        }
        self.connection
            .close()
            .await
            .map_err(|err| StoreError::Connect(err.to_string()))
    }
}

/// `CREATE SCHEMA IF NOT EXISTS`, only when it is missing: creating needs the `CREATE`
/// privilege on the database, which a role given an existing schema may not have.
async fn create_schema(
    transaction: &sea_orm::DatabaseTransaction,
    schema: &str,
) -> Result<(), StoreError> {
    let exists = transaction
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_namespace WHERE nspname = $1",
            [schema.into()],
        ))
        .await
        .map_err(StoreError::Migrate)?
        .is_some();
    if !exists {
        let sql = format!("CREATE SCHEMA IF NOT EXISTS {}", quoted(schema));
        transaction
            .execute_unprepared(&sql)
            .await
            .map_err(StoreError::Migrate)?;
    }
    Ok(())
}

fn pool_stats(pool: &'static str, connection: &Db, backend: Backend) -> PoolStats {
    let connection = connection.pool();
    let (size, idle, max) = match backend {
        Backend::Postgres => {
            let p = connection.get_postgres_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        Backend::Sqlite => {
            let p = connection.get_sqlite_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
    };
    PoolStats {
        pool,
        size,
        idle: u32::try_from(idle).unwrap_or(u32::MAX),
        max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_follows_the_url_scheme() {
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("sqlite://data/confab.db?mode=rwc").unwrap(),
            Backend::Sqlite
        );
        assert!(matches!(
            Backend::from_url("mysql://h/db"),
            Err(StoreError::UnsupportedUrl)
        ));
    }
}
