-- Pairing a wall display or a kiosk without typing a key on it: the device asks for a short
-- code and shows it; a manager of a café enters the code in admin; the device's token (which
-- only the device knows: only its hash is here) becomes a device token of that café.
CREATE TABLE device_pairings (
    id          INTEGER PRIMARY KEY,
    -- SHA-256 of the short code the device shows (unique among the live ones).
    code_hash   TEXT    NOT NULL,
    -- SHA-256 of the device token the device holds; it becomes device_tokens.token_hash.
    token_hash  TEXT    NOT NULL UNIQUE,
    -- The address that asked, to bound how many codes one place may hold.
    ip          TEXT,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    -- Set when a manager paired it: the café and the device it became.
    cafe_id     INTEGER REFERENCES cafes(id) ON DELETE CASCADE,
    device_id   INTEGER REFERENCES device_tokens(id) ON DELETE CASCADE,
    claimed_at  TEXT
);
CREATE INDEX device_pairings_code ON device_pairings(code_hash);
CREATE INDEX device_pairings_expires ON device_pairings(expires_at);

-- Codes typed that matched no live pairing, per café: a café gets only a few wrong guesses
-- in a while, so six characters cannot be guessed by trying.
CREATE TABLE device_pairing_misses (
    id      INTEGER PRIMARY KEY,
    cafe_id INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    at      TEXT    NOT NULL
);
CREATE INDEX device_pairing_misses_cafe ON device_pairing_misses(cafe_id, at);
