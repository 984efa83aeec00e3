//! A request's parameters as Phoenix builds them: the query string, with the body on top
//! (JSON, `application/x-www-form-urlencoded` or `multipart/form-data`; nested keys such as
//! `items[0][item]` as Plug decodes them), and the casts Ecto applies to each field.
//!
//! Form bodies carry every value as text, so every cast takes the JSON type *or* its text
//! (`"45"` for 45, `"true"` for true), exactly as Ecto does; a value of any other type is
//! "is invalid".

use super::error::{KaffebaseError, KbResult};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use serde_json::{Map, Value};

/// The largest JSON or urlencoded body read (as the native API).
pub const MAX_BODY: usize = crate::api::extract::MAX_JSON_BYTES;
/// The largest image accepted by upload.
pub const MAX_IMAGE: usize = crate::uploads::MAX_IMAGE;
/// The largest multipart body: one image and the item's fields.
pub const MAX_MULTIPART: usize = MAX_IMAGE + 64 * 1024;
/// Nested keys deeper than this, or more pairs than this, are a bad request.
const MAX_DEPTH: usize = 6;
const MAX_PAIRS: usize = 1000;

/// A file sent in a multipart body.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

/// The merged parameters of one request.
#[derive(Debug, Default, Clone)]
pub struct Params {
    map: Map<String, Value>,
    pub upload: Option<Upload>,
}

/// What a field of the request holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    Absent,
    Null,
    Value(&'a Value),
}

impl Params {
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self { map, upload: None }
    }

    pub fn field(&self, key: &str) -> Field<'_> {
        match self.map.get(key) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(v) => Field::Value(v),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = KaffebaseError;

    async fn from_request(req: Request, state: &S) -> KbResult<Self> {
        let mut map = match req.uri().query() {
            Some(q) => decode_form(q)?,
            None => Map::new(),
        };
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let mut upload = None;
        // Body parameters win over the query string (Plug merges them on top).
        if content_type == "application/json" || content_type.ends_with("+json") {
            let bytes = read_body(req, MAX_BODY).await?;
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(Value::Object(body)) => map.extend(body),
                    // Plug keeps a body that is not an object under `_json`.
                    Ok(other) => {
                        map.insert("_json".into(), other);
                    }
                    Err(_) => return Err(KaffebaseError::BadRequest),
                }
            }
        } else if content_type == "application/x-www-form-urlencoded" {
            let bytes = read_body(req, MAX_BODY).await?;
            let text = std::str::from_utf8(&bytes).map_err(|_| KaffebaseError::BadRequest)?;
            map.extend(decode_form(text)?);
        } else if content_type == "multipart/form-data" {
            let (fields, file) = read_multipart(req, state).await?;
            map.extend(fields);
            upload = file;
        }
        // Any other body is not parsed, as with Plug's `pass: ["*/*"]`: its fields are absent.
        Ok(Self { map, upload })
    }
}

async fn read_body(req: Request, limit: usize) -> KbResult<Bytes> {
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|e| {
            if is_too_large(&e) {
                KaffebaseError::TooLarge
            } else {
                KaffebaseError::BadRequest
            }
        })
}

/// Whether reading failed on the size limit. The error is http-body-util's
/// `LengthLimitError` inside axum's; it is matched by its text so as not to depend on that
/// crate directly.
fn is_too_large(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.to_string().contains("length limit exceeded") {
            return true;
        }
        cur = err.source();
    }
    false
}

async fn read_multipart<S: Send + Sync>(
    req: Request,
    state: &S,
) -> KbResult<(Map<String, Value>, Option<Upload>)> {
    let mut mp = Multipart::from_request(req, state)
        .await
        .map_err(|_| KaffebaseError::BadRequest)?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut upload = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e)),
        };
        let name = field.name().unwrap_or("").to_owned();
        if field.file_name().is_some() {
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| multipart_error(&e))?;
            // A file input left empty still sends a part with no bytes: no file.
            if !bytes.is_empty() {
                upload = Some(Upload {
                    field: name,
                    content_type,
                    bytes,
                });
            }
        } else {
            let text = field.text().await.map_err(|e| multipart_error(&e))?;
            pairs.push((name, text));
            if pairs.len() > MAX_PAIRS {
                return Err(KaffebaseError::BadRequest);
            }
        }
    }
    Ok((build(pairs)?, upload))
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> KaffebaseError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        KaffebaseError::TooLarge
    } else {
        KaffebaseError::BadRequest
    }
}

/// Decodes `a=1&b[c]=2` into nested parameters.
pub fn decode_form(text: &str) -> KbResult<Map<String, Value>> {
    let mut pairs = Vec::new();
    for part in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((percent_decode(k)?, percent_decode(v)?));
        if pairs.len() > MAX_PAIRS {
            return Err(KaffebaseError::BadRequest);
        }
    }
    build(pairs)
}

/// `+` is a space; `%XX` a byte; the result must be UTF-8.
fn percent_decode(s: &str) -> KbResult<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).ok_or(KaffebaseError::BadRequest)?;
                let hex = std::str::from_utf8(hex).map_err(|_| KaffebaseError::BadRequest)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| KaffebaseError::BadRequest)?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| KaffebaseError::BadRequest)
}

/// One key's path: `items[0][item]` is `items`, `0`, `item`; `a[]` appends to the list `a`.
fn key_path(key: &str) -> KbResult<Vec<&str>> {
    let Some(open) = key.find('[') else {
        return Ok(vec![key]);
    };
    let mut out = vec![&key[..open]];
    let mut rest = &key[open..];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            // Not a nested key after all (`a[b`): Plug keeps the whole text as the name.
            return Ok(vec![key]);
        };
        out.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    if !rest.is_empty() || out.len() > MAX_DEPTH {
        return Err(KaffebaseError::BadRequest);
    }
    Ok(out)
}

fn build(pairs: Vec<(String, String)>) -> KbResult<Map<String, Value>> {
    let mut root = Map::new();
    for (k, v) in &pairs {
        let path = key_path(k)?;
        if path[0].is_empty() {
            continue;
        }
        insert(&mut root, &path, Value::String(v.clone()));
    }
    // An object whose keys are all indexes (`items[0][..]`, `items[1][..]`) is a list, in
    // index order, as Ecto casts it for a list of embedded records.
    for v in root.values_mut() {
        listify(v);
    }
    Ok(root)
}

fn insert(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [k] => {
            map.insert((*k).to_owned(), value);
        }
        [k, "", rest @ ..] => {
            let slot = map
                .entry((*k).to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(list) = slot {
                if rest.is_empty() {
                    list.push(value);
                } else {
                    // `a[][b]=1&a[][c]=2&a[][b]=3`: a new element starts when the last one
                    // already has the key.
                    let first = rest[0];
                    let fits =
                        matches!(list.last(), Some(Value::Object(o)) if !o.contains_key(first));
                    if !fits {
                        list.push(Value::Object(Map::new()));
                    }
                    if let Some(Value::Object(o)) = list.last_mut() {
                        insert(o, rest, value);
                    }
                }
            }
        }
        [k, rest @ ..] => {
            let slot = map
                .entry((*k).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(o) = slot {
                insert(o, rest, value);
            }
        }
    }
}

fn listify(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for inner in o.values_mut() {
                listify(inner);
            }
            if !o.is_empty() && o.keys().all(|k| k.parse::<usize>().is_ok()) {
                let mut items: Vec<(usize, Value)> = std::mem::take(o)
                    .into_iter()
                    .filter_map(|(k, v)| k.parse::<usize>().ok().map(|i| (i, v)))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                *v = Value::Array(items.into_iter().map(|(_, v)| v).collect());
            }
        }
        Value::Array(a) => a.iter_mut().for_each(listify),
        _ => {}
    }
}

// ---- casts (Ecto's rules) -----------------------------------------------------------------

/// A string: only a JSON string.
pub fn cast_string(v: &Value) -> Option<&str> {
    v.as_str()
}

/// An integer: a JSON integer, or its decimal text. `45.5` (and `45.0`) are not integers.
pub fn cast_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse::<i64>().ok(),
        _ => None,
    }
}

/// A boolean: `true`/`false`, or their text, or `"1"`/`"0"` (what a checkbox sends).
pub fn cast_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_form_keys_decode_as_plug_does() {
        let m = decode_form(
            "customer_id=1&items[0][item]=8&items[0][customizations][0][key]=3&items[0][customizations][0][value][]=12&items[1][item]=9&missing_information=false",
        )
        .unwrap();
        assert_eq!(
            Value::Object(m),
            json!({
                "customer_id": "1",
                "items": [
                    {"item": "8", "customizations": [{"key": "3", "value": ["12"]}]},
                    {"item": "9"}
                ],
                "missing_information": "false"
            })
        );
    }

    #[test]
    fn list_of_objects_without_indexes() {
        let m = decode_form("a[][b]=1&a[][c]=2&a[][b]=3").unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"a": [{"b": "1", "c": "2"}, {"b": "3"}]})
        );
    }

    #[test]
    fn percent_and_plus_decode() {
        let m = decode_form("name=Caff%C3%A8+latte&x=%2B").unwrap();
        assert_eq!(m["name"], json!("Caffè latte"));
        assert_eq!(m["x"], json!("+"));
        assert!(decode_form("name=%ZZ").is_err());
        assert!(decode_form("name=%FF").is_err());
    }

    #[test]
    fn casts_follow_ecto() {
        assert_eq!(cast_int(&json!(45)), Some(45));
        assert_eq!(cast_int(&json!("45")), Some(45));
        assert_eq!(cast_int(&json!(45.5)), None);
        assert_eq!(cast_int(&json!(45.0)), None);
        assert_eq!(cast_int(&json!(" 45")), None);
        assert_eq!(cast_bool(&json!("true")), Some(true));
        assert_eq!(cast_bool(&json!("0")), Some(false));
        assert_eq!(cast_bool(&json!(1)), None);
        assert_eq!(cast_string(&json!(5)), None);
    }
}
