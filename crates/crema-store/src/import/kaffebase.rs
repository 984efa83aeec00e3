//! Importing a Kaffebase SQLite database (contract §3.2) into one café: the menu and its
//! customizations, messages, the status, orders with their snapshots and day numbers, and
//! users with their bcrypt hashes (sign-in accepts them and rehashes).
//!
//! [`read`] checks that the source is Kaffebase's and reads it without writing anything
//! ([`source`]). [`import`] then writes everything through the store's bulk import
//! ([`BulkImport`]), in one transaction: all of it, or nothing; a café made for the import is
//! made in the same transaction ([`ImportTarget::New`]), so a refused import leaves no café.
//!
//! Decisions:
//! - Ids are kept where crema's table does not already use them (a fresh data directory keeps
//!   them all, so bookmarked admin links still work), otherwise new ones are given; order
//!   snapshots are remapped to the ids given.
//! - Names crema requires to be unique (per café, per key) get a suffix ` (2)`; an item
//!   without a (known) category goes to a disabled category `Uten kategori`.
//! - Kaffebase numbered orders per UTC day. An imported order keeps its `day_id` on its UTC
//!   date, the day in which that number was unique; the café's day counter continues after
//!   the highest number of each date. A number that was given twice (Kaffebase had no
//!   uniqueness) stays with the order placed first; the later one gets the next number above
//!   the day's highest, a number no order of that day ever had (a gap below it may be the
//!   number of an order deleted since, which a customer may still hold).
//! - An order's total is what the Kaffediem frontend charged for it ([`price`]): from the
//!   order's own snapshot (the prices and increments of when it was placed), each value taken
//!   as kroner or a percentage as the source says: the value's own kind while it exists; for
//!   a value deleted since, the kind all the other values of its key share. A price missing
//!   from a snapshot is recovered: the same item's price in the order nearest in time, else
//!   the menu's. Each guess is a note.
//! - An order's customer is the imported user; a `customer_id` of a user who is not imported
//!   (deleted in Kaffebase) becomes no user, so no crema account ever inherits those orders.
//! - A Kaffebase admin becomes a manager of the café; other users get no role.
//! - Nothing is announced on the event log: run the import while crema is stopped.

mod price;
mod source;

pub use source::{
    parse_time, read, Source, SrcCategory, SrcItem, SrcKey, SrcMessage, SrcOrder, SrcStatus,
    SrcUser, SrcValue,
};

use super::bulk::{BulkImport, CafeCounts, ImportSink, ImportTarget};
use crate::model::{
    CafeRecord, MessageFields, MessageRecord, MoveRecord, OrderRecord, Role, Stamped, StatusFields,
    UserRecord,
};
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use crema_core::cafe::{Cafe, CafeId};
use crema_core::id::{CategoryId, GroupId, ItemId, MessageId, OptionId, UserId};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::order::{Channel, Customer, LineSnapshot, ModifierSnapshot};
use crema_core::pricing::unit_price;
use crema_core::text::{LabelColor, Name};
use crema_core::workflow::MoveKind;
use price::{charged, Kind};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

// ---- the import ---------------------------------------------------------------------------

/// What was imported, and what had to be changed on the way.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub categories: usize,
    pub items: usize,
    pub customization_keys: usize,
    pub customization_values: usize,
    pub messages: usize,
    pub status: bool,
    pub orders: usize,
    pub users: usize,
    pub managers: usize,
    /// What Kaffebase held, counted in the source (revenue: what the frontend charged).
    pub before: Tally,
    /// What the café holds after the import, counted in crema's database.
    pub after: Tally,
    /// Each thing that was not taken as it was, and why.
    pub notes: Vec<String>,
}

/// Counts and revenue, to compare the source with the result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub categories: i64,
    pub items: i64,
    pub customization_keys: i64,
    pub customization_values: i64,
    pub messages: i64,
    pub users: i64,
    pub orders: i64,
    /// Orders per state (step).
    pub states: BTreeMap<String, i64>,
    /// The sum of the orders' totals, in minor units.
    pub revenue: i64,
}

/// Names already used in one scope; a repeat gets ` (2)`, ` (3)`, ...
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn unique(&mut self, wanted: &str, what: &str, notes: &mut Vec<String>) -> Result<Name> {
        let base = match Name::parse(wanted) {
            Ok(n) => n,
            Err(_) => {
                notes.push(format!(
                    "{what} {wanted:?}: not a usable name, called \"Uten navn\""
                ));
                Name::parse("Uten navn").map_err(|e| StoreError::Internal(e.to_string()))?
            }
        };
        let mut name = base.clone();
        let mut n = 2;
        while !self.0.insert(name.as_str().to_lowercase()) {
            // A name at the length limit has no room for the suffix: the import is refused
            // with the name in the message (the source can be fixed; a cut name could repeat).
            name = Name::parse(&format!("{} ({n})", base.as_str())).map_err(|_| {
                StoreError::conflict(
                    "source",
                    format!(
                        "{what} {:?} is used twice and is too long to tell apart with \" ({n})\": shorten one of them in Kaffebase and import again; nothing was imported",
                        base.as_str()
                    ),
                )
            })?;
            n += 1;
        }
        if name != base {
            notes.push(format!(
                "{what} {:?} is called {:?}: the name was taken",
                base.as_str(),
                name.as_str()
            ));
        }
        Ok(name)
    }
}

/// Imports `src` into `target` of `store`, in one transaction. Returns the café as the import
/// left it, and what was imported.
pub async fn import<S: BulkImport>(
    store: &S,
    target: ImportTarget,
    src: Source,
) -> Result<(CafeRecord, Report)> {
    store
        .bulk_import(target, move |sink| import_job(sink, src))
        .await
}

impl SqliteStore {
    /// Imports `src` into café `cafe`, which must have no menu and no orders yet.
    pub async fn import_kaffebase(&self, cafe: CafeId, src: Source) -> Result<Report> {
        Ok(import(self, ImportTarget::Cafe(cafe), src).await?.1)
    }

    /// Makes café `cafe` and imports `src` into it, in one transaction: when the import is
    /// refused, the café is not made either.
    pub async fn import_kaffebase_new(
        &self,
        cafe: Cafe,
        is_default: bool,
        src: Source,
    ) -> Result<(CafeRecord, Report)> {
        import(self, ImportTarget::New { cafe, is_default }, src).await
    }
}

fn import_job(sink: &mut dyn ImportSink, mut src: Source) -> Result<Report> {
    if sink.has_menu_or_orders()? {
        return Err(StoreError::conflict(
            "cafe",
            "the café already has a menu or orders: import into a new café (or a new data directory)",
        ));
    }
    let settings = sink.settings()?;
    let currency = settings.currency;
    let per = currency.minor_per_major();
    let workflow = settings.workflow;
    let rounding = settings.price_rounding;
    // Times are kept to the millisecond, as crema keeps them.
    let t0 = Utc::now().trunc_subsecs(3);
    // A row's times: when it was made, and when it was last changed (then, when not known).
    let stamp = |t: Option<DateTime<Utc>>| t.unwrap_or(t0);
    let times = |made: Option<DateTime<Utc>>, changed: Option<DateTime<Utc>>| {
        (stamp(made), stamp(changed.or(made)))
    };
    let mut rep = Report {
        before: before(&src),
        notes: std::mem::take(&mut src.notes),
        ..Report::default()
    };
    let notes = &mut rep.notes;
    if src.finer_than_ms > 0 {
        notes.push(format!(
            "{} times had fractions finer than a millisecond (Ecto's microseconds): kept to the millisecond, as crema keeps times",
            src.finer_than_ms
        ));
    }

    // Keys (modifier groups), without their defaults: those point at values, added next.
    let mut key_ids: HashMap<i64, GroupId> = HashMap::new();
    let mut key_colors: HashMap<i64, Option<String>> = HashMap::new();
    let mut names = Names::default();
    for k in &src.keys {
        let name = names.unique(&k.name, "customization key", notes)?;
        let color = match k
            .label_color
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(c) => match LabelColor::parse(c) {
                Ok(parsed) => {
                    if parsed.as_str() != c {
                        notes.push(format!(
                            "customization key {:?}: label colour {c:?} is kept as {:?}, the same colour (crema writes colours in lower case)",
                            k.name,
                            parsed.as_str()
                        ));
                    }
                    Some(parsed)
                }
                Err(_) => {
                    notes.push(format!(
                        "customization key {:?}: label colour {c:?} is not a colour, left out",
                        k.name
                    ));
                    None
                }
            },
        };
        let mode = if k.multiple_choice {
            SelectionMode::Multiple
        } else {
            SelectionMode::Single
        };
        let rule = SelectionRule::new(mode, false, None, None)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let group = ModifierGroup {
            id: GroupId(k.id),
            name,
            label_color: color.clone(),
            rule,
            default_option: None,
            enabled: k.enable,
            sort_order: k.sort_order,
        };
        let new = sink.insert_group(stamped(group, times(k.inserted_at, k.updated_at)))?;
        key_ids.insert(k.id, new);
        key_colors.insert(k.id, color.map(|c| c.as_str().to_owned()));
        rep.customization_keys += 1;
    }

    // Values (modifier options).
    let mut value_ids: HashMap<i64, OptionId> = HashMap::new();
    let mut value_effects: HashMap<i64, PriceEffect> = HashMap::new();
    let mut names_per_key: HashMap<GroupId, Names> = HashMap::new();
    for v in &src.values {
        let Some(group) = key_ids.get(&v.belongs_to).copied() else {
            notes.push(format!(
                "customization value {:?} (id {}): its key {} does not exist, left out",
                v.name, v.id, v.belongs_to
            ));
            continue;
        };
        let name = names_per_key.entry(group).or_default().unique(
            &v.name,
            "customization value",
            notes,
        )?;
        let effect = effect_of(v.constant_price, v.price_increment_nok, per);
        let effect = match effect {
            Some(e) => e,
            None => {
                notes.push(format!(
                    "customization value {:?}: price {} out of range, set to 0",
                    v.name, v.price_increment_nok
                ));
                PriceEffect::Fixed(0)
            }
        };
        let option = ModifierOption {
            id: OptionId(v.id),
            group_id: group,
            name,
            effect,
            enabled: v.enable,
            sold_out: false,
            sort_order: v.sort_order,
        };
        let new = sink.insert_option(stamped(option, times(v.inserted_at, v.updated_at)))?;
        value_ids.insert(v.id, new);
        value_effects.insert(v.id, effect);
        rep.customization_values += 1;
    }
    for k in &src.keys {
        let Some(d) = k.default_value else { continue };
        let belongs = src.values.iter().any(|v| v.id == d && v.belongs_to == k.id);
        match (belongs, value_ids.get(&d), key_ids.get(&k.id)) {
            (true, Some(opt), Some(group)) => sink.set_default_option(*group, *opt)?,
            _ => notes.push(format!(
                "customization key {:?}: default value {d} is not one of its values, left out",
                k.name
            )),
        }
    }

    // Categories and the keys they allow.
    let mut category_ids: HashMap<i64, CategoryId> = HashMap::new();
    let mut category_names: HashMap<i64, String> = HashMap::new();
    let mut cat_names = Names::default();
    for c in &src.categories {
        let name = cat_names.unique(&c.name, "category", notes)?;
        let mut allowed_groups = Vec::new();
        for k in &c.valid_customizations {
            let Some(group) = key_ids.get(k) else {
                notes.push(format!(
                    "category {:?}: customization key {k} does not exist, left out",
                    c.name
                ));
                continue;
            };
            if !allowed_groups.contains(group) {
                allowed_groups.push(*group);
            }
        }
        category_names.insert(c.id, name.as_str().to_owned());
        let category = Category {
            id: CategoryId(c.id),
            name,
            sort_order: c.sort_order,
            enabled: c.enable,
            allowed_groups,
        };
        let new = sink.insert_category(stamped(category, times(c.inserted_at, c.updated_at)))?;
        category_ids.insert(c.id, new);
        rep.categories += 1;
    }

    // Items; one without a category goes to a disabled one made for them.
    let mut item_ids: HashMap<i64, ItemId> = HashMap::new();
    let mut orphans: Option<(CategoryId, Name)> = None;
    let mut names = Names::default();
    for i in &src.items {
        let category = match i.category_id.and_then(|c| category_ids.get(&c)) {
            Some(c) => *c,
            None => {
                let (id, name) = match &orphans {
                    Some(o) => o.clone(),
                    None => {
                        // A source category of this name makes it "Uten kategori (2)".
                        let name = cat_names.unique("Uten kategori", "category", notes)?;
                        let category = Category {
                            id: CategoryId(0),
                            name: name.clone(),
                            sort_order: 9999,
                            enabled: false,
                            allowed_groups: Vec::new(),
                        };
                        let id = sink.insert_category(stamped(category, (t0, t0)))?;
                        rep.categories += 1;
                        orphans.insert((id, name)).clone()
                    }
                };
                notes.push(format!(
                    "item {:?}: no category, put in {:?} (disabled)",
                    i.name,
                    name.as_str()
                ));
                id
            }
        };
        let name = names.unique(&i.name, "item", notes)?;
        let price = i
            .price_nok
            .checked_mul(per)
            .and_then(|m| Amount::new(m).ok())
            .unwrap_or_else(|| {
                notes.push(format!(
                    "item {:?}: price {} out of range, set to 0",
                    i.name, i.price_nok
                ));
                Amount::ZERO
            });
        let item = Item {
            id: ItemId(i.id),
            category_id: category,
            name,
            price,
            image: i.image.clone(),
            enabled: i.enable,
            sold_out: false,
            sort_order: i.sort_order,
        };
        let new = sink.insert_item(stamped(item, times(i.inserted_at, i.updated_at)))?;
        item_ids.insert(i.id, new);
        rep.items += 1;
    }

    // Users, with their bcrypt hashes as they are.
    let mut user_ids: HashMap<i64, UserId> = HashMap::new();
    for u in &src.users {
        // crema keeps emails in lower case; Kaffebase compared them without case.
        let email = u.email.to_lowercase();
        let uid = match sink.user_by_email(&email)? {
            Some(id) => {
                notes.push(format!(
                    "user {}: already in crema (id {id}), kept as it is; their Kaffebase orders are theirs",
                    u.email
                ));
                id
            }
            None => {
                let new = sink.insert_user(UserRecord {
                    id: UserId(u.id),
                    email,
                    name: u.name.clone(),
                    password_hash: u.hashed_password.clone(),
                    created_at: stamp(u.inserted_at),
                })?;
                if new != UserId(u.id) {
                    notes.push(format!(
                        "user {}: id {} is someone else's in crema, so they get a new id; their orders follow them",
                        u.email, u.id
                    ));
                }
                rep.users += 1;
                new
            }
        };
        if u.is_admin {
            sink.add_member(uid, Role::Manager, t0)?;
            rep.managers += 1;
        }
        user_ids.insert(u.id, uid);
    }
    for id in &src.users_left_out {
        notes.push(format!(
            "user id {id}: no usable email, not imported; their orders belong to no user"
        ));
    }

    // Messages and the status.
    let own = sink.message_count()?;
    if own > 0 && !src.messages.is_empty() {
        notes.push(format!(
            "the café had {own} message(s) of its own already (a new crema café starts with one): kept beside Kaffebase's; delete what you do not want in /admin/message"
        ));
    }
    let mut message_ids: HashMap<i64, MessageId> = HashMap::new();
    for m in &src.messages {
        let (created_at, updated_at) = times(m.inserted_at, m.updated_at);
        let new = sink.insert_message(MessageRecord {
            id: MessageId(m.id),
            cafe_id: sink.cafe(),
            fields: MessageFields {
                title: m.title.clone(),
                subtitle: m.subtitle.clone().filter(|s| !s.is_empty()),
            },
            created_at,
            updated_at,
        })?;
        message_ids.insert(m.id, new);
        rep.messages += 1;
    }
    if sink.message_count()? == 0 {
        // The admin page edits messages it can see; a café needs one to start with.
        sink.insert_message(MessageRecord {
            id: MessageId(0),
            cafe_id: sink.cafe(),
            fields: MessageFields {
                title: "Stengt".into(),
                subtitle: Some("Vi åpner snart".into()),
            },
            created_at: t0,
            updated_at: t0,
        })?;
        notes.push("the source had no messages: added \"Stengt\"".into());
    }
    if src.statuses.len() > 1 {
        notes.push(format!(
            "{} status rows: the first one (id {}) is the café's status",
            src.statuses.len(),
            src.statuses[0].id
        ));
    }
    if let Some(s) = src.statuses.first() {
        let message = s.message_id.and_then(|m| message_ids.get(&m).copied());
        if s.message_id.is_some() && message.is_none() {
            notes.push("status: its message does not exist, none is shown".into());
        }
        // Its times are Kaffebase's: when the café last opened or closed is history too.
        let created = s.inserted_at.unwrap_or(t0);
        let status = StatusFields {
            open: s.open,
            show_message: s.show_message,
            message_id: message,
        };
        sink.set_status(stamped(status, (created, s.updated_at.unwrap_or(created))))?;
        rep.status = true;
    }

    // Orders.
    let book = Book::new(&src, &category_ids, &key_colors, per);
    let placed: Vec<DateTime<Utc>> = src
        .orders
        .iter()
        .map(|o| o.inserted_at.unwrap_or(t0))
        .collect();
    let numbers = day_numbers(&src.orders, &placed, notes);
    let mut counters: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut uuids: HashSet<Uuid> = HashSet::new();
    let mut no_user: BTreeMap<i64, usize> = BTreeMap::new();
    let mut guesses = Guesses::default();
    let first_step = workflow.first().as_str().to_owned();
    let ids = Ids {
        items: &item_ids,
        keys: &key_ids,
        values: &value_ids,
    };
    for (i, o) in src.orders.iter().enumerate() {
        let step = if workflow.position(&o.state).is_some() {
            o.state.clone()
        } else {
            notes.push(format!(
                "order {}: state {:?} is not a step of the workflow, set to {first_step}",
                o.id, o.state
            ));
            first_step.clone()
        };
        let at = placed[i];
        if o.inserted_at.is_none() {
            notes.push(format!(
                "order {}: no time it was placed, given the time of the import",
                o.id
            ));
        }
        // Kaffebase's day: UTC's.
        let date = at.date_naive();
        let number = numbers[i];
        let c = counters.entry(date).or_insert(0);
        *c = (*c).max(number);
        let uuid = match o
            .uuid
            .as_deref()
            .and_then(|u| Uuid::parse_str(u.trim()).ok())
        {
            Some(u) if uuids.insert(u) && !sink.uuid_taken(u)? => u,
            _ => {
                let u = Uuid::new_v4();
                uuids.insert(u);
                notes.push(format!(
                    "order {}: its uuid was missing or taken, gave a new one",
                    o.id
                ));
                u
            }
        };
        let (lines, total) = book.lines(o, at, &ids, rounding, &mut guesses, notes);
        // Only a user who came along is a customer: the id of one who did not (deleted in
        // Kaffebase) could be anyone's in crema, now or later.
        let user = o.customer_id.and_then(|c| user_ids.get(&c).copied());
        if let (Some(c), None) = (o.customer_id, user) {
            *no_user.entry(c).or_default() += 1;
        }
        let customer = match user {
            Some(user_id) => Customer::User { user_id },
            None => Customer::Anonymous,
        };
        let day_number = u32::try_from(number).map_err(|_| {
            StoreError::conflict(
                "source",
                format!(
                    "order {}: number {number} is too large for a day number: fix it in Kaffebase and import again; nothing was imported",
                    o.id
                ),
            )
        })?;
        let row = sink.insert_order(OrderRecord {
            id: crema_core::id::OrderId(o.id),
            uuid,
            cafe_id: sink.cafe(),
            local_date: date,
            day_number,
            channel: Channel::Counter,
            customer,
            // Kaffebase's customer_id was the staff member at the front desk.
            placed_by: user,
            station_id: None,
            step: step.clone(),
            lines,
            currency,
            subtotal: total,
            tip: Amount::ZERO,
            total,
            missing_information: o.missing_information,
            cancel_reason: None,
            created_at: at,
            updated_at: o.updated_at.unwrap_or(at),
            line_marks: Vec::new(),
        })?;
        // One move, so the history says where the order came from; there is nothing to undo.
        let place = MoveRecord {
            kind: MoveKind::Place,
            from: None,
            to: step,
            actor_id: user,
            reason: Some("imported from Kaffebase".into()),
            at,
        };
        sink.insert_move(row, place)?;
        rep.before.revenue += total.minor();
        rep.orders += 1;
    }
    guesses.notes(notes);
    for (id, n) in no_user {
        notes.push(format!(
            "user id {id} is not in the source (deleted in Kaffebase): {n} orders of theirs belong to no user"
        ));
    }
    for (date, last) in counters {
        sink.raise_day_counter(date, last)?;
    }
    let users: HashSet<UserId> = user_ids.values().copied().collect();
    rep.after = after(sink.counts()?, users.len() as i64);
    Ok(rep)
}

/// The source, counted. Its revenue is added order by order as each is priced.
fn before(src: &Source) -> Tally {
    let mut states = BTreeMap::new();
    for o in &src.orders {
        *states.entry(o.state.clone()).or_default() += 1;
    }
    let n = |l: usize| l as i64;
    Tally {
        categories: n(src.categories.len()),
        items: n(src.items.len()),
        customization_keys: n(src.keys.len()),
        customization_values: n(src.values.len()),
        messages: n(src.messages.len()),
        users: n(src.users.len() + src.users_left_out.len()),
        orders: n(src.orders.len()),
        states,
        revenue: 0,
    }
}

fn stamped<T>(value: T, (created_at, updated_at): (DateTime<Utc>, DateTime<Utc>)) -> Stamped<T> {
    Stamped {
        value,
        created_at,
        updated_at,
    }
}

/// The café as the import left it, counted by the store.
fn after(c: CafeCounts, users: i64) -> Tally {
    Tally {
        categories: c.categories,
        items: c.items,
        customization_keys: c.groups,
        customization_values: c.options,
        messages: c.messages,
        users,
        orders: c.orders,
        states: c.steps,
        revenue: c.revenue,
    }
}

/// Each order's day number. Kaffebase's numbers are kept; where one was given twice on a UTC
/// day, the order placed first keeps it and the later one gets the next number above the
/// day's highest, so no other order of that day moves.
fn day_numbers(orders: &[SrcOrder], placed: &[DateTime<Utc>], notes: &mut Vec<String>) -> Vec<i64> {
    let mut top: HashMap<NaiveDate, i64> = HashMap::new();
    for (o, at) in orders.iter().zip(placed) {
        let t = top.entry(at.date_naive()).or_insert(0);
        *t = (*t).max(o.day_id);
    }
    let mut order: Vec<usize> = (0..orders.len()).collect();
    order.sort_by_key(|&i| (placed[i], orders[i].id));
    let mut holder: HashMap<(NaiveDate, i64), i64> = HashMap::new();
    let mut numbers = vec![0; orders.len()];
    for i in order {
        let o = &orders[i];
        let date = placed[i].date_naive();
        if o.day_id >= 1 {
            match holder.get(&(date, o.day_id)) {
                None => {
                    holder.insert((date, o.day_id), o.id);
                    numbers[i] = o.day_id;
                    continue;
                }
                Some(first) => {
                    let t = top.entry(date).or_insert(0);
                    *t += 1;
                    notes.push(format!(
                        "order {}: number {} of {date} was also order {first}'s, placed before it: now {}",
                        o.id, o.day_id, *t
                    ));
                    numbers[i] = *t;
                }
            }
        } else {
            // Kaffebase's first number of a day was 101.
            let t = top.entry(date).or_insert(0);
            *t = (*t).max(100) + 1;
            notes.push(format!(
                "order {}: number {} of {date} is not a number crema gives: now {}",
                o.id, o.day_id, *t
            ));
            numbers[i] = *t;
        }
        holder.insert((date, numbers[i]), o.id);
    }
    numbers
}

/// A value's price effect: kroner added, or a percentage.
fn effect_of(constant: bool, amount: i64, per: i64) -> Option<PriceEffect> {
    if constant {
        amount
            .checked_mul(per)
            .and_then(|m| PriceEffect::fixed(m).ok())
    } else {
        PriceEffect::percent(amount).ok()
    }
}

/// The crema ids the source's ids became.
struct Ids<'a> {
    items: &'a HashMap<i64, ItemId>,
    keys: &'a HashMap<i64, GroupId>,
    values: &'a HashMap<i64, OptionId>,
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k)
        .and_then(|x| {
            x.as_f64()
                .or_else(|| x.as_str().and_then(|s| s.trim().parse().ok()))
        })
        .filter(|f: &f64| f.is_finite())
}

fn id_of(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(|x| {
        x.as_i64()
            .or_else(|| x.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

fn str_of(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn kr(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0} kr")
    } else {
        format!("{x} kr")
    }
}

/// What was guessed about values deleted since and about renamed categories, told once per
/// value and per category name rather than once per order line.
#[derive(Default)]
struct Guesses {
    /// Value id → (what it was taken as and why, the key's name, the value's name, lines).
    kinds: BTreeMap<i64, (String, String, String, usize)>,
    /// A snapshot's category name → (what its lines were linked to, lines).
    categories: BTreeMap<String, (String, usize)>,
    /// Lines whose charged price differs from crema's exact rule: (order id, item, charged,
    /// exact), in kroner.
    arithmetic: Vec<(i64, String, String, String)>,
}

impl Guesses {
    fn notes(&self, notes: &mut Vec<String>) {
        for (id, (how, key, value, n)) in &self.kinds {
            notes.push(format!(
                "value {value:?} of {key:?} (id {id}) was deleted since; {n} order lines used it: {how}"
            ));
        }
        for (name, (how, n)) in &self.categories {
            notes.push(format!(
                "category {name:?} of {n} order lines no longer exists by that name: {how}"
            ));
        }
        // One note for all of them: a café that sold 50 kr × 110 % did so all day.
        if let Some((order, item, charged, exact)) = self.arithmetic.first() {
            notes.push(format!(
                "{} order lines were charged what the frontend's floating-point arithmetic gave, not what exact arithmetic gives (order {order}: {item:?} was charged {charged}, exactly {exact}): the charged prices are kept",
                self.arithmetic.len()
            ));
        }
    }
}

/// The source, indexed for reading order snapshots: what each value was, and every price the
/// snapshots hold, to recover one a snapshot lacks.
struct Book<'a> {
    src: &'a Source,
    values: HashMap<i64, &'a SrcValue>,
    items: HashMap<i64, &'a SrcItem>,
    keys: HashMap<i64, &'a SrcKey>,
    category_ids: &'a HashMap<i64, CategoryId>,
    category_names: HashMap<i64, &'a str>,
    category_by_name: HashMap<&'a str, i64>,
    colors: &'a HashMap<i64, Option<String>>,
    /// Item id → (when, price in kroner, order id) from every snapshot that has a price.
    item_prices: HashMap<i64, Vec<(DateTime<Utc>, f64, i64)>>,
    /// Value id → (when, increment, order id), likewise.
    value_changes: HashMap<i64, Vec<(DateTime<Utc>, f64, i64)>>,
    per: i64,
}

fn snapshot_items(o: &SrcOrder) -> Option<Vec<Value>> {
    o.items_data
        .as_deref()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .and_then(|v| v.as_array().cloned())
}

fn customizations(it: &Value) -> impl Iterator<Item = &Value> {
    it.get("customizations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The entry nearest in time to `at`, of another order.
fn nearest(
    list: Option<&Vec<(DateTime<Utc>, f64, i64)>>,
    at: DateTime<Utc>,
    not: i64,
) -> Option<(f64, i64)> {
    list?
        .iter()
        .filter(|(_, _, o)| *o != not)
        .min_by_key(|(t, _, o)| ((*t - at).num_milliseconds().abs(), *o))
        .map(|(_, p, o)| (*p, *o))
}

impl<'a> Book<'a> {
    fn new(
        src: &'a Source,
        category_ids: &'a HashMap<i64, CategoryId>,
        colors: &'a HashMap<i64, Option<String>>,
        per: i64,
    ) -> Self {
        let mut item_prices: HashMap<i64, Vec<_>> = HashMap::new();
        let mut value_changes: HashMap<i64, Vec<_>> = HashMap::new();
        for o in &src.orders {
            let at = o.inserted_at.unwrap_or_else(Utc::now);
            for it in snapshot_items(o).iter().flatten() {
                if let (Some(item), Some(p)) = (id_of(it, "item_id"), num(it, "price")) {
                    item_prices.entry(item).or_default().push((at, p, o.id));
                }
                for c in customizations(it) {
                    if let (Some(v), Some(p)) = (id_of(c, "value_id"), num(c, "price_change")) {
                        value_changes.entry(v).or_default().push((at, p, o.id));
                    }
                }
            }
        }
        let mut category_by_name = HashMap::new();
        for c in &src.categories {
            category_by_name.entry(c.name.as_str()).or_insert(c.id);
        }
        Book {
            src,
            values: src.values.iter().map(|v| (v.id, v)).collect(),
            items: src.items.iter().map(|i| (i.id, i)).collect(),
            keys: src.keys.iter().map(|k| (k.id, k)).collect(),
            category_ids,
            category_names: src
                .categories
                .iter()
                .map(|c| (c.id, c.name.as_str()))
                .collect(),
            category_by_name,
            colors,
            item_prices,
            value_changes,
            per,
        }
    }

    /// Kroner or a percentage: the value's own kind while it exists; for one deleted since,
    /// the kind every other value of its key has (found by the key's id, or by its name when
    /// the key was deleted and made again). Otherwise it is not known, and taken as kroner.
    fn kind(&self, value: i64, key: i64, key_name: &str) -> (Kind, Option<String>) {
        let of = |v: &SrcValue| {
            if v.constant_price {
                Kind::Kroner
            } else {
                Kind::Percent
            }
        };
        if let Some(v) = self.values.get(&value) {
            return (of(v), None);
        }
        let mut siblings: Vec<&SrcValue> = self
            .src
            .values
            .iter()
            .filter(|v| v.belongs_to == key)
            .collect();
        if siblings.is_empty() {
            let same_name: HashSet<i64> = self
                .src
                .keys
                .iter()
                .filter(|k| k.name == key_name)
                .map(|k| k.id)
                .collect();
            siblings = self
                .src
                .values
                .iter()
                .filter(|v| same_name.contains(&v.belongs_to))
                .collect();
        }
        let kinds: HashSet<Kind> = siblings.iter().map(|v| of(v)).collect();
        match (kinds.len(), kinds.iter().next()) {
            (1, Some(k)) => (
                *k,
                Some(format!(
                    "priced as {}, the kind of every value {key_name:?} still has ({})",
                    if *k == Kind::Percent { "a percentage" } else { "kroner" },
                    siblings.len()
                )),
            ),
            _ => (
                Kind::Kroner,
                Some(format!(
                    "whether it was kroner or a percentage is not known ({}): priced as kroner; check these orders",
                    if siblings.is_empty() { "its key has no values left" } else { "its key's values are of both kinds" }
                )),
            ),
        }
    }

    /// The crema category of a line: the one of the snapshot's name (the item's own category
    /// first, when it has that name), else the item's category as it is now (the category was
    /// renamed since), else none.
    fn category(&self, name: &str, item: i64, guesses: &mut Guesses) -> CategoryId {
        let own = self.items.get(&item).and_then(|i| i.category_id);
        let mapped = |c: i64| self.category_ids.get(&c).copied();
        if let Some(c) = own
            .filter(|c| self.category_names.get(c) == Some(&name))
            .and_then(mapped)
        {
            return c;
        }
        if let Some(c) = self.category_by_name.get(name).copied().and_then(mapped) {
            return c;
        }
        let (id, how) = match own.and_then(|c| Some((mapped(c)?, self.category_names.get(&c)?))) {
            Some((id, now)) => (
                id,
                format!("linked to the category of their items, {now:?} (renamed since); the lines keep the name"),
            ),
            None => (
                CategoryId(0),
                "their items are gone too, so they have no category id; the lines keep the name".to_owned(),
            ),
        };
        guesses
            .categories
            .entry(name.to_owned())
            .or_insert((how, 0))
            .1 += 1;
        id
    }

    /// The lines of an order from its `items_data`, one per item (Kaffebase had one item per
    /// drink), each priced as the frontend charged it, and their total.
    fn lines(
        &self,
        o: &SrcOrder,
        at: DateTime<Utc>,
        ids: &Ids<'_>,
        rounding: Amount,
        guesses: &mut Guesses,
        notes: &mut Vec<String>,
    ) -> (Vec<LineSnapshot>, Amount) {
        let Some(items) = snapshot_items(o) else {
            notes.push(format!(
                "order {}: its items could not be read, imported without items (total 0)",
                o.id
            ));
            return (Vec::new(), Amount::ZERO);
        };
        let per = self.per as f64;
        let minor = |kroner: f64| (kroner * per).round() as i64;
        let mut out = Vec::with_capacity(items.len());
        let mut total = Amount::ZERO;
        for it in &items {
            let old_item = id_of(it, "item_id").unwrap_or(0);
            let item_name = str_of(it, "name");
            let base = match num(it, "price") {
                Some(p) => p,
                None => {
                    let (p, from) = match nearest(self.item_prices.get(&old_item), at, o.id) {
                        Some((p, other)) => (
                            p,
                            format!(
                                "its price in order {other}, the nearest in time with this item"
                            ),
                        ),
                        None => match self.items.get(&old_item) {
                            Some(i) => (i.price_nok as f64, "the menu's price".to_owned()),
                            None => (0.0, "no price of it is known anywhere".to_owned()),
                        },
                    };
                    notes.push(format!(
                        "order {}: {item_name:?} has no price in its snapshot: priced at {}, {from}",
                        o.id,
                        kr(p)
                    ));
                    p
                }
            };
            let category_name = str_of(it, "category");
            let mut modifiers = Vec::new();
            let mut changes = Vec::new();
            for c in customizations(it) {
                let old_key = id_of(c, "key_id").unwrap_or(0);
                let old_value = id_of(c, "value_id").unwrap_or(0);
                let key_name = c
                    .get("key_name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| self.keys.get(&old_key).map(|k| k.name.clone()))
                    .unwrap_or_default();
                let value_name = str_of(c, "value_name");
                let (kind, guess) = self.kind(old_value, old_key, &key_name);
                if let Some(how) = guess {
                    guesses
                        .kinds
                        .entry(old_value)
                        .or_insert((how, key_name.clone(), value_name.clone(), 0))
                        .3 += 1;
                }
                let change = match num(c, "price_change") {
                    Some(x) => x,
                    None => {
                        let (x, from) = match nearest(self.value_changes.get(&old_value), at, o.id)
                        {
                            Some((x, other)) => (
                                x,
                                format!("as in order {other}, the nearest in time with it"),
                            ),
                            None => match self.values.get(&old_value) {
                                Some(v) => (
                                    v.price_increment_nok as f64,
                                    "as the menu has it".to_owned(),
                                ),
                                // The frontend's own defaults for a missing number.
                                None if kind == Kind::Percent => {
                                    (100.0, "unknown, so no change (100 %)".to_owned())
                                }
                                None => (0.0, "unknown, so no change (0 kr)".to_owned()),
                            },
                        };
                        notes.push(format!(
                            "order {}: {value_name:?} has no price change in its snapshot: {x}, {from}",
                            o.id
                        ));
                        x
                    }
                };
                changes.push((kind, change));
                let effect = match kind {
                    Kind::Kroner => PriceEffect::fixed(minor(change)),
                    Kind::Percent => PriceEffect::percent(change.round() as i64),
                }
                .unwrap_or(PriceEffect::Fixed(0));
                modifiers.push(ModifierSnapshot {
                    group_id: ids.keys.get(&old_key).copied().unwrap_or(GroupId(old_key)),
                    group_name: key_name,
                    option_id: ids
                        .values
                        .get(&old_value)
                        .copied()
                        .unwrap_or(OptionId(old_value)),
                    option_name: value_name,
                    label_color: c
                        .get("label_color")
                        .and_then(Value::as_str)
                        .and_then(|s| LabelColor::parse(s).ok())
                        .map(|l| l.as_str().to_owned())
                        .or_else(|| self.colors.get(&old_key).cloned().flatten()),
                    effect,
                });
            }
            let kroner = charged(base, &changes);
            let unit = Amount::new(minor(kroner)).unwrap_or_else(|_| {
                notes.push(format!(
                    "order {}: {item_name:?} comes to {}, which is not a price: imported at 0",
                    o.id,
                    kr(kroner)
                ));
                Amount::ZERO
            });
            let base_price = Amount::new(minor(base).max(0)).unwrap_or(Amount::ZERO);
            let effects: Vec<PriceEffect> = modifiers.iter().map(|m| m.effect).collect();
            if let Ok(exact) = unit_price(base_price, &effects, rounding) {
                if exact != unit {
                    guesses.arithmetic.push((
                        o.id,
                        item_name.clone(),
                        kr(kroner),
                        kr(exact.minor() as f64 / per),
                    ));
                }
            }
            total = total.checked_add(unit).unwrap_or(total);
            out.push(LineSnapshot {
                item_id: ids
                    .items
                    .get(&old_item)
                    .copied()
                    .unwrap_or(ItemId(old_item)),
                item_name,
                category_id: self.category(&category_name, old_item, guesses),
                category_name,
                base_price,
                modifiers,
                quantity: 1,
                notes: None,
                unit_price: unit,
                line_total: unit,
            });
        }
        (out, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_get_a_number() {
        let mut n = Names::default();
        let mut notes = Vec::new();
        assert_eq!(
            n.unique("Kaffe", "category", &mut notes).unwrap().as_str(),
            "Kaffe"
        );
        assert_eq!(
            n.unique("kaffe", "category", &mut notes).unwrap().as_str(),
            "kaffe (2)"
        );
        assert_eq!(
            n.unique("", "category", &mut notes).unwrap().as_str(),
            "Uten navn"
        );
        assert_eq!(notes.len(), 2);
        let long = "x".repeat(100);
        n.unique(&long, "category", &mut notes).unwrap();
        let again = n.unique(&long, "category", &mut notes);
        assert!(
            matches!(again, Err(StoreError::Conflict { .. })),
            "{again:?}"
        );
    }

    fn order(id: i64, day_id: i64, at: &str) -> (SrcOrder, DateTime<Utc>) {
        let t = parse_time(at).unwrap();
        (
            SrcOrder {
                id,
                uuid: None,
                customer_id: None,
                day_id,
                items_data: None,
                state: "received".into(),
                missing_information: false,
                inserted_at: Some(t),
                updated_at: Some(t),
            },
            t,
        )
    }

    #[test]
    fn only_the_later_duplicate_moves_above_the_days_highest() {
        let mut list = vec![
            order(1, 171, "2025-03-02T10:00:00"),
            order(2, 172, "2025-03-02T10:01:00"),
            order(3, 173, "2025-03-02T10:02:00"),
            order(4, 171, "2025-03-02T10:00:30"),
            order(5, 0, "2025-03-02T10:03:00"),
            order(6, 171, "2025-03-03T10:00:00"),
        ];
        // The source's order is by id, not by time.
        list.swap(1, 3);
        let (orders, placed): (Vec<_>, Vec<_>) = list.into_iter().unzip();
        let mut notes = Vec::new();
        let numbers = day_numbers(&orders, &placed, &mut notes);
        let by_id: BTreeMap<i64, i64> = orders.iter().map(|o| o.id).zip(numbers).collect();
        assert_eq!(
            by_id.into_iter().collect::<Vec<_>>(),
            [(1, 171), (2, 172), (3, 173), (4, 174), (5, 175), (6, 171)]
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
