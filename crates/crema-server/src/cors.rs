//! Cross-origin access for browser frontends served from another origin (the Kaffediem
//! SvelteKit app on `:5173` or `:3000`, talking to crema on `:4000`). Only configured origins
//! get CORS headers; credentials (the session cookie) are allowed, so the origin is echoed
//! exactly, never `*`. The same origins may send cookie-authenticated writes past the CSRF
//! check (`auth::guard::csrf`, through [`crate::State::trusts_origin`]).

use axum::http::{header, HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Kaffediem's development server, as Kaffebase allowed it.
pub const DEFAULT_ORIGINS: [&str; 2] = ["http://localhost:5173", "http://127.0.0.1:5173"];

pub fn default_origins() -> Vec<String> {
    DEFAULT_ORIGINS.iter().map(|s| (*s).to_owned()).collect()
}

/// Checks an origin as a browser sends it: `scheme://host[:port]`, nothing after.
pub fn parse_origin(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(format!(
            "{s:?} is not an origin like https://kaffediem.example.com"
        ));
    };
    let host_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !matches!(scheme, "http" | "https") || !host_ok {
        return Err(format!(
            "{s:?} is not an origin like https://kaffediem.example.com (scheme, host and port only)"
        ));
    }
    Ok(format!("{}://{}", scheme, rest.to_ascii_lowercase()))
}

/// The CORS layer for `origins`. Methods and headers are the ones Kaffebase allowed.
pub fn layer(origins: &[String]) -> CorsLayer {
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| match HeaderValue::from_str(o) {
            Ok(v) => Some(v),
            Err(_) => {
                tracing::warn!(origin = %o, "ignoring a CORS origin that is not a valid header value");
                None
            }
        })
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-requested-with"),
        ])
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            parse_origin("http://localhost:5173/").as_deref(),
            Ok("http://localhost:5173")
        );
        assert_eq!(
            parse_origin(" https://Kaffediem.example.com ").as_deref(),
            Ok("https://kaffediem.example.com")
        );
        for bad in [
            "localhost:5173",
            "ftp://x",
            "http://",
            "http://a/b",
            "http://a b",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
