-- Invitations to join a café's staff. Adding someone who is not yet a member creates only an
-- invitation: whether the email has an account is decided when the invitee accepts, through
-- the link only they are meant to hold, so the inviting manager learns nothing about it.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    cafe_id     INTEGER NOT NULL REFERENCES cafes(id) ON DELETE CASCADE,
    -- Trimmed and lower-cased, as accounts keep theirs.
    email       TEXT    NOT NULL COLLATE NOCASE,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'manager', 'barista', 'cashier')),
    -- The name the inviter gave; a new account takes it unless the invitee chooses another.
    name        TEXT,
    -- SHA-256 of the single-use code in the link; the code itself is shown once.
    code_hash   TEXT    NOT NULL UNIQUE,
    invited_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    -- Set when the code was used: who accepted it.
    accepted_at TEXT,
    accepted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- Set when a manager withdrew it, or a newer invitation for the same email replaced it.
    withdrawn_at TEXT
);
CREATE INDEX invitations_cafe ON invitations(cafe_id, email);
