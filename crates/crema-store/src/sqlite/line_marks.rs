//! Line marks in SQLite (see [`crate::line_marks`]): one row per marked line in
//! `order_line_marks`, read with every order through [`order_columns!`].

use super::orders::by_uuid;
use super::{exec, params, ts, SqliteStore, WriteCtx};
use crate::line_marks::{LineChange, LineMark, LineMarkRepo, LineMarked};
use crate::{Result, StoreError};
use async_trait::async_trait;
use crema_core::cafe::CafeId;
use crema_core::event::Event;
use crema_core::workflow::CANCELLED;
use crema_core::Rejection;
use uuid::Uuid;

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
    let rows: Vec<(u32, String, Option<i64>)> = serde_json::from_str(json)?;
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

fn mark_job(
    ctx: &mut WriteCtx,
    cafe: CafeId,
    uuid: Uuid,
    index: u32,
    done: bool,
    actor: Option<i64>,
) -> Result<LineMarked> {
    let mut order = by_uuid(ctx.conn(), cafe, uuid)?;
    let snap = ctx.snapshot(cafe)?;
    let n = order.day_number;
    if order.step == CANCELLED {
        return Err(StoreError::conflict(
            "step",
            format!("order {n} is cancelled: its lines can no longer be marked"),
        ));
    }
    if order.step == snap.cafe.workflow.last().as_str() {
        return Err(StoreError::conflict(
            "step",
            format!(
                "order {n} is finished ({}): its lines can no longer be marked",
                order.step
            ),
        ));
    }
    let count = order.lines.len();
    if index as usize >= count {
        return Err(Rejection::one(
            "index",
            "out_of_range",
            format!(
                "order {n} has {count} line{}: index must be 0 to {}",
                if count == 1 { "" } else { "s" },
                count.saturating_sub(1)
            ),
        )
        .into());
    }
    let was = order.line_done_at(index as usize);
    if was.is_some() == done {
        return Ok(LineMarked {
            order,
            changed: false,
        });
    }
    // The order's `updated_at` moves on with each mark, and never stays the same: screens keep
    // the newest copy of an order by it, so a late answer to an earlier tap cannot undo a
    // later one.
    let t = ctx
        .now()
        .max(order.updated_at + chrono::Duration::milliseconds(1));
    if done {
        exec(
            ctx.conn(),
            "INSERT INTO order_line_marks (order_id, line_index, done_at, actor_id) VALUES (?, ?, ?, ?)",
            params![order.id, index, ts(t), actor],
        )?;
        order.line_marks.push(LineMark {
            index,
            done_at: t,
            actor_id: actor,
        });
        order.line_marks.sort_by_key(|m| m.index);
    } else {
        exec(
            ctx.conn(),
            "DELETE FROM order_line_marks WHERE order_id = ? AND line_index = ?",
            params![order.id, index],
        )?;
        order.line_marks.retain(|m| m.index != index);
    }
    exec(
        ctx.conn(),
        "UPDATE orders SET updated_at = ? WHERE id = ?",
        params![ts(t), order.id],
    )?;
    order.updated_at = t;
    let change = LineChange {
        index,
        done_at: done.then_some(t),
        actor_id: actor,
        at: t,
    };
    ctx.record(
        cafe,
        if done {
            "order.line_done"
        } else {
            "order.line_undone"
        },
        format!("order:{}", order.uuid),
        Some(&serde_json::json!({ "line": index, "done_at": was })),
        Some(&serde_json::json!({ "line": index, "done_at": change.done_at })),
    )?;
    // Staff feeds only (the event's projection decides): the public board shows numbers, and
    // the customer's page follows moves, not the kitchen's progress within a step.
    ctx.append(
        cafe,
        Event::OrderLine {
            order: order.clone(),
            line: change,
        },
        t,
    )?;
    Ok(LineMarked {
        order,
        changed: true,
    })
}

#[async_trait]
impl LineMarkRepo for SqliteStore {
    async fn mark_line(
        &self,
        cafe: CafeId,
        uuid: Uuid,
        index: u32,
        done: bool,
        actor: Option<i64>,
    ) -> Result<LineMarked> {
        self.write(move |ctx| mark_job(ctx, cafe, uuid, index, done, actor))
            .await
    }
}
