//! Reports: a café's day in figures (orders, revenue, items sold, orders per hour, time to
//! ready) and the day's orders as CSV, for owners and managers.
//!
//! Everything is computed here from the stored orders and their moves, with integer money:
//! the order lines are immutable snapshots, so a report of a past day does not change when
//! the menu does. "The day" is the café's local calendar day, the same day the order numbers
//! belong to.

use super::extract::{ApiPath, ApiQuery};
use crate::auth::{authorize, Actor, Permission};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::State;
use axum::extract::State as S;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, Timelike};
use chrono_tz::Tz;
use crema_core::day::local_date;
use crema_core::id::GroupId;
use crema_core::workflow::{MoveKind, Workflow, CANCELLED};
use crema_store::{CafeRecord, MoveRecord, OrderFilter, OrderRecord};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(day_report))
        .routes(routes!(day_report_csv))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// The café's local date, `YYYY-MM-DD`; default today in the café's timezone.
    date: Option<String>,
}

/// How many orders came in, and how many of them were cancelled.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct OrderCounts {
    /// Every order placed on the day, cancelled ones included.
    pub placed: u32,
    pub cancelled: u32,
}

/// One item's sales, by the name the order lines recorded.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct ItemSales {
    pub name: String,
    pub quantity: u32,
    /// The sum of the line totals, in minor units.
    pub revenue: i64,
}

/// A day in figures.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct DayReport {
    pub date: NaiveDate,
    /// The café's IANA timezone, in which the day and the hours are counted.
    pub timezone: String,
    pub currency: String,
    pub orders: OrderCounts,
    /// The sum of the totals of the orders that were not cancelled, in minor units.
    pub revenue: i64,
    /// Items of the orders that were not cancelled, the most sold first.
    pub items: Vec<ItemSales>,
    /// Orders placed in each hour of the local day (index 0 is 00:00 to 00:59); cancelled
    /// ones count, since they were work at the counter too.
    pub hours: Vec<u32>,
    /// The step counted as "ready": the one before the last (the last with two steps).
    pub ready_step: String,
    /// The average seconds from placing to the last forward move into the ready step, over
    /// the orders that are at or past that step now; `null` when none are.
    pub average_ready_seconds: Option<i64>,
    /// How many orders the average is taken over.
    pub ready_orders: u32,
}

/// A day's figures.
#[utoipa::path(get, path = "/cafes/{slug}/reports/day", tag = "reports",
    params(("slug" = String, Path), DayQuery),
    responses((status = 200, body = DayReport),
        (status = 400, description = "`date` is not a date", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn day_report(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> ApiResult<Json<DayReport>> {
    let (cafe, date) = open(&state, &actor, &slug, &q).await?;
    let orders = day_orders(&state, &cafe, date).await?;
    let moves = state.store.day_moves(cafe.cafe.id, date).await?;
    Ok(Json(compute(&cafe, date, &orders, &moves)?))
}

/// A day's orders as CSV, one row per order line.
///
/// Columns: day number, local time, item, modifiers (`Group: Option; …`), quantity, line
/// total, order total, step, channel. Money is in major units with a decimal point
/// (`66.00`). UTF-8 with a byte-order mark so that spreadsheets read the letters right.
#[utoipa::path(get, path = "/cafes/{slug}/reports/day.csv", tag = "reports",
    params(("slug" = String, Path), DayQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn day_report_csv(
    S(state): S<State>,
    actor: Actor,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> ApiResult<Response> {
    let (cafe, date) = open(&state, &actor, &slug, &q).await?;
    let orders = day_orders(&state, &cafe, date).await?;
    let body = csv(&cafe, &orders);
    let filename = format!("{}-{date}.csv", cafe.cafe.slug.as_str());
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // A slug is lowercase letters, digits and dashes: the name needs no quoting rules beyond
    // the quotes.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The café (after the permission check, so a refusal comes before any word on the date) and
/// the day asked for.
async fn open(
    state: &State,
    actor: &Actor,
    slug: &str,
    q: &DayQuery,
) -> ApiResult<(CafeRecord, NaiveDate)> {
    let cafe = state.cafe(slug).await?;
    authorize(actor, cafe.cafe.id, Permission::ReadReports)?;
    let date = match q.date.as_deref().map(str::trim) {
        None | Some("") | Some("today") => local_date(cafe.cafe.timezone, state.store.now()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request("date", "must be a date like 2026-11-22"))?,
    };
    Ok((cafe, date))
}

/// Every order of the day, oldest first, read a page at a time.
async fn day_orders(
    state: &State,
    cafe: &CafeRecord,
    date: NaiveDate,
) -> ApiResult<Vec<OrderRecord>> {
    const PAGE: u32 = 1000;
    let mut out: Vec<OrderRecord> = Vec::new();
    loop {
        let filter = OrderFilter {
            local_date: Some(date),
            after_id: out.last().map(|o| o.id),
            limit: PAGE,
            ..Default::default()
        };
        let page = state.store.list_orders(cafe.cafe.id, &filter).await?;
        let full = page.len() as u32 == PAGE;
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

/// The step that means "ready to collect": the one before the last, since the last is handed
/// over (Kaffediem: `completed` before `dispatched`). With two steps, the last.
pub fn ready_step(workflow: &Workflow) -> usize {
    let n = workflow.steps().len();
    n.saturating_sub(2).max(1).min(n.saturating_sub(1))
}

fn overflow() -> ApiError {
    ApiError::Internal("a report sum does not fit in 64 bits".into())
}

/// The figures of one day from its orders and their moves.
pub fn compute(
    cafe: &CafeRecord,
    date: NaiveDate,
    orders: &[OrderRecord],
    moves: &[(crema_core::id::OrderId, MoveRecord)],
) -> ApiResult<DayReport> {
    let tz: Tz = cafe.cafe.timezone;
    let workflow = &cafe.cafe.workflow;
    let ready = ready_step(workflow);
    let ready_name = workflow
        .steps()
        .get(ready)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();

    let mut counts = OrderCounts {
        placed: 0,
        cancelled: 0,
    };
    let mut revenue: i64 = 0;
    let mut hours = vec![0u32; 24];
    // name → (quantity, revenue)
    let mut items: HashMap<&str, (u32, i64)> = HashMap::new();
    // order row id → the time of its last forward move into the ready step
    let mut ready_at: HashMap<crema_core::id::OrderId, chrono::DateTime<chrono::Utc>> =
        HashMap::new();
    for (order_id, m) in moves {
        let into_ready = workflow.position(&m.to) == Some(ready);
        if into_ready && matches!(m.kind, MoveKind::Forward | MoveKind::Finish) {
            ready_at.insert(*order_id, m.at);
        }
    }
    let mut ready_total: i64 = 0;
    let mut ready_orders: u32 = 0;

    for o in orders {
        counts.placed += 1;
        let hour = o.created_at.with_timezone(&tz).hour() as usize;
        if let Some(h) = hours.get_mut(hour) {
            *h += 1;
        }
        if o.step == CANCELLED {
            counts.cancelled += 1;
            continue;
        }
        revenue = revenue.checked_add(o.total.minor()).ok_or_else(overflow)?;
        for l in &o.lines {
            let e = items.entry(l.item_name.as_str()).or_insert((0, 0));
            e.0 = e.0.saturating_add(l.quantity);
            e.1 = e.1.checked_add(l.line_total.minor()).ok_or_else(overflow)?;
        }
        let at_or_past = workflow.position(&o.step).is_some_and(|p| p >= ready);
        if let (true, Some(t)) = (at_or_past, ready_at.get(&o.id)) {
            let secs = (*t - o.created_at).num_seconds().max(0);
            ready_total = ready_total.checked_add(secs).ok_or_else(overflow)?;
            ready_orders += 1;
        }
    }

    let mut items: Vec<ItemSales> = items
        .into_iter()
        .map(|(name, (quantity, revenue))| ItemSales {
            name: name.to_owned(),
            quantity,
            revenue,
        })
        .collect();
    items.sort_by(|a, b| {
        b.quantity
            .cmp(&a.quantity)
            .then(b.revenue.cmp(&a.revenue))
            .then(a.name.cmp(&b.name))
    });

    Ok(DayReport {
        date,
        timezone: tz.name().to_owned(),
        currency: cafe.cafe.currency.code().to_owned(),
        orders: counts,
        revenue,
        items,
        hours,
        ready_step: ready_name,
        // Rounded to the nearest second.
        average_ready_seconds: (ready_orders > 0)
            .then(|| (ready_total + i64::from(ready_orders) / 2) / i64::from(ready_orders)),
        ready_orders,
    })
}

/// Minor units as a plain decimal in major units: `6600` → `66.00`, `-5` → `-0.05`.
pub fn major(minor: i64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let unit = 10i64.pow(exponent);
    let sign = if minor < 0 { "-" } else { "" };
    let (m, f) = (
        minor.unsigned_abs() / unit as u64,
        minor.unsigned_abs() % unit as u64,
    );
    format!("{sign}{m}.{f:0width$}", width = exponent as usize)
}

/// One CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180), with
/// quotes doubled.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Text typed by staff (item names, options) that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@` at the start) gets a leading apostrophe.
pub fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_field(&format!("'{s}"))
    } else {
        csv_field(s)
    }
}

/// The CSV of a day's orders (see [`day_report_csv`]).
pub fn csv(cafe: &CafeRecord, orders: &[OrderRecord]) -> String {
    let tz: Tz = cafe.cafe.timezone;
    let exp = cafe.cafe.currency.exponent();
    let mut out = String::from("\u{feff}");
    let header = [
        "day_number",
        "time",
        "item",
        "modifiers",
        "quantity",
        "line_total",
        "order_total",
        "step",
        "channel",
    ];
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for o in orders {
        let time = o
            .created_at
            .with_timezone(&tz)
            .format("%H:%M:%S")
            .to_string();
        for l in &o.lines {
            // Options grouped under their group's name, in the order they were picked.
            let mut groups: BTreeMap<usize, (&str, Vec<&str>)> = BTreeMap::new();
            let mut first_seen: HashMap<GroupId, usize> = HashMap::new();
            for m in &l.modifiers {
                let next = first_seen.len();
                let i = *first_seen.entry(m.group_id).or_insert(next);
                groups
                    .entry(i)
                    .or_insert((m.group_name.as_str(), Vec::new()))
                    .1
                    .push(m.option_name.as_str());
            }
            let modifiers = groups
                .values()
                .map(|(g, opts)| format!("{g}: {}", opts.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            let row = [
                o.day_number.to_string(),
                time.clone(),
                csv_text(&l.item_name),
                csv_text(&modifiers),
                l.quantity.to_string(),
                major(l.line_total.minor(), exp),
                major(o.total.minor(), exp),
                csv_field(&o.step),
                o.channel.as_str().to_owned(),
            ];
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_major_units_keeps_its_decimals() {
        assert_eq!(major(6600, 2), "66.00");
        assert_eq!(major(5, 2), "0.05");
        assert_eq!(major(-1250, 2), "-12.50");
        assert_eq!(major(700, 0), "700");
    }

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(csv_field("Latte"), "Latte");
        assert_eq!(csv_field("Tea, green"), "\"Tea, green\"");
        assert_eq!(csv_field("The \"big\" one"), "\"The \"\"big\"\" one\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_text("-1, really"), "\"'-1, really\"");
    }

    #[test]
    fn the_ready_step_is_the_one_before_handing_over() {
        let w = Workflow::kaffediem();
        assert_eq!(w.steps()[ready_step(&w)].as_str(), "completed");
        let two = Workflow::new(&["new", "done"]).expect("workflow");
        assert_eq!(two.steps()[ready_step(&two)].as_str(), "done");
        let three = Workflow::new(&["new", "ready", "gone"]).expect("workflow");
        assert_eq!(three.steps()[ready_step(&three)].as_str(), "ready");
    }
}
