//! Cafés: creating one (first-run data) and changing its settings.

use chrono_tz::Tz;
use crema_core::cafe::{Cafe, CafeId, Locale};
use crema_core::day::FirstNumber;
use crema_core::money::{Amount, Currency};
use crema_core::text::Name;
use crema_core::workflow::Workflow;
use crema_store::tx::transact;
use crema_store::{CafeRecord, Result, Store};
use serde_json::{json, Value};

/// A change of a café's settings, each already parsed: the fields given change, the others
/// stay.
#[derive(Debug, Clone, Default)]
pub struct CafePatch {
    pub name: Option<Name>,
    pub timezone: Option<Tz>,
    pub currency: Option<Currency>,
    pub locale: Option<Locale>,
    pub first_number: Option<FirstNumber>,
    pub workflow: Option<Workflow>,
    pub price_rounding: Option<Amount>,
    pub age_thresholds: Option<(u32, u32)>,
}

impl CafePatch {
    fn apply(self, c: &mut Cafe) {
        fn put<T>(slot: &mut T, v: Option<T>) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        put(&mut c.name, self.name);
        put(&mut c.timezone, self.timezone);
        put(&mut c.currency, self.currency);
        put(&mut c.locale, self.locale);
        put(&mut c.first_number, self.first_number);
        put(&mut c.workflow, self.workflow);
        put(&mut c.price_rounding, self.price_rounding);
        put(&mut c.age_thresholds, self.age_thresholds);
    }
}

/// Creates a café with its status (closed); the default one when `is_default`. The `id` of
/// `cafe` is ignored.
pub async fn create(store: &dyn Store, cafe: Cafe, is_default: bool) -> Result<CafeRecord> {
    transact(store, move |tx| tx.insert_cafe(&cafe, is_default)).await
}

/// Changes a café's settings. Its workflow may change, but not so that an order would be in a
/// step the new workflow does not have.
pub async fn update(store: &dyn Store, cafe: CafeId, patch: CafePatch) -> Result<CafeRecord> {
    transact(store, move |tx| {
        let before = tx.cafe_record(cafe)?.cafe;
        let mut cur = before.clone();
        patch.apply(&mut cur);
        // The surface checked these while parsing; the use case holds them for every caller.
        cur.check_settings()?;
        if cur.workflow != before.workflow {
            let used = tx.steps_in_use(cafe)?;
            Cafe::may_use_workflow(&cur.workflow, &used)?;
        }
        let after = tx.update_cafe(&cur)?;
        tx.audit(
            cafe,
            "cafe.update",
            format!("cafe:{}", after.cafe.slug),
            Some(settings_json(&before)),
            Some(settings_json(&after.cafe)),
        )?;
        Ok(after)
    })
    .await
}

/// A café's settings as the audit trail shows them.
fn settings_json(c: &Cafe) -> Value {
    json!({
        "slug": c.slug.as_str(),
        "name": c.name.as_str(),
        "timezone": c.timezone.name(),
        "currency": c.currency.code(),
        "locale": c.locale.as_str(),
        "first_number": c.first_number.get(),
        "workflow": c.workflow.steps().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "price_rounding": c.price_rounding.minor(),
        "age_thresholds": [c.age_thresholds.0, c.age_thresholds.1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;
    use crema_store::StoreError;

    #[tokio::test]
    async fn settings_out_of_range_are_refused_by_the_use_case_itself() {
        let f = Fixture::new().await;
        let before = f.written().await;
        for (patch, field) in [
            (
                CafePatch {
                    price_rounding: Some(Amount::new(0).expect("an amount")),
                    ..CafePatch::default()
                },
                "price_rounding",
            ),
            (
                CafePatch {
                    age_thresholds: Some((600, 300)),
                    ..CafePatch::default()
                },
                "age_thresholds",
            ),
        ] {
            let e = f
                .as_staff(update(f.store(), f.cafe, patch))
                .await
                .expect_err("out of range");
            match e {
                StoreError::Rejected(r) => {
                    assert_eq!(r.errors[0].field, field, "{r:?}")
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(f.written().await, before, "nothing written");
    }

    #[tokio::test]
    async fn settings_change_with_one_audit_entry_and_a_refusal_writes_nothing() {
        let f = Fixture::new().await;
        let before = f.written().await;
        let patch = CafePatch {
            name: Some(Name::parse("Renamed").expect("a name")),
            ..CafePatch::default()
        };
        let after = f
            .as_staff(update(f.store(), f.cafe, patch))
            .await
            .expect("renamed");
        assert_eq!(after.cafe.name.as_str(), "Renamed");
        let written = f.written().await;
        assert_eq!(written.audited, before.audited + 1);
        assert_eq!(written.seq, before.seq, "settings have no event");

        let e = f
            .as_staff(update(
                f.store(),
                crema_core::id::CafeId(4242),
                CafePatch::default(),
            ))
            .await
            .expect_err("no such café");
        assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
        assert_eq!(f.written().await, written);
    }
}
