//! Cafés and their settings: `/api/v1/cafes`, `/api/v1/cafes/{slug}`.

use crate::common;

use common::Server;
use serde_json::json;

#[tokio::test]
async fn lists_the_demo_cafes() {
    let s = Server::start().await;
    let r = s.get(s.api("/cafes")).await;
    let cafes = r.expect(200).as_array().unwrap().clone();
    assert!(r.content_type().starts_with("application/json"));
    let slugs: Vec<&str> = cafes.iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs.len(), 2, "{cafes:?}");
    assert!(slugs.contains(&"kaffediem") && slugs.contains(&"corner"));
    let defaults: Vec<_> = cafes.iter().filter(|c| c["is_default"] == true).collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["slug"], "kaffediem");
}

#[tokio::test]
async fn gets_one_cafe_with_its_settings() {
    let s = Server::start().await;
    let c = s.get(s.api("/cafes/kaffediem")).await.expect(200).clone();
    assert_eq!(c["slug"], "kaffediem");
    assert_eq!(c["name"], "Kaffediem");
    assert_eq!(c["timezone"], "Europe/Oslo");
    assert_eq!(c["currency"], "NOK");
    assert_eq!(c["locale"], "nb");
    assert_eq!(c["first_number"], 101);
    assert_eq!(
        c["workflow"],
        json!(["received", "production", "completed", "dispatched"])
    );
    assert_eq!(c["price_rounding"], 100);
    assert_eq!(c["age_thresholds"], json!({"warn": 300, "late": 600}));
    assert_eq!(c["is_default"], true);
    assert!(c["created_at"].is_string() && c["updated_at"].is_string());

    let corner = s.get(s.api("/cafes/corner")).await.expect(200).clone();
    assert_eq!(corner["currency"], "GBP");
    assert_eq!(corner["locale"], "en");
    assert_eq!(corner["is_default"], false);
}

#[tokio::test]
async fn unknown_cafe_is_404_everywhere() {
    let s = Server::start().await;
    for path in [
        "/cafes/nope",
        "/cafes/nope/menu",
        "/cafes/nope/orders",
        "/cafes/nope/status",
        "/cafes/nope/messages",
        "/cafes/nope/stations",
        "/cafes/nope/items/1",
        "/cafes/nope/categories/1",
        "/cafes/nope/modifier-groups/1",
        "/cafes/nope/options/1",
    ] {
        let r = s.get(s.api(path)).await;
        r.problem(404);
        assert_eq!(r.body["type"], "/problems/not-found", "{path}");
    }
    let r = s
        .refused(s.patch(s.api("/cafes/nope"), json!({"name": "X"})))
        .await;
    r.problem(404);
    let r = s
        .refused(s.post(s.api("/cafes/nope/orders"), json!({"lines": []})))
        .await;
    r.problem(404);
}

#[tokio::test]
async fn patch_changes_only_the_fields_given() {
    let s = Server::start().await;
    let before = s.get(s.api("/cafes/kaffediem")).await.expect(200).clone();
    let c = s
        .patch(
            s.api("/cafes/kaffediem"),
            json!({
                "name": "Kaffediem Gløshaugen",
                "timezone": "America/New_York",
                "currency": "EUR",
                "locale": "en",
                "first_number": 1,
                "workflow": ["received", "ready"],
                "price_rounding": 50,
                "age_thresholds": {"warn": 60, "late": 120}
            }),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(c["name"], "Kaffediem Gløshaugen");
    assert_eq!(c["timezone"], "America/New_York");
    assert_eq!(c["currency"], "EUR");
    assert_eq!(c["locale"], "en");
    assert_eq!(c["first_number"], 1);
    assert_eq!(c["workflow"], json!(["received", "ready"]));
    assert_eq!(c["price_rounding"], 50);
    assert_eq!(c["age_thresholds"], json!({"warn": 60, "late": 120}));
    assert_eq!(c["slug"], before["slug"]);
    assert_eq!(c["created_at"], before["created_at"]);

    // A later GET sees the same, and a PATCH of one field leaves the others.
    let again = s
        .patch(s.api("/cafes/kaffediem"), json!({"name": "Kaffediem"}))
        .await
        .expect(200)
        .clone();
    assert_eq!(again["name"], "Kaffediem");
    assert_eq!(again["currency"], "EUR");
    assert_eq!(again["workflow"], json!(["received", "ready"]));
    let got = s.get(s.api("/cafes/kaffediem")).await.expect(200).clone();
    assert_eq!(got, again);
}

#[tokio::test]
async fn patch_refuses_bad_values_naming_every_field_and_changes_nothing() {
    let s = Server::start().await;
    let before = s.get(s.api("/cafes/kaffediem")).await.expect(200).clone();
    let r = s
        .refused({
            s.patch(
                s.api("/cafes/kaffediem"),
                json!({
                    "name": "  ",
                    "timezone": "Mars/Olympus",
                    "currency": "KRONER",
                    "locale": "fr",
                    "first_number": 0,
                    "workflow": ["only"],
                    "price_rounding": 0,
                    "age_thresholds": {"warn": 600, "late": 300}
                }),
            )
        })
        .await;
    r.problem(422);
    let fields: Vec<String> = r.field_errors().into_iter().map(|(f, _)| f).collect();
    for f in [
        "name",
        "timezone",
        "currency",
        "locale",
        "first_number",
        "workflow",
        "price_rounding",
        "age_thresholds",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} not named: {fields:?}");
    }
    r.rejects(422, "first_number", "out_of_range");
    let after = s.get(s.api("/cafes/kaffediem")).await.expect(200).clone();
    assert_eq!(before, after);
}

#[tokio::test]
async fn patch_refuses_a_workflow_that_drops_a_step_orders_are_in() {
    let s = Server::start().await;
    let o = s.place_item("Americano").await;
    let id = o["id"].as_str().unwrap();
    s.move_order(id, "forward").await.expect(200);
    // The order is in "production": a workflow without it is refused.
    let r = s
        .refused({
            s.patch(
                s.api("/cafes/kaffediem"),
                json!({"workflow": ["received", "completed", "dispatched"]}),
            )
        })
        .await;
    r.rejects(422, "workflow", "in_use");
    // Keeping the step is fine.
    let c = s
        .patch(
            s.api("/cafes/kaffediem"),
            json!({"workflow": ["received", "production", "done"]}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(c["workflow"], json!(["received", "production", "done"]));
    let o = s.move_order(id, "forward").await.expect(200).clone();
    assert_eq!(o["step"], "done");
}

#[tokio::test]
async fn patch_refuses_reserved_and_malformed_step_names() {
    let s = Server::start().await;
    for wf in [
        json!(["received", "cancelled"]),
        json!(["received", "Ready"]),
        json!(["a", "a"]),
        json!([]),
    ] {
        let r = s
            .refused(s.patch(s.api("/cafes/kaffediem"), json!({ "workflow": wf })))
            .await;
        r.names_field(422, "workflow");
    }
}

#[tokio::test]
async fn patch_with_wrong_types_or_unknown_fields_is_422() {
    let s = Server::start().await;
    let r = s
        .refused(s.patch(s.api("/cafes/kaffediem"), json!({"first_number": "abc"})))
        .await;
    r.names_field(422, "first_number");
    let r = s
        .refused(s.patch(s.api("/cafes/kaffediem"), json!({"first_number": -5})))
        .await;
    r.names_field(422, "first_number");
    let r = s
        .refused(s.patch(s.api("/cafes/kaffediem"), json!({"slug": "other"})))
        .await;
    r.problem(422);
    assert!(
        r.text.contains("slug"),
        "the unknown field is named: {}",
        r.text
    );
}
