//! Marking an item or an option sold out or available again is for every member of staff, on
//! both surfaces (`ToggleAvailability`); changing anything else of it is editing the menu
//! (`EditMenu`), refused to a barista on both surfaces with the same status.

use crate::common::*;
use crate::kb::rec;
use crema_store::Role;
use serde_json::{json, Value};

/// A server with the demo menu, and a barista of the demo café.
async fn with_barista() -> (Server, Menu, reqwest::Client) {
    let s = Server::start().await;
    let m = s.menu().await;
    let barista = s
        .client_as("barista@test.example", Some(Role::Barista))
        .await;
    (s, m, barista)
}

#[tokio::test]
async fn a_barista_toggles_availability_on_both_surfaces_and_edits_on_neither() {
    let (s, m, barista) = with_barista().await;
    let item = m.item("Cortado");
    let before = m.item_json("Cortado");
    let option = m.option("Melk", "Havre");
    let send = |req: reqwest::RequestBuilder| async move {
        let r = req.send().await.expect("sending a request");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        (status, body)
    };
    let api_item = s.cafe(&format!("/items/{item}"));
    let api_option = s.cafe(&format!("/options/{option}"));
    let kb_item = s.url(&rec("item", item));
    let kb_value = s.url(&rec("customization_value", option));

    // /api/v1: `enabled` and `sold_out` alone.
    let (status, body) = send(barista.patch(&api_item).json(&json!({"sold_out": true}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sold_out"], true);
    let (status, body) = send(barista.patch(&api_option).json(&json!({"enabled": false}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enabled"], false);

    // Kaffebase: `enable` alone, by PATCH or PUT.
    let (status, body) = send(barista.patch(&kb_item).json(&json!({"enable": false}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enable"], false);
    let (status, body) = send(barista.put(&kb_value).json(&json!({"enable": true}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enable"], true);

    // The name: refused on both surfaces, alike.
    let (api_status, _) = send(barista.patch(&api_item).json(&json!({"name": "Renamed"}))).await;
    let (kb_status, _) = send(barista.patch(&kb_item).json(&json!({"name": "Renamed"}))).await;
    assert_eq!(api_status, 403);
    assert_eq!(kb_status, api_status);
    let (api_status, _) = send(barista.patch(&api_option).json(&json!({"name": "Renamed"}))).await;
    let (kb_status, _) = send(barista.patch(&kb_value).json(&json!({"name": "Renamed"}))).await;
    assert_eq!(api_status, 403);
    assert_eq!(kb_status, api_status);

    // The availability together with another field is editing too.
    let both = json!({"enabled": true, "sort_order": 3});
    let (api_status, _) = send(barista.patch(&api_item).json(&both)).await;
    let kb_both = json!({"enable": true, "sort_order": 3});
    let (kb_status, _) = send(barista.patch(&kb_item).json(&kb_both)).await;
    assert_eq!(api_status, 403);
    assert_eq!(kb_status, api_status);
    let kb_price = json!({"enable": true, "constant_price": false});
    let (kb_status, _) = send(barista.patch(&kb_value).json(&kb_price)).await;
    assert_eq!(kb_status, 403);

    // What was refused changed nothing; what was allowed stands.
    let m = s.menu().await;
    let i = m.item_json("Cortado");
    assert_eq!(
        (i["enabled"].clone(), i["sold_out"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(i["name"], before["name"]);
    assert_eq!(i["sort_order"], before["sort_order"]);
    let o = s.get(&api_option).await;
    let o = o.expect(200);
    assert_eq!(
        (o["name"].clone(), o["enabled"].clone()),
        (json!("Havre"), json!(true))
    );
    assert!(
        matches!(o["price_effect"]["kind"].as_str(), Some("fixed")),
        "{o}"
    );
}

#[tokio::test]
async fn a_category_or_a_key_is_edited_by_managers_only_even_its_enable() {
    let (s, m, barista) = with_barista().await;
    let category = m.category("Kaffe");
    let group = m.group("Melk");
    let off = json!({"enable": false});
    for url in [rec("category", category), rec("customization_key", group)] {
        let r = barista.patch(s.url(&url)).json(&off).send().await.unwrap();
        assert_eq!(r.status(), 403, "{url}");
    }
    let r = barista
        .patch(s.cafe(&format!("/categories/{category}")))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
