//! crema-core's parsers of small values: names, notes, colours, idempotency keys, slugs,
//! currencies and amounts (with how money is shown), time zones and the UTC bounds of a
//! café's local day.
//!
//! Invariants: no panic; each parser accepts exactly what its rule says, returns the
//! normalised form, and accepting its own output gives the same value (so a stored value
//! always reads back); money shown as text names the same amount; a local day's bounds
//! contain that day and nothing else.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{Duration, NaiveDate};
use crema_core::cafe::Slug;
use crema_core::day::{day_bounds, local_date, parse_tz};
use crema_core::money::{Amount, Currency, Money};
use crema_core::text::{IdempotencyKey, LabelColor, Name, Notes};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Input {
    Text(String),
    Money {
        currency: String,
        minor: i64,
        other: i64,
        times: u32,
    },
    Day {
        tz: u16,
        days: i32,
    },
}

fn check_text(s: &str) {
    // Name: trimmed, 1-100 characters, no control characters.
    let t = s.trim();
    let name_ok =
        !t.is_empty() && t.chars().count() <= Name::MAX && !t.chars().any(char::is_control);
    match Name::parse(s) {
        Ok(n) => {
            assert!(name_ok && n.as_str() == t, "Name accepted {s:?} as {n:?}");
            assert_eq!(Name::parse(n.as_str()).as_ref(), Ok(&n));
            let json = serde_json::to_string(&n).expect("a name serializes");
            assert_eq!(serde_json::from_str::<Name>(&json).ok().as_ref(), Some(&n));
        }
        Err(e) => assert!(!name_ok, "Name refused {s:?}: {e}"),
    }

    // Notes: line endings normalised to \n, trimmed, at most 200 characters, no control
    // characters but \n; blank is no notes.
    let norm = s.replace("\r\n", "\n").replace('\r', "\n");
    let nt = norm.trim();
    match Notes::parse(s) {
        Ok(None) => assert!(nt.is_empty(), "Notes dropped {s:?}"),
        Ok(Some(n)) => {
            assert_eq!(n.as_str(), nt, "Notes of {s:?}");
            assert!(n.as_str().chars().count() <= Notes::MAX);
            assert!(!n.as_str().chars().any(|c| c.is_control() && c != '\n'));
            assert_eq!(Notes::parse(n.as_str()).ok().flatten().as_ref(), Some(&n));
        }
        Err(e) => assert!(
            nt.chars().count() > Notes::MAX || nt.chars().any(|c| c.is_control() && c != '\n'),
            "Notes refused {s:?}: {e}"
        ),
    }

    // Label colour: #rgb or #rrggbb, stored lowercase.
    match LabelColor::parse(s) {
        Ok(c) => {
            let hex = c
                .as_str()
                .strip_prefix('#')
                .expect("a colour starts with #");
            assert!(matches!(hex.len(), 3 | 6), "{c:?}");
            assert!(hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            assert!(c.as_str().eq_ignore_ascii_case(t));
            assert_eq!(LabelColor::parse(c.as_str()).as_ref(), Ok(&c));
        }
        Err(_) => {
            let h = t.strip_prefix('#').unwrap_or("x");
            assert!(
                !(matches!(h.len(), 3 | 6) && h.bytes().all(|b| b.is_ascii_hexdigit())),
                "LabelColor refused {s:?}"
            );
        }
    }

    // Idempotency key: 1-255 visible ASCII characters, taken as is.
    let key_ok = (1..=255).contains(&s.len()) && s.bytes().all(|b| (0x21..=0x7e).contains(&b));
    match IdempotencyKey::parse(s) {
        Ok(k) => assert!(key_ok && k.as_str() == s, "key {s:?}"),
        Err(_) => assert!(!key_ok, "key refused {s:?}"),
    }

    // Slug: 1-40 of a-z 0-9 -, not starting or ending with -.
    let slug_ok = (1..=40).contains(&s.len())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    match Slug::parse(s) {
        Ok(slug) => assert!(slug_ok && slug.as_str() == s && slug.to_string() == s),
        Err(_) => assert!(!slug_ok, "slug refused {s:?}"),
    }

    // Time zone: what parses has a name that parses to the same zone.
    if let Ok(tz) = parse_tz(s) {
        assert_eq!(parse_tz(tz.name()), Ok(tz), "{s:?}");
    }
}

fn check_money(currency: &str, minor: i64, other: i64, times: u32) {
    if let Ok(c) = Currency::parse(currency) {
        let code = c.code();
        assert!(
            code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
            "{c:?}"
        );
        assert!(code.eq_ignore_ascii_case(currency.trim()));
        assert_eq!(Currency::parse(code), Ok(c));
        assert!(matches!(c.exponent(), 0 | 2 | 3));
    }
    let in_range = |v: i128| (0..=i128::from(Amount::MAX)).contains(&v);
    let a = Amount::new(minor);
    assert_eq!(a.is_ok(), in_range(minor.into()), "Amount::new({minor})");
    let (Ok(a), Ok(b)) = (a, Amount::new(other)) else {
        return;
    };
    let sum = i128::from(minor) + i128::from(other);
    assert_eq!(
        a.checked_add(b).map(|s| i128::from(s.minor())),
        in_range(sum).then_some(sum)
    );
    let product = i128::from(minor) * i128::from(times);
    assert_eq!(
        a.checked_mul(times).map(|p| i128::from(p.minor())),
        in_range(product).then_some(product)
    );
    let Ok(c) = Currency::parse(currency) else {
        return;
    };
    // "12.05 NOK" (or "1205 JPY") must spell exactly `minor`.
    let shown = Money::new(a, c).to_string();
    let (number, code) = shown
        .split_once(' ')
        .expect("amount and code are space-separated");
    assert_eq!(code, c.code());
    let per = c.minor_per_major();
    let back = match number.split_once('.') {
        None => number.parse::<i64>().ok(),
        Some((major, fraction)) => {
            assert_eq!(fraction.len() as u32, c.exponent(), "{shown}");
            major
                .parse::<i64>()
                .ok()
                .zip(fraction.parse::<i64>().ok())
                .map(|(m, f)| m * per + f)
        }
    };
    assert_eq!(back, Some(minor), "{shown}");
    let ceil = Money::new(a, c).major_ceil();
    assert!(
        ceil * per >= minor && (ceil - 1) * per < minor.max(1),
        "{shown} ceil {ceil}"
    );
}

fn check_day(tz: u16, days: i32) {
    let tz = chrono_tz::TZ_VARIANTS[usize::from(tz) % chrono_tz::TZ_VARIANTS.len()];
    // Dates from 1900 to 2199: old zones have odd offsets, and far futures exercise the rules.
    let Some(date) = NaiveDate::from_ymd_opt(1900, 1, 1)
        .and_then(|d| d.checked_add_signed(Duration::days(i64::from(days.rem_euclid(109_500)))))
    else {
        return;
    };
    let (start, end) = day_bounds(tz, date);
    if local_date(tz, start) != date {
        // A date the zone skipped entirely (Samoa's 2011-12-30): an empty day, not an error.
        assert!(
            start == end && local_date(tz, start) > date,
            "{tz} {date}: {start}..{end}"
        );
        return;
    }
    assert!(start < end, "{tz} {date}: day of zero or negative length");
    assert!(
        end - start <= Duration::hours(49),
        "{tz} {date}: {start}..{end}"
    );
    assert!(
        local_date(tz, start - Duration::seconds(1)) < date,
        "{tz} {date}: starts late"
    );
    assert!(
        local_date(tz, end - Duration::seconds(1)) == date,
        "{tz} {date}: ends early"
    );
    assert!(local_date(tz, end) > date, "{tz} {date}: ends late");
}

fuzz_target!(|input: Input| match input {
    Input::Text(s) => check_text(&s),
    Input::Money {
        currency,
        minor,
        other,
        times,
    } => check_money(&currency, minor, other, times),
    Input::Day { tz, days } => check_day(tz, days),
});
