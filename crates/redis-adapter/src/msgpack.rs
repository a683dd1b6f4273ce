//! MessagePack as the Node.js adapter writes it (it uses `notepack.io`), and the bridge between
//! socketioxide's JSON payloads (with binary attachments as `{"_placeholder":true,"num":n}`)
//! and MessagePack values (with binary inline).
//!
//! The encoder picks the same markers as notepack: the smallest integer form, `float 64` for
//! every non-integral number (an integral float is written as an integer, since JavaScript has
//! one number type), `str 8` for 32..255-byte strings, and insertion order for map keys. That
//! makes our bytes identical to the Node adapter's for the same message (the unit tests check it
//! against captured bytes).

use std::collections::VecDeque;
use std::fmt::Write as _;

use bytes::Bytes;
use rmpv::Value as Mp;

// ---- encoding ----

/// Appends `value` to `out` the way notepack.io would.
pub(crate) fn write(out: &mut Vec<u8>, value: &Mp) {
    match value {
        Mp::Nil => out.push(0xc0),
        Mp::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Mp::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => write_uint(out, u),
            (None, Some(n)) => write_int(out, n),
            (None, None) => out.push(0xc0),
        },
        Mp::F32(f) => write_number(out, f64::from(*f)),
        Mp::F64(f) => write_number(out, *f),
        Mp::String(s) => write_str(out, s.as_bytes()),
        Mp::Binary(b) => write_bin(out, b),
        Mp::Array(items) => {
            write_len(out, items.len(), 0x90, 0x10, 0xdc, 0xdd);
            for item in items {
                write(out, item);
            }
        }
        Mp::Map(entries) => {
            write_len(out, entries.len(), 0x80, 0x10, 0xde, 0xdf);
            for (k, v) in entries {
                write(out, k);
                write(out, v);
            }
        }
        Mp::Ext(kind, data) => write_ext(out, *kind, data),
    }
}

/// Encodes one value into a new buffer.
pub(crate) fn to_vec(value: &Mp) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write(&mut out, value);
    out
}

fn write_number(out: &mut Vec<u8>, f: f64) {
    // notepack: `Math.floor(v) !== v || !isFinite(v)` is a float 64, the rest an integer.
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.floor() == f && (-TWO_63..TWO_64).contains(&f) {
        if f >= 0.0 {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "range checked above"
            )]
            write_uint(out, f as u64);
        } else {
            #[expect(clippy::cast_possible_truncation, reason = "range checked above")]
            write_int(out, f as i64);
        }
    } else {
        out.push(0xcb);
        out.extend_from_slice(&f.to_be_bytes());
    }
}

fn write_uint(out: &mut Vec<u8>, u: u64) {
    if u < 0x80 {
        out.push(u as u8);
    } else if let Ok(b) = u8::try_from(u) {
        out.extend_from_slice(&[0xcc, b]);
    } else if let Ok(s) = u16::try_from(u) {
        out.push(0xcd);
        out.extend_from_slice(&s.to_be_bytes());
    } else if let Ok(w) = u32::try_from(u) {
        out.push(0xce);
        out.extend_from_slice(&w.to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&u.to_be_bytes());
    }
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        write_uint(out, n.unsigned_abs());
    } else if n >= -0x20 {
        out.push(n.to_be_bytes()[7]);
    } else if let Ok(b) = i8::try_from(n) {
        out.push(0xd0);
        out.extend_from_slice(&b.to_be_bytes());
    } else if let Ok(s) = i16::try_from(n) {
        out.push(0xd1);
        out.extend_from_slice(&s.to_be_bytes());
    } else if let Ok(w) = i32::try_from(n) {
        out.push(0xd2);
        out.extend_from_slice(&w.to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 0x20 {
        out.push(0xa0 | len as u8);
    } else if let Ok(l) = u8::try_from(len) {
        out.extend_from_slice(&[0xd9, l]);
    } else if let Ok(l) = u16::try_from(len) {
        out.push(0xda);
        out.extend_from_slice(&l.to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    let len = b.len();
    if let Ok(l) = u8::try_from(len) {
        out.extend_from_slice(&[0xc4, l]);
    } else if let Ok(l) = u16::try_from(len) {
        out.push(0xc5);
        out.extend_from_slice(&l.to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
    }
    out.extend_from_slice(b);
}

/// Array and map headers: fix form below `fix_limit`, then 16- and 32-bit lengths.
fn write_len(out: &mut Vec<u8>, len: usize, fix: u8, fix_limit: usize, m16: u8, m32: u8) {
    if len < fix_limit {
        out.push(fix | len as u8);
    } else if let Ok(l) = u16::try_from(len) {
        out.push(m16);
        out.extend_from_slice(&l.to_be_bytes());
    } else {
        out.push(m32);
        out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
    }
}

fn write_ext(out: &mut Vec<u8>, kind: i8, data: &[u8]) {
    let len = data.len();
    match len {
        1 => out.push(0xd4),
        2 => out.push(0xd5),
        4 => out.push(0xd6),
        8 => out.push(0xd7),
        16 => out.push(0xd8),
        _ => {
            if let Ok(l) = u8::try_from(len) {
                out.extend_from_slice(&[0xc7, l]);
            } else if let Ok(l) = u16::try_from(len) {
                out.push(0xc8);
                out.extend_from_slice(&l.to_be_bytes());
            } else {
                out.push(0xc9);
                out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
            }
        }
    }
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(data);
}

// ---- decoding ----

/// Decodes one MessagePack value (the whole buffer).
pub(crate) fn from_slice(mut bytes: &[u8]) -> Result<Mp, String> {
    rmpv::decode::read_value(&mut bytes).map_err(|e| e.to_string())
}

/// Parses a JSON document into a MessagePack value, keeping the order of object keys.
pub(crate) fn from_json(json: &[u8]) -> Result<Mp, String> {
    serde_json::from_slice::<Mp>(json).map_err(|e| e.to_string())
}

// ---- socketioxide payloads <-> MessagePack ----

/// socketioxide's common-parser payload (a JSON array, binary attachments referenced by
/// placeholders) as one MessagePack value with the binaries inline.
pub(crate) fn payload_to_mp(
    json: &str,
    attachments: Option<&VecDeque<Bytes>>,
) -> Result<Mp, String> {
    let mut value = from_json(json.as_bytes())?;
    if let Some(bins) = attachments.filter(|b| !b.is_empty()) {
        fill_placeholders(&mut value, bins);
    }
    Ok(value)
}

fn fill_placeholders(value: &mut Mp, bins: &VecDeque<Bytes>) {
    match value {
        Mp::Array(items) => items.iter_mut().for_each(|v| fill_placeholders(v, bins)),
        Mp::Map(entries) => {
            if let Some(n) = placeholder_num(entries) {
                if let Some(bin) = bins.get(n) {
                    *value = Mp::Binary(bin.to_vec());
                }
                return;
            }
            entries
                .iter_mut()
                .for_each(|(_, v)| fill_placeholders(v, bins));
        }
        _ => {}
    }
}

fn placeholder_num(entries: &[(Mp, Mp)]) -> Option<usize> {
    if entries.len() != 2 {
        return None;
    }
    let mut is_placeholder = false;
    let mut num = None;
    for (k, v) in entries {
        match (k.as_str(), v) {
            (Some("_placeholder"), Mp::Boolean(true)) => is_placeholder = true,
            (Some("num"), Mp::Integer(i)) => num = i.as_u64().and_then(|n| usize::try_from(n).ok()),
            _ => return None,
        }
    }
    num.filter(|_| is_placeholder)
}

/// A MessagePack value as JSON text for socketioxide: binaries become placeholders and are
/// appended to `attachments`; MessagePack timestamps become ISO 8601 strings (what
/// `JSON.stringify(date)` gives); other extension values and non-finite numbers become `null`.
pub(crate) fn write_json(out: &mut String, value: &Mp, attachments: &mut VecDeque<Bytes>) {
    match value {
        Mp::Nil => out.push_str("null"),
        Mp::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Mp::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Mp::F32(f) => write_json_f64(out, f64::from(*f)),
        Mp::F64(f) => write_json_f64(out, *f),
        Mp::String(s) => write_json_str(out, &String::from_utf8_lossy(s.as_bytes())),
        Mp::Binary(b) => {
            let _ = write!(
                out,
                r#"{{"_placeholder":true,"num":{}}}"#,
                attachments.len()
            );
            attachments.push_back(Bytes::copy_from_slice(b));
        }
        Mp::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item, attachments);
            }
            out.push(']');
        }
        Mp::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match k {
                    Mp::String(s) => write_json_str(out, &String::from_utf8_lossy(s.as_bytes())),
                    other => write_json_str(out, &other.to_string()),
                }
                out.push(':');
                write_json(out, v, attachments);
            }
            out.push('}');
        }
        Mp::Ext(-1, data) => match timestamp(data) {
            Some(iso) => write_json_str(out, &iso),
            None => out.push_str("null"),
        },
        Mp::Ext(..) => out.push_str("null"),
    }
}

fn write_json_f64(out: &mut String, f: f64) {
    match serde_json::Number::from_f64(f) {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
}

fn write_json_str(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("null"),
    }
}

/// The MessagePack timestamp extension (type -1, 4, 8 or 12 bytes) as JavaScript's
/// `Date.toJSON()` would print it.
fn timestamp(data: &[u8]) -> Option<String> {
    let (secs, nanos): (i64, u32) = match data.len() {
        4 => (i64::from(u32::from_be_bytes(data.try_into().ok()?)), 0),
        8 => {
            let raw = u64::from_be_bytes(data.try_into().ok()?);
            #[expect(
                clippy::cast_possible_wrap,
                reason = "34-bit seconds always fit in i64"
            )]
            let secs = (raw & 0x3_ffff_ffff) as i64;
            (secs, u32::try_from(raw >> 34).ok()?)
        }
        12 => {
            let nanos = u32::from_be_bytes(data.get(..4)?.try_into().ok()?);
            (i64::from_be_bytes(data.get(4..)?.try_into().ok()?), nanos)
        }
        _ => return None,
    };
    let at = chrono::DateTime::from_timestamp(secs, nanos)?;
    Some(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// A MessagePack value as socketioxide's JSON payload plus its binary attachments.
pub(crate) fn mp_to_payload(value: &Mp) -> (String, VecDeque<Bytes>) {
    let mut json = String::with_capacity(64);
    let mut bins = VecDeque::new();
    write_json(&mut json, value, &mut bins);
    (json, bins)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn integers_take_the_smallest_form_like_notepack() {
        let cases: [(i64, &str); 12] = [
            (0, "00"),
            (127, "7f"),
            (128, "cc80"),
            (300, "cd012c"),
            (70_000, "ce00011170"),
            (5_000_000_000, "cf000000012a05f200"),
            (-1, "ff"),
            (-32, "e0"),
            (-33, "d0df"),
            (-200, "d1ff38"),
            (-40_000, "d2ffff63c0"),
            (-3_000_000_000, "d3ffffffff4d2fa200"),
        ];
        for (n, expected) in cases {
            assert_eq!(hex(&to_vec(&Mp::from(n))), expected, "{n}");
        }
    }

    #[test]
    fn integral_floats_are_integers_and_others_float64() {
        assert_eq!(hex(&to_vec(&Mp::F64(1.0))), "01");
        assert_eq!(hex(&to_vec(&Mp::F64(-0.0))), "00");
        assert_eq!(hex(&to_vec(&Mp::F64(1.5))), "cb3ff8000000000000");
        assert_eq!(hex(&to_vec(&Mp::F64(f64::NAN)))[..2], *"cb");
    }

    #[test]
    fn strings_use_str8_from_32_bytes() {
        assert_eq!(to_vec(&Mp::from("a".repeat(31)))[0], 0xbf);
        assert_eq!(to_vec(&Mp::from("a".repeat(32)))[..2], [0xd9, 32]);
        assert_eq!(to_vec(&Mp::from("a".repeat(256)))[..3], [0xda, 1, 0]);
    }

    #[test]
    fn ext_values_use_fixext_or_ext8() {
        assert_eq!(hex(&to_vec(&Mp::Ext(-1, vec![0, 0, 0, 1]))), "d6ff00000001");
        assert_eq!(hex(&to_vec(&Mp::Ext(5, vec![1, 2, 3]))), "c70305010203");
        let long = to_vec(&Mp::Ext(5, vec![0; 300]));
        assert_eq!(long[..4], [0xc8, 1, 44, 5]);
    }

    #[test]
    fn json_keeps_key_order_and_binaries_round_trip() {
        let bins = VecDeque::from([Bytes::from_static(&[1, 2]), Bytes::from_static(&[3])]);
        let json =
            r#"["ev",{"z":1,"a":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]"#;
        let value = payload_to_mp(json, Some(&bins)).unwrap();
        let expected = Mp::Array(vec![
            Mp::from("ev"),
            Mp::Map(vec![
                (Mp::from("z"), Mp::from(1)),
                (Mp::from("a"), Mp::Binary(vec![3])),
            ]),
            Mp::Binary(vec![1, 2]),
        ]);
        assert_eq!(value, expected);

        let (back, attachments) = mp_to_payload(&value);
        assert_eq!(
            back,
            r#"["ev",{"z":1,"a":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#
        );
        assert_eq!(
            attachments,
            [Bytes::from_static(&[3]), Bytes::from_static(&[1, 2])]
        );
    }

    #[test]
    fn numbers_cross_from_socketioxide_json_to_msgpack_unchanged() {
        // Found by the `redis_wire` fuzz target: serde_json without `float_roundtrip` parsed
        // this one unit in the last place off, so a number in a client's ack reached a Node
        // server changed.
        let exact = 2.690_560_792_995_167_4e213_f64;
        let mut json = String::new();
        write_json(
            &mut json,
            &Mp::Array(vec![Mp::F64(exact)]),
            &mut VecDeque::new(),
        );
        assert!(json.starts_with("[2.6905607929951674e"), "{json}");
        let back = payload_to_mp(&json, None).unwrap();
        assert_eq!(back, Mp::Array(vec![Mp::F64(exact)]));
    }

    #[test]
    fn placeholders_without_attachments_stay_plain_objects() {
        let json = r#"[{"_placeholder":true,"num":0}]"#;
        let value = payload_to_mp(json, None).unwrap();
        assert!(matches!(&value, Mp::Array(items) if matches!(items[0], Mp::Map(_))));
    }

    #[test]
    fn timestamps_become_iso_strings_and_other_exts_null() {
        let mut bins = VecDeque::new();
        let mut out = String::new();
        let value = Mp::Array(vec![
            Mp::Ext(-1, 1_700_000_000u32.to_be_bytes().to_vec()),
            Mp::Ext(3, vec![1]),
            Mp::F64(f64::INFINITY),
            Mp::from("q\"uote"),
        ]);
        write_json(&mut out, &value, &mut bins);
        assert_eq!(out, r#"["2023-11-14T22:13:20.000Z",null,null,"q\"uote"]"#);
    }
}
