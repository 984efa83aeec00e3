//! What the café tells its customers: whether it is open, which message shows, the messages
//! themselves; and its stations. Each write is one unit of work: the rules, the rows, the audit
//! entry and (for the status and messages) the event on the café's status feed.

use crema_core::cafe::check_message;
use crema_core::event::{Change, Event};
use crema_core::id::{CafeId, MessageId};
use crema_core::text::Name;
use crema_core::Rejection;
use crema_store::tx::{transact, ContentTx};
use crema_store::{
    MessageFields, MessageRecord, Result, StationRecord, StatusRecord, Store, StoreError,
};
use serde_json::{json, Value};

/// A change of the status: the fields given change, the others stay.
#[derive(Debug, Clone, Default)]
pub struct StatusPatch {
    pub open: Option<bool>,
    pub show_message: Option<bool>,
    /// `Some(None)` shows no message.
    pub message_id: Option<Option<MessageId>>,
}

/// A change of a message: the fields given change, the others stay.
#[derive(Debug, Clone, Default)]
pub struct MessagePatch {
    pub title: Option<String>,
    /// `Some(None)` removes it.
    pub subtitle: Option<Option<String>>,
}

/// The status as its events carry it.
fn status_json(s: &StatusRecord) -> Value {
    json!({
        "id": s.id,
        "open": s.fields.open,
        "show_message": s.fields.show_message,
        "message_id": s.fields.message_id,
    })
}

fn message_json(m: &MessageRecord) -> Value {
    json!({ "id": m.id, "title": m.fields.title, "subtitle": m.fields.subtitle })
}

fn change(entity: &str, action: &str, record: Value) -> Change {
    Change {
        entity: entity.to_owned(),
        action: action.to_owned(),
        record,
    }
}

/// Appends `status.update` with the status as it is now.
fn status_changed(tx: &mut dyn ContentTx, cafe: CafeId, s: &StatusRecord) -> Result<()> {
    let t = tx.now();
    let ev = Event::StatusUpdated(change("status", "update", status_json(s)));
    tx.append(cafe, ev, t)
}

/// Opens or closes the café, or changes the message it shows (which must be one of its own).
pub async fn update_status(
    store: &dyn Store,
    cafe: CafeId,
    patch: StatusPatch,
) -> Result<StatusRecord> {
    transact(store, move |tx| {
        let before = tx.status(cafe)?.fields;
        let mut cur = before.clone();
        if let Some(v) = patch.open {
            cur.open = v;
        }
        if let Some(v) = patch.show_message {
            cur.show_message = v;
        }
        if let Some(v) = patch.message_id {
            cur.message_id = v;
        }
        if let Some(m) = cur.message_id {
            if tx.message(cafe, m)?.is_none() {
                return Err(Rejection::one(
                    "message_id",
                    "unknown",
                    format!("there is no message with id {m}"),
                )
                .into());
            }
        }
        let rec = tx.set_status(cafe, &cur)?;
        status_changed(tx, cafe, &rec)?;
        tx.audit(
            cafe,
            "status.update",
            "status".into(),
            Some(serde_json::to_value(&before)?),
            Some(serde_json::to_value(&rec.fields)?),
        )?;
        Ok(rec)
    })
    .await
}

/// The message as saved: its event and its audit entry (`before` absent for a create).
fn message_saved(
    tx: &mut dyn ContentTx,
    cafe: CafeId,
    rec: &MessageRecord,
    before: Option<&MessageFields>,
) -> Result<()> {
    let t = tx.now();
    let (action, ev): (&str, fn(Change) -> Event) = match before {
        Some(_) => ("update", Event::MessageUpdated),
        None => ("create", Event::MessageCreated),
    };
    tx.append(cafe, ev(change("message", action, message_json(rec))), t)?;
    tx.audit(
        cafe,
        &format!("message.{action}"),
        format!("message:{}", rec.id),
        before.map(serde_json::to_value).transpose()?,
        Some(serde_json::to_value(&rec.fields)?),
    )
}

/// Adds a message: a title of at most 200 characters (it may be empty), a subtitle of at most
/// 500.
pub async fn create_message(
    store: &dyn Store,
    cafe: CafeId,
    m: MessageFields,
) -> Result<MessageRecord> {
    check_message(&m.title, m.subtitle.as_deref())?;
    transact(store, move |tx| {
        let rec = tx.insert_message(cafe, &m)?;
        message_saved(tx, cafe, &rec, None)?;
        Ok(rec)
    })
    .await
}

/// Changes a message; the result must still be a valid message.
pub async fn update_message(
    store: &dyn Store,
    cafe: CafeId,
    id: MessageId,
    patch: MessagePatch,
) -> Result<MessageRecord> {
    transact(store, move |tx| {
        let before = tx
            .message(cafe, id)?
            .ok_or(StoreError::NotFound("message"))?
            .fields;
        let mut cur = before.clone();
        if let Some(v) = patch.title {
            cur.title = v;
        }
        if let Some(v) = patch.subtitle {
            cur.subtitle = v;
        }
        check_message(&cur.title, cur.subtitle.as_deref())?;
        let rec = tx.update_message(cafe, id, &cur)?;
        message_saved(tx, cafe, &rec, Some(&before))?;
        Ok(rec)
    })
    .await
}

/// Deletes a message. If it was the one the status shows, the status shows none, and says
/// so on its feed.
pub async fn delete_message(store: &dyn Store, cafe: CafeId, id: MessageId) -> Result<()> {
    transact(store, move |tx| {
        let before = tx.message(cafe, id)?.map(|m| m.fields);
        let shown = tx.status(cafe)?.fields.message_id == Some(id);
        if !tx.delete_message(cafe, id)? {
            return Err(StoreError::NotFound("message"));
        }
        let t = tx.now();
        let gone = change("message", "delete", json!({ "id": id }));
        tx.append(cafe, Event::MessageDeleted(gone), t)?;
        tx.audit(
            cafe,
            "message.delete",
            format!("message:{id}"),
            before.map(|b| serde_json::to_value(&b)).transpose()?,
            None,
        )?;
        if shown {
            let status = tx.status(cafe)?;
            status_changed(tx, cafe, &status)?;
        }
        Ok(())
    })
    .await
}

/// Adds a station (a bar position that makes orders); its name must be the café's only one.
pub async fn create_station(
    store: &dyn Store,
    cafe: CafeId,
    name: Name,
    active: bool,
) -> Result<StationRecord> {
    transact(store, move |tx| {
        let rec = tx
            .insert_station(cafe, name.as_str(), active)
            .map_err(|e| crate::clash(e, "name", "a station with this name already exists"))?;
        tx.audit(
            cafe,
            "station.create",
            format!("station:{}", rec.id),
            None,
            Some(json!({ "name": rec.name, "active": rec.active })),
        )?;
        Ok(rec)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, Written};
    use crema_store::repo::ContentRepo;

    fn fields(title: &str) -> MessageFields {
        MessageFields {
            title: title.to_owned(),
            subtitle: None,
        }
    }

    fn refused_on(e: StoreError, field: &str, code: &str) {
        match e {
            StoreError::Rejected(r) => assert!(
                r.errors.iter().any(|f| f.field == field && f.code == code),
                "{r:?}"
            ),
            other => panic!("expected a refusal naming {field}, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_refused_message_edit_writes_nothing() {
        let f = Fixture::new().await;
        let m = f
            .as_staff(create_message(f.store(), f.cafe, fields("Open")))
            .await
            .expect("a message");
        let before = f.written().await;
        let too_long = MessagePatch {
            title: Some("t".repeat(201)),
            subtitle: None,
        };
        let e = f
            .as_staff(update_message(f.store(), f.cafe, m.id, too_long))
            .await
            .expect_err("a title over 200 characters");
        refused_on(e, "title", "too_long");
        let e = f
            .as_staff(create_message(f.store(), f.cafe, fields(&"t".repeat(201))))
            .await
            .expect_err("a title over 200 characters");
        refused_on(e, "title", "too_long");
        assert_eq!(f.written().await, before, "no audit entry, no event");
        let kept = f.store.message(f.cafe, m.id).await.expect("the message");
        assert_eq!(kept.fields.title, "Open");

        // The same edit within the limit writes one audit entry and one event.
        let ok = MessagePatch {
            title: Some("t".repeat(200)),
            subtitle: None,
        };
        f.as_staff(update_message(f.store(), f.cafe, m.id, ok))
            .await
            .expect("a title of 200 characters");
        let after = f.written().await;
        assert_eq!(
            after,
            Written {
                seq: before.seq + 1,
                audited: before.audited + 1
            }
        );
    }

    #[tokio::test]
    async fn a_status_naming_no_message_of_the_cafe_writes_nothing() {
        let f = Fixture::new().await;
        let before = f.written().await;
        let patch = StatusPatch {
            open: Some(true),
            show_message: None,
            message_id: Some(Some(MessageId(4242))),
        };
        let e = f
            .as_staff(update_status(f.store(), f.cafe, patch))
            .await
            .expect_err("an unknown message");
        refused_on(e, "message_id", "unknown");
        assert_eq!(f.written().await, before);
        assert!(!f.store.status(f.cafe).await.expect("status").fields.open);
    }

    #[tokio::test]
    async fn deleting_the_shown_message_says_so_on_the_status_too() {
        let f = Fixture::new().await;
        let m = f
            .as_staff(create_message(f.store(), f.cafe, fields("Closed")))
            .await
            .expect("a message");
        let show = StatusPatch {
            message_id: Some(Some(m.id)),
            ..StatusPatch::default()
        };
        f.as_staff(update_status(f.store(), f.cafe, show))
            .await
            .expect("shown");
        let before = f.written().await;
        f.as_staff(delete_message(f.store(), f.cafe, m.id))
            .await
            .expect("deleted");
        // The delete and the status it cleared: two events, one audit entry.
        let after = f.written().await;
        assert_eq!(after.seq, before.seq + 2);
        assert_eq!(after.audited, before.audited + 1);
        let status = f.store.status(f.cafe).await.expect("status");
        assert_eq!(status.fields.message_id, None);
        let e = f
            .as_staff(delete_message(f.store(), f.cafe, m.id))
            .await
            .expect_err("gone");
        assert!(matches!(e, StoreError::NotFound("message")), "{e:?}");
        assert_eq!(f.written().await, after);
    }
}
