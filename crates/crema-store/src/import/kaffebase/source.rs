//! Reading a Kaffebase database: checked to be one, opened so that it cannot change, and read
//! leniently (ecto_sqlite3 stores booleans as 0/1 and times as ISO-8601 text, but a database
//! that came from PocketBase may hold other shapes, so every cell is taken for what it is).

use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Kaffebase's tables after its five migrations, with the columns the import reads. A source
/// without one of them is not (a finished) Kaffebase: it is refused before anything is made.
const TABLES: &[(&str, &[&str])] = &[
    (
        "users",
        &[
            "id",
            "email",
            "hashed_password",
            "confirmed_at",
            "inserted_at",
            "updated_at",
            "name",
            "username",
            "is_admin",
        ],
    ),
    (
        "category",
        &[
            "id",
            "name",
            "sort_order",
            "enable",
            "valid_customizations",
            "inserted_at",
            "updated_at",
        ],
    ),
    (
        "item",
        &[
            "id",
            "name",
            "category_id",
            "image",
            "enable",
            "sort_order",
            "inserted_at",
            "updated_at",
            "price_nok",
        ],
    ),
    (
        "customization_key",
        &[
            "id",
            "name",
            "enable",
            "label_color",
            "default_value",
            "multiple_choice",
            "sort_order",
            "inserted_at",
            "updated_at",
        ],
    ),
    (
        "customization_value",
        &[
            "id",
            "name",
            "belongs_to",
            "enable",
            "constant_price",
            "sort_order",
            "inserted_at",
            "updated_at",
            "price_increment_nok",
        ],
    ),
    (
        "message",
        &["id", "title", "subtitle", "inserted_at", "updated_at"],
    ),
    (
        "status",
        &[
            "id",
            "open",
            "show_message",
            "message_id",
            "inserted_at",
            "updated_at",
        ],
    ),
    (
        "order",
        &[
            "id",
            "uuid",
            "customer_id",
            "day_id",
            "items_data",
            "state",
            "missing_information",
            "inserted_at",
            "updated_at",
        ],
    ),
];

/// Kaffebase's own tables that are not imported, and what that means.
const LEFT_ALONE: &[(&str, &str)] = &[(
    "users_tokens",
    "sign-in and email tokens are not imported: everyone signs in again with their password",
)];

/// Tables of SQLite and Ecto themselves.
fn internal(table: &str) -> bool {
    table.starts_with("sqlite_") || table == "schema_migrations"
}

/// One cell of the source, whatever SQLite type it has.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Cell {
    fn of(v: ValueRef<'_>) -> Cell {
        match v {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Int(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
            // A blob is nothing the import reads; as text if it is text.
            ValueRef::Blob(b) => std::str::from_utf8(b)
                .map(|s| Cell::Text(s.to_owned()))
                .unwrap_or(Cell::Null),
        }
    }

    pub(super) fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Real(f) if f.is_finite() => Some(f.round() as i64),
            Cell::Text(s) => s.trim().parse::<i64>().ok().or_else(|| {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f.round() as i64)
            }),
            _ => None,
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
    pub inserted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
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
    /// Rows of `users` without a usable email (not imported; their orders belong to no user).
    pub users_left_out: Vec<i64>,
    /// What reading found that is not imported as it is (columns and tables Kaffebase does not
    /// have, tokens, a WAL read from a copy), for the report.
    pub notes: Vec<String>,
    /// Times that had more than the millisecond crema keeps.
    pub finer_than_ms: usize,
}

/// `valid_customizations` as stored (`[{"key_id":3}]`), or as ids (`[3]`).
pub(super) fn key_ids(text: Option<String>) -> Vec<i64> {
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

/// A row as column name → cell.
struct Rec(HashMap<String, Cell>);

impl Rec {
    fn get(&self, col: &str) -> &Cell {
        static NULL: Cell = Cell::Null;
        self.0.get(col).unwrap_or(&NULL)
    }
}

fn rows(c: &Connection, table: &str) -> Result<Vec<Rec>> {
    let mut st = c.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY id"))?;
    let names: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let mut q = st.query([])?;
    while let Some(r) = q.next()? {
        let mut m = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            m.insert(n.clone(), Cell::of(r.get_ref(i)?));
        }
        out.push(Rec(m));
    }
    Ok(out)
}

fn refuse(message: String) -> StoreError {
    StoreError::conflict("source", message)
}

/// A copy of the source and its WAL or journal, removed when dropped.
struct Copy(PathBuf);

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn non_empty(p: &Path) -> bool {
    std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false)
}

/// `file:` URI of a path, for SQLite's `immutable` parameter (which only a URI can carry).
fn uri(path: &Path) -> Result<String> {
    let abs = std::path::absolute(path).map_err(|e| StoreError::Internal(e.to_string()))?;
    let s = abs
        .to_str()
        .ok_or_else(|| refuse(format!("{}: the path is not UTF-8", path.display())))?;
    let mut out = String::from("file:");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?mode=ro&immutable=1");
    Ok(out)
}

/// Opens the source so that reading it writes nothing: read-only and immutable, so SQLite
/// takes no locks and makes no `-wal`/`-shm` files beside it, and a file the user cannot
/// write (copied as root, read by crema's own user) works. A `-wal` or `-journal` beside it
/// holds changes not yet in the file, which an immutable open would not see: then a copy of
/// the file with it is read instead, and the source is still not touched.
fn open(path: &Path, notes: &mut Vec<String>) -> Result<(Connection, Option<Copy>)> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let side = |suffix: &str| PathBuf::from(format!("{}{suffix}", path.display()));
    let pending: Vec<&str> = ["-wal", "-journal"]
        .into_iter()
        .filter(|s| non_empty(&side(s)))
        .collect();
    if pending.is_empty() {
        let c = Connection::open_with_flags(
            uri(path)?,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
        )?;
        return Ok((c, None));
    }
    let dir = std::env::temp_dir().join(format!(
        "crema-import-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let copy = Copy(dir);
    let file = name.unwrap_or_else(|| "data.db".into());
    let target = copy.0.join(&file);
    let cp = |from: &Path, to: &Path| {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(format!("copying {}: {e}", from.display())))
    };
    cp(path, &target)?;
    for s in &pending {
        cp(&side(s), &copy.0.join(format!("{file}{s}")))?;
    }
    // Opened for writing: SQLite brings the copy's changes in from its WAL or journal.
    let c = Connection::open_with_flags(&target, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    notes.push(format!(
        "the source has a {} file with changes not yet in the database file: read from a copy of both, the source is left as it is",
        pending.join(" and a ")
    ));
    Ok((c, Some(copy)))
}

/// Refuses a database without Kaffebase's tables and columns; notes what it has beyond them.
fn check(c: &Connection, notes: &mut Vec<String>) -> Result<()> {
    let tables: Vec<String> = {
        let mut st =
            c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
        let names = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        names
    };
    let missing: Vec<&str> = TABLES
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| !tables.iter().any(|x| x == t))
        .collect();
    if missing.len() == TABLES.len() {
        return Err(refuse(
            "not a Kaffebase database: it has none of Kaffebase's tables (category, item, customization_key, customization_value, message, status, order, users); nothing was imported".into(),
        ));
    }
    if !missing.is_empty() {
        return Err(refuse(format!(
            "not a Kaffebase database (after its five migrations): no table {}; nothing was imported",
            missing.join(", ")
        )));
    }
    for (table, wanted) in TABLES {
        let cols = columns(c, table)?;
        let absent: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|w| !cols.iter().any(|c| c == w))
            .collect();
        if !absent.is_empty() {
            return Err(refuse(format!(
                "not a Kaffebase database (after its five migrations): table {table} has no column {}; nothing was imported",
                absent.join(", ")
            )));
        }
        for extra in cols.iter().filter(|c| !wanted.contains(&c.as_str())) {
            let filled: i64 = c.query_row(
                &format!("SELECT count(*) FROM \"{table}\" WHERE \"{extra}\" IS NOT NULL AND \"{extra}\" != ''"),
                [],
                |r| r.get(0),
            )?;
            notes.push(format!(
                "column {table}.{extra} is not Kaffebase's: not imported ({filled} rows have a value in it)"
            ));
        }
    }
    for t in tables.iter().filter(|t| !internal(t)) {
        if TABLES.iter().any(|(k, _)| k == t) {
            continue;
        }
        let n: i64 = c.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))?;
        match LEFT_ALONE.iter().find(|(k, _)| k == t) {
            Some((_, why)) if n > 0 => notes.push(format!("{t} ({n} rows): {why}")),
            Some(_) => {}
            None => notes.push(format!(
                "table {t} ({n} rows) is not Kaffebase's: not imported"
            )),
        }
    }
    Ok(())
}

fn columns(c: &Connection, table: &str) -> Result<Vec<String>> {
    let mut st = c.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
    let cols = st
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(cols)
}

/// Reads a Kaffebase database; it is not changed, and nothing is written beside it.
pub async fn read(path: &Path) -> Result<Source> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || read_now(&path))
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?
}

fn read_now(path: &Path) -> Result<Source> {
    if !path.is_file() {
        return Err(StoreError::NotFound("Kaffebase database"));
    }
    let mut s = Source::default();
    let (conn, _copy) = open(path, &mut s.notes)?;
    check(&conn, &mut s.notes)?;
    let mut fine = 0_usize;
    let mut time = |r: &Rec, col: &str| {
        let t = r.get(col).time();
        if t.is_some_and(|t| t.timestamp_subsec_nanos() % 1_000_000 != 0) {
            fine += 1;
        }
        t
    };
    let id = |r: &Rec| r.get("id").int().unwrap_or(0);
    // Before Kaffebase's fifth migration prices were decimals; it rounds them, and so does
    // the import (crema's menu prices of a Kaffebase café are whole kroner too).
    let mut fractions = 0_usize;
    let mut price = |c: &Cell| {
        if matches!(c, Cell::Real(f) if f.fract() != 0.0) {
            fractions += 1;
        }
        c.int().unwrap_or(0)
    };
    for r in rows(&conn, "category")? {
        s.categories.push(SrcCategory {
            id: id(&r),
            name: r.get("name").text().unwrap_or_default(),
            sort_order: r.get("sort_order").int().unwrap_or(0),
            enable: r.get("enable").boolean(),
            valid_customizations: key_ids(r.get("valid_customizations").text()),
            inserted_at: time(&r, "inserted_at"),
            updated_at: time(&r, "updated_at"),
        });
    }
    for r in rows(&conn, "item")? {
        s.items.push(SrcItem {
            id: id(&r),
            name: r.get("name").text().unwrap_or_default(),
            price_nok: price(r.get("price_nok")),
            category_id: r.get("category_id").int(),
            image: r.get("image").text().filter(|s| !s.trim().is_empty()),
            enable: r.get("enable").boolean(),
            sort_order: r.get("sort_order").int().unwrap_or(0),
            inserted_at: time(&r, "inserted_at"),
            updated_at: time(&r, "updated_at"),
        });
    }
    for r in rows(&conn, "customization_key")? {
        s.keys.push(SrcKey {
            id: id(&r),
            name: r.get("name").text().unwrap_or_default(),
            enable: r.get("enable").boolean(),
            label_color: r.get("label_color").text(),
            default_value: r.get("default_value").int(),
            multiple_choice: r.get("multiple_choice").boolean(),
            sort_order: r.get("sort_order").int().unwrap_or(0),
            inserted_at: time(&r, "inserted_at"),
            updated_at: time(&r, "updated_at"),
        });
    }
    for r in rows(&conn, "customization_value")? {
        s.values.push(SrcValue {
            id: id(&r),
            name: r.get("name").text().unwrap_or_default(),
            belongs_to: r.get("belongs_to").int().unwrap_or(0),
            enable: r.get("enable").boolean(),
            constant_price: r.get("constant_price").boolean(),
            price_increment_nok: price(r.get("price_increment_nok")),
            sort_order: r.get("sort_order").int().unwrap_or(0),
            inserted_at: time(&r, "inserted_at"),
            updated_at: time(&r, "updated_at"),
        });
    }
    for r in rows(&conn, "message")? {
        s.messages.push(SrcMessage {
            id: id(&r),
            title: r.get("title").text().unwrap_or_default(),
            subtitle: r.get("subtitle").text(),
            inserted_at: time(&r, "inserted_at"),
            updated_at: time(&r, "updated_at"),
        });
    }
    for r in rows(&conn, "status")? {
        s.statuses.push(SrcStatus {
            id: id(&r),
            open: r.get("open").boolean(),
            show_message: r.get("show_message").boolean(),
            message_id: r.get("message_id").int(),
            inserted_at: time(&r, "inserted_at"),
            updated_at: time(&r, "updated_at"),
        });
    }
    for r in rows(&conn, "order")? {
        s.orders.push(SrcOrder {
            id: id(&r),
            uuid: r.get("uuid").text(),
            customer_id: r.get("customer_id").int(),
            day_id: r.get("day_id").int().unwrap_or(0),
            items_data: r.get("items_data").text(),
            state: r.get("state").text().unwrap_or_default(),
            missing_information: r.get("missing_information").boolean(),
            inserted_at: time(&r, "inserted_at"),
            updated_at: time(&r, "updated_at"),
        });
    }
    for r in rows(&conn, "users")? {
        let Some(email) = r.get("email").text().filter(|e| e.contains('@')) else {
            s.users_left_out.push(id(&r));
            continue;
        };
        s.users.push(SrcUser {
            id: id(&r),
            email: email.trim().to_owned(),
            hashed_password: r.get("hashed_password").text(),
            name: r.get("name").text(),
            is_admin: r.get("is_admin").boolean(),
            inserted_at: time(&r, "inserted_at"),
        });
    }
    s.finer_than_ms = fine;
    if fractions > 0 {
        s.notes.push(format!(
            "{fractions} menu prices had fractions of a krone (Kaffebase's price migration has not run): rounded to whole kroner, as that migration does; orders keep the prices they were charged"
        ));
    }
    drop(conn);
    Ok(s)
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
    fn a_path_becomes_a_uri_that_sqlite_reads_back() {
        let u = uri(Path::new("/srv/backup/kaffe base?#%.db")).unwrap();
        assert_eq!(
            u,
            "file:/srv/backup/kaffe%20base%3F%23%25.db?mode=ro&immutable=1"
        );
    }
}
