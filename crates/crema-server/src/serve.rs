//! Accepting and serving connections, with the limits a server on the open internet needs.
//!
//! `axum::serve` has no timeouts at all: a client that opens a connection and sends nothing,
//! sends its headers a byte at a time, or keeps an idle keep-alive connection, holds a socket
//! (and a file descriptor) for ever, and a few hundred of them stopped `/health` from answering.
//! This loop serves the same router over hyper's HTTP/1.1 with:
//!
//! - **a header-read timeout** ([`ConnectionLimits::header_timeout`]): the whole request head
//!   must arrive within it, counted from the moment the connection opens or its previous
//!   response was sent. So a slow-headers client is dropped, and so is a keep-alive connection
//!   left idle for that long (hyper starts the same clock as soon as a connection goes idle).
//!   Once the head is in, the request's own 30 s timeout (`TimeoutLayer`) covers the body and
//!   the handler; an upgraded WebSocket is the realtime code's own (heartbeats).
//! - **a cap of open connections per client address**
//!   ([`ConnectionLimits::per_address`]; an IPv6 client by its /64): a connection beyond it is
//!   closed at once, before any byte is read. A trusted reverse proxy (`--trusted-proxy`) is not capped: every client
//!   behind it shares its address, and the proxy has limits of its own.
//!
//! Only HTTP/1.1 is spoken: browsers use HTTP/2 only over TLS, which the reverse proxy in
//! front terminates, and hyper's HTTP/1 server is where the header timeout exists (its
//! protocol sniffing for cleartext HTTP/2 waits for the first bytes without any).

use crate::auth::proxy::{limit_key, TrustedProxies};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// What one client may hold open.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// The longest a request head may take to arrive, and so the longest an idle keep-alive
    /// connection stays open.
    pub header_timeout: Duration,
    /// Open connections per client address (trusted proxies excepted).
    pub per_address: usize,
}

/// 10 s for a request head: a phone on a poor network sends one in well under a second, and
/// an idle keep-alive connection is worth little after that. 128 connections per address: a
/// café's own wifi puts its screens and every customer's phone (a browser opens up to six
/// connections, a followed order one more) behind one public address.
impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            per_address: 128,
        }
    }
}

/// Open connections by client address.
#[derive(Default)]
struct PerAddress {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; uncounted when dropped (whichever way the connection ends).
struct Slot {
    ip: IpAddr,
    table: Arc<PerAddress>,
}

impl PerAddress {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            ip,
            table: self.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A connection that holds its place in the per-address count for as long as it is open,
/// including after an upgrade: hyper's connection future ends when a WebSocket takes the
/// connection over, but the socket lives on inside the upgraded stream, and with it this.
struct Counted {
    io: TcpStream,
    _slot: Option<Slot>,
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, lets every
/// connection finish its request in flight (idle ones close at once) and returns when all
/// are closed. The handlers see the peer as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    trusted: Arc<TrustedProxies>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let table = Arc::new(PerAddress::default());
    // Dropping `stop_tx` tells every connection to finish; each holds a `done_rx` clone, so
    // `done_tx.closed()` resolves when the last is gone.
    let (stop_tx, stop_rx) = watch::channel(());
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let slot = if trusted.trusts(peer.ip()) {
            None
        } else {
            match table.take(limit_key(peer.ip()), limits.per_address) {
                Some(s) => Some(s),
                None => {
                    // Closed before a byte is read. Not logged at warn: under a flood that
                    // would be a line per connection.
                    tracing::debug!(%peer, "connection refused: too many open from this address");
                    metrics::counter!("crema_connections_refused_total").increment(1);
                    drop(stream);
                    continue;
                }
            }
        };
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            limits.header_timeout,
            stop_rx.clone(),
            done_rx.clone(),
            slot,
        ));
    }
    drop(listener);
    drop(stop_rx);
    drop(stop_tx);
    drop(done_rx);
    done_tx.closed().await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<()>,
    _done: watch::Receiver<()>,
    slot: Option<Slot>,
) {
    let service = router.map_request(move |mut req: axum::http::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let io = Counted {
        io: stream,
        _slot: slot,
    };
    let conn = builder
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(service))
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    // A header timeout, a reset by the client: routine, not the server's fault.
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                break;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Running out of file descriptors is the one accept error worth waiting out: the next
/// accept would fail the same way at once, and the connections that hold them time out.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
