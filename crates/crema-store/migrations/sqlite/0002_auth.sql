-- Accounts and access: browser sessions, API tokens (access + rotating refresh), device
-- tokens for kiosks and wall displays. Only hashes of secrets are stored.

CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    revoked_at TEXT,
    ip         TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Access tokens live 15 minutes; refresh tokens 7 days and are single-use: each use issues a
-- new one in the same family, and using one twice revokes the whole family.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    family     TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_family ON api_tokens(family);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE device_tokens (
    id         INTEGER PRIMARY KEY,
    cafe_id    INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('display', 'kiosk')),
    token_hash TEXT    NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT    NOT NULL,
    revoked_at TEXT
);
CREATE INDEX device_tokens_cafe ON device_tokens(cafe_id);
