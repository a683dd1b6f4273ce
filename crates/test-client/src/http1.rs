//! Just enough HTTP/1.1 to play a server in a test: read one request (line, headers, a
//! `content-length` body) from a blocking stream.

use std::io::BufRead;

/// One request as read: its request line (with the trailing CRLF) and its body.
#[derive(Debug)]
pub struct Request {
    /// The request line, e.g. `POST /v1/traces HTTP/1.1\r\n`.
    pub line: String,
    /// The body (`content-length` bytes; empty without that header).
    pub body: Vec<u8>,
}

impl Request {
    /// The request target (`/v1/traces`), empty if the request line has none.
    pub fn path(&self) -> &str {
        self.line.split_whitespace().nth(1).unwrap_or("")
    }
}

/// Reads the next request from `reader`; `None` when the peer closed the connection (or
/// reset it) before sending one. An error for a broken header block or a short body.
pub fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return Ok(None);
    }
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header.trim().is_empty() {
            break;
        }
        if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "bad content-length")
            })?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request { line, body }))
}
