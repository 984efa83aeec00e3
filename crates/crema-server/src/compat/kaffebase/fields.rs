//! Reading a record's fields from [`Params`] as Ecto's `cast` and `validate_required` do, each
//! into a crema type, collecting every bad field before anything is written.
//!
//! - A *required* field is "can't be blank" when absent on create, or `null`, or a blank
//!   string, on create or update. An update that leaves it out keeps the stored value.
//! - An empty or blank string is `null` (Ecto's `empty_values`).
//! - A field of the wrong type is "is invalid".
//! - A field that has a value in every row (`enable`, `sort_order`, ...) set to `null` is
//!   "can't be blank": Kaffebase would have failed on the database's NOT NULL with a 500.

use super::error::{Errors, KbResult};
use super::params::{cast_bool, cast_int, cast_string, Field, Params};
use crema_core::text::Name;
use serde_json::Value;

pub const BLANK: &str = "can't be blank";
pub const INVALID: &str = "is invalid";

pub struct Reader<'a> {
    p: &'a Params,
    create: bool,
    pub errors: Errors,
}

/// What a field holds after Ecto's empty-value rule.
enum Got<'a> {
    Absent,
    Null,
    Value(&'a Value),
}

impl<'a> Reader<'a> {
    pub fn new(p: &'a Params, create: bool) -> Self {
        Self {
            p,
            create,
            errors: Errors::default(),
        }
    }

    pub fn is_create(&self) -> bool {
        self.create
    }

    pub fn params(&self) -> &'a Params {
        self.p
    }

    fn got(&self, key: &str) -> Got<'a> {
        match self.p.field(key) {
            Field::Absent => Got::Absent,
            Field::Null => Got::Null,
            Field::Value(Value::String(s)) if s.trim().is_empty() => Got::Null,
            Field::Value(v) => Got::Value(v),
        }
    }

    /// A required value: `None` when absent on update (keep the stored one) or in error.
    fn required(&mut self, key: &str) -> Option<&'a Value> {
        match self.got(key) {
            Got::Absent => {
                if self.create {
                    self.errors.add(key, BLANK);
                }
                None
            }
            Got::Null => {
                self.errors.add(key, BLANK);
                None
            }
            Got::Value(v) => Some(v),
        }
    }

    /// An optional value that is never null in a row.
    fn present(&mut self, key: &str) -> Option<&'a Value> {
        match self.got(key) {
            Got::Absent => None,
            Got::Null => {
                self.errors.add(key, BLANK);
                None
            }
            Got::Value(v) => Some(v),
        }
    }

    fn cast<T>(
        &mut self,
        key: &str,
        v: Option<&Value>,
        f: impl Fn(&Value) -> Option<T>,
    ) -> Option<T> {
        let v = v?;
        let out = f(v);
        if out.is_none() {
            self.errors.add(key, INVALID);
        }
        out
    }

    /// A required name (menu entries).
    pub fn name(&mut self, key: &str) -> Option<Name> {
        let v = self.required(key);
        let s = self.cast(key, v, |v| cast_string(v).map(str::to_owned))?;
        match Name::parse(&s) {
            Ok(n) => Some(n),
            Err(e) => {
                self.errors.add(key, e.to_string());
                None
            }
        }
    }

    pub fn required_int(&mut self, key: &str) -> Option<i64> {
        let v = self.required(key);
        self.cast(key, v, cast_int)
    }

    pub fn int(&mut self, key: &str) -> Option<i64> {
        let v = self.present(key);
        self.cast(key, v, cast_int)
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        let v = self.present(key);
        self.cast(key, v, cast_bool)
    }

    /// A nullable string: `Some(None)` clears it.
    pub fn nullable_string(&mut self, key: &str) -> Option<Option<String>> {
        match self.got(key) {
            Got::Absent => None,
            Got::Null => Some(None),
            Got::Value(v) => self
                .cast(key, Some(v), |v| cast_string(v).map(str::to_owned))
                .map(Some),
        }
    }

    /// A nullable integer: `Some(None)` clears it.
    pub fn nullable_int(&mut self, key: &str) -> Option<Option<i64>> {
        match self.got(key) {
            Got::Absent => None,
            Got::Null => Some(None),
            Got::Value(v) => self.cast(key, Some(v), cast_int).map(Some),
        }
    }

    /// A string that may be empty (`""` stays `""`, `null` becomes `""`): a message title.
    pub fn text(&mut self, key: &str) -> Option<String> {
        match self.p.field(key) {
            Field::Absent => None,
            Field::Null => Some(String::new()),
            Field::Value(v) => self.cast(key, Some(v), |v| cast_string(v).map(str::to_owned)),
        }
    }

    /// A raw value, for fields with a cast of their own.
    pub fn raw(&mut self, key: &str) -> Option<Option<&'a Value>> {
        match self.got(key) {
            Got::Absent => None,
            Got::Null => Some(None),
            Got::Value(v) => Some(Some(v)),
        }
    }

    pub fn finish(self) -> KbResult<()> {
        self.errors.into_result(())
    }
}
