//! Rendering a page, and the web UI's one error type.
//!
//! A handler takes a [`Ctx`] (the café, the language, who is asking), decides access with
//! [`Ctx::require`], and returns a [`Page`]. The page's template extends `base.html`; its
//! script reads the JSON in `<script type="application/json" id="boot">` (page data, the
//! strings of the sections it names, the café and the language).

use super::i18n::{self, Dict};
use crate::api::dto::CafeOut;
use crate::auth::{authorize, Actor, Permission, Principal};
use crate::error::ApiError;
use crate::state::State;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use crema_core::cafe::Locale;
use crema_store::CafeRecord;
use minijinja::value::Value;
use minijinja::Environment;
use serde::Serialize;
use std::sync::{Arc, OnceLock};

/// Who is asking, for which café, in which language.
pub struct Ctx {
    pub state: State,
    pub actor: Actor,
    pub cafe: CafeRecord,
    pub lang: Locale,
    pub headers: HeaderMap,
    /// The path and query of this request (where to come back to after signing in).
    pub here: String,
}

impl FromRequestParts<State> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let lang_guess = i18n::language(&parts.headers, Locale::En);
        let actor = Actor::from_request_parts(parts, state)
            .await
            .map_err(|e| WebError::api(e, lang_guess))?;
        let slug = parts.uri.query().and_then(cafe_param);
        let cafe = match slug {
            Some(s) => state.cafe(&s).await,
            None => state.store.default_cafe().await.map_err(ApiError::from),
        }
        .map_err(|e| WebError::api(e, lang_guess))?;
        let lang = i18n::language(&parts.headers, cafe.cafe.locale);
        Ok(Ctx {
            state: state.clone(),
            actor,
            lang,
            headers: parts.headers.clone(),
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
            cafe,
        })
    }
}

/// `?cafe=<slug>` picks the café of a page; without it, the default café. Slugs are lowercase
/// letters, digits and dashes, so the value needs no decoding.
fn cafe_param(q: &str) -> Option<String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "cafe")
        .map(|(_, v)| v.to_owned())
}

impl Ctx {
    /// Switches to another café (the order page learns its café from the order).
    pub fn with_cafe(mut self, cafe: CafeRecord) -> Self {
        self.lang = i18n::language(&self.headers, cafe.cafe.locale);
        self.cafe = cafe;
        self
    }

    /// What the actor is in this café.
    pub fn principal(&self) -> Principal {
        self.actor.principal(self.cafe.cafe.id)
    }

    /// Refuses the page unless the actor may do `permission` here: someone not signed in is
    /// sent to the login page and comes back after.
    pub fn require(&self, permission: Permission) -> Result<(), WebError> {
        match authorize(&self.actor, self.cafe.cafe.id, permission) {
            Ok(()) => Ok(()),
            Err(ApiError::Unauthorized) => Err(WebError::SignIn {
                next: self.here.clone(),
            }),
            Err(e) => Err(WebError::api(e, self.lang)),
        }
    }

    /// A translated string.
    pub fn t(&self, key: &str) -> String {
        i18n::dict().get(self.lang, key)
    }

    /// A page of this café, in this language.
    pub fn page(&self, template: &'static str, title_key: &str) -> Page {
        Page {
            template,
            title: self.t(title_key),
            lang: self.lang,
            cafe: Some(CafeOut::from(&self.cafe)),
            user: self.actor.user.as_ref().map(|u| UserView {
                name: u.user.name.clone().unwrap_or_else(|| u.user.email.clone()),
                email: u.user.email.clone(),
                role: self
                    .actor
                    .role_in(self.cafe.cafe.id)
                    .map(|r| r.as_str().to_owned()),
            }),
            sections: vec!["common"],
            boot: serde_json::Value::Object(Default::default()),
            vars: serde_json::Map::new(),
            body_class: "",
            here: self.here.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub name: String,
    pub email: String,
    /// The role in the page's café, if any.
    pub role: Option<String>,
}

/// A page to render.
pub struct Page {
    pub template: &'static str,
    pub title: String,
    pub lang: Locale,
    pub cafe: Option<CafeOut>,
    pub user: Option<UserView>,
    /// The string sections the page's script needs (`common` is always there).
    pub sections: Vec<&'static str>,
    /// Data for the page's script.
    pub boot: serde_json::Value,
    /// Extra variables for the template.
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// A class on `<body>`: `kiosk`, `wall` (screen layouts).
    pub body_class: &'static str,
    pub here: String,
}

impl Page {
    pub fn sections(mut self, s: &[&'static str]) -> Self {
        self.sections.extend_from_slice(s);
        self
    }
    pub fn boot(mut self, boot: impl Serialize) -> Self {
        self.boot = serde_json::to_value(boot).unwrap_or_default();
        self
    }
    pub fn var(mut self, key: &str, value: impl Serialize) -> Self {
        self.vars.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or_default(),
        );
        self
    }
    pub fn body_class(mut self, c: &'static str) -> Self {
        self.body_class = c;
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let lang = self.lang;
        match render(self) {
            Ok(html) => html_response(StatusCode::OK, html),
            Err(e) => WebError::api(ApiError::Internal(e), lang).into_response(),
        }
    }
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Pages carry who is signed in and live data: never from a cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// JSON that is safe inside `<script type="application/json">`: no `<`, `>` or `&` that could
/// end the element or be read as markup.
pub fn script_json(v: &serde_json::Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn environment() -> Arc<Environment<'static>> {
    static ENV: OnceLock<Arc<Environment<'static>>> = OnceLock::new();
    fn build() -> Arc<Environment<'static>> {
        let mut env = Environment::new();
        env.set_loader(|name| Ok(super::embed::text(&format!("templates/{name}"))));
        env.add_function("t", |state: &minijinja::State, key: &str| -> String {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().and_then(Locale::parse))
                .unwrap_or(Locale::En);
            i18n::dict().get(lang, key)
        });
        env.add_filter("money", |state: &minijinja::State, minor: i64| -> String {
            let currency = state
                .lookup("cafe")
                .and_then(|c| c.get_attr("currency").ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "NOK".into());
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().and_then(Locale::parse))
                .unwrap_or(Locale::En);
            format_money(minor, &currency, lang)
        });
        Arc::new(env)
    }
    if cfg!(debug_assertions) {
        return build();
    }
    ENV.get_or_init(build).clone()
}

/// `4500` NOK → `45 kr` (nb) or `NOK 45` (en); `450` GBP → `£4.50`. Whole amounts drop the
/// decimals, as menu boards do.
pub fn format_money(minor: i64, currency: &str, lang: Locale) -> String {
    let exp = crema_core::money::Currency::parse(currency)
        .map(|c| c.exponent())
        .unwrap_or(2);
    let unit = 10i64.pow(exp);
    let sign = if minor < 0 { "-" } else { "" };
    let (major, frac) = (minor.abs() / unit, minor.abs() % unit);
    let sep = if lang == Locale::Nb { ',' } else { '.' };
    let number = if frac == 0 {
        major.to_string()
    } else {
        format!("{major}{sep}{frac:0width$}", width = exp as usize)
    };
    match (currency, lang) {
        ("NOK", Locale::Nb) | ("SEK", Locale::Nb) | ("DKK", Locale::Nb) => {
            format!("{sign}{number} kr")
        }
        ("GBP", _) => format!("{sign}£{number}"),
        ("EUR", _) => format!("{sign}€{number}"),
        ("USD", _) => format!("{sign}${number}"),
        (c, _) => format!("{sign}{c} {number}"),
    }
}

fn render(p: Page) -> Result<String, String> {
    let env = environment();
    let tpl = env
        .get_template(p.template)
        .map_err(|e| format!("template {}: {e:#}", p.template))?;
    let dict: Arc<Dict> = i18n::dict();
    let boot = serde_json::json!({
        "lang": p.lang.as_str(),
        "cafe": p.cafe,
        "user": p.user,
        "strings": dict.sections(p.lang, &p.sections),
        "data": p.boot,
    });
    let mut vars = p.vars;
    vars.insert("lang".into(), p.lang.as_str().into());
    vars.insert("title".into(), p.title.into());
    vars.insert(
        "cafe".into(),
        serde_json::to_value(&p.cafe).unwrap_or_default(),
    );
    vars.insert(
        "user".into(),
        serde_json::to_value(&p.user).unwrap_or_default(),
    );
    vars.insert("body_class".into(), p.body_class.into());
    vars.insert("here".into(), p.here.into());
    let mut ctx = Value::from_serialize(&vars);
    ctx = minijinja::context! { boot_json => Value::from_safe_string(script_json(&boot)), ..ctx };
    tpl.render(ctx)
        .map_err(|e| format!("template {}: {e:#}", p.template))
}

/// The web UI's errors: a page that says what went wrong in the visitor's language, with the
/// status the API would give. Internal errors are logged with an id and never shown.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: go to the login page, then come back to `next`.
    SignIn {
        next: String,
    },
    Api {
        error: ApiError,
        lang: Locale,
    },
}

impl WebError {
    pub fn api(error: ApiError, lang: Locale) -> Self {
        Self::Api { error, lang }
    }
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> Self {
        Self::Api {
            error,
            lang: Locale::En,
        }
    }
}

impl From<crema_store::StoreError> for WebError {
    fn from(e: crema_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

/// A path to come back to after signing in (or after switching the language): only a path on
/// this server, never another site.
///
/// Browsers strip tabs and newlines from a URL and read `\` as `/`, so `/<tab>/evil.example`
/// arrives at the browser as `//evil.example`, another site. Only printable ASCII is accepted
/// (a path and query from crema's own pages is always that; anything else was made up), it
/// must start with one `/` and nothing may turn it into two. It also keeps the `Location`
/// header valid: a control character there was a 500.
pub fn safe_next(next: &str) -> String {
    let b = next.as_bytes();
    let ok = b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
        && b.iter().all(|c| c.is_ascii_graphic() && *c != b'\\');
    if ok {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next } => {
                let q: String = url_encode(&safe_next(&next));
                Redirect::to(&format!("/login?next={q}")).into_response()
            }
            WebError::Api { error, lang } => {
                let status = error.status();
                let detail = match &error {
                    ApiError::Internal(msg) => {
                        let id = uuid::Uuid::new_v4();
                        tracing::error!(error_id = %id, error = %msg, "internal error on a page");
                        format!("{} ({id})", i18n::dict().get(lang, "common.error_internal"))
                    }
                    ApiError::NotFound(_) => i18n::dict().get(lang, "common.error_not_found"),
                    ApiError::Forbidden(_) => i18n::dict().get(lang, "common.error_forbidden"),
                    other => other.to_string(),
                };
                let dict = i18n::dict();
                let html = environment()
                    .get_template("error.html")
                    .and_then(|t| {
                        t.render(minijinja::context! {
                            lang => lang.as_str(),
                            title => dict.get(lang, "common.error_title"),
                            status => status.as_u16(),
                            detail => detail,
                            boot_json => Value::from_safe_string(script_json(&serde_json::json!({"lang": lang.as_str(), "strings": {}}))),
                        })
                    })
                    .unwrap_or_else(|e| {
                        tracing::error!(error = %e, "error page failed to render");
                        format!("<!doctype html><title>{status}</title><p>{status}</p>")
                    });
                html_response(status, html)
            }
        }
    }
}

/// An address no route knows. A browser (it asks for `text/html`) gets the error page in the
/// language of the café (the default café's, or the visitor's own choice), with a way back;
/// the API's clients, and anything under `/api/`, get the problem document as before.
pub async fn not_found(state: &State, headers: &HeaderMap, path: &str) -> Option<Response> {
    let wants_html = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !wants_html || path.starts_with("/api/") || path == "/api" {
        return None;
    }
    // A database that cannot say which café is the default still gets a page, in English.
    let cafe_lang = match state.store.default_cafe().await {
        Ok(c) => c.cafe.locale,
        Err(_) => Locale::En,
    };
    let lang = i18n::language(headers, cafe_lang);
    Some(WebError::api(ApiError::NotFound(path.to_owned()), lang).into_response())
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_on_a_menu_board() {
        assert_eq!(format_money(4500, "NOK", Locale::Nb), "45 kr");
        assert_eq!(format_money(4550, "NOK", Locale::Nb), "45,50 kr");
        assert_eq!(format_money(4550, "NOK", Locale::En), "NOK 45.50");
        assert_eq!(format_money(450, "GBP", Locale::En), "£4.50");
        assert_eq!(format_money(-5, "GBP", Locale::En), "-£0.05");
    }

    #[test]
    fn script_json_cannot_close_its_element() {
        let v = serde_json::json!({"name": "</script><script>alert(1)</script>&"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn only_local_paths_come_back_after_login() {
        assert_eq!(safe_next("/staff/kitchen?cafe=a"), "/staff/kitchen?cafe=a");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        for bad in [
            "/\t/evil.example",
            "/\n",
            "/\x7f",
            "/ /evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\u{a0}/evil.example",
            "",
            "evil.example",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
