//! Kaffebase contract, general HTTP behaviour (contract §1.1): CORS with credentials for the
//! configured origins and the preflight, JSON only (406), HEAD, bodies of every kind, and who
//! may do what (writes are staff's; the reads the public pages need stay public).

use crate::kb;

use kb::{col, rec, Body, Kb, Who, ORIGIN};
use reqwest::Method;
use serde_json::json;

async fn preflight(kb: &Kb, origin: &str, method: &str) -> reqwest::Response {
    kb.http
        .request(Method::OPTIONS, kb.url(&rec("order", 1)))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

fn h<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn the_kaffediem_dev_origins_get_cors_with_credentials() {
    let kb = Kb::start().await;
    for origin in [ORIGIN, "http://127.0.0.1:5173"] {
        let r = preflight(&kb, origin, "PATCH").await;
        assert!(r.status().is_success(), "{}", r.status());
        assert_eq!(h(&r, "access-control-allow-origin"), Some(origin));
        assert_eq!(h(&r, "access-control-allow-credentials"), Some("true"));
        let methods = h(&r, "access-control-allow-methods")
            .unwrap()
            .to_ascii_uppercase();
        for m in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            assert!(methods.contains(m), "{methods}");
        }
        let headers = h(&r, "access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        for x in [
            "authorization",
            "content-type",
            "accept",
            "x-requested-with",
        ] {
            assert!(headers.contains(x), "{headers}");
        }
        // A simple request: the exact origin echoed, never "*".
        let r = kb
            .http
            .get(kb.url(&col("category")))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(h(&r, "access-control-allow-origin"), Some(origin));
        assert_eq!(h(&r, "access-control-allow-credentials"), Some("true"));
        assert!(h(&r, "vary")
            .unwrap_or("")
            .to_ascii_lowercase()
            .contains("origin"));
    }
    let r = preflight(&kb, "https://evil.example", "PATCH").await;
    assert_eq!(h(&r, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn cors_origins_are_configurable() {
    let kb = Kb::start_with_origins(&["https://kaffediem.example.com"]).await;
    let r = preflight(&kb, "https://kaffediem.example.com", "POST").await;
    assert_eq!(
        h(&r, "access-control-allow-origin"),
        Some("https://kaffediem.example.com")
    );
    let r = preflight(&kb, ORIGIN, "POST").await;
    assert_eq!(h(&r, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn only_json_is_served_and_head_is_get() {
    let kb = Kb::start().await;
    let r = kb
        .http
        .get(kb.url(&col("category")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 406);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!({"errors": {"detail": "Not Acceptable"}})
    );
    let r = kb
        .http
        .get(kb.url(&col("category")))
        .header("accept", "text/html,application/json;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = kb.http.head(kb.url(&col("item"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        h(&r, "content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn bodies_that_are_not_a_json_object() {
    let kb = Kb::start().await;
    // A JSON array is no record: its fields are missing.
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &col("category"),
            Body::Json(json!(["Kaffe"])),
        )
        .await;
    assert_eq!(r.invalid(), &json!({"name": ["can't be blank"]}));
    // An unknown content type is not read, as Plug passes it.
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &col("category"),
            Body::Raw("text/plain", b"{\"name\": \"Juice\"}".to_vec()),
        )
        .await;
    assert_eq!(r.invalid(), &json!({"name": ["can't be blank"]}));
    // Query parameters count, under the body's.
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &format!("{}?name=Fra+query&sort_order=4", col("category")),
            Body::Json(json!({"name": "Fra body"})),
        )
        .await;
    let c = r.expect(201);
    assert_eq!(c["name"], "Fra body");
    assert_eq!(c["sort_order"], json!(4));
    // Malformed form encoding is a bad request.
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &col("category"),
            Body::Form("name=%ZZ".into()),
        )
        .await;
    r.detail(400, "Bad Request");
    // Too large.
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &col("category"),
            Body::Raw("application/json", big.into_bytes()),
        )
        .await;
    assert_eq!(r.status.as_u16(), 413);
}

#[tokio::test]
async fn the_public_pages_read_without_signing_in_and_writes_are_staffs() {
    let kb = Kb::start().await;
    for c in [
        "category",
        "item",
        "customization_key",
        "customization_value",
        "message",
        "status",
    ] {
        let r = kb.public(&col(c)).await;
        assert_eq!(r.status.as_u16(), 200, "{c}: {}", r.text);
    }
    // The display and the menu join without a session.
    let mut ws = kb.socket().await;
    for t in ["order", "menu", "message", "status"] {
        let (status, _) = ws
            .join(&format!("collection:{t}"), json!({"options": {}}))
            .await;
        assert_eq!(status, "ok", "{t}");
    }
    if !kb.roles_enforced().await {
        return; // This build has no roles yet.
    }
    for (method, path, body) in [
        (Method::POST, col("category"), json!({"name": "X"})),
        (Method::PATCH, rec("item", 1), json!({"price_nok": 1})),
        (Method::DELETE, rec("customization_value", 1), json!({})),
        (Method::POST, col("message"), json!({"title": ""})),
        (Method::PATCH, rec("status", 1), json!({"open": false})),
        (Method::POST, col("order"), json!({"items": [{"item": 1}]})),
        (
            Method::PATCH,
            rec("order", 1),
            json!({"state": "production"}),
        ),
        (Method::GET, col("order"), json!({})),
    ] {
        let body = if method == Method::GET || method == Method::DELETE {
            Body::None
        } else {
            Body::Json(body)
        };
        let r = kb.send(Who::Anon, method.clone(), &path, body).await;
        // Placing an order is open to the public in crema's roles; the rest is staff's.
        if path == col("order") && method == Method::POST {
            continue;
        }
        r.detail(401, "Unauthorized");
    }
    // A barista moves orders but does not edit the menu.
    let barista = kb
        .staff("barista@kaffediem.test", crema_store::Role::Barista)
        .await
        .expect("signed in");
    let r = kb
        .send_with(
            true,
            Some(&barista),
            Method::POST,
            &col("category"),
            Body::Json(json!({"name": "X"})),
        )
        .await;
    r.detail(403, "Forbidden");
}
