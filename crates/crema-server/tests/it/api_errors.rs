//! Bad input of every kind gets a precise 4xx as `application/problem+json`, never a 500, and
//! writes nothing.

use crate::common;

use common::Server;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn malformed_json_is_400() {
    let s = Server::start().await;
    for body in [
        "{",
        "{\"lines\": [}",
        "not json",
        "",
        "{\"lines\": []} trailing",
    ] {
        let r = s
            .refused(s.raw(Method::POST, s.cafe("/orders"), JSON, body))
            .await;
        r.rejects(400, "body", "invalid");
        assert_eq!(r.body["type"], "/problems/bad-request");
    }
    // Not UTF-8.
    let r = s
        .refused(s.raw(
            Method::POST,
            s.cafe("/orders"),
            JSON,
            vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'],
        ))
        .await;
    r.problem(400);
    // Nested far beyond the parser's depth limit: refused (as a syntax or a type error),
    // never a crash.
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let r = s
        .refused(s.raw(Method::POST, s.cafe("/orders"), JSON, deep))
        .await;
    assert!([400, 422].contains(&r.status.as_u16()), "{}", r.text);
    r.problem(r.status.as_u16());
}

#[tokio::test]
async fn malformed_json_is_400_on_every_body() {
    let s = Server::start().await;
    let m = s.menu().await;
    let item = m.item("Bolle");
    for (method, path) in [
        (Method::PATCH, "/cafes/kaffediem".to_owned()),
        (Method::POST, "/cafes/kaffediem/categories".to_owned()),
        (Method::POST, "/cafes/kaffediem/items".to_owned()),
        (Method::PATCH, format!("/cafes/kaffediem/items/{item}")),
        (Method::POST, "/cafes/kaffediem/modifier-groups".to_owned()),
        (Method::POST, "/cafes/kaffediem/options".to_owned()),
        (Method::PATCH, "/cafes/kaffediem/status".to_owned()),
        (Method::POST, "/cafes/kaffediem/messages".to_owned()),
        (Method::POST, "/cafes/kaffediem/stations".to_owned()),
    ] {
        let r = s
            .refused(s.raw(method.clone(), s.api(&path), JSON, "{oops"))
            .await;
        assert_eq!(r.status, 400, "{method} {path}: {}", r.text);
        r.problem(400);
    }
}

#[tokio::test]
async fn wrong_types_are_422_naming_the_field() {
    let s = Server::start().await;
    let m = s.menu().await;
    let te = m.item("Te");
    for (body, field) in [
        (json!({"lines": [{"item_id": "seven"}]}), "lines[0].item_id"),
        (
            json!({"lines": [{"item_id": te}, {"item_id": te, "quantity": "two"}]}),
            "lines[1].quantity",
        ),
        (
            json!({"lines": [{"item_id": te, "quantity": 1.5}]}),
            "lines[0].quantity",
        ),
        (json!({"lines": [{"item_id": 1e30}]}), "lines[0].item_id"),
        (json!({"lines": {"item_id": te}}), "lines"),
        (
            json!({"lines": [{"item_id": te, "modifiers": [{"group_id": 1, "option_ids": "2"}]}]}),
            "lines[0].modifiers[0].option_ids",
        ),
        (
            json!({"lines": [{"item_id": te}], "customer_name": 5}),
            "customer_name",
        ),
        (
            json!({"lines": [{"item_id": te}], "missing_information": "yes"}),
            "missing_information",
        ),
        (
            json!({"lines": [{"item_id": te}], "station_id": true}),
            "station_id",
        ),
    ] {
        let r = s.refused(s.place(&body)).await;
        r.rejects(422, field, "invalid");
        assert_eq!(r.body["type"], "/problems/validation");
    }
    // The whole body of the wrong type.
    let r = s.refused(s.place(json!([1, 2, 3]))).await;
    r.problem(422);
    let r = s.refused(s.place(json!(null))).await;
    r.problem(422);

    // The same on the other bodies.
    let r = s
        .refused(s.patch(s.cafe("/status"), json!({"open": "yes"})))
        .await;
    r.rejects(422, "open", "invalid");
    let r = s
        .refused(s.post(
            s.cafe("/items"),
            json!({"name": "X", "price": "10", "category_id": 1}),
        ))
        .await;
    r.rejects(422, "price", "invalid");
    let r = s
        .refused(s.post(
            s.cafe("/options"),
            json!({"group_id": 1, "name": "X", "price_effect": {"kind": "fixed", "value": "5"}}),
        ))
        .await;
    r.names_field(422, "price_effect");
    let r = s
        .refused(s.post(s.cafe("/messages"), json!({"title": ["a"]})))
        .await;
    r.rejects(422, "title", "invalid");
}

#[tokio::test]
async fn numbers_out_of_range_are_422() {
    let s = Server::start().await;
    let m = s.menu().await;
    let te = m.item("Te");
    let r = s
        .refused(s.place(json!({"lines": [{"item_id": te, "quantity": i64::MAX}]})))
        .await;
    r.rejects(422, "lines[0].quantity", "out_of_range");
    let r = s
        .refused(s.post(
            s.cafe("/items"),
            json!({"name": "Dyr", "price": i64::MAX, "category_id": m.category("Annet")}),
        ))
        .await;
    r.rejects(422, "price", "out_of_range");
    let r = s
        .refused(s.patch(s.api("/cafes/kaffediem"), json!({"first_number": 10_000})))
        .await;
    r.rejects(422, "first_number", "out_of_range");
}

#[tokio::test]
async fn unknown_fields_are_422_naming_them() {
    let s = Server::start().await;
    let m = s.menu().await;
    let te = m.item("Te");
    let r = s
        .refused(s.place(json!({"lines": [{"item_id": te}], "tip": 100})))
        .await;
    r.rejects(422, "tip", "invalid");
    let r = s
        .refused(s.place(json!({"lines": [{"item_id": te, "price": 1}]})))
        .await;
    r.rejects(422, "lines[0].price", "invalid");
    let r = s
        .refused(s.place(json!({"lines": [{"item_id": te, "modifiers": [{"group_id": 1, "option_ids": [], "extra": 1}]}]})))
        .await;
    r.rejects(422, "lines[0].modifiers[0].extra", "invalid");
    let r = s
        .refused(s.patch(s.cafe("/status"), json!({"closed": true})))
        .await;
    r.rejects(422, "closed", "invalid");
    let bolle = m.item("Bolle");
    let r = s
        .refused(s.patch(s.cafe(&format!("/items/{bolle}")), json!({"id": 5})))
        .await;
    r.rejects(422, "id", "invalid");
}

#[tokio::test]
async fn a_body_needs_the_json_content_type() {
    let s = Server::start().await;
    let m = s.menu().await;
    let body = json!({"lines": [{"item_id": m.item("Te")}]}).to_string();
    let r = s
        .refused(s.raw(Method::POST, s.cafe("/orders"), None, body.clone()))
        .await;
    r.problem(415);
    assert_eq!(r.body["type"], "/problems/unsupported-media-type");
    let r = s
        .refused(s.raw(
            Method::POST,
            s.cafe("/orders"),
            Some("text/plain"),
            body.clone(),
        ))
        .await;
    r.problem(415);
    let r = s
        .refused(s.raw(
            Method::POST,
            s.cafe("/orders"),
            Some("application/x-www-form-urlencoded"),
            "lines=1",
        ))
        .await;
    r.problem(415);
    // A cancel without any body.
    let o = s.place_item("Te").await;
    let id = o["id"].as_str().unwrap();
    let r = s
        .refused(s.send(s.client.post(s.cafe(&format!("/orders/{id}/cancel")))))
        .await;
    r.problem(415);
    // With a charset it is still JSON.
    s.raw(
        Method::POST,
        s.cafe("/orders"),
        Some("application/json; charset=utf-8"),
        body,
    )
    .await
    .expect(201);
}

/// A body of more than 256 KiB that is otherwise a fine order.
fn big_order(item: i64) -> String {
    json!({
        "lines": [{"item_id": item}],
        "customer_name": "x".repeat(300 * 1024),
    })
    .to_string()
}

#[tokio::test]
async fn an_oversized_body_is_413_and_writes_nothing() {
    let s = Server::start().await;
    let m = s.menu().await;
    let r = s
        .refused(s.raw(
            Method::POST,
            s.cafe("/orders"),
            JSON,
            big_order(m.item("Te")),
        ))
        .await;
    r.expect(413);
}

#[tokio::test]
async fn an_oversized_body_is_problem_json() {
    let s = Server::start().await;
    let m = s.menu().await;
    let r = s
        .refused(s.raw(
            Method::POST,
            s.cafe("/orders"),
            JSON,
            big_order(m.item("Te")),
        ))
        .await;
    r.problem(413);
}

/// Sends a request with a chunked body (no Content-Length) over a plain socket, and returns
/// the status, the head and the body of the response.
async fn chunked_post(s: &Server, path: &str, body: &str) -> (u16, String, String) {
    let addr = s.base.trim_start_matches("http://");
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut out = head.into_bytes();
    for chunk in body.as_bytes().chunks(16 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    // The server may answer (and stop reading) before it has the whole body.
    let _ = sock.write_all(&out).await;
    let mut resp = Vec::new();
    let _ = sock.read_to_end(&mut resp).await;
    let text = String::from_utf8_lossy(&resp).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    (status, head.to_owned(), rest.to_owned())
}

#[tokio::test]
async fn an_oversized_chunked_body_is_413_problem_json() {
    let s = Server::start().await;
    let m = s.menu().await;
    let before = s.written().await;
    let (status, head, body) = chunked_post(
        &s,
        "/api/v1/cafes/kaffediem/orders",
        &big_order(m.item("Te")),
    )
    .await;
    assert_eq!(status, 413, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{head}"
    );
    assert!(body.contains("/problems/too-large"), "{body}");
    assert_eq!(before, s.written().await);
    // A small chunked order goes through.
    let (status, head, _) = chunked_post(
        &s,
        "/api/v1/cafes/kaffediem/orders",
        &json!({"lines": [{"item_id": m.item("Te")}]}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{head}");
}

#[tokio::test]
async fn path_values_of_the_wrong_type_are_400() {
    let s = Server::start().await;
    for path in [
        "/items/abc",
        "/items/1.5",
        "/items/99999999999999999999999",
        "/categories/x",
        "/modifier-groups/-",
        "/options/one",
    ] {
        let r = s.get(s.cafe(path)).await;
        r.rejects(400, "path", "invalid");
    }
    let r = s
        .refused(s.patch(s.cafe("/items/abc"), json!({"price": 1})))
        .await;
    r.problem(400);
    let r = s.refused(s.delete(s.cafe("/categories/abc"))).await;
    r.problem(400);
    let r = s
        .refused(s.patch(s.cafe("/messages/abc"), json!({"title": "x"})))
        .await;
    r.problem(400);
    let r = s.refused(s.delete(s.cafe("/messages/abc"))).await;
    r.problem(400);
}

#[tokio::test]
async fn non_uuid_order_ids_are_400() {
    let s = Server::start().await;
    for path in [
        "/orders/123",
        "/orders/not-a-uuid/moves",
        "/orders/g0000000-0000-0000-0000-000000000000",
    ] {
        s.get(s.cafe(path)).await.rejects(400, "id", "invalid");
    }
    for verb in ["forward", "undo"] {
        s.refused(s.send(s.client.post(s.cafe(&format!("/orders/xyz/{verb}")))))
            .await
            .rejects(400, "id", "invalid");
    }
    s.refused(s.post(s.cafe("/orders/xyz/cancel"), json!({"reason": "x"})))
        .await
        .rejects(400, "id", "invalid");
}

#[tokio::test]
async fn unknown_routes_and_cafes_are_404() {
    let s = Server::start().await;
    for url in [
        s.url("/nope"),
        s.api("/nope"),
        s.api("/cafes/kaffediem/nope"),
        s.api("/cafes/kaffediem/orders/00000000-0000-0000-0000-000000000000/nope"),
        s.url("/api/v2/cafes"),
    ] {
        let r = s.get(&url).await;
        r.problem(404);
        assert_eq!(r.body["type"], "/problems/not-found", "{url}");
    }
    let r = s
        .refused(s.post(s.url("/nope"), json!({"lines": []})))
        .await;
    r.problem(404);
    s.get(s.api("/cafes/nope")).await.problem(404);
    s.refused(s.post(
        s.api("/cafes/nope/orders"),
        json!({"lines": [{"item_id": 1}]}),
    ))
    .await
    .problem(404);
}

#[tokio::test]
async fn a_wrong_method_is_405_problem_json() {
    let s = Server::start().await;
    let r = s.refused(s.delete(s.api("/cafes"))).await;
    r.problem(405);
    let r = s
        .refused(s.send(s.client.put(s.cafe("/orders")).json(&json!({}))))
        .await;
    r.problem(405);
}

#[tokio::test]
async fn a_wrong_method_is_405_and_writes_nothing() {
    let s = Server::start().await;
    let r = s.refused(s.delete(s.api("/cafes"))).await;
    r.expect(405);
    let r = s.refused(s.delete(s.cafe("/orders"))).await;
    r.expect(405);
}

#[tokio::test]
async fn conflicts_are_409() {
    let s = Server::start().await;
    let m = s.menu().await;
    let annet = m.category("Annet");
    let r = s
        .refused(s.post(
            s.cafe("/items"),
            json!({"category_id": annet, "name": "Americano", "price": 100}),
        ))
        .await;
    r.rejects(409, "name", "conflict");
    assert_eq!(r.body["type"], "/problems/conflict");
    let r = s
        .refused(s.delete(s.cafe(&format!("/categories/{annet}"))))
        .await;
    r.problem(409);
    assert!(
        r.body["detail"].as_str().unwrap().contains("items"),
        "{}",
        r.text
    );
    s.post(s.cafe("/stations"), json!({"name": "Bar"}))
        .await
        .expect(201);
    let r = s
        .refused(s.post(s.cafe("/stations"), json!({"name": "Bar"})))
        .await;
    r.rejects(409, "name", "conflict");
}

#[tokio::test]
async fn an_item_with_an_unknown_category_is_422() {
    let s = Server::start().await;
    let r = s
        .refused(s.post(
            s.cafe("/items"),
            json!({"category_id": 424_242, "name": "Ny", "price": 100}),
        ))
        .await;
    r.rejects(422, "category_id", "unknown");
    // Another café's category is unknown here.
    let corner = s.get(s.api("/cafes/corner/menu")).await.expect(200).clone();
    let bakery = corner["categories"][0]["id"].clone();
    let r = s
        .refused(s.post(
            s.cafe("/items"),
            json!({"category_id": bakery, "name": "Ny", "price": 100}),
        ))
        .await;
    r.rejects(422, "category_id", "unknown");
}

#[tokio::test]
async fn a_bad_idempotency_key_header_is_400() {
    let s = Server::start().await;
    let m = s.menu().await;
    let body = json!({"lines": [{"item_id": m.item("Te")}]});
    let value = reqwest::header::HeaderValue::from_bytes(b"n\xf8kkel").unwrap();
    let r = s
        .refused(
            s.send(
                s.client
                    .post(s.cafe("/orders"))
                    .header("idempotency-key", value)
                    .json(&body),
            ),
        )
        .await;
    r.rejects(400, "Idempotency-Key", "invalid");
}

#[tokio::test]
async fn internal_details_never_leak_into_problems() {
    let s = Server::start().await;
    // A sample of refusals: none mentions SQL or the database.
    let m = s.menu().await;
    let annet = m.category("Annet");
    for r in [
        s.delete(s.cafe(&format!("/categories/{annet}"))).await,
        s.post(s.cafe("/categories"), json!({"name": "Kaffe"}))
            .await,
        s.post(s.cafe("/stations"), json!({"name": ""})).await,
        s.place(json!({"lines": [{"item_id": -1}]})).await,
    ] {
        assert!(r.status.is_client_error(), "{}", r.text);
        let t = r.text.to_lowercase();
        for word in ["sqlite", "constraint", "sqlx", "select ", "insert "] {
            assert!(!t.contains(word), "{word} in {}", r.text);
        }
    }
}

#[tokio::test]
async fn a_missing_field_is_named() {
    let s = Server::start().await;
    let r = s.refused(s.place(json!({}))).await;
    r.names_field(422, "lines");
    let r = s
        .refused(s.place(json!({"lines": [{"quantity": 1}]})))
        .await;
    r.names_field(422, "lines[0].item_id");
    let r = s
        .refused(s.post(s.cafe("/stations"), json!({"active": true})))
        .await;
    r.names_field(422, "name");
    let o = s.place_item("Te").await;
    let id = o["id"].as_str().unwrap();
    let r = s
        .refused(s.post(s.cafe(&format!("/orders/{id}/cancel")), json!({})))
        .await;
    r.names_field(422, "reason");
}

#[tokio::test]
async fn a_missing_field_is_422() {
    let s = Server::start().await;
    let r = s.refused(s.place(json!({}))).await;
    r.problem(422);
    assert!(r.text.contains("lines"), "{}", r.text);
    let r = s
        .refused(s.place(json!({"lines": [{"quantity": 1}]})))
        .await;
    r.problem(422);
    assert!(r.text.contains("item_id"), "{}", r.text);
}

#[tokio::test]
async fn health_is_503_when_the_database_file_is_gone() {
    let s = Server::start().await;
    let health = || s.send(s.anon.get(s.url("/health")));
    health().await.expect(200);
    // Deleted under the running server (a wrong clean-up, a disk swapped out): the open
    // connections still answer `SELECT 1` from the unlinked file, but this instance no longer
    // has a database anyone can back up or restart on.
    std::fs::remove_file(s.db_path()).expect("removing the database file");
    assert_eq!(
        health().await.expect(503),
        &json!({"status": "unavailable", "database": "unavailable"})
    );
}

#[tokio::test]
async fn health_is_503_when_the_database_does_not_answer() {
    let s = Server::start().await;
    let health = || s.send(s.anon.get(s.url("/health")));
    let r = health().await;
    assert_eq!(r.expect(200), &json!({"status": "ok", "database": "ok"}));
    // The store's writer and readers stop: nothing answers for the database any more, as
    // when it cannot be read. A load balancer must take this instance out, so: 503.
    s.store.close().await;
    let r = health().await;
    assert_eq!(
        r.expect(503),
        &json!({"status": "unavailable", "database": "unavailable"})
    );
}

#[tokio::test]
async fn a_slug_cannot_name_a_cafe_by_its_cached_id() {
    // The café lookup is cached by slug and by `#<id>`; a URL's slug never reaches the id's
    // entries, even after realtime delivery has filled them.
    let s = Server::start().await;
    s.place_item("Americano").await;
    for path in ["/cafes/%231", "/cafes/%231/menu", "/cafes/%231/orders"] {
        s.get(s.api(path)).await.problem(404);
    }
}
