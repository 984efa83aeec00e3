//! A café and its settings.

use crate::day::FirstNumber;
use crate::money::{Amount, Currency};
use crate::text::Name;
use crate::workflow::Workflow;
use crate::Rejection;
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

impl Cafe {
    /// The rule for `price_rounding`: 1 to 10,000 minor units (a rounding of 0 would divide by
    /// zero; more than 100 kroner is no café's price step).
    pub fn price_rounding(minor: i64) -> Result<Amount, &'static str> {
        Amount::new(minor)
            .ok()
            .filter(|a| (1..=10_000).contains(&a.minor()))
            .ok_or("must be between 1 and 10000")
    }

    /// The rule for `age_thresholds` (seconds after which the kitchen's timer turns to warn,
    /// then late): 0 < warn < late ≤ one day.
    pub fn age_thresholds(warn: u32, late: u32) -> Result<(u32, u32), &'static str> {
        if warn == 0 || late <= warn || late > 24 * 3600 {
            Err("need 0 < warn < late <= 86400 seconds")
        } else {
            Ok((warn, late))
        }
    }

    /// Checks the settings the rules above cover, each bad field named.
    pub fn check_settings(&self) -> Result<(), Rejection> {
        let mut rej = Rejection::default();
        if let Err(why) = Self::price_rounding(self.price_rounding.minor()) {
            rej.push("price_rounding", "out_of_range", why);
        }
        if let Err(why) = Self::age_thresholds(self.age_thresholds.0, self.age_thresholds.1) {
            rej.push("age_thresholds", "invalid", why);
        }
        rej.into_result(())
    }

    /// Whether the café may change to `workflow` while its orders are in `used` steps (not
    /// counting cancelled ones): every order must stay in a step the workflow knows.
    pub fn may_use_workflow(workflow: &Workflow, used: &[String]) -> Result<(), Rejection> {
        match used.iter().find(|s| workflow.position(s).is_none()) {
            Some(s) => Err(Rejection::one(
                "workflow",
                "in_use",
                format!("orders are in step {s:?}: keep that step"),
            )),
            None => Ok(()),
        }
    }
}

/// The longest title a message shown to customers may have, in characters.
pub const MESSAGE_TITLE_MAX: usize = 200;
/// The longest subtitle, in characters.
pub const MESSAGE_SUBTITLE_MAX: usize = 500;

/// Checks a message shown to customers: a title of at most [`MESSAGE_TITLE_MAX`] characters
/// (it may be empty) and a subtitle of at most [`MESSAGE_SUBTITLE_MAX`]; each bad field named.
pub fn check_message(title: &str, subtitle: Option<&str>) -> Result<(), Rejection> {
    let mut rej = Rejection::default();
    if title.chars().count() > MESSAGE_TITLE_MAX {
        rej.push(
            "title",
            "too_long",
            format!("must be at most {MESSAGE_TITLE_MAX} characters"),
        );
    }
    if subtitle.is_some_and(|s| s.chars().count() > MESSAGE_SUBTITLE_MAX) {
        rej.push(
            "subtitle",
            "too_long",
            format!("must be at most {MESSAGE_SUBTITLE_MAX} characters"),
        );
    }
    rej.into_result(())
}
