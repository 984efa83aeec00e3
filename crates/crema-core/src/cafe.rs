//! A café and its settings.

use crate::day::FirstNumber;
use crate::money::{Amount, Currency};
use crate::text::Name;
use crate::workflow::Workflow;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use crate::id::CafeId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("must be 1 to 40 characters of a-z, 0-9 and -, not starting or ending with -")]
    Invalid,
}

/// The short name in URLs and topics (`cafe:<slug>:orders`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, SlugError> {
        let ok = !s.is_empty()
            && s.len() <= 40
            && !s.starts_with('-')
            && !s.ends_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(SlugError::Invalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Locale {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "nb")]
    Nb,
}

impl Locale {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "en" => Some(Self::En),
            "nb" => Some(Self::Nb),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Nb => "nb",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cafe {
    pub id: CafeId,
    pub slug: Slug,
    pub name: Name,
    pub timezone: Tz,
    pub currency: Currency,
    pub locale: Locale,
    pub first_number: FirstNumber,
    pub workflow: Workflow,
    /// Prices are rounded up to a multiple of this many minor units (100 = whole kroner, as
    /// Kaffediem does).
    pub price_rounding: Amount,
    /// Kitchen age timer colours change after these many seconds (warn, late).
    pub age_thresholds: (u32, u32),
}
