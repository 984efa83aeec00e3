//! The public display (`/display`): the day numbers "being made" and "ready" in big type for a
//! wall screen, the café's message, and the closed notice, live.
//!
//! The page is rendered with the board as it is (no flash of an empty screen), and its script
//! then follows the public topics `cafe:<slug>:board` and `cafe:<slug>:status`, resuming from
//! the seq the page was rendered at. Nothing personal is on the page: the board topic carries
//! only day numbers, dates and steps.

use super::page::{Ctx, Page, WebError};
use crate::api::dto::{MessageOut, StatusOut};
use crate::auth::Permission;
use crate::realtime::topics::{self, Topic};
use crate::state::State;
use axum::routing::get;
use axum::Router;
use crema_core::day::local_date;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<State> {
    Router::new().route("/display", get(display))
}

/// One order on the board, as the board topic carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    day_number: u32,
    local_date: chrono::NaiveDate,
    step: String,
}

/// What the display's overlay shows: Kaffediem's rule (kaffebase contract §4.6).
#[derive(Debug, Serialize, PartialEq, Eq)]
struct Overlay {
    /// Whether the overlay is up at all.
    show: bool,
    /// Closed: it covers the whole screen; open: the bottom half.
    closed: bool,
    /// The large line: the title, or the subtitle when there is no title.
    headline: Option<String>,
    /// The subtitle under the title, when both exist.
    detail: Option<String>,
}

/// The overlay shows when `(show_message && (title || subtitle)) || !open`; a closed café
/// shows its selected message whatever `show_message` says.
fn overlay(status: &StatusOut, messages: &[MessageOut]) -> Overlay {
    let msg = status
        .message_id
        .and_then(|id| messages.iter().find(|m| m.id == id));
    let title = msg
        .map(|m| m.title.trim().to_owned())
        .filter(|s| !s.is_empty());
    let subtitle = msg
        .and_then(|m| m.subtitle.as_deref())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let has_text = title.is_some() || subtitle.is_some();
    let show = !status.open || (status.show_message && has_text);
    let (headline, detail) = match (title, subtitle) {
        (Some(t), s) => (Some(t), s),
        (None, s) => (s, None),
    };
    Overlay {
        show,
        closed: !status.open,
        headline: if show { headline } else { None },
        detail: if show { detail } else { None },
    }
}

/// The lanes of a workflow: every step before the ready one is "being made"; the ready step is
/// the second-to-last (the last one means picked up, off the board).
fn lanes(workflow: &[String]) -> (Vec<String>, Option<String>) {
    match workflow.len() {
        0 | 1 => (Vec::new(), None),
        n => (workflow[..n - 2].to_vec(), Some(workflow[n - 2].clone())),
    }
}

async fn display(ctx: Ctx) -> Result<Page, WebError> {
    ctx.require(Permission::ReadMenu)?;
    let cafe_id = ctx.cafe.cafe.id;
    let store = &ctx.state.store;
    // The seq is read before the snapshots, as a join does: the script resumes from it, so an
    // event that commits in between is replayed (and applying it twice changes nothing).
    let seq = store.latest_seq().await?;
    let board = topics::snapshot(&ctx.state, &Topic::Board { cafe: cafe_id })
        .await
        .map_err(crate::error::ApiError::from)?;
    let status = store.status(cafe_id).await?;
    let messages = store.messages(cafe_id).await?;
    let status = StatusOut::from(&status);
    let messages: Vec<MessageOut> = messages.iter().map(MessageOut::from).collect();

    let entries: Vec<Entry> = board
        .get("orders")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| crate::error::ApiError::Internal(format!("board snapshot: {e}")))?
        .unwrap_or_default();
    let workflow: Vec<String> = ctx
        .cafe
        .cafe
        .workflow
        .steps()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (making_steps, ready_step) = lanes(&workflow);
    let mut making: Vec<u32> = entries
        .iter()
        .filter(|e| making_steps.contains(&e.step))
        .map(|e| e.day_number)
        .collect();
    let mut ready: Vec<u32> = entries
        .iter()
        .filter(|e| ready_step.as_deref() == Some(e.step.as_str()))
        .map(|e| e.day_number)
        .collect();
    making.sort_unstable();
    ready.sort_unstable();

    let tz = ctx.cafe.cafe.timezone;
    let now = ctx.state.store.now();
    let today = local_date(tz, now);
    let clock = now.with_timezone(&tz).format("%H:%M").to_string();
    let ov = overlay(&status, &messages);

    Ok(ctx
        .page("display.html", "display.title")
        .sections(&["display"])
        .body_class("wall display-screen")
        .var("making", &making)
        .var("ready", &ready)
        .var("overlay", &ov)
        .var("clock", clock)
        .boot(serde_json::json!({
            "seq": seq,
            "today": today,
            // The server's clock: the screen's own may be wrong, and the date decides the board.
            "now": now.timestamp_millis(),
            "orders": entries,
            "status": status,
            "messages": messages,
            "making_steps": making_steps,
            "ready_step": ready_step,
        })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use crema_core::id::MessageId;

    fn status(open: bool, show_message: bool, message_id: Option<i64>) -> StatusOut {
        StatusOut {
            open,
            show_message,
            message_id: message_id.map(MessageId),
            updated_at: Utc::now(),
        }
    }

    fn message(id: i64, title: &str, subtitle: Option<&str>) -> MessageOut {
        MessageOut {
            id: MessageId(id),
            title: title.into(),
            subtitle: subtitle.map(Into::into),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn the_overlay_follows_kaffediem() {
        let msgs = vec![
            message(1, "Waffles today", Some("From 12")),
            message(2, "", Some("Only a subtitle")),
            message(3, "", None),
        ];
        // Open, message hidden: nothing.
        assert!(!overlay(&status(true, false, Some(1)), &msgs).show);
        // Open, shown, with text: the bottom half, title over subtitle.
        let o = overlay(&status(true, true, Some(1)), &msgs);
        assert_eq!(
            o,
            Overlay {
                show: true,
                closed: false,
                headline: Some("Waffles today".into()),
                detail: Some("From 12".into()),
            }
        );
        // Only a subtitle: it becomes the large line.
        let o = overlay(&status(true, true, Some(2)), &msgs);
        assert_eq!(o.headline.as_deref(), Some("Only a subtitle"));
        assert_eq!(o.detail, None);
        // Open, shown, but the message is empty or missing: nothing.
        assert!(!overlay(&status(true, true, Some(3)), &msgs).show);
        assert!(!overlay(&status(true, true, Some(99)), &msgs).show);
        assert!(!overlay(&status(true, true, None), &msgs).show);
        // Closed: always, full screen, with the message even when show_message is off.
        let o = overlay(&status(false, false, Some(1)), &msgs);
        assert!(o.show && o.closed);
        assert_eq!(o.headline.as_deref(), Some("Waffles today"));
        let o = overlay(&status(false, false, None), &msgs);
        assert!(o.show && o.closed && o.headline.is_none());
    }

    #[test]
    fn the_ready_lane_is_the_second_to_last_step() {
        let wf: Vec<String> = ["received", "production", "completed", "dispatched"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (making, ready) = lanes(&wf);
        assert_eq!(making, vec!["received", "production"]);
        assert_eq!(ready.as_deref(), Some("completed"));
        let (making, ready) = lanes(&["made".to_string(), "gone".to_string()]);
        assert!(making.is_empty());
        assert_eq!(ready.as_deref(), Some("made"));
    }
}
