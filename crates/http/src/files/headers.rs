//! Response headers for downloads: a `Content-Type` that browsers cannot reinterpret and a
//! `Content-Disposition` that always downloads, with the name in both the quoted ASCII
//! form old clients read and the RFC 5987 / RFC 6266 `filename*` form for the rest.

use std::fmt::Write as _;

/// The `Content-Type` to answer with: the stored type; text (validated as UTF-8 on upload)
/// says so.
pub fn content_type(file_type: &str) -> String {
    if file_type == super::sniff::TEXT_PLAIN {
        "text/plain; charset=utf-8".to_owned()
    } else {
        file_type.to_owned()
    }
}

/// `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>`.
pub fn content_disposition(file_name: &str) -> String {
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(file_name),
        rfc5987(file_name)
    )
}

/// The name with anything outside printable ASCII, quotes and backslashes replaced by `_`.
fn ascii_fallback(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if fallback.trim().is_empty() {
        "file".to_owned()
    } else {
        fallback
    }
}

/// RFC 5987 `value-chars`: `attr-char`s as they are, every other byte as `%XX`.
fn rfc5987(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        let attr_char = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_appear_in_both_forms() {
        assert_eq!(
            content_disposition("report 2026.pdf"),
            "attachment; filename=\"report 2026.pdf\"; filename*=UTF-8''report%202026.pdf"
        );
    }

    #[test]
    fn unicode_and_quotes_are_encoded() {
        assert_eq!(
            content_disposition("Résumé \"final\".docx"),
            "attachment; filename=\"R_sum_ _final_.docx\"; \
             filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.docx"
        );
        assert_eq!(
            content_disposition("写真.png"),
            "attachment; filename=\"__.png\"; filename*=UTF-8''%E5%86%99%E7%9C%9F.png"
        );
    }

    #[test]
    fn text_is_served_as_utf8() {
        assert_eq!(content_type("text/plain"), "text/plain; charset=utf-8");
        assert_eq!(content_type("image/png"), "image/png");
    }
}
