//! Phoenix Channels v2 over WebSocket, client side, as the scenarios need it: connect from a
//! chosen source address with small buffers, join one topic, read pushes cheaply.

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

pub const HEARTBEAT: &str = r#"[null,"h","phoenix","heartbeat",{}]"#;

/// Client read/write buffers, as small as the server's: this process holds as many sockets.
pub fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
}

/// Connects from `src`, upgrades, joins `topic` with `payload` (e.g. `{}` or
/// `{"since":12}`), and returns the socket and the join reply's `response`.
pub async fn connect_and_join(
    server: SocketAddr,
    src: Ipv4Addr,
    topic: &str,
    payload: &str,
) -> Result<(Ws, Value), String> {
    let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    socket
        .bind(SocketAddr::new(src.into(), 0))
        .map_err(|e| format!("bind {src}: {e}"))?;
    let stream = socket
        .connect(server)
        .await
        .map_err(|e| format!("connect: {}", e.kind()))?;
    let _ = stream.set_nodelay(true);
    let url = format!("ws://{server}/socket/websocket?vsn=2.0.0");
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config()))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let join = format!(r#"["1","1","{topic}","phx_join",{payload}]"#);
    ws.send(Message::text(join))
        .await
        .map_err(|e| format!("sending the join: {e}"))?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Some(reply) = join_reply(t.as_str()) {
                    return reply.map(|r| (ws, r));
                }
            }
            Some(Ok(Message::Close(f))) => return Err(format!("closed during the join: {f:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("reading the join reply: {e}")),
            None => return Err("connection ended during the join".into()),
        }
    }
}

/// The join reply's response if `frame` is the reply to ref "1"; an error if refused.
pub fn join_reply(frame: &str) -> Option<Result<Value, String>> {
    let v: Value = serde_json::from_str(frame).ok()?;
    let a = v.as_array()?;
    if a.len() != 5 || a[1] != "1" || a[3] != "phx_reply" {
        return None;
    }
    Some(if a[4]["status"] == "ok" {
        Ok(a[4]["response"].clone())
    } else {
        Err(format!("join refused: {}", a[4]["response"]))
    })
}

/// The number after `"key":` in a frame, found without parsing it (this runs for every frame
/// on the one thread that reads every socket).
pub fn number_after(frame: &str, key: &str) -> Option<u64> {
    let pat = format!("\"{key}\":");
    let rest = frame[frame.find(&pat)? + pat.len()..].trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The string after `"key":"` in a frame.
pub fn string_after<'a>(frame: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\":\"");
    let rest = &frame[frame.find(&pat)? + pat.len()..];
    Some(&rest[..rest.find('"')?])
}

/// The event name of a push `[null, null, topic, event, payload]`, found cheaply.
pub fn event_of(frame: &str) -> Option<&str> {
    // The topic and event are the third and fourth strings; topics here contain no quotes.
    let mut parts = frame.splitn(8, '"');
    // [null,null," topic "," event ",...
    parts.next()?;
    parts.next()?; // topic
    parts.next()?; // ","
    let ev = parts.next()?;
    Some(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pushes_without_parsing() {
        let f = r#"[null,null,"cafe:kaffediem:board","order.moved",{"seq":13,"data":{"day_number":347,"local_date":"2026-11-22","step":"production"}}]"#;
        assert_eq!(event_of(f), Some("order.moved"));
        assert_eq!(number_after(f, "day_number"), Some(347));
        assert_eq!(number_after(f, "seq"), Some(13));
        assert_eq!(string_after(f, "step"), Some("production"));
        assert_eq!(number_after(f, "nope"), None);
        let reply =
            r#"["1","1","cafe:kaffediem:board","phx_reply",{"status":"ok","response":{"seq":5}}]"#;
        assert_eq!(join_reply(reply), Some(Ok(serde_json::json!({"seq": 5}))));
        assert!(matches!(
            join_reply(r#"["1","1","t","phx_reply",{"status":"error","response":{"reason":"x"}}]"#),
            Some(Err(_))
        ));
        assert_eq!(join_reply(f), None);
    }
}
