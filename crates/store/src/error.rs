//! Errors. [`StoreError`] is what setting the store up can fail with (connect, migrate).
//! Inside the repositories a [`Failure`] carries either a database error or a domain error;
//! at the port boundary ([`run`]) it becomes a `confab_domain::Error`: unreachable database
//! -> `Unavailable`, unique-key violation -> `Conflict`, anything else -> `Internal`. Nothing
//! is logged here: an `Internal` keeps the database error as its source and an `Unavailable`
//! names it, and whoever answers or drops the error logs it once (`report_failure!` for
//! requests and socket events). No message a client sees carries SQL or driver text.

use std::future::Future;
use std::path::PathBuf;

use confab_domain::Error;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Why the store could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names neither PostgreSQL (`postgres://`) nor SQLite (`sqlite:`).
    #[error("unsupported database URL: expected postgres://... or sqlite://...")]
    UnsupportedUrl,
    /// The SQLite URL could not be parsed.
    #[error("invalid SQLite database URL: {0}")]
    InvalidSqliteUrl(String),
    /// The directory that should hold the SQLite file could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        /// The directory that could not be created.
        path: PathBuf,
        /// Why creating it failed.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be reached or refused the connection (the URL, which may hold
    /// a password, is left out of the message).
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// `CONFAB_DATABASE_SCHEMA` is not a schema name confab accepts.
    #[error("{0}")]
    InvalidSchema(String),
    /// Applying the migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[source] DbErr),
}

/// A failure inside a repository method, before it is mapped for the domain.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The database said no.
    Db(DbErr),
    /// A domain outcome decided by the repository (not found, invalid file ids...).
    Domain(Error),
    /// The database holds something the domain does not know (an unknown enum spelling).
    Corrupt(String),
}

impl From<DbErr> for Failure {
    fn from(err: DbErr) -> Self {
        Self::Db(err)
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Self::Domain(err)
    }
}

pub(crate) type Outcome<T> = Result<T, Failure>;

/// Runs one repository operation and maps its failure for the domain, logging the cause.
pub(crate) async fn run<T>(
    op: &'static str,
    work: impl Future<Output = Outcome<T>>,
) -> confab_domain::Result<T> {
    let started = std::time::Instant::now();
    let result = work.await.map_err(|failure| failure.into_domain(op));
    let outcome = match &result {
        Ok(_) => "ok",
        Err(Error::Conflict(_)) => "conflict",
        Err(Error::Unavailable(_)) => "unavailable",
        Err(Error::Internal(_)) => "error",
        // Not found, invalid file ids...: the repository answered; the database is fine.
        Err(_) => "ok",
    };
    crate::metrics::operation(op, outcome, started.elapsed());
    result
}

impl Failure {
    fn into_domain(self, op: &'static str) -> Error {
        match self {
            Self::Domain(err) => err,
            Self::Corrupt(what) => {
                Error::internal_in(format!("unexpected stored data in {op}"), what)
            }
            Self::Db(err) => classify(op, err),
        }
    }
}

fn classify(op: &'static str, err: DbErr) -> Error {
    if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
        tracing::debug!(op, error = %err, "unique key violation");
        return Error::Conflict("a record with the same key already exists".to_owned());
    }
    if is_unstorable_text(&err) {
        tracing::debug!(op, error = %err, "text the database cannot store");
        return Error::validation("text must not contain NUL characters");
    }
    if is_unavailable(&err) {
        return Error::Unavailable(format!("database unavailable in {op}: {err}"));
    }
    Error::internal_in(format!("database error in {op}"), err)
}

/// PostgreSQL refuses NUL in text (SQLSTATE 22021, and 22P05 for untranslatable
/// characters): the input is at fault, not the server.
fn is_unstorable_text(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            &**e,
            sqlx::Error::Database(db) if db.code().is_some_and(|c| c == "22021" || c == "22P05")
        ),
        _ => false,
    }
}

/// Connection, pool and lock-timeout failures: worth retrying shortly, not a bug.
fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unavailable(e)
        }
        _ => false,
    }
}

fn sqlx_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| transient_code(&code)),
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs (connection exception, shutdown, too many connections, serialization
/// failure, deadlock) and SQLite extended result codes (BUSY and LOCKED families) that mean
/// "try again", not "this request is wrong".
fn transient_code(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57P")
        || matches!(
            code,
            "53300" | "40001" | "40P01" | "5" | "261" | "517" | "773" | "6" | "262"
        )
}

/// The failure of each send in a group commit whose transaction failed as a whole (none of
/// them was stored): the same error for every one, as each would have seen it alone.
pub(crate) fn batch_failed(err: &DbErr) -> Failure {
    let op = "insert_message";
    if is_unavailable(err) {
        return Failure::Domain(Error::Unavailable(format!(
            "database unavailable in {op}: {err}"
        )));
    }
    Failure::Domain(Error::internal_in(
        format!("database error in {op} (group commit)"),
        err.to_string(),
    ))
}

/// `Unavailable` for `op` when `err` is a connection, pool or lock-timeout failure: a batch
/// that failed so fails the same way for each of its waiters, and trying them one by one would
/// only wait again (each up to the pool's acquire timeout).
pub(crate) fn unavailable(op: &'static str, err: &DbErr) -> Option<Failure> {
    is_unavailable(err).then(|| {
        Failure::Domain(Error::Unavailable(format!(
            "database unavailable in {op}: {err}"
        )))
    })
}

/// The row was expected and is not there.
pub(crate) fn not_found(what: &'static str) -> Failure {
    Failure::Domain(Error::NotFound(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_timeouts_are_unavailable_and_other_errors_internal() {
        let err = DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(
            sqlx::Error::PoolTimedOut,
        )));
        assert!(matches!(
            Failure::Db(err).into_domain("test"),
            Error::Unavailable(_)
        ));
        let err = DbErr::Custom("boom".into());
        let mapped = Failure::Db(err).into_domain("test");
        assert!(matches!(mapped, Error::Internal(_)));
        assert_eq!(mapped.public_message(), "internal error");
        let chain: Vec<String> =
            std::iter::successors(std::error::Error::source(&mapped), |e| e.source())
                .map(ToString::to_string)
                .collect();
        assert_eq!(
            chain.first().map(String::as_str),
            Some("database error in test")
        );
        assert!(
            chain.last().is_some_and(|cause| cause.contains("boom")),
            "the database's own error stays in the chain: {chain:?}"
        );
    }

    #[test]
    fn transient_codes_cover_both_backends() {
        assert!(transient_code("08006"));
        assert!(transient_code("40P01"));
        assert!(transient_code("517"));
        assert!(!transient_code("23505"));
        assert!(!transient_code("2067"));
    }

    #[test]
    fn corrupt_data_is_internal_without_the_value() {
        let err = Failure::Corrupt("status \"weird\"".into()).into_domain("get");
        assert!(matches!(err, Error::Internal(_)));
        assert_eq!(err.public_message(), "internal error");
    }
}
