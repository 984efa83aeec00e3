//! `message` and `status`. The status is crema's one status row of the café (Kaffebase meant
//! a singleton but did not enforce it): it is listed, read and updated by its id, and cannot be
//! created a second time or deleted.

use super::error::{KaffebaseError, KbResult};
use super::fields::Reader;
use super::params::Params;
use super::records::{self, ok, KbJson};
use super::{cafe_for, Id, KbActor};
use crate::api::content::{MessageBody, StatusBody};
use crate::auth::Permission;
use crate::state::State;
use axum::extract::State as S;
use axum::http::StatusCode;
use crema_app::content;
use crema_core::id::MessageId;

// ---- message --------------------------------------------------------------------------------

/// Ordered by title, as Kaffebase lists them.
pub async fn list_messages(
    S(state): S<State>,
    KbActor(actor): KbActor,
) -> KbResult<KbJson<Vec<records::MessageRec>>> {
    let cafe = cafe_for(&state, &actor, Permission::ReadMenu).await?;
    let m = state.store.messages(cafe.cafe.id).await?;
    Ok(ok(m.iter().map(records::message).collect()))
}

pub async fn get_message(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<KbJson<records::MessageRec>> {
    let cafe = cafe_for(&state, &actor, Permission::ReadMenu).await?;
    let m = state.store.message(cafe.cafe.id, MessageId(id)).await?;
    Ok(ok(records::message(&m)))
}

/// `title` (a null title is `""`: the admin page adds messages with an empty one) and
/// `subtitle`, as the native API reads them.
fn read_message(p: &Params) -> KbResult<MessageBody> {
    let mut r = Reader::new(p, false);
    let title = r.text("title");
    let subtitle = r.nullable_string("subtitle");
    r.finish()?;
    Ok(MessageBody { title, subtitle })
}

pub async fn create_message(
    S(state): S<State>,
    KbActor(actor): KbActor,
    p: Params,
) -> KbResult<KbJson<records::MessageRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditContent).await?;
    let ch = read_message(&p)?;
    let rec = content::create_message(state.store.as_ref(), cafe.cafe.id, ch.fields()).await?;
    Ok(KbJson(StatusCode::CREATED, records::message(&rec)))
}

pub async fn update_message(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
    p: Params,
) -> KbResult<KbJson<records::MessageRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditContent).await?;
    let ch = read_message(&p)?;
    let rec = content::update_message(
        state.store.as_ref(),
        cafe.cafe.id,
        MessageId(id),
        ch.patch(),
    )
    .await?;
    Ok(ok(records::message(&rec)))
}

/// Deleting the message the status shows also clears it from the status (and says so on
/// `collection:status`).
pub async fn delete_message(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::EditContent).await?;
    content::delete_message(state.store.as_ref(), cafe.cafe.id, MessageId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- status ---------------------------------------------------------------------------------

pub async fn list_status(
    S(state): S<State>,
    KbActor(actor): KbActor,
) -> KbResult<KbJson<Vec<records::StatusRec>>> {
    let cafe = cafe_for(&state, &actor, Permission::ReadMenu).await?;
    let s = state.store.status(cafe.cafe.id).await?;
    Ok(ok(vec![records::status(&s)]))
}

pub async fn get_status(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<KbJson<records::StatusRec>> {
    let cafe = cafe_for(&state, &actor, Permission::ReadMenu).await?;
    let s = state.store.status(cafe.cafe.id).await?;
    if s.id != id {
        return Err(KaffebaseError::NotFound);
    }
    Ok(ok(records::status(&s)))
}

/// `open`, `show_message` and `message_id` (which must name a message of the café: Kaffebase
/// had no foreign key).
pub async fn update_status(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
    p: Params,
) -> KbResult<KbJson<records::StatusRec>> {
    let cafe = cafe_for(&state, &actor, Permission::EditContent).await?;
    let mut r = Reader::new(&p, false);
    let open = r.bool("open");
    let show_message = r.bool("show_message");
    let message_id = r.nullable_int("message_id").map(|m| m.map(MessageId));
    r.finish()?;
    if state.store.status(cafe.cafe.id).await?.id != id {
        return Err(KaffebaseError::NotFound);
    }
    let change = StatusBody {
        open,
        show_message,
        message_id,
    };
    let rec = content::update_status(state.store.as_ref(), cafe.cafe.id, change.patch()).await?;
    Ok(ok(records::status(&rec)))
}

/// A café has exactly one status. (The body is still read, so an unreadable one is a 400 as
/// for every other write.)
pub async fn create_status(
    S(state): S<State>,
    KbActor(actor): KbActor,
    _body: Params,
) -> KbResult<KbJson<()>> {
    let cafe = cafe_for(&state, &actor, Permission::EditContent).await?;
    let s = state.store.status(cafe.cafe.id).await?;
    Err(KaffebaseError::field(
        "base",
        format!(
            "the café has exactly one status (id {}): update it instead",
            s.id
        ),
    ))
}

pub async fn delete_status(
    S(state): S<State>,
    KbActor(actor): KbActor,
    Id(id): Id,
) -> KbResult<StatusCode> {
    let cafe = cafe_for(&state, &actor, Permission::EditContent).await?;
    let s = state.store.status(cafe.cafe.id).await?;
    if s.id != id {
        return Err(KaffebaseError::NotFound);
    }
    Err(KaffebaseError::field(
        "base",
        "the café's status cannot be deleted (set open to false to close)",
    ))
}
