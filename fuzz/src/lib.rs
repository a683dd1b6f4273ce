//! Shared pieces of the fuzz targets.
//!
//! The upload sniffer and the export writers live in confab-http, whose dependency tree (axum,
//! the AWS SDK, aws-lc...) is ~250 crates; building it with coverage instrumentation for two
//! pure modules would cost minutes per run on a small machine. So their source files are
//! compiled here as modules, unchanged: the code under test is the code that ships.

#[allow(
    dead_code,
    unused_imports,
    reason = "only part of each module is fuzzed"
)]
#[path = "../../crates/http/src/files/sniff.rs"]
pub mod sniff;

#[allow(
    dead_code,
    unused_imports,
    reason = "only part of each module is fuzzed"
)]
#[path = "../../crates/http/src/export.rs"]
pub mod export;

/// A cursor over the fuzzer's bytes that hands out small values and strings; it never fails
/// (an exhausted input gives zeros and empty strings).
pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    pub fn i64(&mut self) -> i64 {
        let mut n = [0u8; 8];
        for b in &mut n {
            *b = self.byte();
        }
        i64::from_le_bytes(n)
    }

    /// A string of up to `max` bytes of the input (lossy UTF-8, so any byte pattern counts).
    pub fn string(&mut self, max: usize) -> String {
        let len = usize::from(self.byte()).min(max).min(self.0.len());
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        String::from_utf8_lossy(head).into_owned()
    }

    pub fn rest(&self) -> &[u8] {
        self.0
    }
}
