//! Kaffebase contract: `category`, `item`, `customization_key`, `customization_value`
//! (contract §1.3, §1.4): shapes, list order, status codes, partial PATCH and PUT, error
//! shapes, money conversion, body formats and image upload.

use crate::kb;

use kb::{col, png, rec, Body, Kb, Who};
use reqwest::Method;
use serde_json::{json, Value};

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

const STAMPS: [&str; 4] = ["inserted_at", "updated_at", "created", "updated"];

/// `inserted_at`/`updated_at` naive at second precision, `created`/`updated` ISO 8601 with Z,
/// the same instants.
#[track_caller]
fn check_stamps(r: &Value) {
    for k in ["inserted_at", "updated_at"] {
        let s = r[k].as_str().unwrap_or_else(|| panic!("{k} in {r}"));
        assert!(
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").is_ok() && s.len() == 19,
            "{k} = {s}"
        );
    }
    for (iso, naive) in [("created", "inserted_at"), ("updated", "updated_at")] {
        let s = r[iso].as_str().unwrap_or_else(|| panic!("{iso} in {r}"));
        assert!(s.ends_with('Z'), "{iso} = {s}");
        let t = chrono::DateTime::parse_from_rfc3339(s).expect("ISO 8601");
        assert_eq!(
            t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
            r[naive].as_str().unwrap_or_default()
        );
    }
}

// ---- category -------------------------------------------------------------------------------

#[tokio::test]
async fn categories_list_in_sort_order_with_the_exact_shape_and_are_public() {
    let kb = Kb::start().await;
    let list = kb.public(&col("category")).await;
    let list = list.expect(200).as_array().expect("a bare array").clone();
    let names: Vec<&str> = list.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Kaffe", "Te", "Annet"]);
    let mut want = vec!["id", "name", "sort_order", "enable", "valid_customizations"];
    want.extend(STAMPS);
    for c in &list {
        assert_eq!(keys(c), sorted(&want), "{c}");
        check_stamps(c);
    }
    let size = kb.id_of("customization_key", "Størrelse").await;
    let milk = kb.id_of("customization_key", "Melk").await;
    let extra = kb.id_of("customization_key", "Ekstra").await;
    assert_eq!(list[0]["valid_customizations"], json!([size, milk, extra]));
    assert_eq!(list[0]["enable"], json!(true));
    assert_eq!(list[2]["valid_customizations"], json!([]));

    let one = kb.public(&rec("category", list[1]["id"].clone())).await;
    assert_eq!(one.expect(200), &list[1]);
}

#[tokio::test]
async fn a_category_takes_valid_customizations_as_ids_or_as_key_id_objects() {
    let kb = Kb::start().await;
    let milk = kb.id_of("customization_key", "Melk").await;
    let extra = kb.id_of("customization_key", "Ekstra").await;
    let r = kb
        .post(
            &col("category"),
            json!({"id": 0, "name": "Juice", "sort_order": 5, "enable": true, "valid_customizations": [milk, extra, milk]}),
        )
        .await;
    let c = r.expect(201).clone();
    assert_eq!(c["name"], "Juice");
    assert_ne!(c["id"], json!(0), "a body id is ignored");
    assert_eq!(c["valid_customizations"], json!([milk, extra]));
    assert_eq!(c["sort_order"], json!(5));
    check_stamps(&c);

    let r = kb
        .post(
            &col("category"),
            json!({"name": "Smoothie", "valid_customizations": [{"key_id": extra}]}),
        )
        .await;
    let s = r.expect(201).clone();
    assert_eq!(s["valid_customizations"], json!([extra]));
    // Kaffebase's column defaults for what the body leaves out.
    assert_eq!(s["enable"], json!(false));
    assert_eq!(s["sort_order"], json!(0));

    // Stored as crema's category: the native API sees it.
    let native = kb
        .get(&format!("/api/v1/cafes/kaffediem/categories/{}", s["id"]))
        .await;
    assert_eq!(native.body["allowed_groups"], json!([extra]));
}

#[tokio::test]
async fn category_errors_are_422_in_kaffebase_shape() {
    let kb = Kb::start().await;
    let r = kb.post(&col("category"), json!({})).await;
    assert_eq!(r.invalid(), &json!({"name": ["can't be blank"]}));
    let r = kb.post(&col("category"), json!({"name": "  "})).await;
    assert_eq!(r.invalid(), &json!({"name": ["can't be blank"]}));
    let r = kb
        .post(
            &col("category"),
            json!({"name": "X", "sort_order": "first", "enable": "yes", "valid_customizations": "all"}),
        )
        .await;
    assert_eq!(
        r.invalid(),
        &json!({"sort_order": ["is invalid"], "enable": ["is invalid"], "valid_customizations": ["is invalid"]})
    );
    // A key that does not exist (Kaffebase stored anything).
    let r = kb
        .post(
            &col("category"),
            json!({"name": "X", "valid_customizations": [987654]}),
        )
        .await;
    assert_eq!(
        r.invalid(),
        &json!({"valid_customizations": ["does not exist"]})
    );
    // A duplicate name: 422, not Kaffebase's 500.
    let r = kb.post(&col("category"), json!({"name": "Kaffe"})).await;
    assert_eq!(r.invalid(), &json!({"name": ["has already been taken"]}));
    assert_eq!(kb.list("category").await.len(), 3, "nothing was written");
}

#[tokio::test]
async fn patch_and_put_are_partial_updates() {
    let kb = Kb::start().await;
    let te = kb.id_of("category", "Te").await;
    let before = kb.get(&rec("category", te)).await.expect(200).clone();
    let r = kb
        .patch(&rec("category", te), json!({"enable": false, "id": 999}))
        .await;
    let after = r.expect(200).clone();
    assert_eq!(after["id"], json!(te), "the path id wins");
    assert_eq!(after["enable"], json!(false));
    assert_eq!(after["name"], before["name"]);
    assert_eq!(
        after["valid_customizations"],
        before["valid_customizations"]
    );
    let r = kb.put(&rec("category", te), json!({"name": "Tea"})).await;
    let put = r.expect(200).clone();
    assert_eq!(put["name"], "Tea");
    assert_eq!(
        put["enable"],
        json!(false),
        "PUT keeps what it does not name"
    );
    // Setting a required field to null or "" is refused, on update too.
    let r = kb.patch(&rec("category", te), json!({"name": null})).await;
    assert_eq!(r.invalid(), &json!({"name": ["can't be blank"]}));
    let r = kb.patch(&rec("category", te), json!({"name": ""})).await;
    assert_eq!(r.invalid(), &json!({"name": ["can't be blank"]}));
    let r = kb
        .patch(&rec("category", te), json!({"valid_customizations": []}))
        .await;
    assert_eq!(r.expect(200)["valid_customizations"], json!([]));
}

#[tokio::test]
async fn deleting_categories() {
    let kb = Kb::start().await;
    let c = kb.post(&col("category"), json!({"name": "Tom"})).await;
    let id = c.expect(201)["id"].clone();
    let r = kb.delete(&rec("category", &id)).await;
    assert_eq!(r.status.as_u16(), 204);
    assert!(r.text.is_empty());
    kb.get(&rec("category", &id)).await.detail(404, "Not Found");
    kb.delete(&rec("category", &id))
        .await
        .detail(404, "Not Found");
    // Still has items: 422 (Kaffebase: 500).
    let kaffe = kb.id_of("category", "Kaffe").await;
    let r = kb.delete(&rec("category", kaffe)).await;
    assert_eq!(
        r.invalid(),
        &json!({"items": ["are still associated with this entry"]})
    );
}

#[tokio::test]
async fn unknown_ids_are_404_and_ids_that_are_not_integers_400() {
    let kb = Kb::start().await;
    for c in [
        "category",
        "item",
        "customization_key",
        "customization_value",
        "message",
        "status",
        "order",
    ] {
        kb.get(&rec(c, 987654)).await.detail(404, "Not Found");
        kb.patch(&rec(c, 987654), json!({}))
            .await
            .detail(404, "Not Found");
        kb.delete(&rec(c, 987654)).await.detail(404, "Not Found");
        kb.get(&rec(c, "abc")).await.detail(400, "Bad Request");
        kb.patch(&rec(c, "abc"), json!({}))
            .await
            .detail(400, "Bad Request");
        kb.delete(&rec(c, "1.5")).await.detail(400, "Bad Request");
        let r = kb
            .send(
                Who::Staff,
                Method::POST,
                &col(c),
                Body::Raw("application/json", b"{\"name\": ".to_vec()),
            )
            .await;
        r.detail(400, "Bad Request");
    }
}

// ---- item -----------------------------------------------------------------------------------

#[tokio::test]
async fn items_list_with_prices_in_whole_kroner() {
    let kb = Kb::start().await;
    let list = kb
        .public(&col("item"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = list.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Americano",
            "Cortado",
            "Cappuccino",
            "Caffè latte",
            "Flat white",
            "Chai latte",
            "Te",
            "Matcha latte",
            "Varm sjokolade",
            "Bolle",
            "Sjokoladekake"
        ]
    );
    let kaffe = kb.id_of("category", "Kaffe").await;
    let americano = &list[0];
    let mut want = vec![
        "id",
        "name",
        "price_nok",
        "category_id",
        "category_name",
        "image",
        "enable",
        "sort_order",
        "sold_out",
    ];
    want.extend(STAMPS);
    assert_eq!(keys(americano), sorted(&want));
    assert_eq!(americano["price_nok"], json!(35));
    assert_eq!(americano["category_id"], json!(kaffe));
    assert_eq!(americano["category_name"], json!("Kaffe"));
    assert_eq!(americano["image"], json!(""));
    assert_eq!(americano["enable"], json!(true));
    check_stamps(americano);
}

#[tokio::test]
async fn creating_an_item_converts_kroner_to_ore() {
    let kb = Kb::start().await;
    let kaffe = kb.id_of("category", "Kaffe").await;
    let r = kb
        .post(
            &col("item"),
            json!({"name": "Espresso", "price_nok": 30, "category_id": kaffe, "enable": true, "sort_order": 1, "image": ""}),
        )
        .await;
    let i = r.expect(201).clone();
    assert_eq!(i["price_nok"], json!(30));
    assert_eq!(i["image"], json!(""));
    let native = kb
        .get(&format!("/api/v1/cafes/kaffediem/items/{}", i["id"]))
        .await;
    assert_eq!(native.body["price"], json!(3000));
    // The text "45" is an integer (what a form sends).
    let r = kb
        .post(
            &col("item"),
            json!({"name": "Doppio", "price_nok": "45", "category_id": kaffe.to_string()}),
        )
        .await;
    assert_eq!(r.expect(201)["price_nok"], json!(45));
    // A price the native API set in øre shows rounded up to whole kroner.
    let id = i["id"].as_i64().unwrap();
    kb.patch(
        &format!("/api/v1/cafes/kaffediem/items/{id}"),
        json!({"price": 3050}),
    )
    .await;
    assert_eq!(
        kb.get(&rec("item", id)).await.expect(200)["price_nok"],
        json!(31)
    );
}

#[tokio::test]
async fn item_errors_are_422() {
    let kb = Kb::start().await;
    let kaffe = kb.id_of("category", "Kaffe").await;
    let r = kb.post(&col("item"), json!({})).await;
    assert_eq!(
        r.invalid(),
        &json!({"name": ["can't be blank"], "price_nok": ["can't be blank"], "category_id": ["can't be blank"]})
    );
    let r = kb
        .post(
            &col("item"),
            json!({"name": "X", "price_nok": 45.5, "category_id": kaffe}),
        )
        .await;
    assert_eq!(r.invalid(), &json!({"price_nok": ["is invalid"]}));
    let r = kb
        .post(
            &col("item"),
            json!({"name": "X", "price_nok": -1, "category_id": kaffe}),
        )
        .await;
    assert_eq!(
        r.invalid(),
        &json!({"price_nok": ["must be greater than or equal to 0"]})
    );
    // Unknown category and duplicate name: 422 where Kaffebase gave 500.
    let r = kb
        .post(
            &col("item"),
            json!({"name": "X", "price_nok": 40, "category_id": 987654}),
        )
        .await;
    assert_eq!(r.invalid(), &json!({"category_id": ["does not exist"]}));
    let r = kb
        .post(
            &col("item"),
            json!({"name": "Cortado", "price_nok": 40, "category_id": kaffe}),
        )
        .await;
    assert_eq!(r.invalid(), &json!({"name": ["has already been taken"]}));
    let americano = kb.id_of("item", "Americano").await;
    let r = kb
        .patch(&rec("item", americano), json!({"category_id": 987654}))
        .await;
    assert_eq!(r.invalid(), &json!({"category_id": ["does not exist"]}));
    let r = kb
        .patch(&rec("item", americano), json!({"name": "Cortado"}))
        .await;
    assert_eq!(r.invalid(), &json!({"name": ["has already been taken"]}));
}

#[tokio::test]
async fn patching_an_item_changes_only_what_is_sent() {
    let kb = Kb::start().await;
    let id = kb.id_of("item", "Americano").await;
    let before = kb.get(&rec("item", id)).await.expect(200).clone();
    let after = kb
        .patch(&rec("item", id), json!({"price_nok": 36}))
        .await
        .expect(200)
        .clone();
    assert_eq!(after["price_nok"], json!(36));
    for k in [
        "name",
        "category_id",
        "image",
        "enable",
        "sort_order",
        "inserted_at",
    ] {
        assert_eq!(after[k], before[k], "{k}");
    }
    // An image is only a file uploaded here: another site's URL is refused, and nothing
    // of the change is made.
    let r = kb
        .patch(
            &rec("item", id),
            json!({"enable": false, "image": "https://img.example/a.png"}),
        )
        .await;
    assert!(r.invalid()["image"].is_array(), "{}", r.text);
    let r = kb.patch(&rec("item", id), json!({"enable": false})).await;
    let r = r.expect(200);
    assert_eq!(r["enable"], json!(false));
    let r = kb.patch(&rec("item", id), json!({"image": null})).await;
    assert_eq!(r.expect(200)["image"], json!(""));
}

#[tokio::test]
async fn urlencoded_bodies_are_read_like_json() {
    let kb = Kb::start().await;
    let kaffe = kb.id_of("category", "Kaffe").await;
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &col("item"),
            Body::Form(format!(
                "name=Caf%C3%A9+mocha&price_nok=52&category_id={kaffe}&enable=true&sort_order=3"
            )),
        )
        .await;
    let i = r.expect(201);
    assert_eq!(i["name"], "Café mocha");
    assert_eq!(i["price_nok"], json!(52));
    assert_eq!(i["enable"], json!(true));
    let milk = kb.id_of("customization_key", "Melk").await;
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &col("category"),
            Body::Form(format!("name=Is&valid_customizations[]={milk}")),
        )
        .await;
    assert_eq!(r.expect(201)["valid_customizations"], json!([milk]));
}

#[tokio::test]
async fn an_uploaded_image_is_stored_and_served_by_url() {
    let kb = Kb::start().await;
    let kaffe = kb.id_of("category", "Kaffe").await;
    let fields = vec![
        ("name".to_owned(), "Iskaffe".to_owned()),
        ("price_nok".to_owned(), "49".to_owned()),
        ("category_id".to_owned(), kaffe.to_string()),
        ("enable".to_owned(), "true".to_owned()),
        ("sort_order".to_owned(), "2".to_owned()),
    ];
    let files = vec![(
        "image".to_owned(),
        "iskaffe.png".to_owned(),
        "image/png".to_owned(),
        png(),
    )];
    let r = kb
        .send(
            Who::Staff,
            Method::POST,
            &col("item"),
            Body::Multipart(fields, files),
        )
        .await;
    let item = r.expect(201).clone();
    let url = item["image"].as_str().unwrap().to_owned();
    let prefix = format!("{}/uploads/", kb.base);
    assert!(url.starts_with(&prefix), "{url}");
    let name = &url[prefix.len()..];
    assert!(name.ends_with(".png") && name.len() == 36, "{name}");
    assert!(kb.data_dir.join("uploads").join(name).exists());

    let img = kb.http.get(&url).send().await.unwrap();
    assert_eq!(img.status().as_u16(), 200);
    assert_eq!(img.headers()["content-type"], "image/png");
    assert_eq!(img.headers()["x-content-type-options"], "nosniff");
    assert_eq!(img.bytes().await.unwrap().to_vec(), png());

    // Replacing it on update, with the other fields as text.
    let files = vec![(
        "image".to_owned(),
        "ny.jpg".to_owned(),
        "image/jpeg".to_owned(),
        // A JFIF header and a frame header (16×16): the size is read from it.
        vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
            0xFF, 0xC0, 0, 0x11, 8, 0, 16, 0, 16, 3,
        ],
    )];
    let r = kb
        .send(
            Who::Staff,
            Method::PATCH,
            &rec("item", item["id"].clone()),
            Body::Multipart(vec![("price_nok".into(), "50".into())], files),
        )
        .await;
    let updated = r.expect(200);
    assert!(updated["image"].as_str().unwrap().ends_with(".jpg"));
    assert_eq!(updated["price_nok"], json!(50));
}

#[tokio::test]
async fn uploads_must_be_images_of_a_bounded_size_and_names_are_checked() {
    let kb = Kb::start().await;
    let id = kb.id_of("item", "Bolle").await;
    let svg = vec![(
        "image".to_owned(),
        "x.svg".to_owned(),
        "image/svg+xml".to_owned(),
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
    )];
    let r = kb
        .send(
            Who::Staff,
            Method::PATCH,
            &rec("item", id),
            Body::Multipart(vec![], svg),
        )
        .await;
    assert_eq!(
        r.invalid(),
        &json!({"image": ["must be a PNG, JPEG, GIF or WebP image"]})
    );
    let mut big = png();
    big.resize(6 * 1024 * 1024, 0);
    let files = vec![(
        "image".to_owned(),
        "big.png".to_owned(),
        "image/png".to_owned(),
        big,
    )];
    let r = kb
        .send(
            Who::Staff,
            Method::PATCH,
            &rec("item", id),
            Body::Multipart(vec![], files),
        )
        .await;
    assert_eq!(r.status.as_u16(), 413, "{}", r.text);
    assert_eq!(
        kb.get(&rec("item", id)).await.expect(200)["image"],
        json!("")
    );
    for bad in [
        "/uploads/..%2Fcrema.db",
        "/uploads/crema.db",
        "/uploads/0123456789abcdef0123456789abcdef.png",
        "/uploads/0123456789abcdef0123456789abcdef.svg",
    ] {
        let r = kb.public(bad).await;
        assert_eq!(r.status.as_u16(), 404, "{bad}");
    }
}

// ---- customization_key ----------------------------------------------------------------------

#[tokio::test]
async fn keys_have_the_exact_shape() {
    let kb = Kb::start().await;
    let list = kb
        .public(&col("customization_key"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = list.iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Melk", "Størrelse", "Ekstra"]);
    let mut want = vec![
        "id",
        "name",
        "enable",
        "label_color",
        "default_value",
        "multiple_choice",
        "sort_order",
    ];
    want.extend(STAMPS);
    let helmelk = kb.value_of("Melk", "Helmelk").await;
    assert_eq!(keys(&list[0]), sorted(&want));
    assert_eq!(list[0]["label_color"], json!("#3b82f6"));
    assert_eq!(list[0]["default_value"], json!(helmelk.to_string()));
    assert_eq!(list[0]["multiple_choice"], json!(false));
    assert_eq!(list[2]["multiple_choice"], json!(true));
    assert_eq!(list[2]["default_value"], json!(""));
    check_stamps(&list[0]);
}

#[tokio::test]
async fn keys_are_created_and_changed_as_the_admin_page_does() {
    let kb = Kb::start().await;
    let r = kb
        .post(
            &col("customization_key"),
            json!({"id": 0, "name": "Sirup", "enable": true, "label_color": "#CCCCCC", "default_value": "", "multiple_choice": true, "sort_order": 4}),
        )
        .await;
    let k = r.expect(201).clone();
    assert_eq!(k["label_color"], json!("#cccccc"));
    assert_eq!(k["default_value"], json!(""));
    assert_eq!(k["multiple_choice"], json!(true));
    let id = k["id"].as_i64().unwrap();
    let v = kb
        .post(
            &col("customization_value"),
            json!({"name": "Hasselnøtt", "price_increment_nok": 5, "constant_price": true, "belongs_to": id, "enable": true, "sort_order": 1}),
        )
        .await
        .expect(201)
        .clone();
    let r = kb
        .patch(
            &rec("customization_key", id),
            json!({"default_value": v["id"].to_string(), "multiple_choice": false}),
        )
        .await;
    let k = r.expect(200);
    assert_eq!(k["default_value"], json!(v["id"].to_string()));
    assert_eq!(k["multiple_choice"], json!(false));
    // The native API sees a single-choice group with that default.
    let native = kb
        .get(&format!("/api/v1/cafes/kaffediem/modifier-groups/{id}"))
        .await;
    assert_eq!(native.body["mode"], "single");
    assert_eq!(native.body["default_option_id"], v["id"]);

    // A default that is another key's value, a colour that is not one.
    let havre = kb.value_of("Melk", "Havre").await;
    let r = kb
        .patch(
            &rec("customization_key", id),
            json!({"default_value": havre}),
        )
        .await;
    assert_eq!(
        r.invalid().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["default_value"]
    );
    let r = kb
        .patch(
            &rec("customization_key", id),
            json!({"label_color": "blue", "default_value": "x"}),
        )
        .await;
    let e = r.invalid();
    assert_eq!(e["default_value"], json!(["is invalid"]));
    assert!(e["label_color"][0].as_str().unwrap().contains('#'));
    let r = kb
        .post(&col("customization_key"), json!({"name": "Melk"}))
        .await;
    assert_eq!(r.invalid(), &json!({"name": ["has already been taken"]}));

    // Deleting a key takes its values along.
    assert_eq!(
        kb.delete(&rec("customization_key", id))
            .await
            .status
            .as_u16(),
        204
    );
    kb.get(&rec("customization_value", v["id"].clone()))
        .await
        .detail(404, "Not Found");
}

// ---- customization_value --------------------------------------------------------------------

#[tokio::test]
async fn values_show_kroner_or_a_percentage() {
    let kb = Kb::start().await;
    let list = kb
        .public(&col("customization_value"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    let mut want = vec![
        "id",
        "name",
        "price_increment_nok",
        "constant_price",
        "belongs_to",
        "enable",
        "sort_order",
        "sold_out",
    ];
    want.extend(STAMPS);
    assert_eq!(keys(&list[0]), sorted(&want));
    let milk = kb.id_of("customization_key", "Melk").await;
    let havre = list.iter().find(|v| v["name"] == "Havre").unwrap();
    assert_eq!(havre["price_increment_nok"], json!(5));
    assert_eq!(havre["constant_price"], json!(true));
    assert_eq!(havre["belongs_to"], json!(milk));
    let stor = list.iter().find(|v| v["name"] == "Stor").unwrap();
    assert_eq!(stor["price_increment_nok"], json!(120));
    assert_eq!(stor["constant_price"], json!(false));
    let orders: Vec<i64> = list
        .iter()
        .map(|v| v["sort_order"].as_i64().unwrap())
        .collect();
    let mut s = orders.clone();
    s.sort();
    assert_eq!(orders, s, "sorted by sort_order");
}

#[tokio::test]
async fn values_are_created_and_changed_in_kroner_or_percent() {
    let kb = Kb::start().await;
    let milk = kb.id_of("customization_key", "Melk").await;
    let r = kb
        .post(
            &col("customization_value"),
            json!({"id": 0, "name": "Soya", "price_increment_nok": 5, "constant_price": true, "belongs_to": milk, "enable": true, "sort_order": 9}),
        )
        .await;
    let soya = r.expect(201).clone();
    let native = |id: &Value| format!("/api/v1/cafes/kaffediem/options/{id}");
    assert_eq!(
        kb.get(&native(&soya["id"])).await.body["price_effect"],
        json!({"kind": "fixed", "value": 500})
    );
    let r = kb
        .post(
            &col("customization_value"),
            json!({"name": "Dobbel", "price_increment_nok": 150, "constant_price": false, "belongs_to": milk}),
        )
        .await;
    let dobbel = r.expect(201).clone();
    assert_eq!(
        kb.get(&native(&dobbel["id"])).await.body["price_effect"],
        json!({"kind": "percent", "value": 150})
    );
    // Toggling the kind keeps the number shown.
    let r = kb
        .patch(
            &rec("customization_value", soya["id"].clone()),
            json!({"constant_price": false}),
        )
        .await;
    let r = r.expect(200);
    assert_eq!(r["price_increment_nok"], json!(5));
    assert_eq!(r["constant_price"], json!(false));
    // Without constant_price a new value adds kroner (Kaffebase's default, a 0 % multiplier,
    // would make the drink free).
    let r = kb
        .post(
            &col("customization_value"),
            json!({"name": "Mandel", "price_increment_nok": 6, "belongs_to": milk}),
        )
        .await;
    assert_eq!(r.expect(201)["constant_price"], json!(true));

    let r = kb
        .post(
            &col("customization_value"),
            json!({"name": "X", "belongs_to": 987654}),
        )
        .await;
    assert_eq!(r.invalid(), &json!({"belongs_to": ["does not exist"]}));
    let r = kb
        .post(&col("customization_value"), json!({"name": "X"}))
        .await;
    assert_eq!(r.invalid(), &json!({"belongs_to": ["can't be blank"]}));
    let r = kb
        .post(
            &col("customization_value"),
            json!({"name": "X", "belongs_to": milk, "constant_price": false, "price_increment_nok": 5000}),
        )
        .await;
    assert_eq!(
        r.invalid().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["price_increment_nok"]
    );
    assert_eq!(
        kb.delete(&rec("customization_value", dobbel["id"].clone()))
            .await
            .status
            .as_u16(),
        204
    );
}
