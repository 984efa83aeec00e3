//! `GET /api/v1/events?topics=a,b&since=N`: the same topics as the WebSocket, as
//! `text/event-stream` for simple clients. Each event's `id:` is its seq, so a browser's
//! `EventSource` resumes by itself with `Last-Event-ID` after a network loss.

use super::credential::{Credential, Verdict, RECHECK};
use super::hub::Encoded;
use super::topics::{self, JoinError};
use super::REPLAY_MAX;
use crate::api::extract::ApiQuery;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::State;
use axum::extract::State as S;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::Stream;
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use tokio::sync::mpsc;

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Comma-separated topic names.
    topics: Option<String>,
    since: Option<String>,
}

pub async fn events(
    S(state): S<State>,
    actor: Actor,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let names: Vec<String> = q
        .topics
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err(ApiError::bad_request(
            "topics",
            "name at least one topic, e.g. topics=cafe:kaffediem:board",
        ));
    }
    if names.len() > 20 {
        return Err(ApiError::bad_request(
            "topics",
            "at most 20 topics per stream",
        ));
    }
    // `Last-Event-ID` (sent by EventSource on reconnect) wins over `since`.
    let since_text = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.since);
    let since = match since_text.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_request(
                "since",
                "must be a non-negative integer (the last seq you have)",
            )
        })?),
    };
    let mut resolved = Vec::with_capacity(names.len());
    for n in &names {
        let t = topics::resolve(&state, n).await.map_err(|e| match e {
            JoinError::Unmatched => {
                ApiError::invalid("topics", "unknown", format!("{n:?} is not a topic"))
            }
            JoinError::Unauthorized => ApiError::Forbidden(format!("you may not follow {n:?}")),
            other => ApiError::from(other),
        })?;
        topics::authorize_join(&actor, &t)
            .map_err(|_| ApiError::Forbidden(format!("you may not follow {n:?}")))?;
        resolved.push(t);
    }

    let mut sub = state.hub.connect();
    for n in &names {
        state.hub.join(sub.id, n);
    }
    let store = state.store.clone();
    let mut last = since.unwrap_or(0);
    let mut first: Vec<Event> = Vec::new();
    let replay = match since {
        // As on the socket: a gap the log still covers, from this history (not ahead of it).
        Some(s) if s + 1 >= store.oldest_seq().await? && s <= store.latest_seq().await? => {
            let feeds: Vec<_> = resolved.iter().flat_map(super::project::feeds).collect();
            let evs = store.events_after(&feeds, s, REPLAY_MAX + 1).await?;
            (evs.len() <= REPLAY_MAX as usize).then_some(evs)
        }
        _ => None,
    };
    match replay {
        Some(evs) => {
            for e in &evs {
                // An event goes to each followed topic that carries it, as it does live.
                for (n, t) in names.iter().zip(&resolved) {
                    if let Some(f) = super::project::frame_for(e, t, n) {
                        first.push(sse_event(&f));
                    }
                }
                last = e.seq;
            }
        }
        None => {
            // Nothing to resume from: one `snapshot` event per topic, then live events.
            last = store.latest_seq().await?;
            for (n, t) in names.iter().zip(&resolved) {
                let snap = topics::snapshot_for(&state, t, &actor, None).await?;
                let data = json!({ "topic": n, "seq": last, "snapshot": snap }).to_string();
                first.push(
                    Event::default()
                        .id(last.to_string())
                        .event("snapshot")
                        .data(data),
                );
            }
        }
    }

    let (tx, rx) = mpsc::channel::<Result<Event, Infallible>>(64);
    let hub = state.hub.clone();
    let mut shutdown = state.shutdown.clone();
    // A stream that signed in ends when its credential stops signing anyone in, or stops
    // allowing one of its topics (`credential.rs`); EventSource reconnects as who it now is.
    let credential = Credential::of(&actor, &headers, None);
    let ip = actor.ip;
    let followed: Vec<(String, topics::Topic)> = names.iter().cloned().zip(resolved).collect();
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::spawn(async move {
        let id = sub.id;
        let kicked = sub.kicked.clone();
        'stream: {
            for ev in first {
                if tx.send(Ok(ev)).await.is_err() {
                    break 'stream;
                }
            }
            loop {
                tokio::select! {
                    biased;
                    _ = crate::state::shutting_down(&mut shutdown) => break,
                    _ = kicked.notified() => break,
                    _ = tx.closed() => break,
                    _ = recheck.tick(), if credential.is_some() => {
                        if let Some(c) = &credential {
                            let topics = followed.iter().map(|(n, t)| (n.as_str(), t));
                            if let Some(Verdict::Cut(_)) = c.recheck(&state, ip, topics).await {
                                break;
                            }
                        }
                    }
                    d = sub.rx.recv() => match d {
                        Some(enc) if enc.seq > last => {
                            last = enc.seq;
                            if tx.send(Ok(sse_event(&enc))).await.is_err() {
                                break;
                            }
                        }
                        Some(_) => {}
                        None => break,
                    },
                }
            }
        }
        hub.disconnect(id);
    });
    let stream =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn sse_event(e: &Encoded) -> Event {
    Event::default()
        .id(e.seq.to_string())
        .event(e.kind.clone())
        .data(format!(
            "{{\"topic\":{},\"seq\":{},\"body\":{}}}",
            json!(e.topic),
            e.seq,
            e.body
        ))
}
