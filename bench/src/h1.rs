//! A minimal HTTP/1.1 keep-alive client over one TCP connection, bound to a chosen source
//! address.
//!
//! Why not reqwest: the load generator shares the server's two cores, so every microsecond the
//! client spends per request is taken from the server under test (and from the peer it is
//! compared with). This client writes a prepared request and parses only the status line and
//! the two headers that frame the body; it costs a few microseconds per request. It also
//! reads server-sent event streams chunk by chunk.

use anyhow::{bail, Context};
use std::net::{Ipv4Addr, SocketAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Responses larger than this are refused (the biggest one here, the demo menu, is ~6 KB).
const MAX_BODY: usize = 8 << 20;

pub struct Conn {
    stream: TcpStream,
    /// Bytes read but not consumed yet.
    buf: Vec<u8>,
    host: String,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == name).then(|| v.trim())
    })
}

/// How the body of a response is framed.
enum Framing {
    Length(usize),
    Chunked,
    /// Until the connection closes (HTTP/1.0 style); only for streams.
    Close,
}

impl Conn {
    pub async fn connect(server: SocketAddr, src: Ipv4Addr) -> anyhow::Result<Self> {
        let socket = TcpSocket::new_v4().context("socket")?;
        socket
            .bind(SocketAddr::new(src.into(), 0))
            .with_context(|| format!("bind {src}"))?;
        let stream = socket
            .connect(server)
            .await
            .with_context(|| format!("connect {server} from {src}"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(8192),
            host: server.to_string(),
        })
    }

    /// Builds a request with a JSON body (or none) and the given extra header lines (each
    /// ending in `\r\n`).
    pub fn build(&self, method: &str, path: &str, headers: &str, body: Option<&[u8]>) -> Vec<u8> {
        let mut r = Vec::with_capacity(256 + body.map_or(0, <[u8]>::len));
        r.extend_from_slice(
            format!(
                "{method} {path} HTTP/1.1\r\nhost: {}\r\n{headers}",
                self.host
            )
            .as_bytes(),
        );
        if let Some(b) = body {
            r.extend_from_slice(
                format!(
                    "content-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    b.len()
                )
                .as_bytes(),
            );
            r.extend_from_slice(b);
        } else {
            r.extend_from_slice(b"\r\n");
        }
        r
    }

    /// Sends one request and reads its whole response.
    pub async fn request(&mut self, req: &[u8]) -> anyhow::Result<Response> {
        self.stream.write_all(req).await.context("sending")?;
        let (status, head) = self.read_head().await?;
        // 204 and 304 never have a body, whatever the headers say (RFC 9112 §6.3).
        let framing = if status == 204 || status == 304 {
            Framing::Length(0)
        } else {
            framing(&head)
        };
        let body = match framing {
            Framing::Length(n) => {
                if n > MAX_BODY {
                    bail!("response body of {n} bytes");
                }
                self.fill(n).await?;
                self.buf.drain(..n).collect()
            }
            Framing::Chunked => {
                let mut body = Vec::new();
                while let Some(chunk) = self.chunk().await? {
                    body.extend_from_slice(&chunk);
                    if body.len() > MAX_BODY {
                        bail!("response body over {MAX_BODY} bytes");
                    }
                }
                body
            }
            Framing::Close => bail!("a response without a length on a keep-alive connection"),
        };
        Ok(Response { status, body })
    }

    /// Sends a request whose response is a stream (server-sent events) and returns its status
    /// and head; read the stream with [`Conn::next_stream_bytes`].
    pub async fn open_stream(&mut self, req: &[u8]) -> anyhow::Result<(u16, String, bool)> {
        self.stream.write_all(req).await.context("sending")?;
        let (status, head) = self.read_head().await?;
        let chunked = matches!(framing(&head), Framing::Chunked);
        Ok((status, head, chunked))
    }

    /// The next bytes of a streamed body; `None` at its end.
    pub async fn next_stream_bytes(&mut self, chunked: bool) -> anyhow::Result<Option<Vec<u8>>> {
        if chunked {
            return self.chunk().await;
        }
        if self.buf.is_empty() && self.read_more().await? == 0 {
            return Ok(None);
        }
        Ok(Some(std::mem::take(&mut self.buf)))
    }

    async fn read_more(&mut self) -> anyhow::Result<usize> {
        let len = self.buf.len();
        self.buf.reserve(8192);
        let n = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .context("reading")?;
        debug_assert!(self.buf.len() == len + n);
        Ok(n)
    }

    /// Reads until `n` bytes are buffered.
    async fn fill(&mut self, n: usize) -> anyhow::Result<()> {
        while self.buf.len() < n {
            if self.read_more().await? == 0 {
                bail!("the server closed the connection mid-response");
            }
        }
        Ok(())
    }

    async fn read_head(&mut self) -> anyhow::Result<(u16, String)> {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > 64 * 1024 {
                bail!("response head over 64 KiB");
            }
            if self.read_more().await? == 0 {
                bail!("the server closed the connection");
            }
        };
        let head: Vec<u8> = self.buf.drain(..end + 4).collect();
        let head = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
        let (status_line, rest) = head.split_once("\r\n").unwrap_or((head.as_str(), ""));
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {status_line:?}"))?;
        Ok((status, rest.to_owned()))
    }

    /// One chunk of a chunked body; `None` after the last one.
    async fn chunk(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        let line_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                break i;
            }
            if self.read_more().await? == 0 {
                bail!("the server closed the connection mid-chunk");
            }
        };
        let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        if size > MAX_BODY {
            bail!("chunk of {size} bytes");
        }
        // Size line, data, CRLF.
        self.fill(line_end + 2 + size + 2).await?;
        self.buf.drain(..line_end + 2);
        let data: Vec<u8> = self.buf.drain(..size).collect();
        self.buf.drain(..2);
        if size == 0 {
            return Ok(None);
        }
        Ok(Some(data))
    }
}

fn framing(head: &str) -> Framing {
    if header(head, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        Framing::Chunked
    } else if let Some(n) = header(head, "content-length").and_then(|v| v.parse().ok()) {
        Framing::Length(n)
    } else {
        Framing::Close
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits server-sent events out of a growing buffer: returns the complete events (the text
/// between blank lines) and leaves an incomplete tail in `buf`.
pub fn sse_events(buf: &mut String) -> Vec<String> {
    let mut out = Vec::new();
    // Both servers here end lines with "\n"; a "\r\n" stream is normalised first.
    if buf.contains('\r') {
        *buf = buf.replace("\r\n", "\n");
    }
    while let Some(i) = buf.find("\n\n") {
        let ev: String = buf.drain(..i + 2).collect();
        out.push(ev);
    }
    out
}

/// The `event:` name and the joined `data:` lines of one server-sent event.
pub fn sse_fields(ev: &str) -> (Option<&str>, String) {
    let mut name = None;
    let mut data = String::new();
    for line in ev.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = Some(v.trim());
        } else if let Some(v) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    (name, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_from_headers() {
        assert!(matches!(
            framing("content-type: x\r\ncontent-length: 12"),
            Framing::Length(12)
        ));
        assert!(matches!(
            framing("transfer-encoding: chunked"),
            Framing::Chunked
        ));
        assert!(matches!(
            framing("content-type: text/event-stream"),
            Framing::Close
        ));
    }

    #[test]
    fn splits_server_sent_events() {
        let mut buf =
            String::from("event: a\ndata: {\"x\":1}\n\nevent: b\ndata: 2\r\n\r\nevent: c\nda");
        let evs = sse_events(&mut buf);
        assert_eq!(evs.len(), 2);
        assert_eq!(sse_fields(&evs[0]), (Some("a"), "{\"x\":1}".to_owned()));
        assert_eq!(sse_fields(&evs[1]), (Some("b"), "2".to_owned()));
        assert_eq!(buf, "event: c\nda");
    }

    #[tokio::test]
    async fn reads_length_and_chunked_bodies_on_one_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello")
                .await
                .unwrap();
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                .await
                .unwrap();
        });
        let mut c = Conn::connect(addr, Ipv4Addr::LOCALHOST).await.unwrap();
        let req = c.build("POST", "/x", "", Some(b"{}"));
        let r = c.request(&req).await.unwrap();
        assert_eq!((r.status, r.text().as_str()), (201, "hello"));
        let req = c.build("GET", "/y", "", None);
        let r = c.request(&req).await.unwrap();
        assert_eq!((r.status, r.text().as_str()), (200, "abcde"));
    }
}
