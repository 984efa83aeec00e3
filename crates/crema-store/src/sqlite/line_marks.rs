//! Line marks in SQLite (see [`crate::line_marks`]): one row per marked line in
//! `order_line_marks`, read with every order through [`order_columns!`].

use super::{exec, params, ts, WriteCtx};
use crate::line_marks::LineMark;
use crate::Result;

/// The columns every read of an order selects: the row, and its marks as one JSON array of
/// `[index, done_at, actor_id]` (one correlated lookup on the marks' primary key, so a list of
/// orders needs no second query).
macro_rules! order_columns {
    () => {
        "*, (SELECT json_group_array(json_array(m.line_index, m.done_at, m.actor_id)) \
         FROM order_line_marks m WHERE m.order_id = orders.id) AS line_marks"
    };
}
pub(crate) use order_columns;

/// The `line_marks` column of a row read with [`order_columns!`], by index.
pub(super) fn marks_of(json: &str) -> Result<Vec<LineMark>> {
    let rows: Vec<(u32, String, Option<crema_core::id::UserId>)> = serde_json::from_str(json)?;
    let mut marks = rows
        .into_iter()
        .map(|(index, at, actor_id)| {
            Ok(LineMark {
                index,
                done_at: super::parse_ts(&at)?,
                actor_id,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    marks.sort_by_key(|m| m.index);
    Ok(marks)
}

/// Marks line `index` of order `order_id` made at `mark`'s time, or takes its mark off.
pub(super) fn set_mark(
    ctx: &WriteCtx,
    order_id: crema_core::id::OrderId,
    index: u32,
    mark: Option<&LineMark>,
) -> Result<()> {
    match mark {
        Some(m) => exec(
            ctx.conn(),
            "INSERT INTO order_line_marks (order_id, line_index, done_at, actor_id) VALUES (?, ?, ?, ?)",
            params![order_id, index, ts(m.done_at), m.actor_id],
        )?,
        None => exec(
            ctx.conn(),
            "DELETE FROM order_line_marks WHERE order_id = ? AND line_index = ?",
            params![order_id, index],
        )?,
    };
    Ok(())
}
