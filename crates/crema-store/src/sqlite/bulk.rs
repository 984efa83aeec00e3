//! The bulk import on SQLite: the whole job is one job of the writer, so one transaction.

use super::{
    all, exec, insert_cafe, load_cafe, opt, params, scalar, ts, Conn, SqliteStore, WriteCtx,
};
use crate::import::bulk::{BulkImport, CafeCounts, ImportSink, ImportTarget};
use crate::model::{
    CafeRecord, MessageRecord, MoveRecord, OrderRecord, Role, Stamped, StatusFields, UserRecord,
};
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crema_core::cafe::{Cafe, CafeId};
use crema_core::id::{CategoryId, GroupId, ItemId, MessageId, OptionId};
use crema_core::menu::{Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode};
use uuid::Uuid;

#[async_trait]
impl BulkImport for SqliteStore {
    async fn bulk_import<R, F>(&self, target: ImportTarget, job: F) -> Result<(CafeRecord, R)>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn ImportSink) -> Result<R> + Send + 'static,
    {
        self.write(move |ctx| {
            let cafe = match target {
                ImportTarget::Cafe(id) => id,
                ImportTarget::New { cafe, is_default } => {
                    insert_cafe(ctx, cafe, is_default)?.cafe.id
                }
            };
            let out = job(&mut Sink { ctx, cafe })?;
            ctx.touch(cafe);
            Ok((load_cafe(ctx.conn(), cafe)?, out))
        })
        .await
    }
}

struct Sink<'a> {
    ctx: &'a mut WriteCtx,
    cafe: CafeId,
}

/// The id to insert with: the one asked for when it is free, or NULL (SQLite picks one). One
/// helper for every table (named at run time), so the bare row id.
fn keep(c: &Conn, table: &str, id: i64) -> Result<Option<i64>> {
    if id <= 0 {
        return Ok(None);
    }
    let n: i64 = scalar(
        c,
        &format!("SELECT count(*) FROM {table} WHERE id = ?"),
        params![id],
    )?;
    Ok((n == 0).then_some(id))
}

impl Sink<'_> {
    fn conn(&self) -> &Conn {
        self.ctx.conn()
    }

    fn count(&self, table: &str) -> Result<i64> {
        scalar(
            self.conn(),
            &format!("SELECT count(*) FROM {table} WHERE cafe_id = ?"),
            params![self.cafe],
        )
    }
}

fn stamps<T>(s: &Stamped<T>) -> (String, String) {
    (ts(s.created_at), ts(s.updated_at))
}

impl ImportSink for Sink<'_> {
    fn cafe(&self) -> CafeId {
        self.cafe
    }

    fn settings(&mut self) -> Result<Cafe> {
        Ok(self.ctx.snapshot(self.cafe)?.cafe.clone())
    }

    fn has_menu_or_orders(&mut self) -> Result<bool> {
        for table in ["categories", "items", "modifier_groups", "orders"] {
            if self.count(table)? > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn insert_group(&mut self, stamped: Stamped<ModifierGroup>) -> Result<GroupId> {
        let (created, updated) = stamps(&stamped);
        let g = stamped.value;
        let id = keep(self.conn(), "modifier_groups", g.id.get())?;
        let mode = match g.rule.mode() {
            SelectionMode::Single => "single",
            SelectionMode::Multiple => "multiple",
        };
        scalar(
            self.conn(),
            "INSERT INTO modifier_groups (id, cafe_id, name, label_color, mode, required, min_select, max_select, default_option_id, enabled, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                id,
                self.cafe,
                g.name.as_str(),
                g.label_color.as_ref().map(|c| c.as_str()),
                mode,
                g.rule.required(),
                i64::from(g.rule.min()),
                g.rule.max().map(i64::from),
                g.default_option,
                g.enabled,
                g.sort_order,
                created,
                updated,
            ],
        )
    }

    fn insert_option(&mut self, stamped: Stamped<ModifierOption>) -> Result<OptionId> {
        let (created, updated) = stamps(&stamped);
        let o = stamped.value;
        let id = keep(self.conn(), "modifier_options", o.id.get())?;
        let (kind, value) = match o.effect {
            PriceEffect::Fixed(x) => ("fixed", x),
            PriceEffect::Percent(p) => ("percent", i64::from(p)),
        };
        scalar(
            self.conn(),
            "INSERT INTO modifier_options (id, cafe_id, group_id, name, effect_kind, effect_value, enabled, sold_out, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                id,
                self.cafe,
                o.group_id,
                o.name.as_str(),
                kind,
                value,
                o.enabled,
                o.sold_out,
                o.sort_order,
                created,
                updated,
            ],
        )
    }

    fn set_default_option(&mut self, group: GroupId, option: OptionId) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE modifier_groups SET default_option_id = ? WHERE id = ? AND cafe_id = ?",
            params![option, group, self.cafe],
        )?;
        Ok(())
    }

    fn insert_category(&mut self, stamped: Stamped<Category>) -> Result<CategoryId> {
        let (created, updated) = stamps(&stamped);
        let c = stamped.value;
        let id = keep(self.conn(), "categories", c.id.get())?;
        let new: CategoryId = scalar(
            self.conn(),
            "INSERT INTO categories (id, cafe_id, name, sort_order, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![id, self.cafe, c.name.as_str(), c.sort_order, c.enabled, created, updated],
        )?;
        for (position, group) in c.allowed_groups.iter().enumerate() {
            exec(
                self.conn(),
                "INSERT INTO category_groups (cafe_id, category_id, group_id, position) VALUES (?, ?, ?, ?)",
                params![self.cafe, new, group, position as i64],
            )?;
        }
        Ok(new)
    }

    fn insert_item(&mut self, stamped: Stamped<Item>) -> Result<ItemId> {
        let (created, updated) = stamps(&stamped);
        let i = stamped.value;
        let id = keep(self.conn(), "items", i.id.get())?;
        scalar(
            self.conn(),
            "INSERT INTO items (id, cafe_id, category_id, name, price, image, enabled, sold_out, sort_order, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                id,
                self.cafe,
                i.category_id,
                i.name.as_str(),
                i.price.minor(),
                i.image,
                i.enabled,
                i.sold_out,
                i.sort_order,
                created,
                updated,
            ],
        )
    }

    fn user_by_email(&mut self, email: &str) -> Result<Option<crema_core::id::UserId>> {
        opt(
            self.conn(),
            "SELECT id FROM users WHERE email = ?",
            params![email],
            |r| Ok(r.get(0)?),
        )
    }

    fn insert_user(&mut self, u: UserRecord) -> Result<crema_core::id::UserId> {
        let id = keep(self.conn(), "users", u.id.get())?;
        let t = ts(u.created_at);
        scalar(
            self.conn(),
            "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            params![id, u.email, u.name, u.password_hash, t, t],
        )
    }

    fn add_member(
        &mut self,
        user: crema_core::id::UserId,
        role: Role,
        at: DateTime<Utc>,
    ) -> Result<()> {
        exec(
            self.conn(),
            "INSERT INTO memberships (cafe_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (cafe_id, user_id) DO NOTHING",
            params![self.cafe, user, role.as_str(), ts(at)],
        )?;
        Ok(())
    }

    fn message_count(&mut self) -> Result<i64> {
        self.count("messages")
    }

    fn insert_message(&mut self, m: MessageRecord) -> Result<MessageId> {
        let id = keep(self.conn(), "messages", m.id.get())?;
        scalar(
            self.conn(),
            "INSERT INTO messages (id, cafe_id, title, subtitle, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                id,
                self.cafe,
                m.fields.title,
                m.fields.subtitle,
                ts(m.created_at),
                ts(m.updated_at)
            ],
        )
    }

    fn set_status(&mut self, stamped: Stamped<StatusFields>) -> Result<()> {
        let (created, updated) = stamps(&stamped);
        let s = stamped.value;
        exec(
            self.conn(),
            "UPDATE cafe_status SET open = ?, show_message = ?, message_id = ?, created_at = ?, updated_at = ? WHERE cafe_id = ?",
            params![s.open, s.show_message, s.message_id, created, updated, self.cafe],
        )?;
        Ok(())
    }

    fn uuid_taken(&mut self, uuid: Uuid) -> Result<bool> {
        let n: i64 = scalar(
            self.conn(),
            "SELECT count(*) FROM orders WHERE uuid = ?",
            params![uuid.to_string()],
        )?;
        Ok(n > 0)
    }

    fn insert_order(&mut self, o: OrderRecord) -> Result<crema_core::id::OrderId> {
        if !o.line_marks.is_empty() {
            return Err(StoreError::Internal(
                "an imported order has no kitchen marks".into(),
            ));
        }
        let id = keep(self.conn(), "orders", o.id.get())?.map(crema_core::id::OrderId);
        super::orders::insert_order_row(self.conn(), self.cafe, id, &o, None)
    }

    fn insert_move(&mut self, order: crema_core::id::OrderId, m: MoveRecord) -> Result<()> {
        super::orders::insert_move_row(self.conn(), self.cafe, order, &m)
    }

    fn raise_day_counter(&mut self, date: NaiveDate, last: i64) -> Result<()> {
        exec(
            self.conn(),
            "INSERT INTO day_counters (cafe_id, local_date, last_number) VALUES (?, ?, ?)
             ON CONFLICT (cafe_id, local_date) DO UPDATE SET last_number = max(last_number, excluded.last_number)",
            params![self.cafe, date.to_string(), last],
        )?;
        Ok(())
    }

    fn counts(&mut self) -> Result<CafeCounts> {
        let steps = all(
            self.conn(),
            "SELECT step, count(*) FROM orders WHERE cafe_id = ? GROUP BY step",
            params![self.cafe],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(CafeCounts {
            categories: self.count("categories")?,
            items: self.count("items")?,
            groups: self.count("modifier_groups")?,
            options: self.count("modifier_options")?,
            messages: self.count("messages")?,
            orders: self.count("orders")?,
            steps: steps.into_iter().collect(),
            revenue: scalar(
                self.conn(),
                "SELECT coalesce(sum(total), 0) FROM orders WHERE cafe_id = ?",
                params![self.cafe],
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::CafeRepo;
    use crate::sqlite::Options;
    use crate::StoreError;
    use crema_core::text::Name;

    fn cafe(slug: &str) -> Cafe {
        Cafe {
            id: CafeId(0),
            slug: crema_core::cafe::Slug::parse(slug).expect("a slug"),
            name: Name::parse(slug).expect("a name"),
            timezone: crema_core::day::parse_tz("Europe/Oslo").expect("a time zone"),
            currency: crema_core::money::Currency::NOK,
            locale: crema_core::cafe::Locale::Nb,
            first_number: crema_core::day::FirstNumber::KAFFEBASE,
            workflow: crema_core::workflow::Workflow::kaffediem(),
            price_rounding: crema_core::money::Amount::new(100).expect("an amount"),
            age_thresholds: (300, 600),
        }
    }

    fn category(id: i64) -> Stamped<Category> {
        let t = Utc::now();
        Stamped {
            value: Category {
                id: CategoryId(id),
                name: Name::parse(&format!("Kaffe {id}")).expect("a name"),
                sort_order: 0,
                enabled: true,
                allowed_groups: Vec::new(),
            },
            created_at: t,
            updated_at: t,
        }
    }

    #[tokio::test]
    async fn an_id_asked_for_is_kept_when_free_and_a_failed_job_leaves_nothing() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(&dir.path().join("t.db"), Options::default())
            .await
            .expect("the store opens");
        let new = |slug: &str| ImportTarget::New {
            cafe: cafe(slug),
            is_default: false,
        };
        let (a, first) = store
            .bulk_import(new("a"), |sink| sink.insert_category(category(7)))
            .await
            .expect("the first import");
        assert_eq!(first, CategoryId(7));
        let (_, second) = store
            .bulk_import(new("b"), |sink| sink.insert_category(category(7)))
            .await
            .expect("the second import");
        assert_ne!(second, CategoryId(7), "7 is café a's");

        let failed = store
            .bulk_import(new("c"), |sink| {
                sink.insert_category(category(70))?;
                Err::<(), _>(StoreError::conflict("source", "refused"))
            })
            .await;
        assert!(
            matches!(failed, Err(StoreError::Conflict { .. })),
            "{failed:?}"
        );
        let slugs: Vec<String> = store
            .cafes()
            .await
            .expect("the cafés")
            .into_iter()
            .map(|c| c.cafe.slug.as_str().to_owned())
            .collect();
        assert!(!slugs.contains(&"c".to_owned()), "{slugs:?}");
        let (_, id) = store
            .bulk_import(ImportTarget::Cafe(a.cafe.id), |sink| {
                let id = sink.insert_category(category(70))?;
                assert_eq!(sink.counts()?.categories, 2);
                Ok(id)
            })
            .await
            .expect("an import into café a");
        assert_eq!(id, CategoryId(70), "the failed job's row is gone");
    }
}
