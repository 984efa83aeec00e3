//! The admin pages for people and devices (`/admin/people`), the day's report
//! (`/admin/reports`) and the audit log (`/admin/audit`).
//!
//! The pages are shells: their scripts read and write through the native API (members,
//! devices, reports, audit), so the page and the API refuse and explain the same things. What
//! the scripts cannot ask the API cheaply is put in the boot data: who is asking (an owner may
//! grant every role, a manager only barista and cashier), and the names of the people and
//! devices that appear in the audit log.

use super::page::{Ctx, WebError};
use crate::auth::Permission;
use crate::state::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use crema_core::day::local_date;
use crema_store::Role;
use serde::Serialize;

pub fn router() -> Router<State> {
    Router::new()
        .route("/admin/people", get(people))
        .route("/admin/reports", get(reports))
        .route("/admin/audit", get(audit))
}

#[derive(Serialize)]
struct PeopleBoot {
    /// The roles the visitor may give (and take away).
    grantable: Vec<&'static str>,
    /// The visitor's own user id: their own row gets no remove button.
    me: Option<crema_core::id::UserId>,
}

async fn people(ctx: Ctx) -> Result<impl IntoResponse, WebError> {
    ctx.require(Permission::ManageStaff)?;
    ctx.require(Permission::ManageDevices)?;
    let grantable = match ctx.actor.role_in(ctx.cafe.cafe.id) {
        Some(Role::Owner) => vec!["owner", "manager", "barista", "cashier"],
        _ => vec!["barista", "cashier"],
    };
    Ok(ctx
        .page("admin_people.html", "people.title")
        .sections(&["people"])
        .var("section", "people")
        .boot(PeopleBoot {
            grantable,
            me: ctx.actor.user_id,
        }))
}

#[derive(Serialize)]
struct ReportsBoot {
    /// Today in the café's timezone: the date picker's default.
    today: String,
}

async fn reports(ctx: Ctx) -> Result<impl IntoResponse, WebError> {
    ctx.require(Permission::ReadReports)?;
    let today = local_date(ctx.cafe.cafe.timezone, ctx.state.store.now()).to_string();
    Ok(ctx
        .page("admin_reports.html", "reports.title")
        .sections(&["reports"])
        .var("section", "reports")
        .var("today", &today)
        .boot(ReportsBoot { today }))
}

#[derive(Serialize)]
struct Person {
    id: i64,
    name: String,
}

#[derive(Serialize)]
struct AuditBoot {
    /// Everyone who is or was on the staff list now, for naming actors and the actor filter.
    people: Vec<Person>,
    devices: Vec<Person>,
}

async fn audit(ctx: Ctx) -> Result<impl IntoResponse, WebError> {
    ctx.require(Permission::ReadAudit)?;
    let store = &ctx.state.store;
    let cafe = ctx.cafe.cafe.id;
    let people = store
        .members(cafe)
        .await?
        .into_iter()
        .map(|m| Person {
            id: m.user.id.get(),
            name: match m.user.name {
                Some(n) if !n.trim().is_empty() => format!("{n} ({})", m.user.email),
                _ => m.user.email,
            },
        })
        .collect();
    let devices = store
        .devices(cafe)
        .await?
        .into_iter()
        .map(|d| Person {
            id: d.id.get(),
            name: d.name,
        })
        .collect();
    Ok(ctx
        .page("admin_audit.html", "audit.title")
        .sections(&["audit"])
        .var("section", "audit")
        .boot(AuditBoot { people, devices }))
}
