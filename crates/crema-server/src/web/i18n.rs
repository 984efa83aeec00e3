//! The UI's strings in English and Norwegian (bokmål).
//!
//! Each file `web/i18n/<screen>.json` maps keys to both languages:
//! `{"kitchen.title": {"en": "Kitchen", "nb": "Kjøkken"}}`. Keys start with the file's name,
//! so a screen's strings live in one place and a page sends its scripts only the sections it
//! uses. A test checks that every key has both languages and that every key a template or a
//! script asks for exists.
//!
//! The language of a page is the café's (`locale`), unless the visitor chose another with the
//! language switch (a `crema_lang` cookie, kept a year).

use crate::auth::cookie_value;
use axum::http::HeaderMap;
use crema_core::cafe::Locale;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The cookie that overrides the café's language.
pub const LANG_COOKIE: &str = "crema_lang";

/// Every string: key → (English, Norwegian).
#[derive(Debug, Default)]
pub struct Dict {
    pub strings: BTreeMap<String, (String, String)>,
    /// Problems found while loading (a missing language, a malformed file).
    pub problems: Vec<String>,
}

impl Dict {
    fn load() -> Dict {
        let mut d = Dict::default();
        for path in super::embed::list("i18n/") {
            let Some(text) = super::embed::text(&path) else {
                d.problems.push(format!("{path}: not UTF-8"));
                continue;
            };
            let map: BTreeMap<String, BTreeMap<String, String>> = match serde_json::from_str(&text)
            {
                Ok(m) => m,
                Err(e) => {
                    d.problems.push(format!("{path}: {e}"));
                    continue;
                }
            };
            for (key, langs) in map {
                let en = langs.get("en").cloned().unwrap_or_default();
                let nb = langs.get("nb").cloned().unwrap_or_default();
                if en.is_empty() || nb.is_empty() {
                    d.problems
                        .push(format!("{path}: {key} lacks English or Norwegian"));
                }
                if d.strings.insert(key.clone(), (en, nb)).is_some() {
                    d.problems.push(format!("{path}: {key} is defined twice"));
                }
            }
        }
        d
    }

    /// The string for `key` in `lang`; the key itself when it is missing, so a gap shows on
    /// the page instead of breaking it (and the test catches it first).
    pub fn get(&self, lang: Locale, key: &str) -> String {
        match (self.strings.get(key), lang) {
            (Some((en, _)), Locale::En) => en.clone(),
            (Some((_, nb)), Locale::Nb) => nb.clone(),
            (None, _) => key.to_owned(),
        }
    }

    /// The strings whose keys start with one of `sections` (`"kitchen."`), for a page's script.
    pub fn sections(
        &self,
        lang: Locale,
        sections: &[&str],
    ) -> serde_json::Map<String, serde_json::Value> {
        self.strings
            .keys()
            .filter(|k| {
                sections
                    .iter()
                    .any(|s| k.split_once('.').is_some_and(|(head, _)| head == *s))
            })
            .map(|k| (k.clone(), serde_json::Value::String(self.get(lang, k))))
            .collect()
    }
}

/// The strings. Loaded once in a release build; a debug build reloads them on each page so an
/// edit shows at once.
pub fn dict() -> Arc<Dict> {
    static DICT: OnceLock<Arc<Dict>> = OnceLock::new();
    if cfg!(debug_assertions) {
        return Arc::new(Dict::load());
    }
    DICT.get_or_init(|| Arc::new(Dict::load())).clone()
}

/// The language of a page: the visitor's choice, else the café's.
pub fn language(headers: &HeaderMap, cafe: Locale) -> Locale {
    cookie_value(headers, LANG_COOKIE)
        .and_then(Locale::parse)
        .unwrap_or(cafe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_has_both_languages() {
        let d = Dict::load();
        assert!(d.problems.is_empty(), "{:#?}", d.problems);
        assert!(d.strings.len() > 20);
    }

    /// Every `t("key")` in a template and every `t("key")` in a script names a string that
    /// exists: a missing one would show its key on the page.
    #[test]
    fn every_key_used_exists() {
        let d = Dict::load();
        let mut missing = Vec::new();
        for path in super::super::embed::list("")
            .into_iter()
            .filter(|p| p.starts_with("templates/") || p.starts_with("assets/js/"))
        {
            let text = super::super::embed::text(&path).unwrap_or_default();
            for quote in ['"', '\''] {
                let open = format!("t({quote}");
                let mut rest = text.as_str();
                while let Some(i) = rest.find(&open) {
                    // `at(` or `set(` are not the translation function.
                    let before = rest[..i].chars().last();
                    rest = &rest[i + open.len()..];
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let Some(end) = rest.find(quote) else { break };
                    let key = &rest[..end];
                    // A key built at run time (`t("common.step_" + step)`) ends in its prefix.
                    let prefix = key.ends_with('_') || key.ends_with('.');
                    if key.contains('.')
                        && !key.contains(' ')
                        && !prefix
                        && !d.strings.contains_key(key)
                    {
                        missing.push(format!("{path}: {key}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys without strings: {missing:#?}");
    }
}
