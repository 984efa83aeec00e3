//! The menu and content areas of the unit of work on PostgreSQL: the same jobs run on a SQLite
//! store and on a PostgreSQL one, both empty at the start, answer the same (values, refusals,
//! errors) and leave the same menu, status, messages and stations behind.

use super::testing::TestDb;
use super::{PgStore, PgTx};
use crate::model::{MenuKind, MenuRecords, Stamped, StatusFields};
use crate::repo::{ContentRepo, MenuRepo};
use crate::sqlite::{Options, SqliteStore};
use crate::tx::menu::Removed;
use crate::tx::{transact, ContentTx, MenuTx, OrderTx};
use crate::{Result, StoreError};
use crema_core::cafe::CafeId;
use crema_core::id::{CategoryId, GroupId, ItemId, MessageId, OptionId};
use crema_core::menu::{
    Category, Item, ModifierGroup, ModifierOption, PriceEffect, SelectionMode, SelectionRule,
};
use crema_core::money::Amount;
use crema_core::text::{LabelColor, Name};
use std::fmt::Debug;

/// Runs the same job (a closure over `tx`, pasted for each store) on SQLite and on PostgreSQL
/// and returns both results, errors rendered by [`what`].
macro_rules! on_both {
    ($sqlite:expr, $pg:expr, $job:expr) => {{
        let s = transact(&*$sqlite, $job).await.map_err(|e| what(&e));
        let p = $pg.run_orders($job).await.map_err(|e| what(&e));
        (s, p)
    }};
}

/// What an error is, without the database's own wording.
fn what(e: &StoreError) -> String {
    match e {
        StoreError::Database { violated, .. } => format!("Database({violated:?})"),
        other => format!("{other:?}"),
    }
}

/// Both results are equal once `strip` takes what may differ (the stamps) off; returns them.
fn same<T: Debug, U: PartialEq + Debug>(
    (s, p): (
        std::result::Result<T, String>,
        std::result::Result<T, String>,
    ),
    strip: impl Fn(&T) -> U,
) -> (T, T) {
    let s = s.unwrap_or_else(|e| panic!("sqlite failed: {e}"));
    let p = p.unwrap_or_else(|e| panic!("postgres failed: {e}"));
    assert_eq!(strip(&p), strip(&s));
    (s, p)
}

fn name(s: &str) -> Name {
    Name::parse(s).expect("name")
}

fn values<T: Clone>(v: &[Stamped<T>]) -> Vec<T> {
    v.iter().map(|s| s.value.clone()).collect()
}

type Plain = (
    Vec<Category>,
    Vec<Item>,
    Vec<ModifierGroup>,
    Vec<ModifierOption>,
);

fn plain(m: &MenuRecords) -> Plain {
    (
        values(&m.categories),
        values(&m.items),
        values(&m.groups),
        values(&m.options),
    )
}

/// Every stamp of the menu is sane: created before (or when) last updated.
fn stamps_ok(m: &MenuRecords) {
    let pairs = m
        .categories
        .iter()
        .map(|s| (s.created_at, s.updated_at))
        .chain(m.items.iter().map(|s| (s.created_at, s.updated_at)))
        .chain(m.groups.iter().map(|s| (s.created_at, s.updated_at)))
        .chain(m.options.iter().map(|s| (s.created_at, s.updated_at)));
    for (c, u) in pairs {
        assert!(c <= u, "created {c} after updated {u}");
    }
}

fn category(n: &str, sort_order: i64, allowed_groups: Vec<GroupId>) -> Category {
    Category {
        id: CategoryId(0),
        name: name(n),
        sort_order,
        enabled: true,
        allowed_groups,
    }
}

fn item(category_id: CategoryId, n: &str, price: i64, image: Option<&str>) -> Item {
    Item {
        id: ItemId(0),
        category_id,
        name: name(n),
        price: Amount::new(price).expect("price"),
        image: image.map(str::to_owned),
        enabled: true,
        sold_out: false,
        sort_order: 0,
    }
}

fn group(n: &str, mode: SelectionMode, color: Option<&str>) -> ModifierGroup {
    ModifierGroup {
        id: GroupId(0),
        name: name(n),
        label_color: color.map(|c| LabelColor::parse(c).expect("colour")),
        rule: SelectionRule::new(mode, false, Some(0), Some(1)).expect("rule"),
        default_option: None,
        enabled: true,
        sort_order: 0,
    }
}

fn option(group_id: GroupId, n: &str, effect: PriceEffect) -> ModifierOption {
    ModifierOption {
        id: OptionId(0),
        group_id,
        name: name(n),
        effect,
        enabled: true,
        sold_out: false,
        sort_order: 0,
    }
}

/// The ids a job made.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ids {
    a: CafeId,
    b: CafeId,
    g: [GroupId; 2],
    o: [OptionId; 3],
    c: [CategoryId; 3],
    i: [ItemId; 3],
}

/// Two cafés, a station, and café a's menu: two groups with three options, three categories
/// (one with no items), three items; a category of the same name in café b. A snapshot read
/// inside the job sees the menu as the job has written it.
fn build<X: OrderTx + MenuTx + ContentTx + ?Sized>(tx: &mut X) -> Result<(Ids, String)> {
    let a = tx
        .insert_cafe(&super::copy_tests::cafe("hjornet", "Europe/Oslo"), true)?
        .cafe
        .id;
    let b = tx
        .insert_cafe(&super::copy_tests::cafe("corner", "Europe/London"), false)?
        .cafe
        .id;
    assert!(tx.cafe(a)?.menu.items.is_empty());
    assert!(!tx.cafe(a)?.open);
    // A slug taken and a second default café are refused, and the job goes on.
    let mut refusals = Vec::new();
    for (slug, default) in [("hjornet", false), ("tredje", true)] {
        let e = tx
            .insert_cafe(&super::copy_tests::cafe(slug, "Europe/Oslo"), default)
            .expect_err("refused");
        refusals.push(what(&e));
    }
    tx.insert_station(a, "Bar", true)?;
    let g = [
        tx.save_group(a, None, &group("Melk", SelectionMode::Single, None))?,
        tx.save_group(
            a,
            None,
            &group("Sirup", SelectionMode::Multiple, Some("#A0B")),
        )?,
    ]
    .map(|s| s.value.id);
    let o = [
        tx.save_option(a, None, &option(g[0], "Havremelk", PriceEffect::Fixed(500)))?,
        tx.save_option(a, None, &option(g[0], "Laktosefri", PriceEffect::Fixed(0)))?,
        tx.save_option(a, None, &option(g[1], "Vanilje", PriceEffect::Percent(10)))?,
    ]
    .map(|s| s.value.id);
    let mut melk = tx.menu_group(a, g[0])?.expect("group").value;
    melk.default_option = Some(o[0]);
    let saved = tx.save_group(a, Some(g[0]), &melk)?;
    assert_eq!(saved.value.default_option, Some(o[0]));
    assert!(tx.option_in_group(a, o[0], g[0])?);
    assert!(!tx.option_in_group(a, o[2], g[0])?);
    let c = [
        tx.save_category(a, None, &category("Kaffe", 1, vec![g[0], g[1]]))?,
        tx.save_category(a, None, &category("Te", 2, vec![g[1]]))?,
        tx.save_category(a, None, &category("Tomt", 3, vec![]))?,
    ]
    .map(|s| s.value.id);
    tx.save_category(b, None, &category("Kaffe", 1, vec![]))?;
    let i = [
        tx.save_item(a, None, &item(c[0], "Caffè latte", 4500, None))?,
        tx.save_item(a, None, &item(c[0], "Americano", 3500, None))?,
        tx.save_item(a, None, &item(c[1], "Chai", 4000, Some("chai.jpg")))?,
    ]
    .map(|s| s.value.id);
    // The snapshot read at the start is not kept past the writes.
    assert_eq!(tx.cafe(a)?.menu.items.len(), 3);
    assert_eq!(
        tx.menu_category(a, c[0])?
            .expect("category")
            .value
            .allowed_groups,
        vec![g[0], g[1]]
    );
    assert!(tx.menu_row_exists(MenuKind::Item, a, i[2].get())?);
    assert!(!tx.menu_row_exists(MenuKind::Item, b, i[2].get())?);
    assert!(!tx.menu_row_exists(MenuKind::Category, a, i[2].get() + 100)?);
    Ok((Ids { a, b, g, o, c, i }, refusals.join("; ")))
}

/// Sets the sort order of the rows of a kind 10, 20, 30 … in the order given, as
/// `crema_app::menu::reorder` does: a load and an update of each row whose place changes.
fn reorder_items<X: MenuTx + ?Sized>(tx: &mut X, cafe: CafeId, ids: &[ItemId]) -> Result<()> {
    for (n, id) in ids.iter().enumerate() {
        let mut v = tx.menu_item(cafe, *id)?.expect("item").value;
        let want = (n as i64 + 1) * 10;
        if v.sort_order != want {
            v.sort_order = want;
            tx.save_item(cafe, Some(*id), &v)?;
        }
    }
    Ok(())
}

fn reorder_categories<X: MenuTx + ?Sized>(
    tx: &mut X,
    cafe: CafeId,
    ids: &[CategoryId],
) -> Result<()> {
    for (n, id) in ids.iter().enumerate() {
        let mut v = tx.menu_category(cafe, *id)?.expect("category").value;
        v.sort_order = (n as i64 + 1) * 10;
        tx.save_category(cafe, Some(*id), &v)?;
    }
    Ok(())
}

/// Updates, reorders, an option moved to another group, and refusals the job goes on after:
/// a name clash, rows that are not there (or are another café's), a group that is not there.
fn edit<X: MenuTx + ?Sized>(tx: &mut X, ids: Ids) -> Result<Vec<String>> {
    let Ids { a, b, g, o, c, i } = ids;
    let mut seen = Vec::new();
    let before = tx.menu_item(a, i[1])?.expect("item");
    let mut v = before.value.clone();
    v.price = Amount::new(3900).expect("price");
    v.sold_out = true;
    let after = tx.save_item(a, Some(i[1]), &v)?;
    assert_eq!(after.created_at, before.created_at);
    assert!(after.updated_at >= before.updated_at);
    // A name the café uses already.
    v.name = name("Caffè latte");
    seen.push(what(&tx.save_item(a, Some(i[1]), &v).expect_err("clash")));
    v.name = name("Americano stor");
    tx.save_item(a, Some(i[1]), &v)?;
    let dup = item(c[0], "Chai", 1, None);
    seen.push(what(&tx.save_item(a, None, &dup).expect_err("clash")));
    // Rows that are not there, or are café a's and asked of café b.
    seen.push(what(
        &tx.save_item(a, Some(ItemId(999)), &v).expect_err("none"),
    ));
    seen.push(what(&tx.save_item(b, Some(i[0]), &v).expect_err("b's")));
    seen.push(what(
        &tx.save_category(a, Some(CategoryId(999)), &category("X", 0, vec![]))
            .expect_err("none"),
    ));
    // A group that does not exist.
    let mut kaffe = tx.menu_category(a, c[0])?.expect("category").value;
    kaffe.allowed_groups = vec![g[1], GroupId(999)];
    seen.push(what(
        &tx.save_category(a, Some(c[0]), &kaffe).expect_err("fk"),
    ));
    // The groups in another order.
    kaffe.allowed_groups = vec![g[1], g[0]];
    tx.save_category(a, Some(c[0]), &kaffe)?;
    reorder_items(tx, a, &[i[2], i[0], i[1]])?;
    reorder_categories(tx, a, &[c[1], c[2], c[0]])?;
    // Havremelk moves to Sirup: it is no longer Melk's default.
    let mut havre = tx.menu_option(a, o[0])?.expect("option").value;
    havre.group_id = g[1];
    tx.save_option(a, Some(o[0]), &havre)?;
    tx.unset_default_option(a, o[0], g[1])?;
    assert_eq!(
        tx.menu_group(a, g[0])?.expect("group").value.default_option,
        None
    );
    let mut laktose = tx.menu_group(a, g[0])?.expect("group").value;
    laktose.default_option = Some(o[1]);
    tx.save_group(a, Some(g[0]), &laktose)?;
    assert!(tx.menu_item(b, i[0])?.is_none());
    assert!(tx.menu_option(a, OptionId(999))?.is_none());
    Ok(seen)
}

/// Deletes: a category with items is in use, and the job goes on; an item, an emptied
/// category, a group with options and links (its options and links go with it); rows not there.
fn delete<X: MenuTx + ?Sized>(tx: &mut X, ids: Ids) -> Result<Vec<Removed>> {
    let Ids { a, b, g, c, i, .. } = ids;
    Ok(vec![
        tx.delete_menu_row(MenuKind::Category, a, c[0].get())?,
        tx.delete_menu_row(MenuKind::Item, a, i[2].get())?,
        tx.delete_menu_row(MenuKind::Category, a, c[1].get())?,
        tx.delete_menu_row(MenuKind::ModifierGroup, a, g[0].get())?,
        tx.delete_menu_row(MenuKind::Category, a, 999)?,
        tx.delete_menu_row(MenuKind::Item, b, i[0].get())?,
        tx.delete_menu_row(MenuKind::Option, a, 999)?,
    ])
}

/// The status, messages and stations, with their refusals; the café's settings.
fn content<X: ContentTx + ?Sized>(tx: &mut X, ids: Ids) -> Result<Vec<String>> {
    let Ids { a, b, .. } = ids;
    let mut seen = Vec::new();
    let st = tx.status(a)?;
    assert!(!st.fields.open && !st.fields.show_message && st.fields.message_id.is_none());
    let fields = |title: &str, sub: Option<&str>| crate::model::MessageFields {
        title: title.into(),
        subtitle: sub.map(str::to_owned),
    };
    let m1 = tx.insert_message(a, &fields("Stengt i dag", Some("Vi åpner kl. 10")))?;
    let m2 = tx.insert_message(a, &fields("Åpent", None))?;
    let m3 = tx.insert_message(a, &fields("", None))?;
    let m1b = tx.update_message(a, m1.id, &fields("Stengt", Some("«i dag»")))?;
    assert_eq!(m1b.created_at, m1.created_at);
    seen.push(what(
        &tx.update_message(a, MessageId(999), &fields("x", None))
            .expect_err("none"),
    ));
    seen.push(what(
        &tx.update_message(b, m2.id, &fields("x", None))
            .expect_err("b's"),
    ));
    let show = |m: Option<MessageId>| StatusFields {
        open: true,
        show_message: true,
        message_id: m,
    };
    tx.set_status(a, &show(Some(m1.id)))?;
    seen.push(what(
        &tx.set_status(a, &show(Some(MessageId(999))))
            .expect_err("fk"),
    ));
    assert_eq!(tx.status(a)?.fields.message_id, Some(m1.id));
    assert!(tx.delete_message(a, m1.id)?);
    assert_eq!(tx.status(a)?.fields, show(None));
    assert!(!tx.delete_message(a, m1.id)?);
    assert!(!tx.delete_message(b, m2.id)?);
    assert!(tx.message(b, m2.id)?.is_none());
    assert_eq!(tx.message(a, m3.id)?, Some(m3.clone()));
    tx.set_status(a, &show(Some(m2.id)))?;
    seen.push(what(&tx.status(CafeId(999)).expect_err("none")));
    // The café's settings.
    let mut cafe = tx.cafe_record(a)?.cafe;
    cafe.name = name("Hjørnet kaffebar");
    let slug = cafe.slug.clone();
    cafe.slug = crema_core::cafe::Slug::parse("corner").expect("slug");
    seen.push(what(&tx.update_cafe(&cafe).expect_err("taken")));
    cafe.slug = slug;
    let mut ghost = cafe.clone();
    ghost.id = CafeId(999);
    seen.push(what(&tx.update_cafe(&ghost).expect_err("none")));
    assert_eq!(tx.update_cafe(&cafe)?.cafe, cafe);
    assert_eq!(tx.cafe_record(a)?.cafe.name, cafe.name);
    seen.push(what(&tx.cafe_record(CafeId(999)).expect_err("none")));
    assert!(tx.steps_in_use(a)?.is_empty());
    let kasse = tx.insert_station(a, "Kasse", false)?;
    assert!(!kasse.active);
    // Last: a refused insert uses up an id on PostgreSQL (not on SQLite).
    seen.push(what(&tx.insert_station(a, "Bar", true).expect_err("clash")));
    Ok(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menu_and_content_writes_read_back_as_on_sqlite() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = SqliteStore::open(&dir.path().join("crema.db"), Options::default())
        .await
        .expect("sqlite");
    let pg = PgStore::open(db.url()).await.expect("pg");

    let (s, _) = same(on_both!(sqlite, pg, |tx| build(tx)), |r| r.clone());
    let (ids, refusals) = s;
    assert_eq!(
        refusals,
        "Conflict { field: Some(\"slug\"), message: \"a café with this slug already exists\" }; \
         Conflict { field: Some(\"slug\"), message: \"a café with this slug (or another default café) already exists\" }"
    );

    let (seen, _) = same(on_both!(sqlite, pg, move |tx| edit(tx, ids)), |r| r.clone());
    assert_eq!(
        seen,
        [
            "Database(Some(Unique))",
            "Database(Some(Unique))",
            "NotFound(\"item\")",
            "NotFound(\"item\")",
            "NotFound(\"category\")",
            "Database(Some(ForeignKey))",
        ]
    );

    let (removed, _) = same(on_both!(sqlite, pg, move |tx| delete(tx, ids)), |r| {
        r.clone()
    });
    assert_eq!(
        removed,
        [
            Removed::InUse,
            Removed::Done,
            Removed::Done,
            Removed::Done,
            Removed::NotFound,
            Removed::NotFound,
            Removed::NotFound,
        ]
    );

    let (seen, _) = same(on_both!(sqlite, pg, move |tx| content(tx, ids)), |r| {
        r.clone()
    });
    assert_eq!(
        seen,
        [
            "NotFound(\"message\")",
            "NotFound(\"message\")",
            "Database(Some(ForeignKey))",
            "NotFound(\"status\")",
            "Conflict { field: Some(\"slug\"), message: \"a café with this slug already exists\" }",
            "NotFound(\"café\")",
            "NotFound(\"café\")",
            "Database(Some(Unique))",
        ]
    );

    // What is stored reads back the same on both.
    for cafe in [ids.a, ids.b] {
        let s = sqlite.menu(cafe).await.expect("menu");
        let p = pg.menu(cafe).await.expect("menu");
        assert_eq!(plain(&p), plain(&s), "café {cafe}");
        stamps_ok(&p);
        stamps_ok(&s);
        let s_st = sqlite.status(cafe).await.expect("status");
        let p_st = pg.status(cafe).await.expect("status");
        assert_eq!(
            (p_st.id, p_st.cafe_id, &p_st.fields),
            (s_st.id, s_st.cafe_id, &s_st.fields)
        );
        let strip = |m: &crate::model::MessageRecord| (m.id, m.cafe_id, m.fields.clone());
        let s_m: Vec<_> = sqlite
            .messages(cafe)
            .await
            .expect("messages")
            .iter()
            .map(strip)
            .collect();
        let p_m: Vec<_> = pg
            .messages(cafe)
            .await
            .expect("messages")
            .iter()
            .map(strip)
            .collect();
        assert_eq!(p_m, s_m);
        let strip = |s: &crate::model::StationRecord| (s.id, s.cafe_id, s.name.clone(), s.active);
        let s_s: Vec<_> = sqlite
            .stations(cafe)
            .await
            .expect("stations")
            .iter()
            .map(strip)
            .collect();
        let p_s: Vec<_> = pg
            .stations(cafe)
            .await
            .expect("stations")
            .iter()
            .map(strip)
            .collect();
        assert_eq!(p_s, s_s);
    }
    // The menu as the edits and deletes left it: Te and its Chai gone, Melk gone with its
    // Laktosefri; Havremelk moved to Sirup; the categories and items in their new order.
    let (cats, items, groups, options) = plain(&pg.menu(ids.a).await.expect("menu"));
    let names = |v: Vec<Name>| v.iter().map(|n| n.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(
        names(cats.iter().map(|c| c.name.clone()).collect()),
        ["Tomt", "Kaffe"]
    );
    assert_eq!(cats[1].allowed_groups, vec![ids.g[1]]);
    assert_eq!(
        names(items.iter().map(|c| c.name.clone()).collect()),
        ["Caffè latte", "Americano stor"]
    );
    assert_eq!(items[1].price.minor(), 3900);
    assert!(items[1].sold_out);
    assert_eq!(
        names(groups.iter().map(|c| c.name.clone()).collect()),
        ["Sirup"]
    );
    assert_eq!(
        groups[0].label_color.as_ref().map(|c| c.as_str()),
        Some("#a0b")
    );
    assert_eq!(
        options
            .iter()
            .map(|o| (o.id, o.group_id))
            .collect::<Vec<_>>(),
        [(ids.o[0], ids.g[1]), (ids.o[2], ids.g[1])]
    );
    assert_eq!(options[1].effect, PriceEffect::Percent(10));
    let st = pg.status(ids.a).await.expect("status");
    assert!(st.fields.open && st.fields.show_message);
    let shown = st.fields.message_id.expect("a message shows");
    assert_eq!(
        pg.message(ids.a, shown)
            .await
            .expect("message")
            .fields
            .title,
        "Åpent"
    );
    assert!(matches!(
        pg.message(ids.b, shown).await,
        Err(StoreError::NotFound("message"))
    ));
    assert_eq!(
        pg.messages(ids.a)
            .await
            .expect("messages")
            .iter()
            .map(|m| m.fields.title.as_str())
            .collect::<Vec<_>>(),
        ["", "Åpent"]
    );
    let stations = pg.stations(ids.a).await.expect("stations");
    assert_eq!(stations.len(), 2);
    assert_eq!(
        pg.station(stations[0].id).await.expect("station"),
        stations[0]
    );
    assert!(matches!(
        pg.station(crema_core::id::StationId(999)).await,
        Err(StoreError::NotFound("station"))
    ));
    let cafe = pg.cafe_by_id(ids.a).await.expect("café");
    assert_eq!(cafe.cafe.name.as_str(), "Hjørnet kaffebar");
    assert!(cafe.is_default);
}

/// What a write hands back is what is read back afterwards, stamps included (stored to the
/// millisecond on both stores); an update keeps the creation stamp.
#[tokio::test]
async fn what_a_write_hands_back_is_what_is_read_back() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let pg = PgStore::open(db.url()).await.expect("pg");
    let (cafe, cat, item, station, message, status) = pg
        .run_orders(|tx: &mut PgTx<'_>| {
            let cafe = tx.insert_cafe(&super::copy_tests::cafe("hjornet", "Europe/Oslo"), false)?;
            let a = cafe.cafe.id;
            let cat = tx.save_category(a, None, &category("Kaffe", 0, vec![]))?;
            let item = tx.save_item(a, None, &item(cat.value.id, "Latte", 4500, None))?;
            let station = tx.insert_station(a, "Bar", true)?;
            let message = tx.insert_message(
                a,
                &crate::model::MessageFields {
                    title: "Hei".into(),
                    subtitle: None,
                },
            )?;
            let status = tx.set_status(
                a,
                &StatusFields {
                    open: true,
                    show_message: false,
                    message_id: Some(message.id),
                },
            )?;
            Ok((cafe, cat, item, station, message, status))
        })
        .await
        .expect("written");
    let a = cafe.cafe.id;
    let back = pg.cafe_by_id(a).await.expect("café");
    assert_eq!((back.cafe, back.created_at), (cafe.cafe, cafe.created_at));
    let menu = pg.menu(a).await.expect("menu");
    assert_eq!(menu.categories, vec![cat]);
    assert_eq!(menu.items, vec![item.clone()]);
    assert_eq!(pg.stations(a).await.expect("stations"), vec![station]);
    assert_eq!(pg.messages(a).await.expect("messages"), vec![message]);
    assert_eq!(pg.status(a).await.expect("status"), status);
    for t in [item.created_at, status.created_at, status.updated_at] {
        assert_eq!(t.timestamp_subsec_micros() % 1000, 0, "{t}");
    }
    let id = item.value.id;
    let mut v = item.value.clone();
    v.price = Amount::new(5000).expect("price");
    let updated = pg
        .run_orders(move |tx: &mut PgTx<'_>| tx.save_item(a, Some(id), &v))
        .await
        .expect("updated");
    assert_eq!(updated.created_at, item.created_at);
    assert!(updated.updated_at >= item.updated_at);
    assert_eq!(pg.menu(a).await.expect("menu").items, vec![updated]);
}

/// A refused write inside a job that then fails leaves nothing; one that the job goes on after
/// is undone alone, and the rest of the job commits.
#[tokio::test]
async fn a_refused_write_is_undone_alone_and_the_job_goes_on() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let pg = PgStore::open(db.url()).await.expect("pg");
    let (a, c) = pg
        .run_orders(|tx: &mut PgTx<'_>| {
            let a = tx
                .insert_cafe(&super::copy_tests::cafe("hjornet", "Europe/Oslo"), false)?
                .cafe
                .id;
            let c = tx
                .save_category(a, None, &category("Kaffe", 0, vec![]))?
                .value
                .id;
            tx.save_item(a, None, &item(c, "Latte", 4500, None))?;
            Ok((a, c))
        })
        .await
        .expect("setup");
    // The category is in use: the answer says so, and the job's next write commits.
    let removed = pg
        .run_orders(move |tx: &mut PgTx<'_>| {
            let r = tx.delete_menu_row(MenuKind::Category, a, c.get())?;
            tx.save_category(a, None, &category("Te", 1, vec![]))?;
            Ok(r)
        })
        .await
        .expect("the job commits");
    assert_eq!(removed, Removed::InUse);
    // A category whose group is not there fails whole: no row without its links is left.
    pg.run_orders(move |tx: &mut PgTx<'_>| {
        let e = tx
            .save_category(a, None, &category("Mat", 2, vec![GroupId(999)]))
            .expect_err("no such group");
        assert_eq!(what(&e), "Database(Some(ForeignKey))");
        tx.save_item(a, None, &item(c, "Americano", 3500, None))?;
        Ok(())
    })
    .await
    .expect("the job commits");
    let menu = pg.menu(a).await.expect("menu");
    let cats: Vec<_> = menu
        .categories
        .iter()
        .map(|c| c.value.name.as_str())
        .collect();
    assert_eq!(cats, ["Kaffe", "Te"]);
    assert_eq!(menu.items.len(), 2);
    // A job that fails after a write leaves nothing of it.
    let e = pg
        .run_orders(move |tx: &mut PgTx<'_>| -> Result<()> {
            tx.save_category(a, None, &category("Mat", 3, vec![]))?;
            Err(StoreError::NotFound("anything"))
        })
        .await
        .expect_err("failed");
    assert!(matches!(e, StoreError::NotFound("anything")));
    assert_eq!(pg.menu(a).await.expect("menu").categories.len(), 2);
}
