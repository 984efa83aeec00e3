//! Reads on PostgreSQL (inherent methods until the repository traits settle).
