use crema_core::Rejection;

/// What can go wrong in the store, in terms a handler can map to HTTP.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist (in this café).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change clashes with what is stored (a duplicate name, a category still in use).
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    /// The domain rules refused the change.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The workflow does not allow this move from the order's current step.
    #[error(transparent)]
    Workflow(#[from] crema_core::workflow::WorkflowError),
    /// The database cannot take writes now (disk full, read-only file system).
    #[error("the database cannot take writes right now: {0}")]
    Unavailable(String),
    /// The store is shutting down.
    #[error("the store is shutting down")]
    Closed,
    #[error("database error: {0}")]
    Internal(String),
    /// A statement failed in a way the store did not turn into one of the above (kept apart
    /// from `Internal` so the store can recognise constraint violations), in terms of no
    /// particular database.
    #[error("database error: {message}")]
    Database {
        violated: Option<Constraint>,
        message: String,
    },
}

/// Which kind of constraint a failed statement violated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// A unique index or primary key.
    Unique,
    /// A foreign key (a row that names one that does not exist, or a delete of a row still
    /// named).
    ForeignKey,
    /// Any other (NOT NULL, CHECK, a trigger).
    Other,
}

impl StoreError {
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field),
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            // SQLite's primary result codes: 8 READONLY, 10 IOERR, 13 FULL, 14 CANTOPEN.
            if let Some(code) = db.code() {
                let primary = code.parse::<i64>().map(|c| c & 0xff).unwrap_or(0);
                if matches!(primary, 8 | 10 | 13 | 14) {
                    return StoreError::Unavailable(db.message().to_owned());
                }
            }
        }
        if let sqlx::Error::Io(io) = &e {
            return StoreError::Unavailable(io.to_string());
        }
        StoreError::Internal(e.to_string())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e {
            rusqlite::Error::SqliteFailure(f, msg) => {
                let message = msg.unwrap_or_else(|| f.to_string());
                match f.code {
                    ErrorCode::ReadOnly
                    | ErrorCode::SystemIoFailure
                    | ErrorCode::DiskFull
                    | ErrorCode::CannotOpen => StoreError::Unavailable(message),
                    _ => StoreError::Database {
                        violated: constraint_of(f.code, f.extended_code, &message),
                        message,
                    },
                }
            }
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound("record"),
            other => StoreError::Internal(other.to_string()),
        }
    }
}

/// The constraint a SQLite failure reports, if it is a constraint violation. SQLite reports an
/// `ON DELETE RESTRICT` refusal as SQLITE_CONSTRAINT_TRIGGER (1811) rather than
/// SQLITE_CONSTRAINT_FOREIGNKEY, with the same message.
fn constraint_of(code: rusqlite::ErrorCode, extended: i32, message: &str) -> Option<Constraint> {
    use rusqlite::ffi;
    if code != rusqlite::ErrorCode::ConstraintViolation {
        return None;
    }
    Some(match extended {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => Constraint::Unique,
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Constraint::ForeignKey,
        _ if message == "FOREIGN KEY constraint failed" => Constraint::ForeignKey,
        _ => Constraint::Other,
    })
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        StoreError::Internal(format!("stored value: {e}"))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Internal(format!("stored JSON: {e}"))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Internal(format!("migration: {e}"))
    }
}
