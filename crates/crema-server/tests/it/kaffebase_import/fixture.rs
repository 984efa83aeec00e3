//! A Kaffebase database built the way Kaffebase builds its own: the five Ecto migrations in
//! order, with the DDL ecto_sqlite3 generates for them (`:string` and times as TEXT, booleans
//! as INTEGER, `:decimal` as DECIMAL, AUTOINCREMENT ids), in WAL mode as ecto_sqlite3 opens
//! it, and the rows of `schema_migrations`. Rows go in between the migrations where Kaffebase
//! had them then (the menu's prices were decimals until the fifth).

// Shared with the binary's import tests, which use part of it.
#![allow(dead_code)]

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::str::FromStr;

/// bcrypt of "kaffediem" (Kaffebase's migration admin), cost 4.
pub const ADMIN_HASH: &str = "$2b$04$abcdefghijklmnopqrstuusVmRdHxesTRIui3zpTkFg2C9qJsmyMG";

/// 20251005105055: users and their tokens.
const M1: &str = r#"
CREATE TABLE "users" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL COLLATE NOCASE, "hashed_password" TEXT, "confirmed_at" TEXT, "inserted_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
CREATE UNIQUE INDEX "users_email_index" ON "users" ("email");
CREATE TABLE "users_tokens" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "user_id" INTEGER NOT NULL CONSTRAINT "users_tokens_user_id_fkey" REFERENCES "users"("id") ON DELETE CASCADE, "token" BLOB NOT NULL, "context" TEXT NOT NULL, "sent_to" TEXT, "authenticated_at" TEXT, "inserted_at" TEXT NOT NULL);
CREATE INDEX "users_tokens_user_id_index" ON "users_tokens" ("user_id");
CREATE UNIQUE INDEX "users_tokens_context_token_index" ON "users_tokens" ("context", "token");
"#;

/// 20251005120000: profile fields.
const M2: &str = r#"
ALTER TABLE "users" ADD COLUMN "name" TEXT;
ALTER TABLE "users" ADD COLUMN "username" TEXT;
ALTER TABLE "users" ADD COLUMN "is_admin" INTEGER DEFAULT false NOT NULL;
UPDATE users SET name = COALESCE(name, 'User');
UPDATE users SET username = 'user-' || substr(hex(randomblob(8)), 1, 8) WHERE username IS NULL;
CREATE UNIQUE INDEX "users_username_index" ON "users" ("username");
"#;

/// 20251020080000 "origin": the catalog, content and order tables (`users` exists already, so
/// its `create_if_not_exists` does nothing).
const M4: &str = r#"
CREATE TABLE IF NOT EXISTS "category" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "sort_order" INTEGER DEFAULT 0 NOT NULL, "enable" INTEGER DEFAULT false NOT NULL, "valid_customizations" TEXT DEFAULT '[]' NOT NULL, "inserted_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "item" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "price_nok" DECIMAL NOT NULL, "category_id" INTEGER CONSTRAINT "item_category_id_fkey" REFERENCES "category"("id") ON DELETE RESTRICT, "image" TEXT, "enable" INTEGER DEFAULT false NOT NULL, "sort_order" INTEGER DEFAULT 0 NOT NULL, "inserted_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS "item_name_index" ON "item" ("name");
CREATE INDEX IF NOT EXISTS "item_category_id_index" ON "item" ("category_id");
CREATE TABLE IF NOT EXISTS "customization_key" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "enable" INTEGER DEFAULT false NOT NULL, "label_color" TEXT, "default_value" TEXT, "multiple_choice" INTEGER DEFAULT false NOT NULL, "sort_order" INTEGER DEFAULT 0 NOT NULL, "inserted_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "customization_value" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "price_increment_nok" DECIMAL DEFAULT 0 NOT NULL, "belongs_to" INTEGER NOT NULL, "enable" INTEGER DEFAULT false NOT NULL, "constant_price" INTEGER DEFAULT false NOT NULL, "sort_order" INTEGER DEFAULT 0 NOT NULL, "inserted_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "message" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "subtitle" TEXT, "inserted_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "status" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "open" INTEGER DEFAULT false NOT NULL, "show_message" INTEGER DEFAULT false NOT NULL, "message_id" INTEGER, "inserted_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "order" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "uuid" TEXT NOT NULL, "customer_id" INTEGER, "day_id" INTEGER NOT NULL, "items_data" TEXT, "state" TEXT NOT NULL, "missing_information" INTEGER DEFAULT false NOT NULL, "inserted_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS "order_customer_id_index" ON "order" ("customer_id");
CREATE UNIQUE INDEX IF NOT EXISTS "order_uuid_index" ON "order" ("uuid");
"#;

/// 20251116103333: prices to whole kroner, each column rebuilt through a renamed copy.
const M5: &str = r#"
ALTER TABLE item RENAME COLUMN price_nok TO price_nok_old;
ALTER TABLE item ADD COLUMN price_nok INTEGER NOT NULL DEFAULT 0;
UPDATE item SET price_nok = CAST(ROUND(price_nok_old) AS INTEGER);
ALTER TABLE item DROP COLUMN price_nok_old;
ALTER TABLE customization_value RENAME COLUMN price_increment_nok TO price_increment_nok_old;
ALTER TABLE customization_value ADD COLUMN price_increment_nok INTEGER NOT NULL DEFAULT 0;
UPDATE customization_value SET price_increment_nok = CAST(ROUND(price_increment_nok_old) AS INTEGER);
ALTER TABLE customization_value DROP COLUMN price_increment_nok_old;
"#;

pub struct KaffebaseDb {
    pub conn: SqliteConnection,
}

impl KaffebaseDb {
    /// A new database at `path` after the first four migrations (the catalog's prices are
    /// still decimals); [`Self::migrate_prices`] runs the fifth.
    pub async fn create(path: &Path) -> KaffebaseDb {
        let conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .connect()
            .await
            .unwrap();
        let mut db = KaffebaseDb { conn };
        db.run(r#"CREATE TABLE IF NOT EXISTS "schema_migrations" ("version" INTEGER PRIMARY KEY, "inserted_at" TEXT)"#)
            .await;
        db.migration(20251005105055, M1).await;
        db.migration(20251005120000, M2).await;
        // 20251005130000: Kaffediem's admin, password "kaffediem".
        let ensure_admin = format!(
            "INSERT INTO users (email, hashed_password, confirmed_at, inserted_at, updated_at, name, username, is_admin)
             VALUES ('kaffediem@asvg.codes', '{ADMIN_HASH}', '2025-10-05T13:00:00Z', '2025-10-05T13:00:00Z', '2025-10-05T13:00:00Z', 'Kaffediem', 'kaffediem', 1)
             ON CONFLICT (email) DO UPDATE SET hashed_password = excluded.hashed_password, is_admin = 1"
        );
        db.migration(20251005130000, &ensure_admin).await;
        db.migration(20251020080000, M4).await;
        db
    }

    /// An existing database, as a running Kaffebase has it open.
    pub async fn open(path: &Path) -> KaffebaseDb {
        let conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .journal_mode(SqliteJournalMode::Wal)
            .connect()
            .await
            .unwrap();
        KaffebaseDb { conn }
    }

    pub async fn migrate_prices(&mut self) {
        self.migration(20251116103333, M5).await;
    }

    async fn migration(&mut self, version: i64, sql: &str) {
        self.script(sql).await;
        self.run(&format!(
            "INSERT INTO schema_migrations (version, inserted_at) VALUES ({version}, '2025-11-16T10:00:00')"
        ))
        .await;
    }

    /// Statements separated by `;` at the end of a line.
    pub async fn script(&mut self, sql: &str) {
        for stmt in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            self.run(stmt).await;
        }
    }

    pub async fn run(&mut self, stmt: &str) {
        sqlx::query(stmt)
            .execute(&mut self.conn)
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }

    /// Closes the database as a stopped Kaffebase leaves it: its WAL checkpointed and gone.
    pub async fn close(self) {
        self.conn.close().await.unwrap();
    }
}
