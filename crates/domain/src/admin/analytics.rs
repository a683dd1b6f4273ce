//! Conversation analytics over a time window: messages sent, mean response time, active
//! conversations and messages per UTC day.
//!
//! Definitions (the store computes them; both backends agree to the microsecond):
//! - A message is counted in the window when its `created_at` is in `[from, to)`.
//!   Soft-deleted messages count: they were sent.
//! - Response pairs: in each conversation, in `seq` order, every message is paired with the
//!   next message by a different sender (for a run `A1 A2 B1`, both `A1 -> B1` and
//!   `A2 -> B1`). A pair belongs to the window of its response (the later message); its gap
//!   is `response.created_at - message.created_at`, whenever the earlier message was sent,
//!   and a negative gap (clocks of two nodes disagreeing) counts as 0.
//! - `avgResponseTime`: the mean gap in seconds, `null` when the window holds no pair.
//! - `activeConversations`: conversations with at least one message in the window.
//! - `messagesByDay`: every UTC day the window touches, ascending, zero-filled.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};

use super::conversations::{field_error, id_param, present};
use crate::error::Result;
use crate::ids::ProjectId;
use crate::time::{Timestamp, truncate_micros};

/// The widest window one request may ask for.
pub const MAX_WINDOW_DAYS: i64 = 366;
/// The window when neither bound is given: the last 30 UTC days, today included.
pub const DEFAULT_WINDOW_DAYS: u64 = 30;

/// `GET /admin/conversations/analytics` query string, as it arrives.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsQuery {
    /// Only this project's conversations; all projects when absent.
    pub project_id: Option<String>,
    /// `YYYY-MM-DD` (from the start of that UTC day) or an RFC 3339 time (inclusive).
    /// Default: 29 days before the last day of the window.
    pub from: Option<String>,
    /// `YYYY-MM-DD` (to the end of that UTC day, so the day is included) or an RFC 3339
    /// time (exclusive). Default: the end of today (UTC).
    pub to: Option<String>,
}

impl AnalyticsQuery {
    /// The project filter and the window, with the defaults above taken relative to `now`;
    /// a validation error names the parameter at fault (a bad id or date, `from` after `to`,
    /// a window over [`MAX_WINDOW_DAYS`]).
    pub fn parse(self, now: Timestamp) -> Result<(Option<ProjectId>, AnalyticsWindow)> {
        let project = id_param("projectId", self.project_id.as_deref())?;
        let to = match present(self.to.as_deref()) {
            Some(text) => parse_bound("to", text, Bound::End)?,
            None => start_of(now.date_naive()) + TimeDelta::days(1),
        };
        let from = match present(self.from.as_deref()) {
            Some(text) => parse_bound("from", text, Bound::Start)?,
            None => {
                let last_day = (to - TimeDelta::microseconds(1)).date_naive();
                let first_day = last_day
                    .checked_sub_days(Days::new(DEFAULT_WINDOW_DAYS - 1))
                    .unwrap_or(last_day);
                start_of(first_day)
            }
        };
        Ok((project, AnalyticsWindow::new(from, to)?))
    }
}

#[derive(Clone, Copy)]
enum Bound {
    Start,
    End,
}

fn parse_bound(field: &str, text: &str, bound: Bound) -> Result<Timestamp> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day = match bound {
            Bound::Start => Some(day),
            // A date as `to` includes that whole day.
            Bound::End => day.checked_add_days(Days::new(1)),
        };
        return day
            .map(start_of)
            .ok_or_else(|| field_error(field, "is out of range"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| truncate_micros(t.to_utc()))
        .map_err(|_| field_error(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))
}

fn start_of(day: NaiveDate) -> Timestamp {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// A validated window `[from, to)`: `from <= to`, at most [`MAX_WINDOW_DAYS`] long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalyticsWindow {
    from: Timestamp,
    to: Timestamp,
}

impl AnalyticsWindow {
    /// `[from, to)`; a validation error when `from > to` or the span exceeds
    /// [`MAX_WINDOW_DAYS`].
    pub fn new(from: Timestamp, to: Timestamp) -> Result<Self> {
        if from > to {
            return Err(field_error("from", "must not be after `to`"));
        }
        if to - from > TimeDelta::days(MAX_WINDOW_DAYS) {
            return Err(field_error(
                "to",
                &format!("the window may span at most {MAX_WINDOW_DAYS} days"),
            ));
        }
        Ok(Self { from, to })
    }

    /// Inclusive.
    pub fn from(&self) -> Timestamp {
        self.from
    }

    /// Exclusive.
    pub fn to(&self) -> Timestamp {
        self.to
    }

    /// Every UTC day the window touches, ascending (none for an empty window).
    pub fn days(&self) -> Vec<NaiveDate> {
        if self.from >= self.to {
            return Vec::new();
        }
        let last = (self.to - TimeDelta::microseconds(1)).date_naive();
        self.from
            .date_naive()
            .iter_days()
            .take_while(|day| *day <= last)
            .collect()
    }

    /// The whole UTC days inside the window as `[first, end)` (`end` exclusive), if any. A
    /// store with per-day aggregates serves these from them and the ragged edges directly.
    pub fn whole_days(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = if self.from == start_of(self.from.date_naive()) {
            self.from.date_naive()
        } else {
            self.from.date_naive().checked_add_days(Days::new(1))?
        };
        let end = self.to.date_naive();
        (first < end).then_some((first, end))
    }
}

/// One UTC day's raw totals as the store computes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayTotals {
    /// Messages sent that day, deleted ones included.
    pub messages: i64,
    /// Response pairs whose response falls on this day.
    pub responses: i64,
    /// The sum of those pairs' gaps, in microseconds.
    pub response_micros: i64,
}

/// The store's answer: per-day totals (days without messages may be missing) and the number
/// of distinct conversations with a message in the window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnalyticsTotals {
    /// Totals by UTC day.
    pub days: BTreeMap<NaiveDate, DayTotals>,
    /// Distinct conversations with at least one message in the window.
    pub active_conversations: i64,
}

impl AnalyticsTotals {
    /// Adds `day`'s totals to what is there (the store may compute a day in parts).
    pub fn add(&mut self, day: NaiveDate, totals: DayTotals) {
        let entry = self.days.entry(day).or_default();
        entry.messages += totals.messages;
        entry.responses += totals.responses;
        entry.response_micros += totals.response_micros;
    }
}

/// `{ "date": "YYYY-MM-DD", "count": n }`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCount {
    /// The UTC day.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    /// Messages sent that day, deleted ones included.
    pub count: i64,
}

/// The analytics endpoint's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationAnalytics {
    /// Messages sent in the window, soft-deleted ones included.
    pub total_messages: i64,
    /// Mean seconds from a message to the next message by a different sender in the same
    /// conversation, over pairs whose response is in the window; `null` when there is none.
    pub avg_response_time: Option<f64>,
    /// Conversations with at least one message in the window.
    pub active_conversations: i64,
    /// Every UTC day of the window, ascending, zero-filled.
    pub messages_by_day: Vec<DayCount>,
}

impl ConversationAnalytics {
    /// Zero-fills the window's days and derives the mean (computed from integer totals, so
    /// it does not depend on how the store split the work).
    pub fn assemble(window: &AnalyticsWindow, totals: &AnalyticsTotals) -> Self {
        let mut messages = 0i64;
        let mut responses = 0i128;
        let mut micros = 0i128;
        for day in totals.days.values() {
            messages += day.messages;
            responses += i128::from(day.responses);
            micros += i128::from(day.response_micros);
        }
        let messages_by_day = window
            .days()
            .into_iter()
            .map(|date| DayCount {
                date,
                count: totals.days.get(&date).map_or(0, |d| d.messages),
            })
            .collect();
        Self {
            total_messages: messages,
            avg_response_time: mean_seconds(micros, responses),
            active_conversations: totals.active_conversations,
            messages_by_day,
        }
    }
}

/// `micros / count` in seconds; `None` for no pairs.
pub fn mean_seconds(micros: i128, count: i128) -> Option<f64> {
    (count > 0).then(|| micros as f64 / count as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn query(from: Option<&str>, to: Option<&str>) -> AnalyticsQuery {
        AnalyticsQuery {
            project_id: None,
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    #[test]
    fn dates_include_both_days_and_times_are_half_open() {
        let now = t("2026-03-10T12:00:00Z");
        let (_, w) = query(Some("2026-03-01"), Some("2026-03-03"))
            .parse(now)
            .unwrap();
        assert_eq!(w.from(), t("2026-03-01T00:00:00Z"));
        assert_eq!(w.to(), t("2026-03-04T00:00:00Z"));
        assert_eq!(w.days().len(), 3);
        let (_, w) = query(
            Some("2026-03-01T06:00:00+02:00"),
            Some("2026-03-02T00:00:00Z"),
        )
        .parse(now)
        .unwrap();
        assert_eq!(w.from(), t("2026-03-01T04:00:00Z"));
        assert_eq!(w.days(), vec![NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()]);
        assert_eq!(w.whole_days(), None);
    }

    #[test]
    fn the_default_window_is_the_last_thirty_days_including_today() {
        let now = t("2026-03-10T12:00:00Z");
        let (_, w) = query(None, None).parse(now).unwrap();
        assert_eq!(w.to(), t("2026-03-11T00:00:00Z"));
        assert_eq!(w.from(), t("2026-02-09T00:00:00Z"));
        let days = w.days();
        assert_eq!(days.len(), 30);
        assert_eq!(days.last().unwrap().to_string(), "2026-03-10");
    }

    #[test]
    fn reversed_too_wide_and_malformed_windows_are_rejected() {
        let now = t("2026-03-10T12:00:00Z");
        for (from, to) in [
            (Some("2026-03-05"), Some("2026-03-01")),
            (Some("2024-01-01"), Some("2026-01-01")),
            (Some("yesterday"), None),
            (None, Some("2026-02-30")),
        ] {
            let err = query(from, to).parse(now).unwrap_err();
            assert_eq!(err.code(), "validation_failed", "{from:?} {to:?}");
        }
        // Exactly 366 days is allowed; an empty window too.
        assert!(
            query(Some("2025-01-01"), Some("2025-12-31"))
                .parse(now)
                .is_ok()
        );
        let (_, w) = query(Some("2026-03-01T00:00:00Z"), Some("2026-03-01T00:00:00Z"))
            .parse(now)
            .unwrap();
        assert!(w.days().is_empty());
    }

    #[test]
    fn whole_days_leave_out_the_ragged_edges() {
        let w = AnalyticsWindow::new(t("2026-03-01T12:00:00Z"), t("2026-03-04T06:00:00Z")).unwrap();
        let (first, end) = w.whole_days().unwrap();
        assert_eq!(
            (first.to_string(), end.to_string()),
            ("2026-03-02".into(), "2026-03-04".into())
        );
        let w = AnalyticsWindow::new(t("2026-03-01T00:00:00Z"), t("2026-03-02T00:00:00Z")).unwrap();
        assert_eq!(
            w.whole_days().map(|(a, _)| a.to_string()),
            Some("2026-03-01".into())
        );
    }

    #[test]
    fn the_mean_comes_from_integer_totals_and_days_are_zero_filled() {
        let w = AnalyticsWindow::new(t("2026-03-01T00:00:00Z"), t("2026-03-04T00:00:00Z")).unwrap();
        let mut totals = AnalyticsTotals::default();
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        totals.add(
            day,
            DayTotals {
                messages: 2,
                responses: 1,
                response_micros: 1_500_000,
            },
        );
        totals.add(
            day,
            DayTotals {
                messages: 1,
                responses: 1,
                response_micros: 500_000,
            },
        );
        totals.active_conversations = 1;
        let a = ConversationAnalytics::assemble(&w, &totals);
        assert_eq!(a.total_messages, 3);
        assert_eq!(a.avg_response_time, Some(1.0));
        let counts: Vec<i64> = a.messages_by_day.iter().map(|d| d.count).collect();
        assert_eq!(counts, vec![0, 3, 0]);
        let empty = ConversationAnalytics::assemble(&w, &AnalyticsTotals::default());
        assert_eq!(empty.avg_response_time, None);
        assert_eq!(
            serde_json::to_value(&empty).unwrap()["messagesByDay"][0],
            serde_json::json!({ "date": "2026-03-01", "count": 0 })
        );
    }
}
