//! crema's application layer: one function per write. Each runs the domain's rules
//! (`crema-core`) inside one unit of work of the store (`crema_store::tx`), whatever surface
//! asked for it: the native API, the web forms, the Kaffebase surface, the CLI or a webhook.
//! The store only stores; the surfaces only translate.

pub mod accounts;
pub mod cafes;
pub mod content;
pub mod devices;
pub mod invitations;
pub mod limit;
pub mod menu;
pub mod orders;
pub mod pairing;
pub mod policy;
pub mod sessions;

use crema_store::error::Constraint;
use crema_store::StoreError;

/// `e`, or the conflict `message` on `field` when `e` is a clash with a unique name.
pub(crate) fn clash(e: StoreError, field: &'static str, message: impl Into<String>) -> StoreError {
    match e {
        StoreError::Database {
            violated: Some(Constraint::Unique),
            ..
        } => StoreError::conflict(field, message),
        other => other,
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A real store on a temporary directory, with one café and one member of staff whose
    //! writes are audited.

    use crema_core::cafe::{Cafe, CafeId, Locale, Slug};
    use crema_core::day::{parse_tz, FirstNumber};
    use crema_core::money::{Amount, Currency};
    use crema_core::text::{Email, Name};
    use crema_core::workflow::Workflow;
    use crema_store::audit::AuditMeta;
    use crema_store::repo::{AuthRepo, EventRepo};
    use crema_store::sqlite::{Options, SqliteStore};
    use crema_store::{AuditFilter, Store};
    use std::future::Future;
    use std::sync::Arc;

    pub struct Fixture {
        pub _dir: tempfile::TempDir,
        pub store: Arc<SqliteStore>,
        pub cafe: CafeId,
        pub staff: AuditMeta,
    }

    /// What has been written: the event log's end and the number of audit entries.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Written {
        pub seq: i64,
        pub audited: usize,
    }

    impl Fixture {
        pub async fn new() -> Fixture {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let store = SqliteStore::open(&dir.path().join("t.db"), Options::default())
                .await
                .expect("the store opens");
            let cafe = Cafe {
                id: crema_core::id::CafeId(0),
                slug: Slug::parse("test").expect("a slug"),
                name: Name::parse("Test").expect("a name"),
                timezone: parse_tz("Europe/Oslo").expect("a zone"),
                currency: Currency::NOK,
                locale: Locale::En,
                first_number: FirstNumber::KAFFEBASE,
                workflow: Workflow::kaffediem(),
                price_rounding: Amount::new(100).expect("an amount"),
                age_thresholds: (300, 600),
            };
            let cafe = crate::cafes::create(store.as_ref(), cafe, true)
                .await
                .expect("a café")
                .cafe
                .id;
            let email = Email::parse("staff@test.test").expect("an email");
            let user = crate::accounts::create_user(store.as_ref(), &email, None, None)
                .await
                .expect("a user");
            Fixture {
                _dir: dir,
                store,
                cafe,
                staff: AuditMeta {
                    actor_id: Some(user.id),
                    device_id: None,
                    ip: None,
                },
            }
        }

        pub fn store(&self) -> &dyn Store {
            self.store.as_ref()
        }

        /// Runs `f` as the member of staff (its writes are audited).
        pub async fn as_staff<F: Future>(&self, f: F) -> F::Output {
            crema_store::audit::scope(self.staff.clone(), f).await
        }

        pub async fn written(&self) -> Written {
            let filter = AuditFilter {
                limit: 1000,
                ..AuditFilter::default()
            };
            let audited = self
                .store
                .audit_log(self.cafe, &filter)
                .await
                .expect("the audit trail")
                .len();
            Written {
                seq: self.store.latest_seq().await.expect("the log's end"),
                audited,
            }
        }
    }
}
