//! A message from Redis pub/sub as the cluster adapter receives it: the first byte picks the
//! channel (broadcast, request, response), the rest is the payload (MessagePack, or JSON for
//! requests and responses). See `confab_redis_adapter::fuzzing` for the invariants.
#![no_main]

use confab_redis_adapter::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((channel, payload)) = data.split_first() else {
        return;
    };
    match channel % 3 {
        0 => fuzzing::broadcast(payload),
        1 => fuzzing::request(payload),
        _ => fuzzing::response(payload),
    }
});
