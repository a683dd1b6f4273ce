//! Deciding an upload's type from its bytes, never from its name or the client's
//! `Content-Type`, while it streams.
//!
//! - Binary formats are recognised by their magic bytes (the `infer` crate) in the first
//!   [`HEAD_BYTES`] (OOXML documents need a few kilobytes to tell `word/` from `xl/`). The
//!   verdict comes as soon as that much has arrived, so a disallowed file is refused before
//!   anything is stored.
//! - Legacy Office files (`doc`/`xls`/`ppt`) share one container format (OLE2) whose kind is
//!   only known after parsing its directory, which can sit anywhere in the file: they are held
//!   in memory (up to the size cap) and decided at the end.
//! - Anything `infer` does not recognise as binary (including what it calls HTML, XML or
//!   shell scripts) is plain text if the whole file is valid UTF-8 without NUL bytes; checked
//!   incrementally, so a text file that turns binary half-way is refused then.

use std::collections::HashSet;

/// How much of the start of a file the magic-byte check looks at.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The type given to content recognised as UTF-8 text (no magic bytes, no NUL).
pub const TEXT_PLAIN: &str = "text/plain";

/// The types accepted unless configured otherwise.
pub const DEFAULT_ALLOWED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    TEXT_PLAIN,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
];

/// The OLE2 compound-file signature (legacy Office documents, MSI installers...).
const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The whitelist of detected MIME types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypePolicy {
    allowed: HashSet<String>,
}

impl Default for TypePolicy {
    fn default() -> Self {
        Self::new(DEFAULT_ALLOWED_TYPES.iter().copied())
    }
}

impl TypePolicy {
    /// Allows exactly `allowed` (trimmed, lowercased; blank entries ignored).
    pub fn new<I, S>(allowed: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self {
            allowed: allowed
                .into_iter()
                .map(|t| t.as_ref().trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }

    /// Whether `mime` (a detected, lowercase type without parameters) is allowed.
    pub fn allows(&self, mime: &str) -> bool {
        self.allowed.contains(mime)
    }

    fn check(&self, mime: &'static str) -> Result<&'static str, Refused> {
        if self.allows(mime) {
            Ok(mime)
        } else {
            Err(Refused(Some(mime)))
        }
    }
}

/// The content is not an allowed type; carries the detected type when one was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused(pub Option<&'static str>);

impl Refused {
    /// The client-facing reason for the refusal, naming the detected type when there is one.
    pub fn message(&self) -> String {
        match self.0 {
            Some(mime) => format!("files of type {mime} are not allowed"),
            None => "the file's content is not of an allowed type".to_owned(),
        }
    }
}

#[derive(Debug)]
enum State {
    /// Collecting the first bytes.
    Head(Vec<u8>),
    /// An OLE2 container: the whole file is needed.
    Whole(Vec<u8>),
    /// Recognised by its magic bytes.
    Binary(&'static str),
    /// Valid UTF-8 without NUL so far.
    Text(Utf8Check),
}

/// Decides an upload's type as its chunks arrive.
#[derive(Debug)]
pub struct Sniffer {
    policy: TypePolicy,
    state: State,
}

impl Sniffer {
    /// Starts a detection that accepts only what `policy` allows.
    pub fn new(policy: TypePolicy) -> Self {
        Self {
            policy,
            state: State::Head(Vec::new()),
        }
    }

    /// Takes the next chunk; `Err` as soon as the content is known to be refused.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Refused> {
        match &mut self.state {
            State::Head(head) => {
                head.extend_from_slice(chunk);
                if head.len() >= HEAD_BYTES {
                    let head = std::mem::take(head);
                    self.state = self.classify(head)?;
                }
                Ok(())
            }
            State::Whole(all) => {
                all.extend_from_slice(chunk);
                Ok(())
            }
            State::Binary(_) => Ok(()),
            State::Text(check) => check.feed(chunk).map_err(|()| Refused(None)),
        }
    }

    /// The type, once it is known before the end (magic bytes seen, or text so far). A text
    /// verdict still holds only if the rest stays text ([`Sniffer::feed`] says otherwise).
    pub fn early_type(&self) -> Option<&'static str> {
        match self.state {
            State::Binary(mime) => Some(mime),
            State::Text(_) => Some(TEXT_PLAIN),
            State::Head(_) | State::Whole(_) => None,
        }
    }

    /// The final verdict once every byte has been fed (the sniffer is spent afterwards).
    pub fn finish(&mut self) -> Result<&'static str, Refused> {
        let policy = &self.policy;
        let state = match std::mem::replace(&mut self.state, State::Binary("")) {
            State::Head(head) => Self::classify_with(policy, head)?,
            other => other,
        };
        match state {
            State::Binary(mime) => Ok(mime),
            State::Text(check) => {
                check.finish().map_err(|()| Refused(None))?;
                Ok(TEXT_PLAIN)
            }
            State::Whole(all) => Self::classify_whole(policy, &all),
            State::Head(_) => Err(Refused(None)),
        }
    }

    fn classify(&self, head: Vec<u8>) -> Result<State, Refused> {
        Self::classify_with(&self.policy, head)
    }

    /// Classifies the first bytes (or the whole file, when it is shorter). Some magic
    /// numbers are two letters (`MZ` for executables, `BM` for bitmaps): a head that is
    /// valid text only counts as such a format when that format is allowed (an all-ASCII
    /// PDF stays a PDF); otherwise it is text (real executables and bitmaps hold NULs).
    fn classify_with(policy: &TypePolicy, head: Vec<u8>) -> Result<State, Refused> {
        if head.starts_with(&OLE2_MAGIC) {
            return Ok(State::Whole(head));
        }
        let kind = infer::get(&head).filter(|k| k.matcher_type() != infer::MatcherType::Text);
        let mut check = Utf8Check::default();
        let textual = check.feed(&head).is_ok();
        match kind {
            Some(kind) if !textual || policy.allows(kind.mime_type()) => {
                policy.check(kind.mime_type()).map(State::Binary)
            }
            _ if textual => policy.check(TEXT_PLAIN).map(|_| State::Text(check)),
            _ => Err(Refused(None)),
        }
    }

    /// Legacy Office documents: the container's root names the application.
    fn classify_whole(policy: &TypePolicy, all: &[u8]) -> Result<&'static str, Refused> {
        match infer::get(all) {
            Some(kind) => policy.check(kind.mime_type()),
            None => Err(Refused(None)),
        }
    }
}

/// Incremental UTF-8 validation that also refuses NUL, across chunk boundaries.
#[derive(Debug, Default)]
struct Utf8Check {
    /// The start of a character split by the chunk boundary (at most 3 bytes).
    carry: Vec<u8>,
}

impl Utf8Check {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), ()> {
        if chunk.contains(&0) {
            return Err(());
        }
        let mut rest = chunk;
        if !self.carry.is_empty() {
            // Complete the split character with at most 3 more bytes.
            let take = rest.len().min(4 - self.carry.len());
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(&rest[..take]);
            match std::str::from_utf8(&joined) {
                Ok(_) => rest = &rest[take..],
                Err(e) if e.valid_up_to() > 0 => {
                    let used = e.valid_up_to() - (joined.len() - take);
                    rest = &rest[used..];
                }
                Err(e) if e.error_len().is_none() && take == rest.len() => {
                    self.carry = joined;
                    return Ok(());
                }
                Err(_) => return Err(()),
            }
        }
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.carry = rest[e.valid_up_to()..].to_vec();
                Ok(())
            }
            Err(_) => Err(()),
        }
    }

    fn finish(self) -> Result<(), ()> {
        if self.carry.is_empty() {
            Ok(())
        } else {
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];

    fn sniff_in_chunks(bytes: &[u8], chunk: usize) -> Result<&'static str, Refused> {
        let mut sniffer = Sniffer::new(TypePolicy::default());
        for part in bytes.chunks(chunk.max(1)) {
            sniffer.feed(part)?;
        }
        sniffer.finish()
    }

    #[test]
    fn images_and_pdfs_are_recognised_by_magic_bytes() {
        assert_eq!(sniff_in_chunks(PNG, 3), Ok("image/png"));
        assert_eq!(
            sniff_in_chunks(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], 100),
            Ok("image/jpeg")
        );
        assert_eq!(sniff_in_chunks(b"GIF89a\x01\x00", 2), Ok("image/gif"));
        assert_eq!(
            sniff_in_chunks(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", 4),
            Ok("application/pdf")
        );
    }

    #[test]
    fn an_executable_is_refused_whatever_its_name_and_early() {
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
        exe.resize(HEAD_BYTES + 10, 0);
        exe[0x3C] = 0x80;
        exe[0x80..0x84].copy_from_slice(b"PE\0\0");
        let mut sniffer = Sniffer::new(TypePolicy::default());
        let refused = sniffer.feed(&exe).unwrap_err();
        assert_eq!(
            refused.0,
            Some("application/vnd.microsoft.portable-executable")
        );
    }

    #[test]
    fn utf8_text_is_plain_text_even_split_inside_characters() {
        let text = "héllo wörld — 写真 🎉\n".repeat(50);
        for chunk in [1, 2, 3, 5, 7, 1000] {
            assert_eq!(
                sniff_in_chunks(text.as_bytes(), chunk),
                Ok(TEXT_PLAIN),
                "{chunk}"
            );
        }
        assert_eq!(
            sniff_in_chunks(b"<html><body>x</body></html>", 4),
            Ok(TEXT_PLAIN)
        );
    }

    #[test]
    fn text_that_starts_like_a_weak_magic_number_is_still_text() {
        assert_eq!(sniff_in_chunks(b"MZ Corp memo", 3), Ok(TEXT_PLAIN));
        assert_eq!(sniff_in_chunks(b"BMW service log", 3), Ok(TEXT_PLAIN));
        assert_eq!(
            sniff_in_chunks(b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n", 8),
            Ok("application/pdf")
        );
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_are_not_text() {
        assert_eq!(sniff_in_chunks(b"abc\0def", 2), Err(Refused(None)));
        assert_eq!(sniff_in_chunks(b"abc\xFFdef", 2), Err(Refused(None)));
        // A character cut off by the end of the file.
        assert_eq!(
            sniff_in_chunks("ab€".as_bytes()[..4].as_ref(), 1),
            Err(Refused(None))
        );
        // Text that turns binary after the head is refused when it does.
        let mut late = "a".repeat(HEAD_BYTES + 5).into_bytes();
        late.push(0xC0);
        assert_eq!(sniff_in_chunks(&late, 4096), Err(Refused(None)));
    }

    #[test]
    fn the_type_is_known_early_for_long_files() {
        let mut png = PNG.to_vec();
        png.resize(HEAD_BYTES * 2, 7);
        let mut sniffer = Sniffer::new(TypePolicy::default());
        sniffer.feed(&png[..100]).unwrap();
        assert_eq!(sniffer.early_type(), None);
        sniffer.feed(&png[100..HEAD_BYTES]).unwrap();
        assert_eq!(sniffer.early_type(), Some("image/png"));
    }

    #[test]
    fn the_whitelist_is_configurable() {
        let only_pdf = TypePolicy::new(["application/pdf"]);
        let mut sniffer = Sniffer::new(only_pdf.clone());
        sniffer.feed(PNG).unwrap();
        assert_eq!(sniffer.finish(), Err(Refused(Some("image/png"))));
        let mut sniffer = Sniffer::new(only_pdf);
        sniffer.feed(b"plain words").unwrap();
        assert_eq!(sniffer.finish(), Err(Refused(Some(TEXT_PLAIN))));
        assert!(TypePolicy::new([" Image/PNG "]).allows("image/png"));
    }

    /// A stored ZIP entry (CRCs unchecked by the sniffer).
    fn zip_entry(name: &str, data: &[u8]) -> Vec<u8> {
        let mut entry = b"PK\x03\x04".to_vec();
        entry.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        entry.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
        entry.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
        entry.extend(u16::try_from(name.len()).unwrap().to_le_bytes());
        entry.extend([0, 0]);
        entry.extend(name.as_bytes());
        entry.extend(data);
        entry
    }

    #[test]
    fn ooxml_and_opendocument_files_are_told_apart_by_their_entries() {
        let ooxml = |dir: &str| {
            let mut bytes = zip_entry("[Content_Types].xml", b"<Types/>");
            bytes.extend(zip_entry("_rels/.rels", b"<Relationships/>"));
            let part = [b'<'; 64];
            bytes.extend(zip_entry(&format!("{dir}/_rels/x.rels"), &part));
            bytes.extend(zip_entry(&format!("{dir}/main.xml"), &part));
            bytes
        };
        assert_eq!(
            sniff_in_chunks(&ooxml("word"), 7),
            Ok("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(
            sniff_in_chunks(&ooxml("xl"), 7),
            Ok("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        assert_eq!(
            sniff_in_chunks(&ooxml("ppt"), 7),
            Ok("application/vnd.openxmlformats-officedocument.presentationml.presentation")
        );
        let odt = zip_entry("mimetype", b"application/vnd.oasis.opendocument.text");
        assert_eq!(
            sniff_in_chunks(&odt, 5),
            Ok("application/vnd.oasis.opendocument.text")
        );
        // Any other ZIP archive is not a document.
        let zip = zip_entry("readme.txt", b"hello");
        assert_eq!(
            sniff_in_chunks(&zip, 5),
            Err(Refused(Some("application/zip")))
        );
    }

    /// An OLE2 compound file whose root names `clsid`, padded past the head.
    fn compound_file(clsid: &str) -> Vec<u8> {
        use std::io::Write as _;
        let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
        file.set_storage_clsid("/", clsid.parse().unwrap()).unwrap();
        let mut stream = file.create_stream("/Body").unwrap();
        stream.write_all(&vec![b'x'; HEAD_BYTES * 2]).unwrap();
        drop(stream);
        file.flush().unwrap();
        file.into_inner().into_inner()
    }

    #[test]
    fn legacy_office_files_are_decided_once_the_whole_container_is_in() {
        for (clsid, mime) in [
            ("00020906-0000-0000-c000-000000000046", "application/msword"),
            (
                "00020820-0000-0000-c000-000000000046",
                "application/vnd.ms-excel",
            ),
            (
                "64818d10-4f9b-11cf-86ea-00aa00b929e8",
                "application/vnd.ms-powerpoint",
            ),
        ] {
            let bytes = compound_file(clsid);
            assert!(bytes.len() > HEAD_BYTES);
            let mut sniffer = Sniffer::new(TypePolicy::default());
            for chunk in bytes.chunks(4096) {
                sniffer.feed(chunk).unwrap();
                assert_eq!(sniffer.early_type(), None, "undecided until the end");
            }
            assert_eq!(sniffer.finish(), Ok(mime));
        }
    }

    #[test]
    fn an_ole2_container_that_is_no_office_document_is_refused() {
        let mut fake = OLE2_MAGIC.to_vec();
        fake.resize(HEAD_BYTES + 1, 0);
        let mut sniffer = Sniffer::new(TypePolicy::default());
        sniffer.feed(&fake).unwrap();
        assert_eq!(sniffer.early_type(), None);
        assert!(sniffer.finish().is_err());
    }
}
