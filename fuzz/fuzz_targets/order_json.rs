//! Raw bytes as an order placement body, through the API's own JSON extractor (`ApiJson`,
//! which turns serde's errors into field errors) and request types (`PlaceOrderBody`), then
//! the handler's conversion into crema-core's request and `order::place`.
//!
//! Invariants: no panic; valid JSON is never a 400; a 400 names `body`, a 422 a real field
//! of the body (or `body`, or an unknown key under a real field); an accepted body serializes
//! deterministically (its bytes are the idempotency fingerprint) and round-trips; placing it
//! satisfies everything `order_place` checks.
#![no_main]

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use crema_core::order::place;
use crema_core::FieldError;
use crema_fuzz::{check_placement, menu};
use crema_server::api::extract::ApiJson;
use crema_server::api::orders::PlaceOrderBody;
use crema_server::error::ApiError;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The shape of `PlaceOrderBody`, for checking the paths serde's errors name.
enum Shape {
    Struct(&'static [(&'static str, Shape)]),
    Seq(&'static Shape),
    Leaf,
}

const SELECTION: Shape = Shape::Struct(&[
    ("group_id", Shape::Leaf),
    ("option_ids", Shape::Seq(&Shape::Leaf)),
]);
const LINE: Shape = Shape::Struct(&[
    ("item_id", Shape::Leaf),
    ("quantity", Shape::Leaf),
    ("notes", Shape::Leaf),
    ("modifiers", Shape::Seq(&SELECTION)),
]);
const BODY: Shape = Shape::Struct(&[
    ("lines", Shape::Seq(&LINE)),
    ("channel", Shape::Leaf),
    ("customer_name", Shape::Leaf),
    ("customer_user_id", Shape::Leaf),
    ("station_id", Shape::Leaf),
    ("missing_information", Shape::Leaf),
]);

/// Whether `path` (`lines[0].modifiers[1].group_id`) leads somewhere in `shape`.
///
/// serde's derive also reads a struct from a JSON array of its fields in order, so
/// `[[{"item_id": 4}]]` is a valid body and its errors have paths like `[0][0]`: a struct
/// position may be an index below its number of fields.
fn in_shape(path: &str, shape: &Shape) -> bool {
    if path.is_empty() {
        return true;
    }
    if let Some(p) = path.strip_prefix('[') {
        let Some((digits, rest)) = p.split_once(']') else {
            return false;
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        return match shape {
            Shape::Seq(element) => in_shape(rest, element),
            Shape::Struct(fields) => digits
                .parse::<usize>()
                .ok()
                .and_then(|i| fields.get(i))
                .is_some_and(|(_, f)| in_shape(rest, f)),
            Shape::Leaf => false,
        };
    }
    // A name: at the very start, or after a '.'.
    let path = path.strip_prefix('.').unwrap_or(path);
    let end = path.find(['.', '[']).unwrap_or(path.len());
    let (name, rest) = path.split_at(end);
    match shape {
        Shape::Struct(fields) if !name.is_empty() => fields
            .iter()
            .find(|(n, _)| *n == name)
            .is_some_and(|(_, f)| in_shape(rest, f)),
        _ => false,
    }
}

/// Whether a field path names a place in the body (a name at the top, then `.name` or
/// `[index]` steps).
fn real_field(field: &str) -> bool {
    !field.starts_with('.') && in_shape(field, &BODY)
}

fn check_errors(errors: &[FieldError], data: &[u8]) {
    assert!(!errors.is_empty(), "a refusal without field errors");
    for e in errors {
        // An unknown key is reported at its own path (`lines[0].colour`): that names what the
        // client sent, so its parent must be a real field (or the body itself).
        let field = match unknown_key(&e.message) {
            Some(key) => e
                .field
                .strip_suffix(key)
                .map(|p| p.strip_suffix('.').unwrap_or(p))
                .filter(|p| !p.is_empty())
                .unwrap_or("body"),
            None => e.field.as_str(),
        };
        assert!(
            field == "body" || real_field(field),
            "error names no field of the body: {e:?}\nbody: {:?}",
            String::from_utf8_lossy(data)
        );
        assert!(
            !e.message.trim().is_empty(),
            "an error without a message: {e:?}"
        );
    }
}

/// The key in serde's "unknown field `key`, expected one of ...".
fn unknown_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.rfind("`, expected").map(|end| &rest[..end])
}

fuzz_target!(|data: &[u8]| {
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/cafes/kaffediem/orders")
        .header("content-type", "application/json")
        .body(Body::from(data.to_vec()))
        .expect("a fixed method, uri and header make a valid request");
    // The body is already in memory, so the extractor completes without real I/O.
    let extracted = futures::executor::block_on(ApiJson::<PlaceOrderBody>::from_request(req, &()));
    let is_json = serde_json::from_slice::<Value>(data).is_ok();
    let body = match extracted {
        Ok(ApiJson(body)) => body,
        Err(ApiError::BadRequest { errors, .. }) => {
            assert!(!is_json, "valid JSON refused as malformed: {errors:?}");
            check_errors(&errors, data);
            assert!(errors.iter().all(|e| e.field == "body"), "{errors:?}");
            return;
        }
        Err(ApiError::Invalid(errors)) => {
            // Not a converse of the above: serde reads in one pass and reports the first
            // problem, so `{"x": 1, ` is an unknown field before it is cut-off JSON.
            check_errors(&errors, data);
            return;
        }
        Err(other) => panic!("unexpected refusal of an order body: {other:?}"),
    };

    // The idempotency fingerprint hashes this serialization: it must succeed, and the body it
    // describes must read back to the same serialization.
    let canonical = serde_json::to_vec(&body).expect("an accepted body serializes");
    let reread: PlaceOrderBody = serde_json::from_slice(&canonical)
        .unwrap_or_else(|e| panic!("serialized body does not read back ({e})"));
    let again = serde_json::to_vec(&reread).expect("a re-read body serializes");
    assert_eq!(canonical, again, "the fingerprint is not stable");
    let _: Value = serde_json::from_slice(&canonical).expect("the fingerprint is JSON");

    // What the `place` handler does with an accepted body before the store sees it.
    let _ = body.customer();
    let lines = PlaceOrderBody::line_requests(body.lines);
    let menu = menu(100);
    let result = place(&menu, true, &lines);
    if let Err(broken) = check_placement(&menu, true, &lines, &result) {
        panic!("{broken}\nrequest: {lines:?}\nresult: {result:?}");
    }
});
