//! Reports: a day's figures and its CSV from a known set of orders (modifiers, a cancelled
//! one, a name that needs CSV quoting), an empty day, a bad date, and who may read them.

use crate::common;
use crate::common::Accounts as _;

use chrono::{DateTime, Timelike, Utc};
use common::Server;
use crema_store::Role;
use serde_json::{json, Value};

fn oslo_hour(iso: &str) -> usize {
    let t: DateTime<Utc> = iso.parse().expect("an RFC 3339 time");
    t.with_timezone(&chrono_tz::Europe::Oslo).hour() as usize
}

/// Splits a CSV document into rows of fields (RFC 4180: quoted fields may hold commas, quotes
/// doubled, line breaks), so the test reads what a spreadsheet would.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

struct Day {
    date: String,
    /// Every order placed, as the API answered.
    orders: Vec<Value>,
}

/// Four orders: a large oat latte ×2 (66 kr each), an Americano and two buns, an Americano
/// that is cancelled, and one `Tea, "green"` (an item made for this test). The latte is made
/// ready; the Americano with buns is ready and picked up.
async fn known_day(s: &Server) -> Day {
    let m = s.menu().await;
    let tea = s
        .post(
            s.cafe("/items"),
            json!({"category_id": m.category("Te"), "name": "Tea, \"green\"", "price": 3000}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .expect("item id");
    let latte = json!({"lines": [{
    "item_id": m.item("Caffè latte"), "quantity": 2,
    "modifiers": [
        {"group_id": m.group("Størrelse"), "option_ids": [m.option("Størrelse", "Stor")]},
        {"group_id": m.group("Melk"), "option_ids": [m.option("Melk", "Havre")]}
    ]}]});
    let buns = json!({"lines": [
        {"item_id": m.item("Americano")},
        {"item_id": m.item("Bolle"), "quantity": 2}
    ]});
    let cancelled = json!({"lines": [{"item_id": m.item("Americano")}]});
    let green = json!({"lines": [{"item_id": tea}]});
    let mut orders = Vec::new();
    for body in [latte, buns, cancelled, green] {
        orders.push(s.place(body).await.expect(201).clone());
    }
    let id = |i: usize| orders[i]["id"].as_str().expect("order id").to_owned();
    for _ in 0..2 {
        s.move_order(id(0), "forward").await.expect(200);
    }
    for _ in 0..3 {
        s.move_order(id(1), "forward").await.expect(200);
    }
    s.cancel(id(2), "customer left").await.expect(200);
    Day {
        date: orders[0]["local_date"]
            .as_str()
            .expect("local date")
            .to_owned(),
        orders,
    }
}

#[tokio::test]
async fn a_day_in_figures() {
    let s = Server::start().await;
    let day = known_day(&s).await;
    assert_eq!(day.orders[0]["total"], 13200, "two large oat lattes");

    let r = s
        .get(s.cafe(&format!("/reports/day?date={}", day.date)))
        .await
        .expect(200)
        .clone();
    assert_eq!(r["date"], day.date);
    assert_eq!(r["currency"], "NOK");
    assert_eq!(r["timezone"], "Europe/Oslo");
    assert_eq!(r["orders"], json!({"placed": 4, "cancelled": 1}));
    // 132 + (35 + 2 × 30) + 30 kr; the cancelled Americano does not count.
    assert_eq!(r["revenue"], 13200 + 9500 + 3000);
    assert_eq!(
        r["items"],
        json!([
            {"name": "Caffè latte", "quantity": 2, "revenue": 13200},
            {"name": "Bolle", "quantity": 2, "revenue": 6000},
            {"name": "Americano", "quantity": 1, "revenue": 3500},
            {"name": "Tea, \"green\"", "quantity": 1, "revenue": 3000},
        ])
    );

    let hours: Vec<u64> = r["hours"]
        .as_array()
        .expect("hours")
        .iter()
        .map(|h| h.as_u64().expect("a count"))
        .collect();
    assert_eq!(hours.len(), 24);
    let mut expected = [0u64; 24];
    for o in &day.orders {
        expected[oslo_hour(o["created_at"].as_str().expect("created_at"))] += 1;
    }
    assert_eq!(hours, expected, "every order in its local hour");

    // The latte reached `completed`, the buns went through it to `dispatched`.
    assert_eq!(r["ready_step"], "completed");
    assert_eq!(r["ready_orders"], 2);
    let avg = r["average_ready_seconds"].as_i64().expect("an average");
    assert!((0..60).contains(&avg), "made within the test: {avg}");

    // Without a date: today in the café's timezone, which is the day of these orders.
    let today = s.get(s.cafe("/reports/day")).await.expect(200).clone();
    assert_eq!(today["date"], day.date);
    assert_eq!(today["orders"]["placed"], 4);
}

#[tokio::test]
async fn the_day_as_csv_one_row_per_line() {
    let s = Server::start().await;
    let day = known_day(&s).await;
    let r = s
        .get(s.cafe(&format!("/reports/day.csv?date={}", day.date)))
        .await;
    r.expect(200);
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        r.header("content-disposition"),
        Some(format!("attachment; filename=\"kaffediem-{}.csv\"", day.date).as_str())
    );
    assert!(r.text.contains("\"Tea, \"\"green\"\"\""), "{}", r.text);
    let rows = parse_csv(&r.text);
    assert_eq!(
        rows[0],
        [
            "day_number",
            "time",
            "item",
            "modifiers",
            "quantity",
            "line_total",
            "order_total",
            "step",
            "channel"
        ]
    );
    assert_eq!(
        rows.len(),
        1 + 5,
        "a header and one row per order line: {rows:?}"
    );
    let channel = day.orders[0]["channel"].as_str().expect("channel");
    assert_eq!(
        rows[1][2..],
        [
            "Caffè latte",
            "Størrelse: Stor; Melk: Havre",
            "2",
            "132.00",
            "132.00",
            "completed",
            channel
        ]
    );
    assert_eq!(rows[1][0], "101");
    assert_eq!(rows[1][1].len(), 8, "HH:MM:SS: {:?}", rows[1][1]);
    assert_eq!(
        rows[2][2..7],
        ["Americano", "Størrelse: Medium", "1", "35.00", "95.00"]
    );
    assert_eq!(rows[3][2..7], ["Bolle", "", "2", "60.00", "95.00"]);
    assert_eq!(rows[3][7], "dispatched");
    assert_eq!(rows[4][0], "103");
    assert_eq!(rows[4][7], "cancelled");
    assert_eq!(rows[5][2], "Tea, \"green\"");
    assert_eq!(rows[5][5], "30.00");
}

#[tokio::test]
async fn an_empty_day_has_zero_everywhere() {
    let s = Server::start().await;
    s.place_item("Americano").await;
    let r = s
        .get(s.cafe("/reports/day?date=2020-01-01"))
        .await
        .expect(200)
        .clone();
    assert_eq!(r["orders"], json!({"placed": 0, "cancelled": 0}));
    assert_eq!(r["revenue"], 0);
    assert_eq!(r["items"], json!([]));
    assert_eq!(r["hours"], json!(vec![0; 24]));
    assert_eq!(r["average_ready_seconds"], Value::Null);
    assert_eq!(r["ready_orders"], 0);
    let csv = s.get(s.cafe("/reports/day.csv?date=2020-01-01")).await;
    csv.expect(200);
    assert_eq!(
        parse_csv(&csv.text).len(),
        1,
        "only the header: {}",
        csv.text
    );
}

#[tokio::test]
async fn a_bad_date_is_a_400_naming_date() {
    let s = Server::start().await;
    for bad in ["2026-13-01", "yesterday", "22.11.2026", "2026-02-30"] {
        s.get(s.cafe(&format!("/reports/day?date={bad}")))
            .await
            .names_field(400, "date");
        s.get(s.cafe(&format!("/reports/day.csv?date={bad}")))
            .await
            .names_field(400, "date");
    }
}

#[tokio::test]
async fn only_owners_and_managers_read_reports() {
    let s = Server::start().await;
    let manager = s
        .client_as("manager@test.example", Some(Role::Manager))
        .await;
    let barista = s
        .client_as("barista@test.example", Some(Role::Barista))
        .await;
    let cashier = s
        .client_as("cashier@test.example", Some(Role::Cashier))
        .await;
    // A manager of the other café: in this one, nobody.
    let corner_manager = s.client_as("corner@test.example", None).await;
    let corner = s.store.cafe_by_slug("corner").await.expect("corner");
    let u = s
        .store
        .user_by_email("corner@test.example")
        .await
        .expect("user");
    s.store
        .set_membership(corner.cafe.id, u.id, Role::Manager)
        .await
        .expect("membership");

    for path in ["/reports/day", "/reports/day.csv"] {
        let url = s.cafe(path);
        let status = |c: &reqwest::Client| {
            let req = c.get(&url);
            async move { req.send().await.expect("request").status().as_u16() }
        };
        assert_eq!(status(&manager).await, 200, "{path}");
        assert_eq!(status(&barista).await, 403, "{path}");
        assert_eq!(status(&cashier).await, 403, "{path}");
        assert_eq!(status(&corner_manager).await, 404, "{path}");
        assert_eq!(status(&s.anon).await, 401, "{path}");
        // Their own café's report is theirs to read.
        let own = corner_manager
            .get(s.api(&format!("/cafes/corner{path}")))
            .send()
            .await
            .expect("request");
        assert_eq!(own.status(), 200);
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_reports() {
    let s = Server::start().await;
    let doc = s.get(s.api("/openapi.json")).await.expect(200).clone();
    let day = &doc["paths"]["/api/v1/cafes/{slug}/reports/day"]["get"];
    assert_eq!(day["operationId"], "day_report");
    assert!(day["responses"]["400"].is_object());
    let csv = &doc["paths"]["/api/v1/cafes/{slug}/reports/day.csv"]["get"];
    assert!(
        csv["responses"]["200"]["content"]["text/csv"].is_object(),
        "{csv}"
    );
    assert!(doc["components"]["schemas"]["DayReport"].is_object());
}
