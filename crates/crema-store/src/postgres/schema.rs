//! Every table of crema's schema, its columns with what each holds, and its primary key: what
//! the copier moves and compares. A test checks this against both schemas (SQLite after its
//! migrations, PostgreSQL after its own), so a migration that adds a column or a table cannot
//! leave the copier behind.

/// What a column holds, which says how it is stored on each side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// INTEGER / BIGINT.
    Int,
    /// TEXT / TEXT.
    Text,
    /// INTEGER 0 or 1 / BOOLEAN.
    Bool,
    /// RFC 3339 UTC text / TIMESTAMPTZ.
    Time,
    /// 'YYYY-MM-DD' text / DATE.
    Date,
    /// JSON text / JSON (which keeps the text as written).
    Json,
}

/// A column: its name and what it holds.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

/// A table: its columns, its primary key, and the column PostgreSQL numbers by an identity
/// (SQLite's INTEGER PRIMARY KEY), if any.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub key: &'static [&'static str],
    pub identity: Option<&'static str>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn c(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

use Kind::*;

const fn rowid(name: &'static str, columns: &'static [Column]) -> Table {
    Table {
        name,
        columns,
        key: &["id"],
        identity: Some("id"),
    }
}

/// The tables, parents before the rows that name them (the order the copier loads them in;
/// modifier_groups' default option is the one reference back, checked at commit).
pub const TABLES: &[Table] = &[
    rowid(
        "cafes",
        &[
            c("id", Int),
            c("slug", Text),
            c("name", Text),
            c("timezone", Text),
            c("currency", Text),
            c("locale", Text),
            c("first_number", Int),
            c("workflow", Json),
            c("price_rounding", Int),
            c("age_warn_secs", Int),
            c("age_late_secs", Int),
            c("is_default", Bool),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    rowid(
        "users",
        &[
            c("id", Int),
            c("email", Text),
            c("name", Text),
            c("password_hash", Text),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    Table {
        name: "memberships",
        columns: &[
            c("cafe_id", Int),
            c("user_id", Int),
            c("role", Text),
            c("created_at", Time),
        ],
        key: &["cafe_id", "user_id"],
        identity: None,
    },
    rowid(
        "categories",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("name", Text),
            c("sort_order", Int),
            c("enabled", Bool),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    rowid(
        "modifier_groups",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("name", Text),
            c("label_color", Text),
            c("mode", Text),
            c("required", Bool),
            c("min_select", Int),
            c("max_select", Int),
            c("default_option_id", Int),
            c("enabled", Bool),
            c("sort_order", Int),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    rowid(
        "modifier_options",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("group_id", Int),
            c("name", Text),
            c("effect_kind", Text),
            c("effect_value", Int),
            c("enabled", Bool),
            c("sold_out", Bool),
            c("sort_order", Int),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    Table {
        name: "category_groups",
        columns: &[
            c("cafe_id", Int),
            c("category_id", Int),
            c("group_id", Int),
            c("position", Int),
        ],
        key: &["category_id", "group_id"],
        identity: None,
    },
    rowid(
        "items",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("category_id", Int),
            c("name", Text),
            c("price", Int),
            c("image", Text),
            c("enabled", Bool),
            c("sold_out", Bool),
            c("sort_order", Int),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    rowid(
        "stations",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("name", Text),
            c("active", Bool),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    rowid(
        "messages",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("title", Text),
            c("subtitle", Text),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    rowid(
        "cafe_status",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("open", Bool),
            c("show_message", Bool),
            c("message_id", Int),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    rowid(
        "orders",
        &[
            c("id", Int),
            c("uuid", Text),
            c("cafe_id", Int),
            c("local_date", Date),
            c("day_number", Int),
            c("channel", Text),
            c("customer", Json),
            c("customer_user_id", Int),
            c("placed_by", Int),
            c("station_id", Int),
            c("step", Text),
            c("lines", Json),
            c("currency", Text),
            c("subtotal", Int),
            c("tip", Int),
            c("total", Int),
            c("missing_information", Bool),
            c("cancel_reason", Text),
            c("created_at", Time),
            c("updated_at", Time),
        ],
    ),
    rowid(
        "order_moves",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("order_id", Int),
            c("kind", Text),
            c("from_step", Text),
            c("to_step", Text),
            c("actor_id", Int),
            c("reason", Text),
            c("at", Time),
        ],
    ),
    Table {
        name: "day_counters",
        columns: &[
            c("cafe_id", Int),
            c("local_date", Date),
            c("last_number", Int),
        ],
        key: &["cafe_id", "local_date"],
        identity: None,
    },
    Table {
        name: "idempotency_keys",
        columns: &[
            c("cafe_id", Int),
            c("key", Text),
            c("request_hash", Text),
            c("order_id", Int),
            c("created_at", Time),
        ],
        key: &["cafe_id", "key"],
        identity: None,
    },
    Table {
        name: "events",
        columns: &[
            c("seq", Int),
            c("cafe_id", Int),
            c("kind", Text),
            c("payload", Json),
            c("created_at", Time),
            c("stream", Text),
            c("order_uuid", Text),
            c("station_id", Int),
        ],
        key: &["seq"],
        identity: Some("seq"),
    },
    rowid(
        "sessions",
        &[
            c("id", Int),
            c("token_hash", Text),
            c("user_id", Int),
            c("created_at", Time),
            c("expires_at", Time),
            c("revoked_at", Time),
            c("ip", Text),
        ],
    ),
    rowid(
        "api_tokens",
        &[
            c("id", Int),
            c("token_hash", Text),
            c("kind", Text),
            c("family", Text),
            c("user_id", Int),
            c("created_at", Time),
            c("expires_at", Time),
            c("used_at", Time),
            c("revoked_at", Time),
        ],
    ),
    rowid(
        "device_tokens",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("name", Text),
            c("purpose", Text),
            c("token_hash", Text),
            c("created_by", Int),
            c("created_at", Time),
            c("revoked_at", Time),
        ],
    ),
    rowid(
        "audit_log",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("actor_id", Int),
            c("device_id", Int),
            c("action", Text),
            c("target", Text),
            c("before", Text),
            c("after", Text),
            c("ip", Text),
            c("at", Time),
        ],
    ),
    rowid(
        "device_pairings",
        &[
            c("id", Int),
            c("code_hash", Text),
            c("token_hash", Text),
            c("ip", Text),
            c("created_at", Time),
            c("expires_at", Time),
            c("cafe_id", Int),
            c("device_id", Int),
            c("claimed_at", Time),
        ],
    ),
    rowid(
        "device_pairing_misses",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("user_id", Int),
            c("at", Time),
        ],
    ),
    rowid(
        "invitations",
        &[
            c("id", Int),
            c("cafe_id", Int),
            c("email", Text),
            c("role", Text),
            c("name", Text),
            c("code_hash", Text),
            c("invited_by", Int),
            c("created_at", Time),
            c("expires_at", Time),
            c("accepted_at", Time),
            c("accepted_by", Int),
            c("withdrawn_at", Time),
        ],
    ),
    Table {
        name: "order_line_marks",
        columns: &[
            c("order_id", Int),
            c("line_index", Int),
            c("done_at", Time),
            c("actor_id", Int),
        ],
        key: &["order_id", "line_index"],
        identity: None,
    },
];

/// The table named `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}
