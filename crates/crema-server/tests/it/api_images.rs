//! An item's image through the native API: `POST /cafes/{slug}/items/{id}/image` (multipart,
//! field `image`) and `DELETE`, over real HTTP. The file is served at the path the item gets;
//! bad files are refused with a problem naming the field and change nothing.

use crate::common;

use common::{Server, CAFE};
use reqwest::Method;
use serde_json::Value;

const BOUNDARY: &str = "----crema-image-test-4f9c2a";

/// A multipart body with one file part.
fn multipart(field: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A 1×1 PNG.
fn png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
        0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

async fn upload(s: &Server, item: i64, body: Vec<u8>) -> common::Resp {
    s.raw(
        Method::POST,
        s.cafe(&format!("/items/{item}/image")),
        Some(&content_type()),
        body,
    )
    .await
}

fn image_of(item: &Value) -> String {
    item["image"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_uploaded_image_is_served_at_the_items_image_path() {
    let s = Server::start().await;
    let bolle = s.menu().await.item("Bolle");
    let r = upload(
        &s,
        bolle,
        multipart("image", "bun.png", "image/png", &png()),
    )
    .await;
    let item = r.expect(200).clone();
    let path = image_of(&item);
    assert!(
        path.starts_with("/uploads/") && path.ends_with(".png"),
        "{path}"
    );
    // The menu shows it too, and the file is there with its sniffed type.
    assert_eq!(image_of(&s.menu().await.item_json("Bolle")), path);
    let file = s.anon.get(s.url(&path)).send().await.expect("GET image");
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(
        file.bytes().await.expect("bytes").as_ref(),
        png().as_slice()
    );

    // A new upload replaces the image, and the old file (ours, shown by nothing) is gone.
    let r = upload(
        &s,
        bolle,
        multipart("image", "bun.png", "image/png", &png()),
    )
    .await;
    let second = image_of(r.expect(200));
    assert_ne!(second, path);
    let old = s.anon.get(s.url(&path)).send().await.expect("GET old");
    assert_eq!(old.status(), 404);

    // DELETE removes it from the item and from the disk.
    let r = s.delete(s.cafe(&format!("/items/{bolle}/image"))).await;
    assert_eq!(r.expect(200)["image"], Value::Null);
    let gone = s
        .anon
        .get(s.url(&second))
        .send()
        .await
        .expect("GET removed");
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn a_file_another_item_still_shows_is_kept() {
    let s = Server::start().await;
    let m = s.menu().await;
    let bolle = m.item("Bolle");
    let r = upload(
        &s,
        bolle,
        multipart("image", "bun.png", "image/png", &png()),
    )
    .await;
    let path = image_of(r.expect(200));
    // Another item points at the same file (copied by PATCH).
    let other_id = m.item("Sjokoladekake");
    s.patch(
        s.cafe(&format!("/items/{other_id}")),
        serde_json::json!({ "image": path }),
    )
    .await
    .expect(200);
    s.delete(s.cafe(&format!("/items/{bolle}/image")))
        .await
        .expect(200);
    let still = s.anon.get(s.url(&path)).send().await.expect("GET image");
    assert_eq!(still.status(), 200);
}

#[tokio::test]
async fn bad_files_are_refused_naming_the_field() {
    let s = Server::start().await;
    let bolle = s.menu().await.item("Bolle");
    let before = image_of(&s.menu().await.item_json("Bolle"));

    // Not an image, whatever its name and declared type say.
    let r = s
        .refused(upload(
            &s,
            bolle,
            multipart(
                "image",
                "x.png",
                "image/png",
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            ),
        ))
        .await;
    r.rejects(422, "image", "invalid");

    // The file in another field.
    let r = s
        .refused(upload(
            &s,
            bolle,
            multipart("photo", "bun.png", "image/png", &png()),
        ))
        .await;
    r.rejects(422, "image", "required");

    // An empty file.
    let r = s
        .refused(upload(
            &s,
            bolle,
            multipart("image", "bun.png", "image/png", b""),
        ))
        .await;
    r.rejects(422, "image", "required");

    // Over 5 MB: a PNG signature followed by padding.
    let mut big = png();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let r = s
        .refused(upload(
            &s,
            bolle,
            multipart("image", "big.png", "image/png", &big),
        ))
        .await;
    r.rejects(413, "image", "too_large");

    // Far over: the body limit stops reading, with the same answer.
    let huge = vec![0u8; 8 * 1024 * 1024];
    let r = s
        .refused(upload(
            &s,
            bolle,
            multipart("image", "huge.png", "image/png", &huge),
        ))
        .await;
    r.rejects(413, "image", "too_large");

    // Not multipart at all.
    let r = s
        .refused(s.raw(
            Method::POST,
            s.cafe(&format!("/items/{bolle}/image")),
            Some("application/json"),
            "{\"image\": \"x\"}",
        ))
        .await;
    r.rejects(415, "image", "invalid");

    assert_eq!(image_of(&s.menu().await.item_json("Bolle")), before);
}

#[tokio::test]
async fn only_menu_editors_may_change_images() {
    let s = Server::start().await;
    let bolle = s.menu().await.item("Bolle");
    let url = s.cafe(&format!("/items/{bolle}/image"));
    let body = multipart("image", "bun.png", "image/png", &png());

    let r = s
        .send(
            s.anon
                .post(&url)
                .header("content-type", content_type())
                .body(body.clone()),
        )
        .await;
    r.problem(401);

    let barista = s
        .client_as("barista@test.example", Some(crema_store::Role::Barista))
        .await;
    let r = s
        .send(
            barista
                .post(&url)
                .header("content-type", content_type())
                .body(body.clone()),
        )
        .await;
    r.problem(403);
    let r = s.send(barista.delete(&url)).await;
    r.problem(403);

    // An item of another café is not found through this one.
    let r = s
        .raw(
            Method::POST,
            s.api(&format!("/cafes/{CAFE}/items/999999/image")),
            Some(&content_type()),
            body,
        )
        .await;
    r.problem(404);
}

#[tokio::test]
async fn the_openapi_document_describes_the_upload() {
    let s = Server::start().await;
    let doc = s.get(s.api("/openapi.json")).await.expect(200).clone();
    let op = &doc["paths"]["/api/v1/cafes/{slug}/items/{id}/image"];
    assert!(
        op["post"]["requestBody"]["content"]["multipart/form-data"].is_object(),
        "{op}"
    );
    assert!(op["post"]["responses"]["413"].is_object(), "{op}");
    assert!(op["delete"].is_object(), "{op}");
}
