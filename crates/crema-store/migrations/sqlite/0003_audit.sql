-- Who did what to which record, with the record before and after: appended in the same
-- transaction as the change.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    cafe_id    INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    actor_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    device_id  INTEGER REFERENCES device_tokens(id) ON DELETE SET NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    before     TEXT,
    after      TEXT,
    ip         TEXT,
    at         TEXT    NOT NULL
);
CREATE INDEX audit_log_cafe ON audit_log(cafe_id, id);
CREATE INDEX audit_log_cafe_action ON audit_log(cafe_id, action, id);
