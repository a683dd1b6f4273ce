//! Timestamps: UTC, microsecond precision (what PostgreSQL stores), RFC 3339 with
//! milliseconds and `Z` on the wire (what JavaScript's `Date` parses exactly).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// A point in time in UTC; the domain keeps microsecond precision (see [`truncate_micros`]).
pub type Timestamp = DateTime<Utc>;

/// Truncates to whole microseconds so a value reads back from either database unchanged.
///
/// ```
/// use confab_domain::time::{Timestamp, truncate_micros};
///
/// let t: Timestamp = "2026-01-02T03:04:05.123456789Z".parse()?;
/// assert_eq!(truncate_micros(t).to_rfc3339(), "2026-01-02T03:04:05.123456+00:00");
/// # Ok::<(), chrono::ParseError>(())
/// ```
pub fn truncate_micros(t: Timestamp) -> Timestamp {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

/// The wire form of a timestamp: RFC 3339, milliseconds, `Z`.
///
/// ```
/// use confab_domain::time::{Timestamp, format};
///
/// let t: Timestamp = "2026-01-02T03:04:05.678901Z".parse()?;
/// assert_eq!(format(&t), "2026-01-02T03:04:05.678Z");
/// # Ok::<(), chrono::ParseError>(())
/// ```
pub fn format(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `#[serde(with = "time::rfc3339")]`: a [`Timestamp`] in the wire form of [`format`].
pub mod rfc3339 {
    use super::*;

    /// Writes `t` as [`format`] does.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }
}

/// `#[serde(with = "time::rfc3339_opt")]`: an optional [`Timestamp`], `null` when absent.
pub mod rfc3339_opt {
    use super::*;

    /// Writes `t` as [`format`] does, or `null`.
    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format(t)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_with_millis_and_z() {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678901Z")
            .unwrap()
            .to_utc();
        assert_eq!(format(&t), "2026-01-02T03:04:05.678Z");
        assert_eq!(truncate_micros(t), t);
    }
}
