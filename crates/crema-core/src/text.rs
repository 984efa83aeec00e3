//! Small text newtypes: names, notes, label colours, idempotency keys, email addresses.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters (got {got})")]
    TooLong { max: usize, got: usize },
    #[error("must not contain control characters")]
    Control,
    #[error("must be a colour like #3b82f6 or #ccc")]
    Colour,
    #[error("must be 1 to 255 visible ASCII characters")]
    Key,
    #[error("must be an email address like name@example.org")]
    Email,
}

/// The conversions of a newtype over a `String` whose `parse(&str) -> Result<Self, $err>`
/// enforces its rule: `as_str`, `TryFrom<String>` (through `parse`, so serde checks it too),
/// `From<$t> for String` and `Display`.
macro_rules! text_newtype {
    ($t:ident, $err:ty) => {
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $t {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use text_newtype;

/// Text that must not be empty and has at most `max` characters (not bytes: "Kaffe på
/// Tårnet" counts as 15, not 17).
fn non_empty_within(t: &str, max: usize) -> Result<(), TextError> {
    if t.is_empty() {
        return Err(TextError::Empty);
    }
    let got = t.chars().count();
    if got > max {
        return Err(TextError::TooLong { max, got });
    }
    Ok(())
}

/// A display name (menu entry, café, person): trimmed, 1 to 100 characters, no control chars.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 100;

    pub fn parse(s: &str) -> Result<Self, TextError> {
        let t = s.trim();
        non_empty_within(t, Self::MAX)?;
        if t.chars().any(char::is_control) {
            return Err(TextError::Control);
        }
        Ok(Self(t.to_owned()))
    }
}

text_newtype!(Name, TextError);

/// Free text a customer adds to a line ("extra hot"): at most 200 characters; empty means none.
/// Line breaks are stored as `\n` (a browser sends a textarea's as `\r\n`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Notes(String);

impl Notes {
    pub const MAX: usize = 200;

    /// `Ok(None)` for empty or whitespace-only input.
    pub fn parse(s: &str) -> Result<Option<Self>, TextError> {
        let normalised;
        let s = if s.contains('\r') {
            normalised = s.replace("\r\n", "\n").replace('\r', "\n");
            normalised.as_str()
        } else {
            s
        };
        let t = s.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let n = t.chars().count();
        if n > Self::MAX {
            return Err(TextError::TooLong {
                max: Self::MAX,
                got: n,
            });
        }
        // Newlines are fine in a note; other control characters are not.
        if t.chars().any(|c| c.is_control() && c != '\n') {
            return Err(TextError::Control);
        }
        Ok(Some(Self(t.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Notes {
    type Error = TextError;
    /// A stored note is never empty: "no note" is the absence of one.
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)?.ok_or(TextError::Empty)
    }
}

impl From<Notes> for String {
    fn from(n: Notes) -> String {
        n.0
    }
}

/// A label colour as `#rgb` or `#rrggbb`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LabelColor(String);

impl LabelColor {
    pub fn parse(s: &str) -> Result<Self, TextError> {
        let t = s.trim();
        let hex = t.strip_prefix('#').ok_or(TextError::Colour)?;
        if !(hex.len() == 3 || hex.len() == 6) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(TextError::Colour);
        }
        Ok(Self(format!("#{}", hex.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LabelColor {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<LabelColor> for String {
    fn from(c: LabelColor) -> String {
        c.0
    }
}

/// The `Idempotency-Key` a client sends with a creating POST.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, TextError> {
        if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(TextError::Key);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's email address, the key of their account: trimmed and lower-cased (so
/// `Ola@Example.org` and `ola@example.org` are one account), at most 160 characters, one `@`
/// with something on both sides, no spaces or control characters. A dot in the domain is not
/// required: `admin@localhost` is a real address on a café's own server.
///
/// Deliberately no more than that: whether an address receives mail is only known by sending
/// to it, and stricter patterns turn away real addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX: usize = 160;

    pub fn parse(s: &str) -> Result<Self, TextError> {
        let t = s.trim().to_lowercase();
        non_empty_within(&t, Self::MAX)?;
        if t.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(TextError::Email);
        }
        match t.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
            {
                Ok(Self(t))
            }
            _ => Err(TextError::Email),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
