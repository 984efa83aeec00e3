//! `/health`, `/metrics`, the OpenAPI document, and the event log behind realtime.
//!
//! The Prometheus recorder is process-wide, so the counts of every test in this file add up:
//! the assertions look for series, never for exact totals.

#[path = "it/common/mod.rs"]
mod common;

use common::Server;
use crema_core::event::Stream;
use crema_server::metrics::Access;
use crema_server::realtime::project::{self, View};
use crema_store::Feed;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn health_checks_the_database() {
    let s = Server::start().await;
    let r = s.get(s.url("/health")).await;
    assert_eq!(r.expect(200), &json!({"status": "ok", "database": "ok"}));
    assert!(r.content_type().starts_with("application/json"));
}

/// A server that serves `/metrics` to everyone (`--metrics-public`).
async fn public_metrics() -> Server {
    Server::start_configured(true, false, |s| s.metrics = Access::Public).await
}

/// The value of the first sample line that starts with `prefix` and contains every one of
/// `parts`.
fn sample(text: &str, prefix: &str, parts: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(prefix) && parts.iter().all(|p| l.contains(p)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_with_latency() {
    let s = public_metrics().await;
    s.place_item("Americano").await;
    s.get(s.cafe("/orders")).await.expect(200);
    s.place(json!({"lines": []})).await.problem(422);
    s.get(s.url("/no-such-page-4711")).await.problem(404);

    let r = s.get(s.url("/metrics")).await;
    r.expect(200);
    assert!(
        r.content_type().starts_with("text/plain"),
        "{}",
        r.content_type()
    );
    let t = &r.text;
    let route = r#"route="/api/v1/cafes/{slug}/orders""#;
    assert!(
        sample(
            t,
            "crema_http_requests_total{",
            &[route, r#"method="POST""#, r#"status="201""#]
        )
        .is_some_and(|v| v >= 1.0),
        "{t}"
    );
    assert!(
        sample(
            t,
            "crema_http_requests_total{",
            &[route, r#"method="POST""#, r#"status="422""#]
        )
        .is_some_and(|v| v >= 1.0),
        "{t}"
    );
    assert!(
        sample(
            t,
            "crema_http_requests_total{",
            &[route, r#"method="GET""#, r#"status="200""#]
        )
        .is_some(),
        "{t}"
    );
    assert!(
        sample(t, "crema_http_requests_total{", &[r#"status="404""#]).is_some(),
        "{t}"
    );
    // Routes are labelled by template, never by the raw path (bounded cardinality).
    assert!(!t.contains("no-such-page-4711"), "{t}");
    assert!(!t.contains("/cafes/kaffediem/"), "{t}");

    // Latency histogram: buckets, sum and count per route.
    assert!(
        t.contains("# TYPE crema_http_request_duration_seconds histogram"),
        "{t}"
    );
    assert!(
        sample(
            t,
            "crema_http_request_duration_seconds_bucket{",
            &[route, r#"le="+Inf""#]
        )
        .is_some_and(|v| v >= 1.0),
        "{t}"
    );
    assert!(
        sample(t, "crema_http_request_duration_seconds_count{", &[route]).is_some(),
        "{t}"
    );
    assert!(
        sample(t, "crema_http_request_duration_seconds_sum{", &[route]).is_some(),
        "{t}"
    );

    // Orders placed, by channel.
    assert!(
        sample(t, "crema_orders_placed_total{", &[r#"channel="api""#]).is_some_and(|v| v >= 1.0),
        "{t}"
    );
}

#[tokio::test]
async fn metrics_count_orders_by_channel_and_not_replays() {
    let s = public_metrics().await;
    let m = s.menu().await;
    let body = json!({"channel": "sms", "lines": [{"item_id": m.item("Te")}]});
    let read = |t: &str| sample(t, "crema_orders_placed_total{", &[r#"channel="sms""#]);
    let before = read(&s.get(s.url("/metrics")).await.text).unwrap_or(0.0);
    s.place_with_key("once", &body).await.expect(201);
    let after_one = read(&s.get(s.url("/metrics")).await.text).unwrap_or(0.0);
    assert_eq!(after_one, before + 1.0);
    // A replay of the key is not a new order. (No other test in this file, which is its own
    // process, places sms orders, so the count is exact.)
    let r = s.place_with_key("once", &body).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    let after_replay = read(&s.get(s.url("/metrics")).await.text).unwrap_or(0.0);
    assert_eq!(after_replay, after_one);
}

#[tokio::test]
async fn metrics_count_published_events() {
    let s = public_metrics().await;
    s.place_item("Te").await;
    // The counter is fed by a background task after the commit: wait for it to appear.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let t = s.get(s.url("/metrics")).await.text;
        if sample(&t, "crema_events_published_total", &[]).is_some_and(|v| v >= 1.0) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no crema_events_published_total: {t}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let s = Server::start().await;
    let r = s.get(s.api("/openapi.json")).await;
    let doc = r.expect(200).clone();
    assert!(r.content_type().starts_with("application/json"));
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "crema");
    let paths = doc["paths"].as_object().expect("paths");
    let expect: &[(&str, &[&str])] = &[
        ("/api/v1/cafes", &["get"]),
        ("/api/v1/cafes/{slug}", &["get", "patch"]),
        ("/api/v1/cafes/{slug}/menu", &["get"]),
        ("/api/v1/cafes/{slug}/categories", &["post"]),
        (
            "/api/v1/cafes/{slug}/categories/{id}",
            &["get", "patch", "delete"],
        ),
        ("/api/v1/cafes/{slug}/items", &["post"]),
        (
            "/api/v1/cafes/{slug}/items/{id}",
            &["get", "patch", "delete"],
        ),
        ("/api/v1/cafes/{slug}/modifier-groups", &["post"]),
        (
            "/api/v1/cafes/{slug}/modifier-groups/{id}",
            &["get", "patch", "delete"],
        ),
        ("/api/v1/cafes/{slug}/options", &["post"]),
        (
            "/api/v1/cafes/{slug}/options/{id}",
            &["get", "patch", "delete"],
        ),
        ("/api/v1/cafes/{slug}/orders", &["get", "post"]),
        ("/api/v1/cafes/{slug}/orders/{id}", &["get"]),
        ("/api/v1/cafes/{slug}/orders/{id}/moves", &["get"]),
        ("/api/v1/cafes/{slug}/orders/{id}/forward", &["post"]),
        ("/api/v1/cafes/{slug}/orders/{id}/undo", &["post"]),
        ("/api/v1/cafes/{slug}/orders/{id}/cancel", &["post"]),
        ("/api/v1/cafes/{slug}/status", &["get", "patch"]),
        ("/api/v1/cafes/{slug}/messages", &["get", "post"]),
        ("/api/v1/cafes/{slug}/messages/{id}", &["patch", "delete"]),
        ("/api/v1/cafes/{slug}/stations", &["get", "post"]),
    ];
    for (path, methods) in expect {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not in the document: {:?}", paths.keys()));
        for m in *methods {
            assert!(item.get(*m).is_some(), "{m} {path} is not described");
        }
    }

    // Placing an order: the key header, the body, the answers.
    let place = &paths["/api/v1/cafes/{slug}/orders"]["post"];
    let params: Vec<&str> = place["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(params.contains(&"Idempotency-Key"), "{params:?}");
    assert!(params.contains(&"slug"));
    assert!(place["requestBody"]["content"]["application/json"].is_object());
    for code in ["200", "201", "404", "422"] {
        assert!(place["responses"][code].is_object(), "no {code}");
    }
    assert!(
        place["responses"]["422"]["content"]["application/problem+json"].is_object(),
        "{}",
        place["responses"]["422"]
    );
    // The list filters.
    let list = &paths["/api/v1/cafes/{slug}/orders"]["get"];
    let filters: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for f in [
        "step",
        "date",
        "day_number",
        "station_id",
        "customer_user_id",
        "channel",
        "after",
        "limit",
    ] {
        assert!(filters.contains(&f), "{f} missing: {filters:?}");
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "OrderOut",
        "PlaceOrderBody",
        "Problem",
        "MenuOut",
        "CafeOut",
        "OrderPage",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
    // Fields that take one of a few words say which, and names say their bounds, so a client
    // generated from the document (or schemathesis) sends what the server accepts.
    assert_eq!(
        schemas["RoleDto"]["enum"],
        json!(["owner", "manager", "barista", "cashier"])
    );
    assert_eq!(schemas["PurposeDto"]["enum"], json!(["display", "kiosk"]));
    for (body, field, reference) in [
        ("Invite", "role", "RoleDto"),
        ("MemberOut", "role", "RoleDto"),
        ("NewDevice", "purpose", "PurposeDto"),
        ("DeviceOut", "purpose", "PurposeDto"),
    ] {
        assert_eq!(
            schemas[body]["properties"][field]["$ref"],
            json!(format!("#/components/schemas/{reference}")),
            "{body}.{field}"
        );
    }
    for body in ["StationBody", "NewDevice"] {
        let name = &schemas[body]["properties"]["name"];
        assert_eq!(
            (&name["minLength"], &name["maxLength"]),
            (&json!(1), &json!(100)),
            "{body}"
        );
    }
    assert_eq!(
        schemas["Invite"]["properties"]["email"]["maxLength"],
        json!(160)
    );
}

#[tokio::test]
async fn the_openapi_document_matches_what_the_server_serves() {
    // Every GET of the document is a route the server has (it may still refuse the
    // anonymous caller, but never with "no such route"), and none of them fails.
    let s = Server::start().await;
    let o = s.place_item("Te").await;
    let doc = s.get(s.api("/openapi.json")).await.expect(200).clone();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let id = if path.contains("/orders/") {
            o["id"].as_str().unwrap()
        } else {
            "1"
        };
        let url = path.replace("{slug}", "kaffediem").replace("{id}", id);
        let r = s.get(s.url(&url)).await;
        let no_route = r.status == 404
            && r.body["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("route "));
        assert!(
            !no_route && !r.status.is_server_error(),
            "GET {url} (from {path}) answered {}: {}",
            r.status,
            r.text
        );
    }
}

// ---- the event log ----------------------------------------------------------------------

#[tokio::test]
async fn placing_and_moving_append_events_and_the_board_sees_no_names() {
    let s = Server::start().await;
    let m = s.menu().await;
    let start = s.store.latest_seq().await.unwrap();
    let o = s
        .place(json!({
            "customer_name": "Kari Nordmann",
            "lines": [{"item_id": m.item("Caffè latte"), "notes": "hemmelig lapp"}]
        }))
        .await
        .expect(201)
        .clone();
    let id = o["id"].as_str().unwrap();
    let uuid: uuid::Uuid = id.parse().unwrap();
    let cafe = s.store.cafe_by_slug("kaffediem").await.unwrap().cafe.id;
    let orders_feed = [Feed::Cafe {
        cafe,
        stream: Stream::Orders,
    }];
    // One event per change, whatever the number of topics it goes to.
    let events = s
        .store
        .events_after(&orders_feed, start, 100)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let placed = &events[0];
    assert_eq!(placed.event.kind(), "order.placed");
    let topics: Vec<(String, View)> = project::audience(&placed.event, "kaffediem");
    assert_eq!(
        topics,
        [
            ("cafe:kaffediem:orders".to_owned(), View::Order),
            ("cafe:kaffediem:board".to_owned(), View::Board),
            (format!("order:{id}"), View::Order),
        ]
    );

    // Staff see the whole order.
    let full = project::payload(&placed.event, View::Order).unwrap();
    assert!(full.contains("Kari Nordmann"));
    assert!(full.contains(id), "{full}");

    // The public board: number and step, nothing personal.
    let board = project::payload(&placed.event, View::Board).unwrap();
    let b: Value = serde_json::from_str(&board).unwrap();
    assert_eq!(b["day_number"], 101);
    assert_eq!(b["step"], "received");
    for secret in [
        "Kari", "Nordmann", "hemmelig", "customer", "notes", "lines", id,
    ] {
        assert!(!board.contains(secret), "{secret} on the board: {board}");
    }

    // The customer's own feed has the order too.
    let own = s
        .store
        .events_after(&[Feed::Order(uuid)], start, 100)
        .await
        .unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].event.kind(), "order.placed");

    // A move goes to every topic, the board with the new step.
    let after_place = s.store.latest_seq().await.unwrap();
    s.move_order(id, "forward").await.expect(200);
    let events = s
        .store
        .events_after(&orders_feed, after_place, 100)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event.kind(), "order.moved");
    let board = project::payload(&events[0].event, View::Board).unwrap();
    let b: Value = serde_json::from_str(&board).unwrap();
    assert_eq!(b["day_number"], 101);
    assert_eq!(b["step"], "production");
    assert!(!board.contains("Kari"));

    // A cancel tells the board the order is cancelled, not why.
    let after_move = s.store.latest_seq().await.unwrap();
    s.cancel(id, "Kari ombestemte seg").await.expect(200);
    let events = s
        .store
        .events_after(&orders_feed, after_move, 100)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let board = project::payload(&events[0].event, View::Board).unwrap();
    let b: Value = serde_json::from_str(&board).unwrap();
    assert_eq!(b["step"], "cancelled");
    assert!(!board.contains("Kari"));
}

#[tokio::test]
async fn an_order_at_a_station_is_announced_on_the_station_topic() {
    let s = Server::start().await;
    let m = s.menu().await;
    let st = s
        .post(s.cafe("/stations"), json!({"name": "Bar"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let start = s.store.latest_seq().await.unwrap();
    s.place(json!({"station_id": st, "lines": [{"item_id": m.item("Te")}]}))
        .await
        .expect(201);
    let events = project::replay(s.store.as_ref(), &format!("station:{st}"), start, 100)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "order.placed");
}

#[tokio::test]
async fn refusals_append_no_events() {
    let s = Server::start().await;
    let start = s.store.latest_seq().await.unwrap();
    s.place(json!({"lines": [{"item_id": 999_999}]}))
        .await
        .problem(422);
    s.post(s.cafe("/categories"), json!({"name": "Kaffe"}))
        .await
        .problem(409);
    assert_eq!(s.store.latest_seq().await.unwrap(), start);
    for name in [
        "cafe:kaffediem:orders",
        "cafe:kaffediem:board",
        "cafe:kaffediem:menu",
    ] {
        let all = project::replay(s.store.as_ref(), name, start, 100)
            .await
            .unwrap();
        assert!(all.is_empty(), "{all:?}");
    }
}
