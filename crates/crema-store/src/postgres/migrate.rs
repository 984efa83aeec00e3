//! `crema migrate-db`: copies a SQLite installation, every table and the event log with its
//! seqs, into an empty PostgreSQL database, then compares the two table by table.
//!
//! The SQLite file is opened read-only and read in one read transaction, so a running
//! installation can be copied: the copy is the snapshot the transaction saw (writes after its
//! first read are not in it). The PostgreSQL side is written in one transaction: the target
//! gets every row or none. Ids and seqs are kept as they are, and each identity is moved past
//! the highest id (for the event log, past the highest seq SQLite ever gave, which may be higher
//! than any kept: AUTOINCREMENT never gives a seq twice, and neither may PostgreSQL).
//!
//! The comparison renders each row the same way on both sides ([`Value`] and its canonical
//! form), in primary-key order, and hashes the rendering per table with SHA-256; it reads the
//! target back from PostgreSQL after the commit, so it checks what was stored, not what was
//! sent.

use super::schema::{Kind, Table, TABLES};
use super::PgStore;
use crate::{Result, StoreError};
use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, Utc};
use futures::{pin_mut, TryStreamExt};
use rusqlite::types::ValueRef;
use rusqlite::OpenFlags;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// One stored value, as both sides are read into before they are rendered and hashed.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
    Date(NaiveDate),
    Json(String),
}

impl Value {
    /// The canonical rendering: a tag, then the value, lengths before texts so no two rows
    /// render the same.
    fn render(&self, out: &mut Sha256) {
        match self {
            Value::Null => out.update(b"N;"),
            Value::Int(i) => out.update(format!("I{i};")),
            Value::Text(s) => {
                out.update(format!("T{}:", s.len()));
                out.update(s.as_bytes());
            }
            Value::Bool(b) => out.update(if *b { "B1;" } else { "B0;" }),
            Value::Time(t) => out.update(format!("S{};", t.format("%Y-%m-%dT%H:%M:%S%.6fZ"))),
            Value::Date(d) => out.update(format!("D{};", d.format("%Y-%m-%d"))),
            Value::Json(s) => {
                out.update(format!("J{}:", s.len()));
                out.update(s.as_bytes());
            }
        }
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => i.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
            Value::Time(t) => t.to_sql(ty, out),
            Value::Date(d) => d.to_sql(ty, out),
            // JSON's binary form is its text.
            Value::Json(s) => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn pg_type(kind: Kind) -> Type {
    match kind {
        Kind::Int => Type::INT8,
        Kind::Text => Type::TEXT,
        Kind::Bool => Type::BOOL,
        Kind::Time => Type::TIMESTAMPTZ,
        Kind::Date => Type::DATE,
        Kind::Json => Type::JSON,
    }
}

/// One table's comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCheck {
    pub table: &'static str,
    pub source_rows: u64,
    pub target_rows: u64,
    /// SHA-256 (hex) of the table's rows rendered canonically in primary-key order.
    pub source_checksum: String,
    pub target_checksum: String,
    /// Same count and same checksum.
    pub matches: bool,
}

/// Every table's comparison, in the order the tables were copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    pub tables: Vec<TableCheck>,
}

impl MigrationReport {
    /// Whether every table matches.
    pub fn all_match(&self) -> bool {
        self.tables.iter().all(|t| t.matches)
    }

    /// The tables that do not match.
    pub fn mismatches(&self) -> impl Iterator<Item = &TableCheck> {
        self.tables.iter().filter(|t| !t.matches)
    }

    pub fn table(&self, name: &str) -> Option<&TableCheck> {
        self.tables.iter().find(|t| t.table == name)
    }
}

impl fmt::Display for MigrationReport {
    /// A table: per table the rows and the checksum (its first 16 hex digits) on each side,
    /// and whether they match; then a line saying whether all did.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self
            .tables
            .iter()
            .map(|t| t.table.len())
            .chain(["table".len()])
            .max()
            .unwrap_or(5);
        let short = |s: &str| s.chars().take(16).collect::<String>();
        writeln!(
            f,
            "{:<w$}  {:>12}  {:>12}  {:<16}  {:<16}  match",
            "table", "rows sqlite", "rows pg", "checksum sqlite", "checksum pg"
        )?;
        for t in &self.tables {
            writeln!(
                f,
                "{:<w$}  {:>12}  {:>12}  {:<16}  {:<16}  {}",
                t.table,
                t.source_rows,
                t.target_rows,
                short(&t.source_checksum),
                short(&t.target_checksum),
                if t.matches { "yes" } else { "NO" }
            )?;
        }
        let bad = self.mismatches().count();
        if bad == 0 {
            write!(f, "all {} tables match", self.tables.len())
        } else {
            write!(f, "{bad} of {} tables DO NOT match", self.tables.len())
        }
    }
}

/// Copies the SQLite database at `sqlite` into the PostgreSQL database at `url`, which must
/// be empty (its schema is created or brought up to date first), and returns the comparison of
/// the two. Refuses, changing nothing, when a crema table in the target has rows. A report
/// with a mismatch is returned, not an error: the caller shows it and fails.
pub async fn copy_sqlite_to_postgres(sqlite: &Path, url: &str) -> Result<MigrationReport> {
    let source = source_path(sqlite)?;
    let store = PgStore::open_with(url, 1).await?;
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    // No other node writes while the copy runs (one that tries waits for the commit).
    let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    tx.batch_execute(&format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        names.join(", ")
    ))
    .await?;
    for t in TABLES {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {}", t.name), &[])
            .await?
            .get(0);
        if n > 0 {
            return Err(StoreError::conflict(
                "to",
                format!(
                    "the target database is not empty: table {} has {n} rows; migrate-db copies only into an empty database",
                    t.name
                ),
            ));
        }
    }
    // The one reference back (a group's default option) is checked at commit.
    tx.batch_execute("SET CONSTRAINTS modifier_groups_default_option_id_fkey DEFERRED")
        .await?;

    let rx = read_source(source, true);
    let mut sources = Vec::new();
    let mut high_seq = 0;
    let mut current: Option<(&'static Table, _)> = None;
    loop {
        let msg = rx
            .recv_async()
            .await
            .map_err(|_| StoreError::Internal("the SQLite reader stopped".into()))??;
        match msg {
            Msg::Table(t) => {
                let cols: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
                let types: Vec<Type> = t.columns.iter().map(|c| pg_type(c.kind)).collect();
                let sink = tx
                    .copy_in(&format!(
                        "COPY {} ({}) FROM STDIN (FORMAT binary)",
                        t.name,
                        cols.join(", ")
                    ))
                    .await?;
                current = Some((t, Box::pin(BinaryCopyInWriter::new(sink, &types))));
            }
            Msg::Row(values) => {
                let Some((t, w)) = current.as_mut() else {
                    return Err(StoreError::Internal("a row before its table".into()));
                };
                w.as_mut()
                    .write_raw(values.iter())
                    .await
                    .map_err(|e| copy_error(t, e))?;
            }
            Msg::TableEnd(check) => {
                let Some((t, w)) = current.take() else {
                    return Err(StoreError::Internal(
                        "a table's end before its start".into(),
                    ));
                };
                let mut w = w;
                let written = w.as_mut().finish().await.map_err(|e| copy_error(t, e))?;
                if written != check.rows {
                    return Err(StoreError::Internal(format!(
                        "{}: {written} rows written of {} read",
                        t.name, check.rows
                    )));
                }
                sources.push(check);
            }
            Msg::HighSeq(seq) => high_seq = seq,
            Msg::Done => break,
        }
    }
    for t in TABLES {
        if let Some(col) = t.identity {
            let floor = if t.name == "events" { high_seq } else { 0 };
            // The next id is past both the highest kept and (for seqs) the highest given.
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', '{col}'), GREATEST(m, 1), m >= 1)
                     FROM (SELECT GREATEST(coalesce(max({col}), 0), $1) AS m FROM {t}) s",
                    t = t.name
                ),
                &[&floor],
            )
            .await?;
        }
    }
    tx.commit().await.map_err(|e| {
        StoreError::Internal(format!("committing the copy: {}", super::describe(&e)))
    })?;
    drop(client);
    let target = target_checks(&store).await?;
    store.close().await;
    Ok(report(sources, target))
}

/// Compares the SQLite database at `sqlite` with the PostgreSQL database at `url`, table by
/// table, without changing either (what [`copy_sqlite_to_postgres`] ends with; to check a copy
/// again later).
pub async fn compare(sqlite: &Path, url: &str) -> Result<MigrationReport> {
    let source = source_path(sqlite)?;
    let store = PgStore::open_with(url, 1).await?;
    let rx = read_source(source, false);
    let mut sources = Vec::new();
    loop {
        match rx
            .recv_async()
            .await
            .map_err(|_| StoreError::Internal("the SQLite reader stopped".into()))??
        {
            Msg::TableEnd(check) => sources.push(check),
            Msg::Done => break,
            _ => {}
        }
    }
    let target = target_checks(&store).await?;
    store.close().await;
    Ok(report(sources, target))
}

fn source_path(sqlite: &Path) -> Result<PathBuf> {
    if !sqlite.is_file() {
        return Err(StoreError::conflict(
            "from",
            format!("no SQLite database at {}", sqlite.display()),
        ));
    }
    Ok(sqlite.to_owned())
}

fn copy_error(t: &Table, e: tokio_postgres::Error) -> StoreError {
    StoreError::Internal(format!("copying table {}: {}", t.name, super::describe(&e)))
}

/// One side's count and checksum of a table.
struct Side {
    table: &'static str,
    rows: u64,
    checksum: String,
}

fn report(sources: Vec<Side>, targets: Vec<Side>) -> MigrationReport {
    let tables = TABLES
        .iter()
        .map(|t| {
            let s = sources.iter().find(|s| s.table == t.name);
            let d = targets.iter().find(|s| s.table == t.name);
            let (source_rows, source_checksum) =
                s.map_or((0, String::new()), |s| (s.rows, s.checksum.clone()));
            let (target_rows, target_checksum) =
                d.map_or((0, String::new()), |s| (s.rows, s.checksum.clone()));
            TableCheck {
                table: t.name,
                matches: s.is_some()
                    && d.is_some()
                    && source_rows == target_rows
                    && source_checksum == target_checksum,
                source_rows,
                target_rows,
                source_checksum,
                target_checksum,
            }
        })
        .collect();
    MigrationReport { tables }
}

enum Msg {
    Table(&'static Table),
    Row(Vec<Value>),
    TableEnd(Side),
    /// The highest seq the event log ever gave.
    HighSeq(i64),
    Done,
}

/// Reads the SQLite database on a thread of its own (rusqlite is blocking), in one read
/// transaction, and sends each table's rows (when `rows`) and its count and checksum.
fn read_source(path: PathBuf, rows: bool) -> flume::Receiver<Result<Msg>> {
    let (tx, rx) = flume::bounded(1024);
    std::thread::spawn(move || {
        if let Err(e) = read_all(&path, rows, &tx) {
            let _ = tx.send(Err(e));
        }
    });
    rx
}

fn read_all(path: &Path, rows: bool, out: &flume::Sender<Result<Msg>>) -> Result<()> {
    let closed = || StoreError::Internal("the copy stopped".into());
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| {
        StoreError::conflict(
            "from",
            format!("cannot open {} as SQLite: {e}", path.display()),
        )
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Every read below sees the snapshot the first one took.
    conn.execute_batch("BEGIN")?;
    check_source_schema(&conn)?;
    for t in TABLES {
        if rows {
            out.send(Ok(Msg::Table(t))).map_err(|_| closed())?;
        }
        let cols: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
        let mut st = conn.prepare(&format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            t.name,
            t.key.join(", ")
        ))?;
        let mut q = st.query([])?;
        let mut hash = Sha256::new();
        let mut n = 0u64;
        while let Some(r) = q.next()? {
            let mut values = Vec::with_capacity(t.columns.len());
            for (i, c) in t.columns.iter().enumerate() {
                values.push(from_sqlite(c.kind, r.get_ref(i)?).map_err(|why| {
                    StoreError::Internal(format!(
                        "{}.{} of the row with {}: {why}",
                        t.name,
                        c.name,
                        key_of(t, r)
                    ))
                })?);
            }
            for v in &values {
                v.render(&mut hash);
            }
            hash.update(b"\n");
            n += 1;
            if rows {
                out.send(Ok(Msg::Row(values))).map_err(|_| closed())?;
            }
        }
        out.send(Ok(Msg::TableEnd(Side {
            table: t.name,
            rows: n,
            checksum: hex::encode(hash.finalize()),
        })))
        .map_err(|_| closed())?;
    }
    let given: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let kept: Option<i64> = conn.query_row("SELECT max(seq) FROM events", [], |r| r.get(0))?;
    let high = given.unwrap_or(0).max(kept.unwrap_or(0));
    conn.execute_batch("COMMIT")?;
    out.send(Ok(Msg::HighSeq(high))).map_err(|_| closed())?;
    out.send(Ok(Msg::Done)).map_err(|_| closed())?;
    Ok(())
}

/// The source must hold exactly the tables and columns the copier knows: a table or column it
/// does not know would be left behind, so it refuses instead.
fn check_source_schema(conn: &rusqlite::Connection) -> Result<()> {
    let mut st = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )?;
    let found: BTreeSet<String> = st
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let known: BTreeSet<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
    if let Some(extra) = found.difference(&known).next() {
        return Err(StoreError::conflict(
            "from",
            format!("the SQLite database has a table this version does not know: {extra}; use the crema version that made it"),
        ));
    }
    if let Some(missing) = known.difference(&found).next() {
        return Err(StoreError::conflict(
            "from",
            format!("the SQLite database has no table {missing}: start this version of crema on it once (which migrates it), then copy it"),
        ));
    }
    for t in TABLES {
        let mut st = conn.prepare(&format!("SELECT name FROM pragma_table_info('{}')", t.name))?;
        let cols: BTreeSet<String> = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let want: BTreeSet<String> = t.columns.iter().map(|c| c.name.to_owned()).collect();
        if cols != want {
            let diff: Vec<&String> = cols.symmetric_difference(&want).collect();
            return Err(StoreError::conflict(
                "from",
                format!(
                    "table {} of the SQLite database does not have the columns this version knows (differs in {diff:?}); start this version of crema on it once, then copy it",
                    t.name
                ),
            ));
        }
    }
    Ok(())
}

fn key_of(t: &Table, r: &rusqlite::Row<'_>) -> String {
    t.key
        .iter()
        .map(|k| {
            let i = t.columns.iter().position(|c| c.name == *k).unwrap_or(0);
            let v = match r.get_ref(i) {
                Ok(ValueRef::Integer(i)) => i.to_string(),
                Ok(ValueRef::Text(s)) => format!("{:?}", String::from_utf8_lossy(s)),
                _ => "?".into(),
            };
            format!("{k} = {v}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn from_sqlite(kind: Kind, v: ValueRef<'_>) -> std::result::Result<Value, String> {
    let text = |v: ValueRef<'_>| match v {
        ValueRef::Text(s) => std::str::from_utf8(s)
            .map(str::to_owned)
            .map_err(|e| format!("not UTF-8: {e}")),
        other => Err(format!("expected text, found {:?}", other.data_type())),
    };
    Ok(match (kind, v) {
        (_, ValueRef::Null) => Value::Null,
        (Kind::Int, ValueRef::Integer(i)) => Value::Int(i),
        (Kind::Int, other) => {
            return Err(format!(
                "expected an integer, found {:?}",
                other.data_type()
            ))
        }
        (Kind::Bool, ValueRef::Integer(0)) => Value::Bool(false),
        (Kind::Bool, ValueRef::Integer(1)) => Value::Bool(true),
        (Kind::Bool, other) => return Err(format!("expected 0 or 1, found {other:?}")),
        (Kind::Text, v) => Value::Text(text(v)?),
        (Kind::Json, v) => Value::Json(text(v)?),
        (Kind::Time, v) => {
            let s = text(v)?;
            Value::Time(
                DateTime::parse_from_rfc3339(&s)
                    .map_err(|e| format!("time {s:?}: {e}"))?
                    .with_timezone(&Utc),
            )
        }
        (Kind::Date, v) => {
            let s = text(v)?;
            Value::Date(
                NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .map_err(|e| format!("date {s:?}: {e}"))?,
            )
        }
    })
}

/// Each table's count and checksum as PostgreSQL holds it: the same columns, in the same
/// order, text keys ordered by bytes as SQLite orders them.
async fn target_checks(store: &PgStore) -> Result<Vec<Side>> {
    let client = store.client().await?;
    let mut out = Vec::new();
    for t in TABLES {
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| match c.kind {
                Kind::Json => format!("{}::text", c.name),
                _ => c.name.to_owned(),
            })
            .collect();
        let order: Vec<String> = t
            .key
            .iter()
            .map(|k| match t.column(k).map(|c| c.kind) {
                Some(Kind::Text) => format!("{k} COLLATE \"C\""),
                _ => (*k).to_owned(),
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            t.name,
            order.join(", ")
        );
        let rows = client
            .query_raw(&sql, std::iter::empty::<&(dyn ToSql + Sync)>())
            .await?;
        pin_mut!(rows);
        let mut hash = Sha256::new();
        let mut n = 0u64;
        while let Some(r) = rows.try_next().await? {
            for (i, c) in t.columns.iter().enumerate() {
                let v = match c.kind {
                    Kind::Int => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
                    Kind::Text => r.try_get::<_, Option<String>>(i)?.map(Value::Text),
                    Kind::Bool => r.try_get::<_, Option<bool>>(i)?.map(Value::Bool),
                    Kind::Time => r.try_get::<_, Option<DateTime<Utc>>>(i)?.map(Value::Time),
                    Kind::Date => r.try_get::<_, Option<NaiveDate>>(i)?.map(Value::Date),
                    Kind::Json => r.try_get::<_, Option<String>>(i)?.map(Value::Json),
                };
                v.unwrap_or(Value::Null).render(&mut hash);
            }
            hash.update(b"\n");
            n += 1;
        }
        out.push(Side {
            table: t.name,
            rows: n,
            checksum: hex::encode(hash.finalize()),
        });
    }
    Ok(out)
}
