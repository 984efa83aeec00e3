//! First-run data: the demo cafés (a Norwegian one like Kaffediem's, and an English one), or
//! one empty default café for a real installation; and the first admin account.

use crate::auth::{generate_password, hash_password};
use crate::error::ApiError;
use crema_app::{content, menu};
use crema_core::cafe::{Cafe, Locale, Slug};
use crema_core::day::{parse_tz, FirstNumber};
use crema_core::id::{CategoryId, GroupId, ItemId, OptionId};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::{Amount, Currency};
use crema_core::text::{Email, LabelColor, Name};
use crema_core::workflow::Workflow;
use crema_store::{Edit, MessageFields, Role, Store, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("demo data: {e}"))
}

fn name(s: &str) -> Result<Name> {
    Name::parse(s).map_err(bad)
}

fn money(minor: i64) -> Result<Amount> {
    Amount::new(minor).map_err(bad)
}

/// The admin account created on first run: its email and the password, shown once.
pub struct FirstAdmin {
    pub email: String,
    pub password: String,
}

#[allow(clippy::too_many_arguments)]
fn cafe(
    slug: &str,
    title: &str,
    tz: &str,
    currency: Currency,
    locale: Locale,
    rounding: i64,
) -> Result<Cafe> {
    Ok(Cafe {
        id: crema_core::id::CafeId(0),
        slug: Slug::parse(slug).map_err(bad)?,
        name: name(title)?,
        timezone: parse_tz(tz).map_err(bad)?,
        currency,
        locale,
        first_number: FirstNumber::KAFFEBASE,
        workflow: Workflow::kaffediem(),
        price_rounding: money(rounding)?,
        age_thresholds: (300, 600),
    })
}

struct Builder<'a> {
    store: &'a dyn Store,
    cafe: crema_core::id::CafeId,
    sort: i64,
}

impl<'a> Builder<'a> {
    /// Creates the café (the default one when `is_default`) and returns its builder.
    async fn create(store: &'a dyn Store, cafe: Cafe, is_default: bool) -> Result<Builder<'a>> {
        let c = crema_app::cafes::create(store, cafe, is_default).await?;
        Ok(Builder {
            store,
            cafe: c.cafe.id,
            sort: 0,
        })
    }

    fn next(&mut self) -> i64 {
        self.sort += 1;
        self.sort
    }

    async fn group(
        &mut self,
        n: &str,
        color: &str,
        mode: SelectionMode,
        required: bool,
        max: Option<u32>,
    ) -> Result<GroupId> {
        let sort_order = self.next();
        let g = ModifierGroup {
            id: GroupId(0),
            name: name(n)?,
            label_color: Some(LabelColor::parse(color).map_err(bad)?),
            rule: SelectionRule::new(mode, required, None, max).map_err(bad)?,
            default_option: None,
            enabled: true,
            sort_order,
        };
        Ok(menu::create(self.store, self.cafe, g).await?.value.id)
    }

    async fn option(&mut self, group: GroupId, n: &str, effect: PriceEffect) -> Result<OptionId> {
        let sort_order = self.next();
        let o = ModifierOption {
            id: OptionId(0),
            group_id: group,
            name: name(n)?,
            effect,
            enabled: true,
            sold_out: false,
            sort_order,
        };
        Ok(menu::create(self.store, self.cafe, o).await?.value.id)
    }

    async fn default(&mut self, group: GroupId, option: OptionId) -> Result<()> {
        let edit: Edit<ModifierGroup> = Box::new(move |g| {
            g.default_option = Some(option);
            Ok(())
        });
        menu::update(self.store, self.cafe, group, edit).await?;
        Ok(())
    }

    async fn category(&mut self, n: &str, groups: Vec<GroupId>) -> Result<CategoryId> {
        let sort_order = self.next();
        let c = Category {
            id: CategoryId(0),
            name: name(n)?,
            sort_order,
            enabled: true,
            allowed_groups: groups,
        };
        Ok(menu::create(self.store, self.cafe, c).await?.value.id)
    }

    async fn item(&mut self, category: CategoryId, n: &str, price: i64) -> Result<ItemId> {
        let sort_order = self.next();
        let i = Item {
            id: ItemId(0),
            category_id: category,
            name: name(n)?,
            price: money(price)?,
            image: None,
            enabled: true,
            sold_out: false,
            sort_order,
        };
        Ok(menu::create(self.store, self.cafe, i).await?.value.id)
    }

    async fn open_with(&mut self, title: &str, subtitle: &str) -> Result<()> {
        let m = content::create_message(
            self.store,
            self.cafe,
            MessageFields {
                title: title.to_owned(),
                subtitle: Some(subtitle.to_owned()),
            },
        )
        .await?;
        let open = content::StatusPatch {
            open: Some(true),
            show_message: Some(false),
            message_id: Some(Some(m.id)),
        };
        content::update_status(self.store, self.cafe, open).await?;
        Ok(())
    }
}

/// The demo: "Kaffediem" (Norwegian, NOK in whole kroner, the default café) and "Corner
/// Coffee" (English, GBP in pence). Both open.
pub async fn seed_demo(store: &dyn Store) -> Result<()> {
    let kd = cafe(
        "kaffediem",
        "Kaffediem",
        "Europe/Oslo",
        Currency::NOK,
        Locale::Nb,
        100,
    )?;
    let mut b = Builder::create(store, kd, true).await?;
    let melk = b
        .group("Melk", "#3b82f6", SelectionMode::Single, false, None)
        .await?;
    let hel = b.option(melk, "Helmelk", PriceEffect::Fixed(0)).await?;
    b.option(melk, "Lettmelk", PriceEffect::Fixed(0)).await?;
    b.option(melk, "Havre", PriceEffect::Fixed(500)).await?;
    b.option(melk, "Laktosefri", PriceEffect::Fixed(0)).await?;
    b.default(melk, hel).await?;
    let size = b
        .group("Størrelse", "#f59e0b", SelectionMode::Single, true, None)
        .await?;
    b.option(size, "Liten", PriceEffect::Percent(80)).await?;
    let medium = b.option(size, "Medium", PriceEffect::Percent(100)).await?;
    b.option(size, "Stor", PriceEffect::Percent(120)).await?;
    b.default(size, medium).await?;
    let extra = b
        .group("Ekstra", "#10b981", SelectionMode::Multiple, false, Some(3))
        .await?;
    b.option(extra, "Ekstra shot", PriceEffect::Fixed(1000))
        .await?;
    b.option(extra, "Vaniljesirup", PriceEffect::Fixed(500))
        .await?;
    b.option(extra, "Karamellsirup", PriceEffect::Fixed(500))
        .await?;

    let kaffe = b.category("Kaffe", vec![size, melk, extra]).await?;
    let te = b.category("Te", vec![size, melk]).await?;
    let annet = b.category("Annet", vec![]).await?;
    for (n, p) in [
        ("Americano", 3500),
        ("Cortado", 4000),
        ("Cappuccino", 4500),
        ("Caffè latte", 5000),
        ("Flat white", 4800),
    ] {
        b.item(kaffe, n, p).await?;
    }
    for (n, p) in [("Chai latte", 5000), ("Te", 2500), ("Matcha latte", 5500)] {
        b.item(te, n, p).await?;
    }
    for (n, p) in [
        ("Varm sjokolade", 4000),
        ("Bolle", 3000),
        ("Sjokoladekake", 4500),
    ] {
        b.item(annet, n, p).await?;
    }
    b.open_with("Velkommen!", "Bestill i kassen eller på nett")
        .await?;

    let gbp = Currency::parse("GBP").map_err(bad)?;
    let cc = cafe(
        "corner",
        "Corner Coffee",
        "Europe/London",
        gbp,
        Locale::En,
        1,
    )?;
    let mut b = Builder::create(store, cc, false).await?;
    let milk = b
        .group("Milk", "#60a5fa", SelectionMode::Single, false, None)
        .await?;
    let whole = b.option(milk, "Whole", PriceEffect::Fixed(0)).await?;
    b.option(milk, "Semi-skimmed", PriceEffect::Fixed(0))
        .await?;
    b.option(milk, "Oat", PriceEffect::Fixed(40)).await?;
    b.default(milk, whole).await?;
    let size = b
        .group("Size", "#fbbf24", SelectionMode::Single, true, None)
        .await?;
    let regular = b.option(size, "Regular", PriceEffect::Fixed(0)).await?;
    b.option(size, "Large", PriceEffect::Fixed(50)).await?;
    b.default(size, regular).await?;
    let extras = b
        .group("Extras", "#34d399", SelectionMode::Multiple, false, Some(2))
        .await?;
    b.option(extras, "Extra shot", PriceEffect::Fixed(60))
        .await?;
    b.option(extras, "Vanilla syrup", PriceEffect::Fixed(50))
        .await?;
    let coffee = b.category("Coffee", vec![size, milk, extras]).await?;
    let tea = b.category("Tea", vec![milk]).await?;
    let bakery = b.category("Bakery", vec![]).await?;
    for (n, p) in [("Espresso", 250), ("Flat white", 340), ("Latte", 360)] {
        b.item(coffee, n, p).await?;
    }
    for (n, p) in [("English breakfast", 260), ("Earl grey", 260)] {
        b.item(tea, n, p).await?;
    }
    for (n, p) in [("Croissant", 280), ("Cinnamon bun", 320)] {
        b.item(bakery, n, p).await?;
    }
    b.open_with("Welcome!", "Order at the counter or online")
        .await?;
    Ok(())
}

/// A real café's start: one empty default café, closed, with one message to edit.
pub async fn seed_empty(store: &dyn Store) -> Result<()> {
    let c = cafe(
        "cafe",
        "My café",
        "Europe/Oslo",
        Currency::NOK,
        Locale::En,
        100,
    )?;
    let b = Builder::create(store, c, true).await?;
    content::create_message(
        store,
        b.cafe,
        MessageFields {
            title: "Closed".into(),
            subtitle: Some("We open soon".into()),
        },
    )
    .await?;
    Ok(())
}

/// Creates the first admin: owner of every café, with a generated password.
pub async fn first_admin(
    store: &dyn Store,
    email: &Email,
) -> std::result::Result<FirstAdmin, ApiError> {
    let password = generate_password();
    let hash = hash_password(&password)?;
    let name = Name::parse("Admin").ok();
    let user = crema_app::accounts::create_user(store, email, name.as_ref(), Some(hash)).await?;
    for c in store.cafes().await? {
        crema_app::accounts::set_membership(store, c.cafe.id, user.id, Role::Owner).await?;
    }
    Ok(FirstAdmin {
        email: email.to_string(),
        password,
    })
}
