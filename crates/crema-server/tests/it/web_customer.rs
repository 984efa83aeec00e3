//! The customer's pages over real HTTP: the menu and the kiosk carry nothing of any order, an
//! order page shows only its own order, and an unknown order is a 404 page.

use crate::common;

use common::Server;
use serde_json::json;

async fn page(s: &Server, path: &str) -> (u16, String) {
    let r = s
        .anon
        .get(s.url(path))
        .send()
        .await
        .expect("getting a page");
    let status = r.status().as_u16();
    (status, r.text().await.expect("reading the page"))
}

#[tokio::test]
async fn public_pages_show_no_other_customers_data() {
    let s = Server::start().await;
    let latte = s.menu().await.item("Caffè latte");
    let first = s
        .place(json!({"customer_name": "Sigrid Secret", "channel": "web",
                      "lines": [{"item_id": latte, "quantity": 1, "notes": "Sigrid's oat note"}]}))
        .await;
    let first = first.expect(201).clone();
    let second = s
        .place(json!({"customer_name": "Olav Other", "channel": "kiosk",
                      "lines": [{"item_id": latte, "quantity": 2}]}))
        .await;
    let second = second.expect(201).clone();

    for path in ["/", "/kiosk", "/?cafe=corner", "/kiosk?idle=abc"] {
        let (status, html) = page(&s, path).await;
        assert_eq!(status, 200, "{path}: {html}");
        for secret in ["Sigrid", "Olav"] {
            assert!(!html.contains(secret), "{path} shows {secret}");
        }
    }
    // The menu is in the page itself, so a phone shows it before any script runs.
    let (_, html) = page(&s, "/").await;
    assert!(html.contains("Caffè latte"));

    // An order page shows that order (its own name and note) and nothing of the other.
    let (status, html) = page(&s, &format!("/o/{}", first["id"].as_str().unwrap())).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Sigrid Secret"));
    assert!(html.contains(&first["day_number"].to_string()));
    assert!(!html.contains("Olav"));
    let (status, html) = page(&s, &format!("/o/{}", second["id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert!(html.contains("Olav Other"));
    assert!(!html.contains("Sigrid"));
}

#[tokio::test]
async fn an_unknown_order_is_a_friendly_404() {
    let s = Server::start().await;
    for path in [
        "/o/not-a-uuid",
        "/o/00000000-0000-4000-8000-000000000000",
        "/o/%3Cscript%3E",
    ] {
        let (status, html) = page(&s, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("<html"), "{path}: a page, not a bare status");
        assert!(
            html.contains("href=\"/\""),
            "{path}: a way back to the menu"
        );
        assert!(!html.contains("<script>"), "{path}");
    }
}
