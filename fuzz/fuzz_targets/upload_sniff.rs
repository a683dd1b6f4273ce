//! The upload sniffer, fed as a stream in chunks the fuzzer chooses. Invariants: nothing
//! panics; the verdict does not depend on how the bytes are chunked; an early refusal is
//! final (the whole file is refused too); a text verdict means valid UTF-8 without NUL.
//! With the first byte odd, the input follows 64 KiB of text so the streaming text check (and
//! its handling of characters split across chunks) is reached with small inputs.
#![no_main]

use confab_fuzz::sniff::{HEAD_BYTES, Refused, Sniffer, TEXT_PLAIN, TypePolicy};
use libfuzzer_sys::fuzz_target;

fn whole(bytes: &[u8]) -> Result<&'static str, Refused> {
    let mut sniffer = Sniffer::new(TypePolicy::default());
    sniffer.feed(bytes)?;
    sniffer.finish()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((&step, body)) = rest.split_first() else {
        return;
    };
    let mut file = Vec::new();
    if mode & 1 == 1 {
        file.resize(HEAD_BYTES, b'a');
    }
    file.extend_from_slice(body);

    let expected = whole(&file);
    if expected == Ok(TEXT_PLAIN) {
        assert!(std::str::from_utf8(&file).is_ok() && !file.contains(&0));
    }

    // Chunks of 1..=64 bytes around the head boundary, larger before it.
    let step = usize::from(step % 64) + 1;
    let mut sniffer = Sniffer::new(TypePolicy::default());
    let mut at = 0;
    let mut verdict = None;
    while at < file.len() {
        let size = if at + 4096 < HEAD_BYTES { 4096 } else { step };
        let end = (at + size).min(file.len());
        if let Err(refused) = sniffer.feed(&file[at..end]) {
            verdict = Some(Err(refused));
            break;
        }
        at = end;
    }
    let verdict = verdict.unwrap_or_else(|| sniffer.finish());
    match (&verdict, &expected) {
        (Err(_), Err(_)) => {}
        _ => assert_eq!(verdict, expected, "chunks of {step} bytes"),
    }
});
