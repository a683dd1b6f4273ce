//! The start of a session as socket.io-client opens it by default: Engine.IO long polling
//! (open, Socket.IO CONNECT with the token, poll for the CONNECT answer), then the upgrade to a
//! websocket (`2probe` → `3probe` → `5`). Just enough HTTP/1.1 for that, on one keep-alive
//! connection per client, so what is measured is the server's polling path, not a client
//! library's pool.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::protocol::{self, Inbound};

/// Packets in one polling payload are separated by the record separator.
const SEPARATOR: char = '\u{1e}';

/// Longest response body read (the server's max payload is 1 MB).
const MAX_BODY: usize = 2 * 1024 * 1024;

/// One client's polling connection.
pub(crate) struct Polling {
    io: BufReader<TcpStream>,
    host: String,
    path: String,
}

impl Polling {
    /// `ws_url` is the websocket endpoint (`ws://host:port/socket.io/?EIO=4&transport=websocket`):
    /// the polling one is the same path with `transport=polling`.
    pub(crate) fn new(stream: TcpStream, ws_url: &str) -> Result<Self, &'static str> {
        let (host, path) = split_url(ws_url).ok_or("connect_url")?;
        Ok(Self {
            io: BufReader::new(stream),
            host: host.to_owned(),
            path: path.replace("transport=websocket", "transport=polling"),
        })
    }

    /// Opens the session, sends CONNECT with `token` and polls until the server answers it;
    /// returns the session id for the upgrade.
    pub(crate) async fn connect(&mut self, token: &str) -> Result<String, &'static str> {
        let path = self.path.clone();
        let open = self.request("GET", &path, None).await?;
        let sid = open_sid(&open).ok_or("protocol")?;
        let session = format!("{path}&sid={sid}");
        self.request("POST", &session, Some(&protocol::connect(token)))
            .await?;
        loop {
            let payload = self.request("GET", &session, None).await?;
            for packet in payload.split(SEPARATOR) {
                match protocol::parse(packet) {
                    Ok(Inbound::Connect(_)) => return Ok(sid),
                    Ok(Inbound::ConnectError(_)) => return Err("handshake_refused"),
                    Ok(Inbound::Ping) => {
                        self.request("POST", &session, Some(protocol::PONG)).await?;
                    }
                    Ok(Inbound::Close) => return Err("disconnected"),
                    Ok(_) => {}
                    Err(_) => return Err("protocol"),
                }
            }
        }
    }

    /// One request on the keep-alive connection; the body of a 200 answer.
    async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<String, &'static str> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\nAccept: */*\r\n",
            self.host
        );
        if let Some(body) = body {
            head.push_str(&format!(
                "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or(""));
        let stream = self.io.get_mut();
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|_| "connect_http")?;
        read_response(&mut self.io).await
    }
}

/// `ws://host:port/path?query` → (`host:port`, `/path?query`).
fn split_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.split_once("://")?.1;
    let slash = rest.find('/')?;
    Some((&rest[..slash], &rest[slash..]))
}

/// The `sid` of an Engine.IO OPEN packet `0{"sid":…}`.
fn open_sid(payload: &str) -> Option<String> {
    let open = payload.split(SEPARATOR).find(|p| p.starts_with('0'))?;
    let v: serde_json::Value = serde_json::from_str(&open[1..]).ok()?;
    Some(v.get("sid")?.as_str()?.to_owned())
}

/// Reads one HTTP/1.1 response: status 200, then a `content-length` or chunked body.
async fn read_response<R: AsyncBufReadExt + Unpin>(io: &mut R) -> Result<String, &'static str> {
    let mut line = String::new();
    io.read_line(&mut line).await.map_err(|_| "connect_http")?;
    let ok = line.split_whitespace().nth(1) == Some("200");
    let (mut length, mut chunked) = (None, false);
    loop {
        line.clear();
        let n = io.read_line(&mut line).await.map_err(|_| "connect_http")?;
        if n == 0 {
            return Err("connect_http");
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = Some(v.trim().parse::<usize>().map_err(|_| "connect_http")?);
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            io.read_line(&mut line).await.map_err(|_| "connect_http")?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| "connect_http")?;
            let mut chunk = vec![0; size + 2]; // the data and its CRLF
            io.read_exact(&mut chunk)
                .await
                .map_err(|_| "connect_http")?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
            if body.len() > MAX_BODY {
                return Err("connect_http");
            }
        }
    } else {
        let length = length.ok_or("connect_http")?;
        if length > MAX_BODY {
            return Err("connect_http");
        }
        body.resize(length, 0);
        io.read_exact(&mut body).await.map_err(|_| "connect_http")?;
    }
    if !ok {
        return Err("connect_http_status");
    }
    String::from_utf8(body).map_err(|_| "protocol")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_and_path() {
        assert_eq!(
            split_url("ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket"),
            Some(("127.0.0.1:3000", "/socket.io/?EIO=4&transport=websocket"))
        );
        assert_eq!(split_url("nothing"), None);
    }

    #[test]
    fn the_open_packet_gives_the_session_id() {
        let open = r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        assert_eq!(open_sid(open).as_deref(), Some("abc"));
        assert_eq!(open_sid("40{}"), None);
    }

    #[tokio::test]
    async fn responses_are_read_by_length_or_in_chunks() {
        let mut plain: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: y\r\n\r\nokHTTP/1.1";
        assert_eq!(read_response(&mut plain).await.unwrap(), "ok");
        let mut chunked: &[u8] =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n40{\r\n2\r\n}x\r\n0\r\n\r\n";
        assert_eq!(read_response(&mut chunked).await.unwrap(), "40{}x");
        let mut refused: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            read_response(&mut refused).await,
            Err("connect_http_status")
        );
    }
}
