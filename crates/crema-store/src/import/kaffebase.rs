//! Importing a Kaffebase SQLite database (contract §3.2) into one café: the menu and its
//! customizations, messages, the status, orders with their snapshots and day numbers, and
//! users with their bcrypt hashes (sign-in accepts them and rehashes).
//!
//! [`read`] reads the source leniently: ecto_sqlite3 stores booleans as 0/1 and times as
//! ISO-8601 text, but a database that came from PocketBase may hold other shapes, so every
//! cell is taken for what it is. [`SqliteStore::import_kaffebase`] then writes everything in
//! one transaction of the writer: all of it, or nothing.
//!
//! Decisions:
//! - Ids are kept where crema's table does not already use them (a fresh data directory keeps
//!   them all, so bookmarked admin links still work), otherwise new ones are given; order
//!   snapshots are remapped to the ids given.
//! - Names crema requires to be unique (per café, per key) get a suffix ` (2)`; an item
//!   without a (known) category goes to a disabled category `Uten kategori`.
//! - Kaffebase numbered orders per UTC day. An imported order keeps its `day_id` on its UTC
//!   date, the day in which that number was unique; the café's day counter continues after
//!   the highest number of each date. A number that was given twice (Kaffebase had no
//!   uniqueness) gets the next free one.
//! - A snapshot value's price effect comes from the value as it is in the source (fixed kroner
//!   or a percentage); the unit price is computed by crema's rule, which is what the frontend
//!   charged. Label colours are snapshotted from the source keys.
//! - A Kaffebase admin becomes a manager of the café; other users get no role.
//! - Nothing is announced on the event log: run the import while crema is stopped.

use crate::sqlite::{exec, now, opt, params, scalar, ts, Conn, SqliteStore, WriteCtx};
use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use crema_core::cafe::CafeId;
use crema_core::menu::PriceEffect;
use crema_core::money::{Amount, Currency};
use crema_core::order::{Channel, Customer, LineSnapshot, ModifierSnapshot};
use crema_core::pricing::unit_price;
use crema_core::text::{LabelColor, Name};
use serde::Serialize;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{ConnectOptions, Connection, Decode, Row, TypeInfo, ValueRef};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use uuid::Uuid;

// ---- the source ---------------------------------------------------------------------------

/// One cell of the source, whatever SQLite type it has.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

fn cell(r: &SqliteRow, col: &str) -> Cell {
    let Ok(v) = r.try_get_raw(col) else {
        return Cell::Null;
    };
    if v.is_null() {
        return Cell::Null;
    }
    match v.type_info().name() {
        "INTEGER" | "BOOLEAN" => <i64 as Decode<sqlx::Sqlite>>::decode(v)
            .map(Cell::Int)
            .unwrap_or(Cell::Null),
        "REAL" | "NUMERIC" => <f64 as Decode<sqlx::Sqlite>>::decode(v)
            .map(Cell::Real)
            .unwrap_or(Cell::Null),
        "TEXT" | "DATETIME" | "DATE" | "TIME" => <String as Decode<sqlx::Sqlite>>::decode(v)
            .map(Cell::Text)
            .unwrap_or(Cell::Null),
        // A declared type of its own (`TEXT_DATETIME`, `UTC_DATETIME`...): as text if it is.
        _ => <String as Decode<sqlx::Sqlite>>::decode(v)
            .map(Cell::Text)
            .unwrap_or(Cell::Null),
    }
}

impl Cell {
    fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Real(f) if f.fract() == 0.0 => Some(*f as i64),
            Cell::Real(f) => Some(f.round() as i64),
            Cell::Text(s) => s
                .trim()
                .parse::<i64>()
                .ok()
                .or_else(|| s.trim().parse::<f64>().ok().map(|f| f.round() as i64)),
            Cell::Null => None,
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Cell::Text(s) => Some(s.clone()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Real(f) => Some(f.to_string()),
            Cell::Null => None,
        }
    }

    fn boolean(&self) -> bool {
        match self {
            Cell::Int(i) => *i != 0,
            Cell::Real(f) => *f != 0.0,
            Cell::Text(s) => matches!(s.trim(), "1" | "true" | "TRUE" | "t"),
            Cell::Null => false,
        }
    }

    fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Cell::Text(s) => parse_time(s),
            // Unix seconds, or milliseconds.
            Cell::Int(i) if *i > 100_000_000_000 => DateTime::from_timestamp_millis(*i),
            Cell::Int(i) => DateTime::from_timestamp(*i, 0),
            _ => None,
        }
    }
}

/// `2025-11-16T10:33:33`, with or without fractions, `Z`, an offset, or a space for the `T`.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let t = s.replace(' ', "T");
    if let Ok(t) = DateTime::parse_from_rfc3339(&t) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = t.trim_end_matches('Z');
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(naive, f) {
            return Some(n.and_utc());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

#[derive(Debug, Clone)]
pub struct SrcCategory {
    pub id: i64,
    pub name: String,
    pub sort_order: i64,
    pub enable: bool,
    pub valid_customizations: Vec<i64>,
    pub inserted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct SrcItem {
    pub id: i64,
    pub name: String,
    pub price_nok: i64,
    pub category_id: Option<i64>,
    pub image: Option<String>,
    pub enable: bool,
    pub sort_order: i64,
    pub inserted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct SrcKey {
    pub id: i64,
    pub name: String,
    pub enable: bool,
    pub label_color: Option<String>,
    pub default_value: Option<i64>,
    pub multiple_choice: bool,
    pub sort_order: i64,
    pub inserted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct SrcValue {
    pub id: i64,
    pub name: String,
    pub belongs_to: i64,
    pub enable: bool,
    pub constant_price: bool,
    pub price_increment_nok: i64,
    pub sort_order: i64,
    pub inserted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct SrcMessage {
    pub id: i64,
    pub title: String,
    pub subtitle: Option<String>,
    pub inserted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct SrcStatus {
    pub id: i64,
    pub open: bool,
    pub show_message: bool,
    pub message_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct SrcOrder {
    pub id: i64,
    pub uuid: Option<String>,
    pub customer_id: Option<i64>,
    pub day_id: i64,
    pub items_data: Option<String>,
    pub state: String,
    pub missing_information: bool,
    pub inserted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct SrcUser {
    pub id: i64,
    pub email: String,
    pub hashed_password: Option<String>,
    pub name: Option<String>,
    pub is_admin: bool,
    pub inserted_at: Option<DateTime<Utc>>,
}

/// Everything read from a Kaffebase database.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub categories: Vec<SrcCategory>,
    pub items: Vec<SrcItem>,
    pub keys: Vec<SrcKey>,
    pub values: Vec<SrcValue>,
    pub messages: Vec<SrcMessage>,
    pub statuses: Vec<SrcStatus>,
    pub orders: Vec<SrcOrder>,
    pub users: Vec<SrcUser>,
}

/// `valid_customizations` as stored (`[{"key_id":3}]`), or as ids (`[3]`).
fn key_ids(text: Option<String>) -> Vec<i64> {
    let Some(v) = text.and_then(|t| serde_json::from_str::<Value>(&t).ok()) else {
        return Vec::new();
    };
    v.as_array()
        .map(|list| {
            list.iter()
                .filter_map(|e| {
                    e.as_i64()
                        .or_else(|| e.get("key_id").and_then(Value::as_i64))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn rows(conn: &mut sqlx::SqliteConnection, table: &str) -> Result<Vec<SqliteRow>> {
    let exists: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(table)
            .fetch_one(&mut *conn)
            .await?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query(&format!("SELECT * FROM \"{table}\" ORDER BY id"))
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Reads a Kaffebase database (read-only; it is not changed).
pub async fn read(path: &Path) -> Result<Source> {
    if !path.exists() {
        return Err(StoreError::NotFound("Kaffebase database"));
    }
    let url = format!("sqlite://{}", path.display());
    let mut conn = SqliteConnectOptions::from_str(&url)
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .read_only(true)
        .disable_statement_logging()
        .connect()
        .await?;
    let mut s = Source::default();
    let id = |r: &SqliteRow| cell(r, "id").int().unwrap_or(0);
    for r in rows(&mut conn, "category").await? {
        s.categories.push(SrcCategory {
            id: id(&r),
            name: cell(&r, "name").text().unwrap_or_default(),
            sort_order: cell(&r, "sort_order").int().unwrap_or(0),
            enable: cell(&r, "enable").boolean(),
            valid_customizations: key_ids(cell(&r, "valid_customizations").text()),
            inserted_at: cell(&r, "inserted_at").time(),
            updated_at: cell(&r, "updated_at").time(),
        });
    }
    for r in rows(&mut conn, "item").await? {
        s.items.push(SrcItem {
            id: id(&r),
            name: cell(&r, "name").text().unwrap_or_default(),
            price_nok: cell(&r, "price_nok").int().unwrap_or(0),
            category_id: cell(&r, "category_id").int(),
            image: cell(&r, "image").text().filter(|s| !s.trim().is_empty()),
            enable: cell(&r, "enable").boolean(),
            sort_order: cell(&r, "sort_order").int().unwrap_or(0),
            inserted_at: cell(&r, "inserted_at").time(),
            updated_at: cell(&r, "updated_at").time(),
        });
    }
    for r in rows(&mut conn, "customization_key").await? {
        s.keys.push(SrcKey {
            id: id(&r),
            name: cell(&r, "name").text().unwrap_or_default(),
            enable: cell(&r, "enable").boolean(),
            label_color: cell(&r, "label_color").text(),
            default_value: cell(&r, "default_value").int(),
            multiple_choice: cell(&r, "multiple_choice").boolean(),
            sort_order: cell(&r, "sort_order").int().unwrap_or(0),
            inserted_at: cell(&r, "inserted_at").time(),
            updated_at: cell(&r, "updated_at").time(),
        });
    }
    for r in rows(&mut conn, "customization_value").await? {
        s.values.push(SrcValue {
            id: id(&r),
            name: cell(&r, "name").text().unwrap_or_default(),
            belongs_to: cell(&r, "belongs_to").int().unwrap_or(0),
            enable: cell(&r, "enable").boolean(),
            constant_price: cell(&r, "constant_price").boolean(),
            price_increment_nok: cell(&r, "price_increment_nok").int().unwrap_or(0),
            sort_order: cell(&r, "sort_order").int().unwrap_or(0),
            inserted_at: cell(&r, "inserted_at").time(),
            updated_at: cell(&r, "updated_at").time(),
        });
    }
    for r in rows(&mut conn, "message").await? {
        s.messages.push(SrcMessage {
            id: id(&r),
            title: cell(&r, "title").text().unwrap_or_default(),
            subtitle: cell(&r, "subtitle").text(),
            inserted_at: cell(&r, "inserted_at").time(),
            updated_at: cell(&r, "updated_at").time(),
        });
    }
    for r in rows(&mut conn, "status").await? {
        s.statuses.push(SrcStatus {
            id: id(&r),
            open: cell(&r, "open").boolean(),
            show_message: cell(&r, "show_message").boolean(),
            message_id: cell(&r, "message_id").int(),
        });
    }
    for r in rows(&mut conn, "order").await? {
        s.orders.push(SrcOrder {
            id: id(&r),
            uuid: cell(&r, "uuid").text(),
            customer_id: cell(&r, "customer_id").int(),
            day_id: cell(&r, "day_id").int().unwrap_or(0),
            items_data: cell(&r, "items_data").text(),
            state: cell(&r, "state").text().unwrap_or_default(),
            missing_information: cell(&r, "missing_information").boolean(),
            inserted_at: cell(&r, "inserted_at").time(),
            updated_at: cell(&r, "updated_at").time(),
        });
    }
    for r in rows(&mut conn, "users").await? {
        let Some(email) = cell(&r, "email").text().filter(|e| e.contains('@')) else {
            continue;
        };
        s.users.push(SrcUser {
            id: id(&r),
            email: email.trim().to_owned(),
            hashed_password: cell(&r, "hashed_password").text(),
            name: cell(&r, "name").text(),
            is_admin: cell(&r, "is_admin").boolean(),
            inserted_at: cell(&r, "inserted_at").time(),
        });
    }
    conn.close().await?;
    Ok(s)
}

// ---- the import ---------------------------------------------------------------------------

/// What was imported, and what had to be changed on the way.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub categories: usize,
    pub items: usize,
    pub customization_keys: usize,
    pub customization_values: usize,
    pub messages: usize,
    pub status: bool,
    pub orders: usize,
    pub users: usize,
    pub managers: usize,
    /// Each thing that was not taken as it was, and why.
    pub notes: Vec<String>,
}

/// Names already used in one scope; a repeat gets ` (2)`, ` (3)`, ...
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn unique(&mut self, wanted: &str, what: &str, notes: &mut Vec<String>) -> Result<Name> {
        let base = match Name::parse(wanted) {
            Ok(n) => n,
            Err(_) => {
                notes.push(format!(
                    "{what} {wanted:?}: not a usable name, called \"Uten navn\""
                ));
                Name::parse("Uten navn").map_err(|e| StoreError::Internal(e.to_string()))?
            }
        };
        let mut name = base.clone();
        let mut n = 2;
        while !self.0.insert(name.as_str().to_lowercase()) && n <= 1000 {
            // A name at the length limit has no room for the suffix: it stays a repeat, and
            // the database refuses the import with the name in the message.
            name =
                Name::parse(&format!("{} ({n})", base.as_str())).unwrap_or_else(|_| base.clone());
            n += 1;
        }
        if name != base {
            notes.push(format!(
                "{what} {:?} is called {:?}: the name was taken",
                base.as_str(),
                name.as_str()
            ));
        }
        Ok(name)
    }
}

fn free(c: &Conn, table: &str, id: i64) -> Result<bool> {
    if id <= 0 {
        return Ok(false);
    }
    let n: i64 = scalar(
        c,
        &format!("SELECT count(*) FROM {table} WHERE id = ?"),
        params![id],
    )?;
    Ok(n == 0)
}

/// The id to insert with: the source's when it is free, or NULL (SQLite picks one).
fn keep(c: &Conn, table: &str, id: i64) -> Result<Option<i64>> {
    Ok(if free(c, table, id)? { Some(id) } else { None })
}

fn stamp(t: Option<DateTime<Utc>>, fallback: DateTime<Utc>) -> String {
    ts(t.unwrap_or(fallback))
}

impl SqliteStore {
    /// Imports `src` into café `cafe`, which must have no menu and no orders yet.
    pub async fn import_kaffebase(&self, cafe: CafeId, src: Source) -> Result<Report> {
        self.write(move |ctx| import_job(ctx, cafe, src)).await
    }
}

fn import_job(ctx: &mut WriteCtx, cafe: CafeId, src: Source) -> Result<Report> {
    for table in ["categories", "items", "modifier_groups", "orders"] {
        let n: i64 = scalar(
            ctx.conn(),
            &format!("SELECT count(*) FROM {table} WHERE cafe_id = ?"),
            params![cafe],
        )?;
        if n > 0 {
            return Err(StoreError::conflict(
                "cafe",
                "the café already has a menu or orders: import into a new café (or a new data directory)",
            ));
        }
    }
    let snap = ctx.snapshot(cafe)?;
    let currency = snap.cafe.currency;
    let per = currency.minor_per_major();
    let workflow = snap.cafe.workflow.clone();
    let rounding = snap.cafe.price_rounding;
    let t0 = now();
    let mut rep = Report::default();
    let notes = &mut rep.notes;

    // Keys (modifier groups), without their defaults: those point at values, added next.
    let mut key_ids: HashMap<i64, i64> = HashMap::new();
    let mut key_colors: HashMap<i64, Option<String>> = HashMap::new();
    let mut names = Names::default();
    for k in &src.keys {
        let name = names.unique(&k.name, "customization key", notes)?;
        let color = match k
            .label_color
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(c) => match LabelColor::parse(c) {
                Ok(c) => Some(c.as_str().to_owned()),
                Err(_) => {
                    notes.push(format!(
                        "customization key {:?}: label colour {c:?} is not a colour, left out",
                        k.name
                    ));
                    None
                }
            },
        };
        let id = keep(ctx.conn(), "modifier_groups", k.id)?;
        let new: i64 = scalar(
            ctx.conn(),
            "INSERT INTO modifier_groups (id, cafe_id, name, label_color, mode, required, min_select, max_select, enabled, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?) RETURNING id",
            params![
                id,
                cafe,
                name.as_str(),
                color,
                if k.multiple_choice { "multiple" } else { "single" },
                if k.multiple_choice { None } else { Some(1_i64) },
                k.enable,
                k.sort_order,
                stamp(k.inserted_at, t0),
                stamp(k.updated_at.or(k.inserted_at), t0),
            ],
        )?;
        key_ids.insert(k.id, new);
        key_colors.insert(k.id, color);
        rep.customization_keys += 1;
    }

    // Values (modifier options).
    let mut value_ids: HashMap<i64, i64> = HashMap::new();
    let mut value_effects: HashMap<i64, PriceEffect> = HashMap::new();
    let mut names_per_key: HashMap<i64, Names> = HashMap::new();
    for v in &src.values {
        let Some(group) = key_ids.get(&v.belongs_to).copied() else {
            notes.push(format!(
                "customization value {:?} (id {}): its key {} does not exist, left out",
                v.name, v.id, v.belongs_to
            ));
            continue;
        };
        let name = names_per_key.entry(group).or_default().unique(
            &v.name,
            "customization value",
            notes,
        )?;
        let effect = effect_of(v.constant_price, v.price_increment_nok, per);
        let effect = match effect {
            Some(e) => e,
            None => {
                notes.push(format!(
                    "customization value {:?}: price {} out of range, set to 0",
                    v.name, v.price_increment_nok
                ));
                PriceEffect::Fixed(0)
            }
        };
        let (kind, value) = match effect {
            PriceEffect::Fixed(x) => ("fixed", x),
            PriceEffect::Percent(p) => ("percent", i64::from(p)),
        };
        let id = keep(ctx.conn(), "modifier_options", v.id)?;
        let new: i64 = scalar(
            ctx.conn(),
            "INSERT INTO modifier_options (id, cafe_id, group_id, name, effect_kind, effect_value, enabled, sold_out, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING id",
            params![
                id,
                cafe,
                group,
                name.as_str(),
                kind,
                value,
                v.enable,
                v.sort_order,
                stamp(v.inserted_at, t0),
                stamp(v.updated_at.or(v.inserted_at), t0),
            ],
        )?;
        value_ids.insert(v.id, new);
        value_effects.insert(v.id, effect);
        rep.customization_values += 1;
    }
    for k in &src.keys {
        let Some(d) = k.default_value else { continue };
        let belongs = src.values.iter().any(|v| v.id == d && v.belongs_to == k.id);
        match (belongs, value_ids.get(&d), key_ids.get(&k.id)) {
            (true, Some(opt), Some(group)) => {
                exec(
                    ctx.conn(),
                    "UPDATE modifier_groups SET default_option_id = ? WHERE id = ?",
                    params![opt, group],
                )?;
            }
            _ => notes.push(format!(
                "customization key {:?}: default value {d} is not one of its values, left out",
                k.name
            )),
        }
    }

    // Categories and the keys they allow.
    let mut category_ids: HashMap<i64, i64> = HashMap::new();
    let mut category_names: HashMap<i64, String> = HashMap::new();
    let mut names = Names::default();
    for c in &src.categories {
        let name = names.unique(&c.name, "category", notes)?;
        let id = keep(ctx.conn(), "categories", c.id)?;
        let new: i64 = scalar(
            ctx.conn(),
            "INSERT INTO categories (id, cafe_id, name, sort_order, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                id,
                cafe,
                name.as_str(),
                c.sort_order,
                c.enable,
                stamp(c.inserted_at, t0),
                stamp(c.updated_at.or(c.inserted_at), t0),
            ],
        )?;
        let mut position = 0_i64;
        let mut seen = HashSet::new();
        for k in &c.valid_customizations {
            let Some(group) = key_ids.get(k) else {
                notes.push(format!(
                    "category {:?}: customization key {k} does not exist, left out",
                    c.name
                ));
                continue;
            };
            if !seen.insert(*group) {
                continue;
            }
            exec(
                ctx.conn(),
                "INSERT INTO category_groups (cafe_id, category_id, group_id, position) VALUES (?, ?, ?, ?)",
                params![cafe, new, group, position],
            )?;
            position += 1;
        }
        category_ids.insert(c.id, new);
        category_names.insert(c.id, name.as_str().to_owned());
        rep.categories += 1;
    }

    // Items; one without a category goes to a disabled one made for them.
    let mut item_ids: HashMap<i64, i64> = HashMap::new();
    let mut orphans: Option<i64> = None;
    let mut names = Names::default();
    for i in &src.items {
        let category = match i.category_id.and_then(|c| category_ids.get(&c)) {
            Some(c) => *c,
            None => {
                if orphans.is_none() {
                    let t = ts(t0);
                    let id: i64 = scalar(
                        ctx.conn(),
                        "INSERT INTO categories (cafe_id, name, sort_order, enabled, created_at, updated_at) VALUES (?, 'Uten kategori', 9999, 0, ?, ?) RETURNING id",
                        params![cafe, t, t],
                    )
                    .map_err(|_| StoreError::conflict("cafe", "a category \"Uten kategori\" exists in the source; rename it first"))?;
                    orphans = Some(id);
                    rep.categories += 1;
                }
                notes.push(format!(
                    "item {:?}: no category, put in \"Uten kategori\" (disabled)",
                    i.name
                ));
                orphans.unwrap_or_default()
            }
        };
        let name = names.unique(&i.name, "item", notes)?;
        let price = i
            .price_nok
            .checked_mul(per)
            .and_then(|m| Amount::new(m).ok())
            .unwrap_or_else(|| {
                notes.push(format!(
                    "item {:?}: price {} out of range, set to 0",
                    i.name, i.price_nok
                ));
                Amount::ZERO
            });
        let id = keep(ctx.conn(), "items", i.id)?;
        let new: i64 = scalar(
            ctx.conn(),
            "INSERT INTO items (id, cafe_id, category_id, name, price, image, enabled, sold_out, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING id",
            params![
                id,
                cafe,
                category,
                name.as_str(),
                price.minor(),
                i.image,
                i.enable,
                i.sort_order,
                stamp(i.inserted_at, t0),
                stamp(i.updated_at.or(i.inserted_at), t0),
            ],
        )?;
        item_ids.insert(i.id, new);
        rep.items += 1;
    }

    // Users, with their bcrypt hashes as they are.
    let mut user_ids: HashMap<i64, i64> = HashMap::new();
    for u in &src.users {
        let existing: Option<i64> = opt(
            ctx.conn(),
            "SELECT id FROM users WHERE email = ?",
            params![u.email],
            |r| Ok(r.get(0)?),
        )?;
        let uid = match existing {
            Some(id) => {
                notes.push(format!("user {}: already in crema, kept as it is", u.email));
                id
            }
            None => {
                let id = keep(ctx.conn(), "users", u.id)?;
                let t = stamp(u.inserted_at, t0);
                let new: i64 = scalar(
                    ctx.conn(),
                    "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    params![id, u.email.to_lowercase(), u.name, u.hashed_password, t, t],
                )?;
                rep.users += 1;
                new
            }
        };
        if u.is_admin {
            exec(
                ctx.conn(),
                "INSERT INTO memberships (cafe_id, user_id, role, created_at) VALUES (?, ?, 'manager', ?)
                 ON CONFLICT (cafe_id, user_id) DO NOTHING",
                params![cafe, uid, ts(t0)],
            )?;
            rep.managers += 1;
        }
        user_ids.insert(u.id, uid);
    }

    // Messages and the status.
    let mut message_ids: HashMap<i64, i64> = HashMap::new();
    for m in &src.messages {
        let id = keep(ctx.conn(), "messages", m.id)?;
        let new: i64 = scalar(
            ctx.conn(),
            "INSERT INTO messages (id, cafe_id, title, subtitle, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                id,
                cafe,
                m.title,
                m.subtitle.as_deref().filter(|s| !s.is_empty()),
                stamp(m.inserted_at, t0),
                stamp(m.updated_at.or(m.inserted_at), t0),
            ],
        )?;
        message_ids.insert(m.id, new);
        rep.messages += 1;
    }
    let have_messages: i64 = scalar(
        ctx.conn(),
        "SELECT count(*) FROM messages WHERE cafe_id = ?",
        params![cafe],
    )?;
    if have_messages == 0 {
        // The admin page edits messages it can see; a café needs one to start with.
        let t = ts(t0);
        exec(
            ctx.conn(),
            "INSERT INTO messages (cafe_id, title, subtitle, created_at, updated_at) VALUES (?, 'Stengt', 'Vi åpner snart', ?, ?)",
            params![cafe, t, t],
        )?;
        notes.push("the source had no messages: added \"Stengt\"".into());
    }
    if src.statuses.len() > 1 {
        notes.push(format!(
            "{} status rows: the first one (id {}) is the café's status",
            src.statuses.len(),
            src.statuses[0].id
        ));
    }
    if let Some(s) = src.statuses.first() {
        let message = s.message_id.and_then(|m| message_ids.get(&m).copied());
        if s.message_id.is_some() && message.is_none() {
            notes.push("status: its message does not exist, none is shown".into());
        }
        exec(
            ctx.conn(),
            "UPDATE cafe_status SET open = ?, show_message = ?, message_id = ?, updated_at = ? WHERE cafe_id = ?",
            params![s.open, s.show_message, message, ts(t0), cafe],
        )?;
        rep.status = true;
    }

    // Orders.
    let key_names: HashMap<i64, &str> = src.keys.iter().map(|k| (k.id, k.name.as_str())).collect();
    let category_by_name: HashMap<&str, i64> = src
        .categories
        .iter()
        .filter_map(|c| {
            Some((
                category_names.get(&c.id)?.as_str(),
                *category_ids.get(&c.id)?,
            ))
        })
        .collect();
    let mut counters: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut used: HashSet<(NaiveDate, i64)> = HashSet::new();
    let mut uuids: HashSet<Uuid> = HashSet::new();
    let first_step = workflow.first().as_str().to_owned();
    for o in &src.orders {
        let step = if workflow.position(&o.state).is_some() {
            o.state.clone()
        } else {
            notes.push(format!(
                "order {}: state {:?} is not a step of the workflow, set to {first_step}",
                o.id, o.state
            ));
            first_step.clone()
        };
        let placed = o.inserted_at.unwrap_or(t0);
        // Kaffebase's day: UTC's.
        let date = placed.date_naive();
        let mut number = o.day_id.max(1);
        if !used.insert((date, number)) {
            let next = counters.get(&date).copied().unwrap_or(0).max(number) + 1;
            notes.push(format!(
                "order {}: number {number} of {date} was given twice, now {next}",
                o.id
            ));
            number = next;
            used.insert((date, number));
        }
        let c = counters.entry(date).or_insert(0);
        *c = (*c).max(number);
        let uuid = match o
            .uuid
            .as_deref()
            .and_then(|u| Uuid::parse_str(u.trim()).ok())
        {
            Some(u) if uuids.insert(u) && free_uuid(ctx.conn(), u)? => u,
            _ => {
                let u = Uuid::new_v4();
                uuids.insert(u);
                notes.push(format!(
                    "order {}: its uuid was missing or taken, gave a new one",
                    o.id
                ));
                u
            }
        };
        let lines = lines_of(
            o,
            Snap {
                items: &item_ids,
                keys: &key_ids,
                values: &value_ids,
                effects: &value_effects,
                colors: &key_colors,
                key_names: &key_names,
                categories: &category_by_name,
                per,
                rounding,
            },
            notes,
        );
        let mut subtotal = Amount::ZERO;
        for l in &lines {
            subtotal = subtotal.checked_add(l.line_total).unwrap_or(subtotal);
        }
        let customer = match o.customer_id {
            Some(c) => Customer::User {
                user_id: user_ids.get(&c).copied().unwrap_or(c),
            },
            None => Customer::Anonymous,
        };
        let customer_user = match &customer {
            Customer::User { user_id } => Some(*user_id),
            _ => None,
        };
        // The staff member who placed it, when that user was imported.
        let placed_by = o.customer_id.and_then(|c| user_ids.get(&c).copied());
        let id = keep(ctx.conn(), "orders", o.id)?;
        let updated = o.updated_at.unwrap_or(placed);
        let row: i64 = scalar(
            ctx.conn(),
            "INSERT INTO orders (id, uuid, cafe_id, local_date, day_number, channel, customer, customer_user_id, placed_by, station_id, step, lines,
                                 currency, subtotal, tip, total, missing_information, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id",
            params![
                id,
                uuid.to_string(),
                cafe,
                date.to_string(),
                number,
                Channel::Counter.as_str(),
                serde_json::to_string(&customer)?,
                customer_user,
                placed_by,
                step,
                serde_json::to_string(&lines)?,
                currency_code(currency),
                subtotal.minor(),
                subtotal.minor(),
                o.missing_information,
                ts(placed),
                ts(updated),
            ],
        )?;
        // One move, so the history says where the order came from; there is nothing to undo.
        exec(
            ctx.conn(),
            "INSERT INTO order_moves (cafe_id, order_id, kind, from_step, to_step, actor_id, reason, at) VALUES (?, ?, 'place', NULL, ?, ?, 'imported from Kaffebase', ?)",
            params![cafe, row, step, placed_by, ts(placed)],
        )?;
        rep.orders += 1;
    }
    for (date, last) in counters {
        exec(
            ctx.conn(),
            "INSERT INTO day_counters (cafe_id, local_date, last_number) VALUES (?, ?, ?)
             ON CONFLICT (cafe_id, local_date) DO UPDATE SET last_number = max(last_number, excluded.last_number)",
            params![cafe, date.to_string(), last],
        )?;
    }
    ctx.touch(cafe);
    Ok(rep)
}

fn currency_code(c: Currency) -> String {
    c.code().to_owned()
}

fn free_uuid(c: &Conn, u: Uuid) -> Result<bool> {
    let n: i64 = scalar(
        c,
        "SELECT count(*) FROM orders WHERE uuid = ?",
        params![u.to_string()],
    )?;
    Ok(n == 0)
}

/// A value's price effect: kroner added, or a percentage.
fn effect_of(constant: bool, amount: i64, per: i64) -> Option<PriceEffect> {
    if constant {
        amount
            .checked_mul(per)
            .and_then(|m| PriceEffect::fixed(m).ok())
    } else {
        PriceEffect::percent(amount).ok()
    }
}

/// What a snapshot is remapped with.
struct Snap<'a> {
    items: &'a HashMap<i64, i64>,
    keys: &'a HashMap<i64, i64>,
    values: &'a HashMap<i64, i64>,
    effects: &'a HashMap<i64, PriceEffect>,
    colors: &'a HashMap<i64, Option<String>>,
    key_names: &'a HashMap<i64, &'a str>,
    categories: &'a HashMap<&'a str, i64>,
    per: i64,
    rounding: Amount,
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(|x| {
        x.as_f64()
            .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
    })
}

fn id_of(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(|x| {
        x.as_i64()
            .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
    })
}

fn str_of(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The lines of an order from its `items_data`: one line per item, as Kaffebase had one item
/// per drink.
fn lines_of(o: &SrcOrder, m: Snap<'_>, notes: &mut Vec<String>) -> Vec<LineSnapshot> {
    let parsed: Option<Vec<Value>> = o
        .items_data
        .as_deref()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .and_then(|v| v.as_array().cloned());
    let Some(items) = parsed else {
        notes.push(format!(
            "order {}: its items could not be read, imported without items",
            o.id
        ));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for it in &items {
        let old_item = id_of(it, "item_id").unwrap_or(0);
        let base_major = num(it, "price").unwrap_or(0.0);
        let base = Amount::new(((base_major * m.per as f64).round() as i64).max(0))
            .unwrap_or(Amount::ZERO);
        let category_name = str_of(it, "category");
        let mut modifiers = Vec::new();
        for c in it
            .get("customizations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let old_key = id_of(c, "key_id").unwrap_or(0);
            let old_value = id_of(c, "value_id").unwrap_or(0);
            let change = num(c, "price_change").unwrap_or(0.0);
            // The value's kind as it is in the source; a value deleted since counts as kroner.
            let effect = m.effects.get(&old_value).copied().map(|e| match e {
                PriceEffect::Percent(_) => {
                    PriceEffect::percent(change.round() as i64).unwrap_or(PriceEffect::Percent(100))
                }
                PriceEffect::Fixed(_) => PriceEffect::fixed((change * m.per as f64).round() as i64)
                    .unwrap_or(PriceEffect::Fixed(0)),
            });
            let effect = effect.unwrap_or_else(|| {
                PriceEffect::fixed((change * m.per as f64).round() as i64)
                    .unwrap_or(PriceEffect::Fixed(0))
            });
            let key_name = c
                .get("key_name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| m.key_names.get(&old_key).map(|s| (*s).to_owned()))
                .unwrap_or_default();
            modifiers.push(ModifierSnapshot {
                group_id: m.keys.get(&old_key).copied().unwrap_or(old_key),
                group_name: key_name,
                option_id: m.values.get(&old_value).copied().unwrap_or(old_value),
                option_name: str_of(c, "value_name"),
                label_color: c
                    .get("label_color")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| m.colors.get(&old_key).cloned().flatten()),
                effect,
            });
        }
        let effects: Vec<PriceEffect> = modifiers.iter().map(|x| x.effect).collect();
        let unit = unit_price(base, &effects, m.rounding).unwrap_or(base);
        out.push(LineSnapshot {
            item_id: m.items.get(&old_item).copied().unwrap_or(old_item),
            item_name: str_of(it, "name"),
            category_id: m
                .categories
                .get(category_name.as_str())
                .copied()
                .unwrap_or(0),
            category_name,
            base_price: base,
            modifiers,
            quantity: 1,
            notes: None,
            unit_price: unit,
            line_total: unit,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_shape() {
        let want = DateTime::parse_from_rfc3339("2025-11-16T10:33:33Z")
            .unwrap()
            .with_timezone(&Utc);
        for s in [
            "2025-11-16T10:33:33",
            "2025-11-16T10:33:33Z",
            "2025-11-16 10:33:33",
            "2025-11-16T10:33:33.000000",
            "2025-11-16 10:33:33.000Z",
            "2025-11-16T11:33:33+01:00",
        ] {
            assert_eq!(parse_time(s), Some(want), "{s}");
        }
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(Cell::Int(1_763_289_213).time(), Some(want));
    }

    #[test]
    fn valid_customizations_in_both_shapes() {
        assert_eq!(
            key_ids(Some(r#"[{"key_id":3},{"key_id":5}]"#.into())),
            vec![3, 5]
        );
        assert_eq!(key_ids(Some("[3, 5]".into())), vec![3, 5]);
        assert_eq!(key_ids(Some("nonsense".into())), Vec::<i64>::new());
        assert_eq!(key_ids(None), Vec::<i64>::new());
    }

    #[test]
    fn repeated_names_get_a_number() {
        let mut n = Names::default();
        let mut notes = Vec::new();
        assert_eq!(
            n.unique("Kaffe", "category", &mut notes).unwrap().as_str(),
            "Kaffe"
        );
        assert_eq!(
            n.unique("kaffe", "category", &mut notes).unwrap().as_str(),
            "kaffe (2)"
        );
        assert_eq!(
            n.unique("", "category", &mut notes).unwrap().as_str(),
            "Uten navn"
        );
        assert_eq!(notes.len(), 2);
    }
}
