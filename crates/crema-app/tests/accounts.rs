//! The account use cases on a real store: what a refusal leaves behind (nothing), and the
//! refresh rule applied in one transaction.

use chrono::{Duration, Utc};
use crema_app::accounts::{self, StaffError};
use crema_app::sessions::{self, PairHashes, Refreshed};
use crema_core::access::{Principal, Role};
use crema_core::cafe::{Cafe, CafeId, Locale, Slug};
use crema_core::day::{parse_tz, FirstNumber};
use crema_core::id::UserId;
use crema_core::money::{Amount, Currency};
use crema_core::text::{Email, Name};
use crema_core::workflow::Workflow;
use crema_store::audit::{scope, AuditMeta};
use crema_store::repo::AdminRepo;
use crema_store::sqlite::{Options, SqliteStore};
use crema_store::{AuditFilter, Store, StoreError};
use std::sync::Arc;

async fn store(dir: &std::path::Path) -> Arc<SqliteStore> {
    SqliteStore::open(&dir.join("t.db"), Options::default())
        .await
        .expect("the store opens")
}

async fn cafe(store: &dyn Store) -> CafeId {
    let c = Cafe {
        id: CafeId(0),
        slug: Slug::parse("corner").expect("a slug"),
        name: Name::parse("Corner").expect("a name"),
        timezone: parse_tz("Europe/Oslo").expect("a zone"),
        currency: Currency::NOK,
        locale: Locale::Nb,
        first_number: FirstNumber::KAFFEBASE,
        workflow: Workflow::kaffediem(),
        price_rounding: Amount::new(100).expect("an amount"),
        age_thresholds: (300, 600),
    };
    crema_app::cafes::create(store, c, true)
        .await
        .expect("a café")
        .cafe
        .id
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("an email")
}

async fn audit_count(store: &dyn Store, cafe: CafeId) -> usize {
    let f = AuditFilter {
        limit: 100,
        ..AuditFilter::default()
    };
    store.audit_log(cafe, &f).await.expect("the trail").len()
}

#[tokio::test]
async fn a_refused_staff_change_writes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = store(dir.path()).await;
    let s: &dyn Store = store.as_ref();
    let cafe = cafe(s).await;
    let owner = accounts::add_member(s, cafe, &email("o@x.test"), None, None, Role::Owner)
        .await
        .expect("an owner");
    let manager = accounts::add_member(s, cafe, &email("m@x.test"), None, None, Role::Manager)
        .await
        .expect("a manager");
    let me = AuditMeta {
        actor_id: Some(owner.id),
        device_id: None,
        ip: None,
    };
    let before = audit_count(s, cafe).await;
    let members = s.members(cafe).await.expect("members");

    // The last owner stays, even for an owner asking.
    let last = scope(
        me.clone(),
        accounts::remove_member(s, cafe, Principal::Owner, owner.id),
    )
    .await;
    assert!(
        matches!(
            last,
            Err(StaffError::Store(StoreError::Conflict { field: None, .. }))
        ),
        "{last:?}"
    );
    // A manager may not remove a manager.
    let up = scope(
        me.clone(),
        accounts::remove_member(s, cafe, Principal::Manager, manager.id),
    )
    .await;
    assert!(matches!(up, Err(StaffError::Forbidden(_))), "{up:?}");
    // Nobody by that id.
    let none = scope(
        me.clone(),
        accounts::remove_member(s, cafe, Principal::Owner, UserId(999)),
    )
    .await;
    assert!(
        matches!(none, Err(StaffError::Store(StoreError::NotFound("member")))),
        "{none:?}"
    );

    assert_eq!(s.members(cafe).await.expect("members"), members);
    assert_eq!(
        audit_count(s, cafe).await,
        before,
        "no audit entry for a refusal"
    );

    // The same call allowed: removed, and audited once.
    scope(
        me,
        accounts::remove_member(s, cafe, Principal::Owner, manager.id),
    )
    .await
    .expect("removed");
    assert_eq!(s.members(cafe).await.expect("members").len(), 1);
    assert_eq!(audit_count(s, cafe).await, before + 1);
    store.close().await;
}

#[tokio::test]
async fn a_refresh_token_works_once_and_a_second_use_ends_its_family() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = store(dir.path()).await;
    let s: &dyn Store = store.as_ref();
    let user = accounts::create_user(s, &email("u@x.test"), None, None)
        .await
        .expect("a user");
    let now = Utc::now();
    let pair = |n: u32| PairHashes {
        access: format!("a{n}"),
        refresh: format!("r{n}"),
    };
    sessions::issue_pair(s, user.id, "f".into(), pair(1), now)
        .await
        .expect("issued");
    assert!(s.access_user("a1", now).await.expect("read").is_some());

    let first = sessions::refresh(s, "r1".into(), pair(2), now).await;
    assert!(
        matches!(first, Ok(Refreshed::Renewed { user: u, .. }) if u == user.id),
        "{first:?}"
    );
    assert!(s.access_user("a2", now).await.expect("read").is_some());

    // r1 again: the family (a1, a2, r2) is revoked, and the pair offered is not issued.
    let again = sessions::refresh(s, "r1".into(), pair(3), now).await;
    assert!(matches!(again, Ok(Refreshed::Reused)), "{again:?}");
    for t in ["a1", "a2", "a3"] {
        assert!(s.access_user(t, now).await.expect("read").is_none(), "{t}");
    }
    let after = sessions::refresh(s, "r2".into(), pair(4), now).await;
    assert!(matches!(after, Ok(Refreshed::Refused)), "{after:?}");
    assert!(s.access_user("a4", now).await.expect("read").is_none());

    // Unknown and expired tokens are refused and change nothing.
    let unknown = sessions::refresh(s, "nope".into(), pair(5), now).await;
    assert!(matches!(unknown, Ok(Refreshed::Refused)), "{unknown:?}");
    sessions::issue_pair(s, user.id, "g".into(), pair(6), now)
        .await
        .expect("issued");
    let late = now + Duration::days(sessions::REFRESH_DAYS) + Duration::seconds(1);
    let expired = sessions::refresh(s, "r6".into(), pair(7), late).await;
    assert!(matches!(expired, Ok(Refreshed::Refused)), "{expired:?}");
    // Still fresh (not marked used) when presented in time.
    let fresh = sessions::refresh(s, "r6".into(), pair(8), now).await;
    assert!(matches!(fresh, Ok(Refreshed::Renewed { .. })), "{fresh:?}");
    assert!(s.access_user("a8", now).await.expect("read").is_some());
    store.close().await;
}
