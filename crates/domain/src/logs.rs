//! Log hygiene against clients that write to our logs: client-controlled text is clipped
//! to [`MAX_LOGGED_CHARS`] characters wherever it is logged ([`Clip`]), and a warning a
//! client can trigger at will is rate-limited per kind ([`LogGate`]), reporting how many
//! similar lines it held back.

use std::fmt::{self, Display, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most characters of client-controlled text a log line carries.
pub const MAX_LOGGED_CHARS: usize = 200;

/// Displays `T` cut to [`MAX_LOGGED_CHARS`] characters, then `…(N more chars)`. Nothing
/// past the cut is formatted into memory beyond counting.
#[derive(Clone, Copy, Debug)]
pub struct Clip<T>(pub T);

impl<T: Display> Display for Clip<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bounded = Bounded {
            out: f,
            written: 0,
            dropped: 0,
        };
        write!(bounded, "{}", self.0)?;
        let dropped = bounded.dropped;
        if dropped > 0 {
            write!(f, "…({dropped} more chars)")?;
        }
        Ok(())
    }
}

/// `text` clipped for a log line or an error message.
pub fn clip(text: &str) -> String {
    Clip(text).to_string()
}

/// Displays an error with its chain of sources, `outer: inner: root`, so that one log line
/// carries the whole cause. A source whose text is already shown (an error that formats its
/// source into its own message) is not repeated.
#[derive(Clone, Copy, Debug)]
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut next = self.0.source();
        while let Some(source) = next {
            let text = source.to_string();
            if !shown.contains(&text) {
                write!(f, ": {text}")?;
                shown.push_str(": ");
                shown.push_str(&text);
            }
            next = source.source();
        }
        Ok(())
    }
}

struct Bounded<'a, 'b> {
    out: &'a mut fmt::Formatter<'b>,
    written: usize,
    dropped: usize,
}

impl Write for Bounded<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = MAX_LOGGED_CHARS - self.written;
        if room == 0 {
            self.dropped += s.chars().count();
            return Ok(());
        }
        match s.char_indices().nth(room) {
            None => {
                self.written += s.chars().count();
                self.out.write_str(s)
            }
            Some((cut, _)) => {
                self.written = MAX_LOGGED_CHARS;
                self.dropped += s[cut..].chars().count();
                self.out.write_str(&s[..cut])
            }
        }
    }
}

/// A token bucket for one kind of log line: `burst` lines at once, then one per `every`.
/// [`LogGate::allow`] says whether to log now and how many lines were held back since the
/// last one logged.
#[derive(Debug)]
pub struct LogGate {
    burst: u32,
    every: Duration,
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    tokens: u32,
    refilled: Option<Instant>,
    suppressed: u64,
}

impl LogGate {
    /// A gate for a `static`.
    pub const fn new(burst: u32, every: Duration) -> Self {
        Self {
            burst,
            every,
            state: Mutex::new(GateState {
                tokens: burst,
                refilled: None,
                suppressed: 0,
            }),
        }
    }

    /// `Some(suppressed)` when a line may be logged now (`suppressed` similar lines were
    /// held back before it), `None` when this one is held back.
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(Instant::now())
    }

    fn allow_at(&self, now: Instant) -> Option<u64> {
        let Ok(mut state) = self.state.lock() else {
            return Some(0);
        };
        let refilled = *state.refilled.get_or_insert(now);
        if !self.every.is_zero() {
            let periods =
                now.saturating_duration_since(refilled).as_nanos() / self.every.as_nanos();
            if periods > 0 {
                let periods = u32::try_from(periods).unwrap_or(u32::MAX);
                state.tokens = state.tokens.saturating_add(periods).min(self.burst);
                state.refilled = Some(refilled + self.every * periods.min(1 << 20));
            }
        }
        if state.tokens == 0 {
            state.suppressed += 1;
            return None;
        }
        state.tokens -= 1;
        Some(std::mem::take(&mut state.suppressed))
    }
}

/// Logs a WARN line through `gate`, adding `suppressed` when lines were held back.
#[macro_export]
macro_rules! gated_warn {
    ($gate:expr, $($arg:tt)+) => {
        if let Some(suppressed) = $gate.allow() {
            if suppressed > 0 {
                ::tracing::warn!(suppressed, "{suppressed} similar warnings suppressed");
            }
            ::tracing::warn!($($arg)+);
        }
    };
}

/// Logs an ERROR line through `gate`, like [`gated_warn!`].
#[macro_export]
macro_rules! gated_error {
    ($gate:expr, $($arg:tt)+) => {
        if let Some(suppressed) = $gate.allow() {
            if suppressed > 0 {
                ::tracing::error!(suppressed, "{suppressed} similar errors suppressed");
            }
            ::tracing::error!($($arg)+);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_to_200_chars_with_the_count_of_the_rest() {
        let long = "é".repeat(200_000);
        let clipped = clip(&long);
        assert!(clipped.starts_with(&"é".repeat(MAX_LOGGED_CHARS)));
        assert!(clipped.ends_with("…(199800 more chars)"), "{clipped}");
        assert!(clipped.chars().count() < MAX_LOGGED_CHARS + 30);
        assert_eq!(clip("short"), "short");
        let formatted = Clip(format_args!("unknown event {:?}", "x".repeat(1000))).to_string();
        assert!(formatted.len() < MAX_LOGGED_CHARS + 30, "{formatted}");
    }

    #[test]
    fn a_gate_lets_a_burst_through_then_one_per_period_counting_the_rest() {
        let gate = LogGate::new(3, Duration::from_secs(1));
        let t0 = Instant::now();
        let first: Vec<_> = (0..10).map(|_| gate.allow_at(t0)).collect();
        assert_eq!(&first[..3], [Some(0), Some(0), Some(0)]);
        assert!(first[3..].iter().all(Option::is_none));
        assert_eq!(gate.allow_at(t0 + Duration::from_millis(999)), None);
        assert_eq!(gate.allow_at(t0 + Duration::from_secs(1)), Some(8));
        assert_eq!(gate.allow_at(t0 + Duration::from_secs(1)), None);
        assert_eq!(gate.allow_at(t0 + Duration::from_secs(10)), Some(1));
    }
}
