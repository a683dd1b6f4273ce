//! The cluster adapter's error type.

use std::time::Duration;

use socketioxide_core::adapter::errors::AdapterError;

/// What can go wrong between this node, Redis and the other nodes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Redis could not be reached (or did not answer in time); the adapter keeps retrying in
    /// the background. Local operations were still applied.
    #[error("redis is unavailable: {0}")]
    Unavailable(String),

    /// Redis answered with an error.
    #[error("redis error: {0}")]
    Redis(#[from] redis::RedisError),

    /// Not all the other nodes answered a request in time.
    #[error("timed out after {timeout:?}: {received} of {expected} nodes answered")]
    Timeout {
        /// How long we waited.
        timeout: Duration,
        /// How many answers we expected (the server count minus this node).
        expected: usize,
        /// How many arrived.
        received: usize,
    },

    /// A packet could not be put in the Node.js adapter's format (for example a packet
    /// made by socketioxide's MessagePack parser, which this adapter does not support).
    #[error("cannot encode for the cluster: {0}")]
    Encode(String),

    /// The adapter was misconfigured (for example a bad Redis URL).
    #[error("invalid cluster configuration: {0}")]
    Config(String),
}

impl Error {
    pub(crate) fn unavailable(cause: impl std::fmt::Display) -> Self {
        Self::Unavailable(cause.to_string())
    }
}

impl From<confab_redis_link::PoolError> for Error {
    fn from(e: confab_redis_link::PoolError) -> Self {
        match e {
            confab_redis_link::PoolError::Backend(e) => Self::Redis(e),
            other => Self::unavailable(other),
        }
    }
}

impl From<Error> for AdapterError {
    fn from(e: Error) -> Self {
        AdapterError::from(Box::new(e) as Box<dyn std::error::Error + Send>)
    }
}
