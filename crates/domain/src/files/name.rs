//! File names as clients send them are untrusted: they may carry paths (`../../etc/passwd`,
//! `C:\x\y.png`), control characters (header injection), bidirectional overrides that make
//! `exe.png` look like `png.exe`, or be absurdly long. The stored name is only ever shown
//! and offered as a download name (blobs are stored under ids), but it is cleaned once here
//! so every reader can trust it.

/// The longest stored name, in UTF-8 bytes (what most file systems accept).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The name used when nothing usable is left.
const FALLBACK: &str = "file";

/// An extension longer than this is treated as part of the name when shortening.
const MAX_EXTENSION_BYTES: usize = 16;

/// Invisible characters that change how a name reads: zero-width marks, bidirectional
/// embeddings, overrides and isolates, and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// Characters Windows refuses in names; replaced so a downloaded file saves anywhere.
fn is_reserved(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// The last path component of `raw`, without control or invisible formatting characters,
/// reserved characters replaced by `_`, runs of dots collapsed (so no `..`), leading and
/// trailing dots and spaces trimmed, at most [`MAX_FILE_NAME_BYTES`] bytes (keeping a short
/// extension); `"file"` when nothing is left.
pub fn sanitize_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name = String::with_capacity(last.len());
    for c in last.chars() {
        if c.is_control() || is_invisible_format(c) {
            continue;
        }
        if c == '.' && name.ends_with('.') {
            continue;
        }
        name.push(if is_reserved(c) { '_' } else { c });
    }
    let trimmed = name.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let capped = cap_length(trimmed);
    if capped.is_empty() {
        FALLBACK.to_owned()
    } else {
        capped
    }
}

/// Shortens `name` to the byte cap on a character boundary, keeping a short extension.
fn cap_length(name: &str) -> String {
    if name.len() <= MAX_FILE_NAME_BYTES {
        return name.to_owned();
    }
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= MAX_EXTENSION_BYTES + 1 => {
            (&name[..dot], &name[dot..])
        }
        _ => (name, ""),
    };
    let budget = MAX_FILE_NAME_BYTES - extension.len();
    let mut end = budget.min(stem.len());
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let stem = stem[..end].trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{stem}{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components_are_dropped() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\me\\photo.png"), "photo.png");
        assert_eq!(sanitize_file_name("/abs/dir/"), "file");
        assert_eq!(sanitize_file_name("a/b/../c.txt"), "c.txt");
    }

    #[test]
    fn dots_cannot_form_a_parent_reference() {
        assert_eq!(sanitize_file_name(".."), "file");
        assert_eq!(sanitize_file_name("..."), "file");
        assert_eq!(sanitize_file_name("report..pdf"), "report.pdf");
        assert_eq!(sanitize_file_name(".hidden"), "hidden");
        assert_eq!(sanitize_file_name("trailing. . "), "trailing");
        assert!(!sanitize_file_name("a....b").contains(".."));
    }

    #[test]
    fn control_and_invisible_characters_are_removed() {
        assert_eq!(sanitize_file_name("a\r\nb\0c.txt"), "abc.txt");
        assert_eq!(sanitize_file_name("photo\u{202E}gnp.exe"), "photognp.exe");
        assert_eq!(sanitize_file_name("\u{FEFF}\u{200B}x.pdf"), "x.pdf");
    }

    #[test]
    fn reserved_characters_are_replaced_and_unicode_kept() {
        assert_eq!(sanitize_file_name("a:b*c?.txt"), "a_b_c_.txt");
        assert_eq!(sanitize_file_name("Résumé 2026.docx"), "Résumé 2026.docx");
        assert_eq!(sanitize_file_name("写真.png"), "写真.png");
    }

    #[test]
    fn empty_names_fall_back_to_file() {
        assert_eq!(sanitize_file_name(""), "file");
        assert_eq!(sanitize_file_name("   "), "file");
        assert_eq!(sanitize_file_name("\u{202E}"), "file");
    }

    #[test]
    fn long_names_are_capped_on_a_character_boundary_keeping_the_extension() {
        let long = format!("{}.png", "é".repeat(300));
        let capped = sanitize_file_name(&long);
        assert!(capped.len() <= MAX_FILE_NAME_BYTES, "{}", capped.len());
        assert!(capped.ends_with(".png"));
        assert!(capped.starts_with('é'));
        let no_extension = "x".repeat(1000);
        assert_eq!(sanitize_file_name(&no_extension).len(), MAX_FILE_NAME_BYTES);
        let long_extension = format!("name.{}", "y".repeat(400));
        assert_eq!(
            sanitize_file_name(&long_extension).len(),
            MAX_FILE_NAME_BYTES
        );
    }
}
