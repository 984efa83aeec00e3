//! The hub: takes committed events from the store, in sequence order, encodes each one once
//! and hands the same bytes to every subscriber of its topic.
//!
//! Every subscriber has a bounded queue. One that falls behind is dropped from every topic
//! and told to go (its connection closes with a reason); it comes back with `since` and
//! replays what it missed from the event log, so being dropped never loses anything.

use super::project::{self, View};
use super::protocol;
use axum::extract::ws::Utf8Bytes;
use crema_store::{EventRecord, Store};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc, Notify};

/// How many deliveries a subscriber may have queued before it counts as too slow. A kitchen
/// screen sees a few events a minute; 512 is minutes of a rush hour at once.
pub const QUEUE: usize = 512;

/// One event, encoded once for everyone who receives it.
#[derive(Debug)]
pub struct Encoded {
    pub seq: i64,
    pub topic: String,
    pub kind: String,
    /// `{"seq":N,"data":<payload>}`: the payload of both the WebSocket push and the SSE event.
    pub body: String,
    /// The whole Phoenix broadcast frame `[null,null,topic,kind,body]`, ready for every socket.
    pub frame: Utf8Bytes,
}

impl Encoded {
    /// A frame whose payload is sent as it is, without crema's `{"seq","data"}` envelope:
    /// for protocols that fix their own payload (Kaffebase's `change` events). `seq` is the seq
    /// of the crema event it was derived from, so a socket's join snapshot and these frames
    /// still line up (nothing twice, nothing missed).
    pub fn raw(seq: i64, topic: &str, event: &str, payload_json: String) -> Self {
        let frame = protocol::broadcast(topic, event, &payload_json);
        let frame = Utf8Bytes::try_from(frame).unwrap_or_else(|_| Utf8Bytes::from_static("[]"));
        Self {
            seq,
            topic: topic.to_owned(),
            kind: event.to_owned(),
            body: payload_json,
            frame,
        }
    }

    /// A frame with crema's envelope `{"seq":N,"data":<payload>}`.
    pub fn new(seq: i64, topic: &str, kind: &str, payload: &str) -> Self {
        let body = format!("{{\"seq\":{seq},\"data\":{payload}}}");
        let frame = protocol::broadcast(topic, kind, &body);
        // Checked once here, not once per socket.
        let frame = Utf8Bytes::try_from(frame).unwrap_or_else(|_| Utf8Bytes::from_static("[]"));
        Self {
            seq,
            topic: topic.to_owned(),
            kind: kind.to_owned(),
            body,
            frame,
        }
    }
}

/// What a connection holds to receive from the hub.
pub struct Subscription {
    pub id: u64,
    pub rx: mpsc::Receiver<Arc<Encoded>>,
    /// Notified when the hub dropped this subscriber for falling behind.
    pub kicked: Arc<Notify>,
}

struct Subscriber {
    tx: mpsc::Sender<Arc<Encoded>>,
    kicked: Arc<Notify>,
    topics: Vec<String>,
}

#[derive(Default)]
struct Inner {
    subscribers: HashMap<u64, Subscriber>,
    /// A set, not a list: when thousands of sockets leave at once (a Wi-Fi access point
    /// restarting), each removal is O(1); with a list it was a scan of the whole topic, so
    /// 10,000 leaving cost 10^8 comparisons under the lock (seen in a reconnect-storm profile).
    topics: HashMap<String, HashSet<u64>>,
}

/// The topic registry and the dispatcher.
pub struct Hub {
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    last_seq: AtomicU64,
    /// Turns to build a join's snapshot (`topics::SNAPSHOTS_AT_ONCE`): eight anonymous joins
    /// of a busy day's orders at once once took the server to 1.2 GB.
    pub snapshots: tokio::sync::Semaphore,
}

impl Hub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Inner::default()),
            next_id: AtomicU64::new(1),
            last_seq: AtomicU64::new(0),
            snapshots: tokio::sync::Semaphore::new(super::topics::SNAPSHOTS_AT_ONCE),
        })
    }

    /// A new subscriber with no topics yet.
    pub fn connect(&self) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE);
        let kicked = Arc::new(Notify::new());
        self.lock().subscribers.insert(
            id,
            Subscriber {
                tx,
                kicked: kicked.clone(),
                topics: Vec::new(),
            },
        );
        Subscription { id, rx, kicked }
    }

    /// From now on, events of `topic` go to subscriber `id`.
    pub fn join(&self, id: u64, topic: &str) {
        let mut inner = self.lock();
        let Some(sub) = inner.subscribers.get_mut(&id) else {
            return;
        };
        if sub.topics.iter().any(|t| t == topic) {
            return;
        }
        sub.topics.push(topic.to_owned());
        inner.topics.entry(topic.to_owned()).or_default().insert(id);
    }

    pub fn leave(&self, id: u64, topic: &str) {
        let mut inner = self.lock();
        if let Some(sub) = inner.subscribers.get_mut(&id) {
            sub.topics.retain(|t| t != topic);
        }
        remove_from_topic(&mut inner, topic, id);
    }

    /// Forgets a subscriber entirely (its connection ended).
    pub fn disconnect(&self, id: u64) {
        let mut inner = self.lock();
        if let Some(sub) = inner.subscribers.remove(&id) {
            for t in &sub.topics {
                remove_from_topic(&mut inner, t, id);
            }
        }
    }

    /// How many subscribers there are (for metrics and tests).
    pub fn subscribers(&self) -> usize {
        self.lock().subscribers.len()
    }

    /// The sequence number of the last event dispatched.
    pub fn last_seq(&self) -> i64 {
        self.last_seq.load(Ordering::Acquire) as i64
    }

    /// Hands one event to the subscribers of each topic it goes to (`project::audience`), in
    /// the café whose slug is `slug`. Each view of it is rendered once, and only for topics
    /// someone follows: most orders' own topic (`order:<id>`) has no one on it.
    pub fn dispatch(&self, ev: &EventRecord, slug: &str) {
        let mut rendered: Vec<(View, Option<String>)> = Vec::with_capacity(3);
        for (name, view) in project::audience(&ev.event, slug) {
            if !self.lock().topics.contains_key(&name) {
                continue;
            }
            let payload = match rendered.iter().find(|(v, _)| *v == view) {
                Some((_, p)) => p.clone(),
                None => {
                    let p = project::payload(&ev.event, view)
                        .map_err(
                            |e| tracing::error!(error = %e, seq = ev.seq, "rendering an event"),
                        )
                        .ok();
                    rendered.push((view, p.clone()));
                    p
                }
            };
            if let Some(p) = payload {
                let kind = ev.event.kind();
                self.fan_out(Arc::new(Encoded::new(ev.seq, &name, kind, &p)));
            }
        }
        self.last_seq
            .fetch_max(ev.seq.max(0) as u64, Ordering::AcqRel);
    }

    /// Hands a frame derived from a committed event (see [`Encoded::raw`]) to the subscribers
    /// of its topic. It leaves [`Hub::last_seq`] alone: that tracks the store's events, which
    /// [`Hub::run`] must still dispatch whatever a deriving task did first.
    pub fn publish(&self, encoded: Arc<Encoded>) {
        self.fan_out(encoded);
    }

    fn fan_out(&self, encoded: Arc<Encoded>) {
        let mut slow: Vec<u64> = Vec::new();
        {
            let inner = self.lock();
            if let Some(ids) = inner.topics.get(&encoded.topic) {
                for id in ids {
                    if let Some(sub) = inner.subscribers.get(id) {
                        match sub.tx.try_send(encoded.clone()) {
                            Ok(()) => {}
                            Err(mpsc::error::TrySendError::Full(_)) => slow.push(*id),
                            // The connection is ending; it disconnects itself.
                            Err(mpsc::error::TrySendError::Closed(_)) => {}
                        }
                    }
                }
            }
        }
        for id in slow {
            let kicked = self.lock().subscribers.get(&id).map(|s| s.kicked.clone());
            self.disconnect(id);
            if let Some(k) = kicked {
                tracing::info!(subscriber = id, "dropping a subscriber that fell behind");
                metrics::counter!("crema_realtime_slow_consumers_total").increment(1);
                k.notify_one();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than stopping delivery would, so carry on with the data.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Feeds the hub from the store until the store closes. If the hub ever falls behind the
    /// store's broadcast, it reads the events it missed from the log, so live delivery has no
    /// gap either.
    pub async fn run(self: Arc<Self>, store: Arc<dyn Store>) {
        let mut rx = store.subscribe();
        if let Ok(seq) = store.latest_seq().await {
            self.last_seq.store(seq.max(0) as u64, Ordering::Release);
        }
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    if ev.seq > self.last_seq() {
                        self.deliver(store.as_ref(), &ev).await;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "the hub fell behind the store; catching up from the log"
                    );
                    self.catch_up(store.as_ref()).await;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }

    /// Dispatches an event in its café (the café lookup is cached by the store).
    async fn deliver(&self, store: &dyn Store, ev: &EventRecord) {
        match store.cafe_by_id(ev.cafe_id).await {
            Ok(c) => self.dispatch(ev, c.cafe.slug.as_str()),
            Err(e) => {
                // A café is never deleted; this is the database failing. Nothing can be sent,
                // but the seq moves on: replay from the log serves whoever missed it.
                tracing::error!(error = %e, seq = ev.seq, "no café for an event");
                self.last_seq
                    .fetch_max(ev.seq.max(0) as u64, Ordering::AcqRel);
            }
        }
    }

    async fn catch_up(&self, store: &dyn Store) {
        loop {
            match store.events_since(self.last_seq(), 1000).await {
                Ok(evs) if evs.is_empty() => return,
                Ok(evs) => {
                    for ev in &evs {
                        self.deliver(store, ev).await;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the event log to catch up");
                    return;
                }
            }
        }
    }
}

fn remove_from_topic(inner: &mut Inner, topic: &str, id: u64) {
    if let Some(ids) = inner.topics.get_mut(topic) {
        ids.remove(&id);
        if ids.is_empty() {
            inner.topics.remove(topic);
        }
    }
}
