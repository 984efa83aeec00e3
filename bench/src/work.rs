//! The requests of the HTTP scenarios, for crema and for PocketBase: placing an order (a
//! record create), moving one (a record update), reading the menu.

use crate::h1::{Conn, Response};
use crate::load::{Rng, Work};
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

pub const CAFE: &str = "kaffediem";

/// Signs in on crema with the admin account and returns a bearer access token (15 minutes).
pub async fn crema_token(
    server: SocketAddr,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let mut c = Conn::connect(server, Ipv4Addr::LOCALHOST).await?;
    let body = json!({ "email": email, "password": password }).to_string();
    let req = c.build("POST", "/api/v1/auth/token", "", Some(body.as_bytes()));
    let r = c.request(&req).await?;
    if r.status != 200 {
        bail!("signing in: {} {}", r.status, r.text());
    }
    let v: Value = serde_json::from_slice(&r.body)?;
    Ok(v["access_token"]
        .as_str()
        .context("no access_token")?
        .to_owned())
}

/// Signs in as the admin printed at the server's first start and reads the demo café's menu:
/// the `authorization` header line for staff requests, and the menu to make orders from.
pub async fn staff_and_menu(server: &crate::server::Server) -> anyhow::Result<(String, Value)> {
    let password = server.admin_password.clone().context("no admin password")?;
    let token = crema_token(server.addr, crate::server::ADMIN_EMAIL, &password).await?;
    let menu: Value = serde_json::from_slice(
        &once(
            server.addr,
            "GET",
            &format!("/api/v1/cafes/{CAFE}/menu"),
            "",
            None,
        )
        .await?
        .body,
    )?;
    Ok((format!("authorization: Bearer {token}\r\n"), menu))
}

/// One request over a fresh connection, for setup steps.
pub async fn once(
    server: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: Option<&[u8]>,
) -> anyhow::Result<Response> {
    let mut c = Conn::connect(server, Ipv4Addr::LOCALHOST).await?;
    let req = c.build(method, path, headers, body);
    c.request(&req).await
}

/// Order bodies made from the café's menu as `GET /api/v1/cafes/<slug>/menu` gives it: one
/// to three lines of enabled items, quantity 1 or 2, with a pick in every group the item's
/// category allows (a required single-choice group always, an optional one half the time, a
/// multiple-choice group zero to two options).
pub struct Orders {
    /// (crema body, PocketBase body without idempotency_key/day_number, total) by index.
    pub bodies: Vec<(String, Value)>,
}

impl Orders {
    pub fn from_menu(menu: &Value, count: usize) -> anyhow::Result<Self> {
        let arr = |k: &str| -> anyhow::Result<&Vec<Value>> {
            menu[k]
                .as_array()
                .with_context(|| format!("menu without {k}"))
        };
        let (cats, items, groups, options) = (
            arr("categories")?,
            arr("items")?,
            arr("modifier_groups")?,
            arr("options")?,
        );
        let usable = |v: &Value| v["enabled"] == true && v["sold_out"] != true;
        let items: Vec<&Value> = items.iter().filter(|i| usable(i)).collect();
        if items.is_empty() {
            bail!("the menu has no orderable item");
        }
        let mut rng = Rng::new(7);
        let mut bodies = Vec::with_capacity(count);
        for n in 0..count {
            let mut lines = Vec::new();
            let mut total = 0i64;
            for _ in 0..=rng.below(3) {
                let item = items[rng.below(items.len() as u64) as usize];
                let quantity = 1 + rng.below(2) as i64;
                let allowed: Vec<i64> = cats
                    .iter()
                    .find(|c| c["id"] == item["category_id"])
                    .and_then(|c| c["allowed_groups"].as_array())
                    .map(|a| a.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
                let mut modifiers = Vec::new();
                for g in groups.iter().filter(|g| {
                    g["enabled"] == true && g["id"].as_i64().is_some_and(|id| allowed.contains(&id))
                }) {
                    let opts: Vec<i64> = options
                        .iter()
                        .filter(|o| o["group_id"] == g["id"] && usable(o))
                        .filter_map(|o| o["id"].as_i64())
                        .collect();
                    if opts.is_empty() {
                        continue;
                    }
                    let min = g["min_select"].as_u64().unwrap_or(0);
                    let max = g["max_select"].as_u64().unwrap_or(1).min(opts.len() as u64);
                    let want = if g["mode"] == "single" {
                        if min > 0 || rng.below(2) == 0 {
                            1
                        } else {
                            0
                        }
                    } else {
                        (min + rng.below(3)).min(max)
                    };
                    let mut picked: Vec<i64> = Vec::new();
                    while (picked.len() as u64) < want {
                        let o = opts[rng.below(opts.len() as u64) as usize];
                        if !picked.contains(&o) {
                            picked.push(o);
                        }
                    }
                    if !picked.is_empty() {
                        modifiers.push(json!({ "group_id": g["id"], "option_ids": picked }));
                    }
                }
                total += item["price"].as_i64().unwrap_or(0) * quantity;
                lines.push(
                    json!({ "item_id": item["id"], "quantity": quantity, "modifiers": modifiers }),
                );
            }
            let name = format!("Guest {}", n % 97);
            let crema = json!({ "customer_name": name, "channel": "web", "lines": lines });
            let pb = json!({
                "cafe": CAFE, "customer_name": name, "channel": "web", "lines": lines,
                "total": total, "step": "received"
            });
            bodies.push((crema.to_string(), pb));
        }
        Ok(Self { bodies })
    }
}

/// `POST /api/v1/cafes/kaffediem/orders` as staff (bearer token), one `Idempotency-Key` per
/// request: 201 expected.
pub struct CremaPlace {
    pub auth: String,
    pub run: String,
    pub bodies: Vec<String>,
}

impl Work for CremaPlace {
    fn request(&self, conn: &Conn, k: u64) -> Vec<u8> {
        let body = &self.bodies[k as usize % self.bodies.len()];
        let headers = format!("{}idempotency-key: bench-{}-{k}\r\n", self.auth, self.run);
        conn.build(
            "POST",
            "/api/v1/cafes/kaffediem/orders",
            &headers,
            Some(body.as_bytes()),
        )
    }

    fn check(&self, _k: u64, r: &Response) -> Result<(), String> {
        expect(r, 201)
    }
}

/// `POST /api/collections/orders/records` as a PocketBase superuser: 200 expected.
pub struct PbCreate {
    pub auth: String,
    pub run: String,
    pub bodies: Vec<Value>,
}

impl Work for PbCreate {
    fn request(&self, conn: &Conn, k: u64) -> Vec<u8> {
        let mut body = self.bodies[k as usize % self.bodies.len()].clone();
        body["idempotency_key"] = json!(format!("bench-{}-{k}", self.run));
        body["day_number"] = json!(k);
        let body = body.to_string();
        conn.build(
            "POST",
            "/api/collections/orders/records",
            &self.auth,
            Some(body.as_bytes()),
        )
    }

    fn check(&self, _k: u64, r: &Response) -> Result<(), String> {
        expect(r, 200)
    }
}

/// Workflow moves on crema: move k touches order `k % n`; even rounds move it forward,
/// odd rounds undo that move, so a fixed set of orders carries any number of moves and no
/// two requests in flight touch the same order.
pub struct CremaMove {
    pub auth: String,
    pub orders: Vec<String>,
    /// Moves handed out so far (over all runs, so an order's next move is always valid).
    pub count: AtomicU64,
}

impl Work for CremaMove {
    fn request(&self, conn: &Conn, _k: u64) -> Vec<u8> {
        let k = self.count.fetch_add(1, Ordering::Relaxed);
        let n = self.orders.len() as u64;
        let id = &self.orders[(k % n) as usize];
        let verb = if (k / n).is_multiple_of(2) {
            "forward"
        } else {
            "undo"
        };
        conn.build(
            "POST",
            &format!("/api/v1/cafes/{CAFE}/orders/{id}/{verb}"),
            &self.auth,
            None,
        )
    }

    fn check(&self, _k: u64, r: &Response) -> Result<(), String> {
        expect(r, 200)
    }
}

/// The same on PocketBase: an update of the record's `step`, forward and back.
pub struct PbMove {
    pub auth: String,
    pub records: Vec<String>,
    pub count: AtomicU64,
}

impl Work for PbMove {
    fn request(&self, conn: &Conn, _k: u64) -> Vec<u8> {
        let k = self.count.fetch_add(1, Ordering::Relaxed);
        let n = self.records.len() as u64;
        let id = &self.records[(k % n) as usize];
        let step = if (k / n).is_multiple_of(2) {
            "production"
        } else {
            "received"
        };
        let body = format!(r#"{{"step":"{step}"}}"#);
        conn.build(
            "PATCH",
            &format!("/api/collections/orders/records/{id}"),
            &self.auth,
            Some(body.as_bytes()),
        )
    }

    fn check(&self, _k: u64, r: &Response) -> Result<(), String> {
        expect(r, 200)
    }
}

/// A plain GET expecting 200 (the menu; PocketBase's record list).
pub struct Get {
    pub path: String,
    pub auth: String,
}

impl Work for Get {
    fn request(&self, conn: &Conn, _k: u64) -> Vec<u8> {
        conn.build("GET", &self.path, &self.auth, None)
    }

    fn check(&self, _k: u64, r: &Response) -> Result<(), String> {
        expect(r, 200)
    }
}

fn expect(r: &Response, status: u16) -> Result<(), String> {
    if r.status == status {
        Ok(())
    } else {
        let text = r.text();
        Err(format!("{}: {}", r.status, &text[..text.len().min(200)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu() -> Value {
        json!({
            "categories": [{"id": 1, "allowed_groups": [1, 2]}, {"id": 2, "allowed_groups": []}],
            "items": [
                {"id": 1, "category_id": 1, "price": 3500, "enabled": true, "sold_out": false},
                {"id": 2, "category_id": 2, "price": 3000, "enabled": true, "sold_out": false},
                {"id": 3, "category_id": 1, "price": 9900, "enabled": false, "sold_out": false}
            ],
            "modifier_groups": [
                {"id": 1, "mode": "single", "min_select": 1, "max_select": 1, "enabled": true},
                {"id": 2, "mode": "multiple", "min_select": 0, "max_select": 3, "enabled": true}
            ],
            "options": [
                {"id": 1, "group_id": 1, "enabled": true, "sold_out": false},
                {"id": 2, "group_id": 1, "enabled": true, "sold_out": true},
                {"id": 3, "group_id": 2, "enabled": true, "sold_out": false},
                {"id": 4, "group_id": 2, "enabled": true, "sold_out": false}
            ]
        })
    }

    #[test]
    fn orders_follow_the_menu_rules() {
        let o = Orders::from_menu(&menu(), 200).unwrap();
        assert_eq!(o.bodies.len(), 200);
        let mut multi_line = false;
        for (crema, _) in &o.bodies {
            let v: Value = serde_json::from_str(crema).unwrap();
            let lines = v["lines"].as_array().unwrap();
            assert!((1..=3).contains(&lines.len()));
            multi_line |= lines.len() > 1;
            for l in lines {
                let item = l["item_id"].as_i64().unwrap();
                assert_ne!(item, 3, "a disabled item was ordered");
                let mods = l["modifiers"].as_array().unwrap();
                if item == 1 {
                    // The required group always has its one usable option.
                    let g1 = mods.iter().find(|m| m["group_id"] == 1).unwrap();
                    assert_eq!(g1["option_ids"], json!([1]));
                    for m in mods.iter().filter(|m| m["group_id"] == 2) {
                        let ids = m["option_ids"].as_array().unwrap();
                        assert!(ids.len() <= 2 && (ids.len() < 2 || ids[0] != ids[1]));
                    }
                } else {
                    assert!(mods.is_empty(), "a group the category does not allow");
                }
            }
        }
        assert!(multi_line);
    }
}
