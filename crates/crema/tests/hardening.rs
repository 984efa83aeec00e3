//! Start-up and connection hardening (issue 13), against the real `crema` binary: slow and
//! idle clients are timed out, one address cannot hold every connection, `--production`
//! trusts no development origin, and the first admin's password is flagged where it lands.

mod support;

use std::net::SocketAddr;
use std::time::Duration;
use support::{crema, Running};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Only a server that never closes the connection makes a test wait this long.
const CLOSE_DEADLINE: Duration = Duration::from_secs(30);

fn addr(c: &Running) -> SocketAddr {
    c.base
        .trim_start_matches("http://")
        .parse()
        .expect("the listening address")
}

/// A connection to the server from the local address `from` (any 127.x.y.z is this machine),
/// so a test can be two clients.
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().expect("a socket");
    s.bind(format!("{from}:0").parse().unwrap())
        .expect("binding the client's address");
    s.connect(to).await.expect("connecting")
}

/// Reads until the server closes the connection (end of file or a reset); returns what came
/// before. Panics if it stays open past [`CLOSE_DEADLINE`].
async fn until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(CLOSE_DEADLINE, read_all)
        .await
        .expect("the server closes the connection");
    got
}

#[tokio::test]
async fn slow_and_idle_clients_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crema(dir.path());
    cmd.args(["--header-timeout-secs", "1"]);
    let c = Running::start(cmd, &dir.path().join("stderr")).await;
    let to = addr(&c);

    // Headers that never end.
    let mut slow = TcpStream::connect(to).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let got = until_closed(&mut slow).await;
    assert!(!got.starts_with(b"HTTP/1.1 200"), "{got:?}");

    // Nothing at all.
    let mut silent = TcpStream::connect(to).await.unwrap();
    until_closed(&mut silent).await;

    // A keep-alive connection left idle after its answer.
    let mut idle = TcpStream::connect(to).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let got = until_closed(&mut idle).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"status\":\"ok\""), "{text}");

    // A prompt client is served as before.
    let (status, _) = c.get("/health").await;
    assert_eq!(status, 200);
    c.terminate().await;
}

#[tokio::test]
async fn one_address_cannot_hold_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crema(dir.path());
    // Loopback is a trusted proxy by default (and so not capped): trust nobody here.
    // The held connections send nothing: a long header timeout keeps them open meanwhile.
    cmd.args([
        "--max-connections-per-address",
        "40",
        "--trusted-proxy",
        "none",
        "--header-timeout-secs",
        "3600",
    ]);
    let c = Running::start(cmd, &dir.path().join("stderr")).await;
    let to = addr(&c);

    // Half of them WebSockets: an upgraded connection keeps its place in the count.
    let mut sockets = Vec::new();
    for _ in 0..20 {
        let tcp = connect_from("127.0.0.2", to).await;
        let url = format!("ws://{to}/socket/websocket?vsn=2.0.0");
        let (ws, _) = tokio_tungstenite::client_async(url, tcp)
            .await
            .expect("a WebSocket");
        sockets.push(ws);
    }
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(connect_from("127.0.0.2", to).await);
    }
    // The server counts a connection once it has accepted it: one more from the same address
    // is closed at once, without an answer, once all 40 are counted.
    let deadline = tokio::time::Instant::now() + CLOSE_DEADLINE;
    loop {
        let mut extra = connect_from("127.0.0.2", to).await;
        let _ = extra
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        let got = until_closed(&mut extra).await;
        if got.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a connection beyond the cap was served"
        );
    }
    // Everyone else is served meanwhile.
    for _ in 0..3 {
        let (status, _) = c.get("/health").await;
        assert_eq!(status, 200);
    }
    // A closed connection frees its place.
    drop(held.pop());
    let deadline = tokio::time::Instant::now() + CLOSE_DEADLINE;
    loop {
        let mut again = connect_from("127.0.0.2", to).await;
        again
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let got = until_closed(&mut again).await;
        if got.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the freed place was never given again"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(held);
    drop(sockets);
    c.terminate().await;
}

/// The `access-control-allow-origin` a preflight from `origin` gets.
async fn cors_for(c: &Running, origin: &str) -> Option<String> {
    let r = c
        .client
        .request(reqwest::Method::OPTIONS, c.url("/api/v1/auth/me"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("a preflight");
    r.headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn production_mode_trusts_no_development_origin() {
    let dev = "http://localhost:5173";
    let dir = tempfile::tempdir().unwrap();
    let c = Running::start(crema(dir.path()), &dir.path().join("stderr")).await;
    assert_eq!(cors_for(&c, dev).await.as_deref(), Some(dev));
    c.terminate().await;

    let mut cmd = crema(dir.path());
    cmd.arg("--production");
    let c = Running::start(cmd, &dir.path().join("stderr")).await;
    assert_eq!(cors_for(&c, dev).await, None);
    c.terminate().await;

    // Named explicitly, an origin is trusted in production too.
    let mut cmd = crema(dir.path());
    cmd.args(["--production", "--cors-origin", "https://kaffediem.example"]);
    let c = Running::start(cmd, &dir.path().join("stderr")).await;
    assert_eq!(
        cors_for(&c, "https://kaffediem.example").await.as_deref(),
        Some("https://kaffediem.example")
    );
    assert_eq!(cors_for(&c, dev).await, None);
    c.terminate().await;
}

#[tokio::test]
async fn the_first_admin_password_says_where_it_landed() {
    let dir = tempfile::tempdir().unwrap();
    let c = Running::start(crema(dir.path()), &dir.path().join("stderr")).await;
    let head = c.head.join("\n");
    assert!(!c.admin_password().is_empty());
    assert!(
        head.contains("WARNING: this password is now in this output"),
        "{head}"
    );
    c.terminate().await;
}
