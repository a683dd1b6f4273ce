//! Reading the HTTP/1.1 requests that a test's stand-in server receives (an OTLP collector,
//! for one), with blocking std IO: request line, headers, and a `content-length` body.

use std::io::{self, BufRead};

/// One request as received.
#[derive(Debug)]
pub struct Request {
    /// The request line without its line end, e.g. `POST /v1/traces HTTP/1.1`.
    pub line: String,
    /// The body, as long as its `content-length` said (empty without one).
    pub body: Vec<u8>,
}

impl Request {
    /// The request target of the request line (`/v1/traces`), or `""`.
    pub fn path(&self) -> &str {
        self.line.split_whitespace().nth(1).unwrap_or("")
    }
}

/// Reads the next request from `reader`: `None` when the peer closed the connection first.
pub fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
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
            length = value
                .trim()
                .parse()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    line.truncate(line.trim_end().len());
    Ok(Some(Request { line, body }))
}
