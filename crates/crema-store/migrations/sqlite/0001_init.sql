-- crema's schema. Every row belongs to a café (users are global; their memberships are per
-- café). Timestamps are RFC 3339 UTC text with milliseconds, so they sort as text.

CREATE TABLE cafes (
    id             INTEGER PRIMARY KEY,
    slug           TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    timezone       TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    locale         TEXT    NOT NULL DEFAULT 'en',
    first_number   INTEGER NOT NULL DEFAULT 101,
    workflow       TEXT    NOT NULL, -- JSON array of step names
    price_rounding INTEGER NOT NULL DEFAULT 1,
    age_warn_secs  INTEGER NOT NULL DEFAULT 300,
    age_late_secs  INTEGER NOT NULL DEFAULT 600,
    is_default     INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
-- At most one default café (the one the Kaffebase surface serves).
CREATE UNIQUE INDEX cafes_one_default ON cafes(is_default) WHERE is_default = 1;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT,
    password_hash TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE memberships (
    cafe_id    INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'manager', 'barista', 'cashier')),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (cafe_id, user_id)
);

CREATE TABLE categories (
    id         INTEGER PRIMARY KEY,
    cafe_id    INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    UNIQUE (cafe_id, name)
);

CREATE TABLE modifier_groups (
    id                INTEGER PRIMARY KEY,
    cafe_id           INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    label_color       TEXT,
    mode              TEXT    NOT NULL CHECK (mode IN ('single', 'multiple')),
    required          INTEGER NOT NULL DEFAULT 0,
    min_select        INTEGER NOT NULL DEFAULT 0,
    max_select        INTEGER,
    default_option_id INTEGER REFERENCES modifier_options(id) ON DELETE SET NULL,
    enabled           INTEGER NOT NULL DEFAULT 1,
    sort_order        INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    UNIQUE (cafe_id, name)
);

CREATE TABLE modifier_options (
    id           INTEGER PRIMARY KEY,
    cafe_id      INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    group_id     INTEGER NOT NULL REFERENCES modifier_groups(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    effect_kind  TEXT    NOT NULL CHECK (effect_kind IN ('fixed', 'percent')),
    effect_value INTEGER NOT NULL DEFAULT 0,
    enabled      INTEGER NOT NULL DEFAULT 1,
    sold_out     INTEGER NOT NULL DEFAULT 0,
    sort_order   INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    UNIQUE (group_id, name)
);
CREATE INDEX modifier_options_group ON modifier_options(group_id);

-- Which groups a category's items may use, in order.
CREATE TABLE category_groups (
    cafe_id     INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    group_id    INTEGER NOT NULL REFERENCES modifier_groups(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (category_id, group_id)
);

CREATE TABLE items (
    id          INTEGER PRIMARY KEY,
    cafe_id     INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE RESTRICT,
    name        TEXT    NOT NULL,
    price       INTEGER NOT NULL CHECK (price >= 0),
    image       TEXT,
    enabled     INTEGER NOT NULL DEFAULT 1,
    sold_out    INTEGER NOT NULL DEFAULT 0,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    UNIQUE (cafe_id, name)
);
CREATE INDEX items_category ON items(category_id);

CREATE TABLE stations (
    id         INTEGER PRIMARY KEY,
    cafe_id    INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    UNIQUE (cafe_id, name)
);

CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    cafe_id    INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    title      TEXT    NOT NULL DEFAULT '',
    subtitle   TEXT,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);

-- One status row per café: open or closed, and which message shows.
CREATE TABLE cafe_status (
    id           INTEGER PRIMARY KEY,
    cafe_id      INTEGER NOT NULL UNIQUE REFERENCES cafes(id) ON DELETE CASCADE,
    open         INTEGER NOT NULL DEFAULT 0,
    show_message INTEGER NOT NULL DEFAULT 0,
    message_id   INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY,
    uuid                TEXT    NOT NULL UNIQUE,
    cafe_id             INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    local_date          TEXT    NOT NULL,
    day_number          INTEGER NOT NULL,
    channel             TEXT    NOT NULL CHECK (channel IN ('counter', 'web', 'kiosk', 'sms', 'api')),
    customer            TEXT    NOT NULL, -- JSON: {"kind": "anonymous" | "name" | "user" | "phone", ...}
    customer_user_id    INTEGER,
    placed_by           INTEGER REFERENCES users(id) ON DELETE SET NULL,
    station_id          INTEGER REFERENCES stations(id) ON DELETE SET NULL,
    step                TEXT    NOT NULL,
    lines               TEXT    NOT NULL, -- JSON snapshot, never rewritten
    currency            TEXT    NOT NULL,
    subtotal            INTEGER NOT NULL,
    tip                 INTEGER NOT NULL DEFAULT 0,
    total               INTEGER NOT NULL,
    missing_information INTEGER NOT NULL DEFAULT 0,
    cancel_reason       TEXT,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    -- A day number is never given twice in a café's day.
    UNIQUE (cafe_id, local_date, day_number)
);
CREATE INDEX orders_cafe_step ON orders(cafe_id, step, id);
CREATE INDEX orders_cafe_customer ON orders(cafe_id, customer_user_id);
CREATE INDEX orders_cafe_station ON orders(cafe_id, station_id, id);

CREATE TABLE order_moves (
    id         INTEGER PRIMARY KEY,
    cafe_id    INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    order_id   INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('place', 'forward', 'undo', 'cancel', 'finish')),
    from_step  TEXT,
    to_step    TEXT    NOT NULL,
    actor_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reason     TEXT,
    at         TEXT    NOT NULL
);
CREATE INDEX order_moves_order ON order_moves(order_id, id);

-- The last number given per café and local day. Numbers come from here, not from max() over
-- orders, so a deleted order's number is never given again.
CREATE TABLE day_counters (
    cafe_id     INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    local_date  TEXT    NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (cafe_id, local_date)
);

CREATE TABLE idempotency_keys (
    cafe_id      INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    order_id     INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (cafe_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- The event log: appended in the same transaction as the change it describes.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    cafe_id    INTEGER NOT NULL,
    topic      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX events_topic_seq ON events(topic, seq);
CREATE INDEX events_created ON events(created_at);
