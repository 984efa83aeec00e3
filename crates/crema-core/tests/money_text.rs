//! Money (currency, amount, display) and the small text newtypes.

use crema_core::money::{Amount, Currency, Money, MoneyError};
use crema_core::text::{Email, IdempotencyKey, LabelColor, Name, Notes, TextError};
use proptest::prelude::*;

fn a(v: i64) -> Amount {
    Amount::new(v).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Currency

#[test]
fn currency_parse_accepts_iso_codes_in_any_case() {
    assert_eq!(Currency::parse("NOK"), Ok(Currency::NOK));
    assert_eq!(Currency::parse("nok"), Ok(Currency::NOK));
    assert_eq!(Currency::parse("Eur"), Ok(Currency::EUR));
    assert_eq!(Currency::parse(" usd "), Ok(Currency::USD));
    assert_eq!(Currency::parse("sek").unwrap().code(), "SEK");
}

#[test]
fn currency_parse_rejects_everything_else() {
    for bad in [
        "", "NO", "NOKK", "N0K", "N K", "N-K", "ØRE", "kr", "123", "\u{0}AB", "ÅÆØ", "  ",
    ] {
        assert_eq!(Currency::parse(bad), Err(MoneyError::Currency), "{bad:?}");
    }
}

#[test]
fn currency_exponent() {
    assert_eq!(Currency::NOK.exponent(), 2);
    assert_eq!(Currency::EUR.exponent(), 2);
    assert_eq!(Currency::USD.exponent(), 2);
    for zero in [
        "JPY", "KRW", "ISK", "CLP", "VND", "XAF", "XOF", "PYG", "UGX",
    ] {
        assert_eq!(Currency::parse(zero).unwrap().exponent(), 0, "{zero}");
        assert_eq!(
            Currency::parse(zero).unwrap().minor_per_major(),
            1,
            "{zero}"
        );
    }
    for three in ["BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD"] {
        assert_eq!(Currency::parse(three).unwrap().exponent(), 3, "{three}");
        assert_eq!(
            Currency::parse(three).unwrap().minor_per_major(),
            1000,
            "{three}"
        );
    }
    assert_eq!(Currency::NOK.minor_per_major(), 100);
}

#[test]
fn currency_display_and_serde() {
    assert_eq!(Currency::NOK.to_string(), "NOK");
    assert_eq!(String::from(Currency::EUR), "EUR");
    assert_eq!(serde_json::to_string(&Currency::NOK).unwrap(), "\"NOK\"");
    let c: Currency = serde_json::from_str("\"sek\"").unwrap();
    assert_eq!(c.code(), "SEK");
    assert!(serde_json::from_str::<Currency>("\"NOKK\"").is_err());
    assert!(serde_json::from_str::<Currency>("42").is_err());
}

// ---------------------------------------------------------------------------------------------
// Amount

#[test]
fn amount_bounds() {
    assert_eq!(Amount::new(0), Ok(Amount::ZERO));
    assert_eq!(Amount::new(1).unwrap().minor(), 1);
    assert_eq!(Amount::new(Amount::MAX).unwrap().minor(), Amount::MAX);
    assert_eq!(Amount::new(-1), Err(MoneyError::Negative));
    assert_eq!(Amount::new(i64::MIN), Err(MoneyError::Negative));
    assert_eq!(Amount::new(Amount::MAX + 1), Err(MoneyError::Overflow));
    assert_eq!(Amount::new(i64::MAX), Err(MoneyError::Overflow));
    assert_eq!(Amount::default(), Amount::ZERO);
}

#[test]
fn amount_conversions_and_serde() {
    assert_eq!(Amount::try_from(4500i64), Ok(a(4500)));
    assert_eq!(Amount::try_from(-1i64), Err(MoneyError::Negative));
    assert_eq!(i64::from(a(4500)), 4500);
    assert_eq!(serde_json::to_string(&a(4500)).unwrap(), "4500");
    assert_eq!(serde_json::from_str::<Amount>("4500").unwrap(), a(4500));
    assert!(serde_json::from_str::<Amount>("-1").is_err());
    assert!(serde_json::from_str::<Amount>("1000000001").is_err());
    assert!(serde_json::from_str::<Amount>("45.5").is_err());
}

#[test]
fn amount_ordering() {
    assert!(a(1) < a(2));
    assert!(Amount::ZERO < a(1));
    assert_eq!(a(5).max(a(3)), a(5));
}

#[test]
fn amount_arithmetic_stays_within_bounds() {
    assert_eq!(a(4500).checked_add(a(500)), Some(a(5000)));
    assert_eq!(a(4500).checked_mul(3), Some(a(13500)));
    assert_eq!(a(4500).checked_mul(0), Some(Amount::ZERO));
    assert_eq!(
        a(Amount::MAX).checked_add(Amount::ZERO),
        Some(a(Amount::MAX))
    );
    assert_eq!(a(Amount::MAX).checked_mul(1), Some(a(Amount::MAX)));
    // An Amount above MAX must never exist: the sums refuse instead.
    assert_eq!(a(Amount::MAX).checked_add(a(1)), None);
    assert_eq!(a(Amount::MAX).checked_mul(2), None);
    assert_eq!(a(Amount::MAX).checked_mul(u32::MAX), None);
}

// ---------------------------------------------------------------------------------------------
// Money

#[test]
fn money_display() {
    assert_eq!(Money::new(a(4550), Currency::NOK).to_string(), "45.50 NOK");
    assert_eq!(Money::new(a(4500), Currency::NOK).to_string(), "45.00 NOK");
    assert_eq!(Money::new(a(5), Currency::NOK).to_string(), "0.05 NOK");
    assert_eq!(Money::new(a(0), Currency::EUR).to_string(), "0.00 EUR");
    assert_eq!(
        Money::new(a(100_000), Currency::USD).to_string(),
        "1000.00 USD"
    );
    let jpy = Currency::parse("JPY").unwrap();
    assert_eq!(Money::new(a(1500), jpy).to_string(), "1500 JPY");
    assert_eq!(Money::new(a(0), jpy).to_string(), "0 JPY");
    let kwd = Currency::parse("KWD").unwrap();
    assert_eq!(Money::new(a(1234), kwd).to_string(), "1.234 KWD");
    assert_eq!(Money::new(a(5), kwd).to_string(), "0.005 KWD");
}

#[test]
fn money_add() {
    let nok = |v| Money::new(a(v), Currency::NOK);
    assert_eq!(nok(4500).checked_add(nok(550)), Ok(nok(5050)));
    assert_eq!(
        nok(4500).checked_add(Money::new(a(1), Currency::EUR)),
        Err(MoneyError::Mismatch(Currency::NOK, Currency::EUR))
    );
    assert_eq!(
        nok(Amount::MAX).checked_add(nok(1)),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn money_mismatch_message_names_both() {
    let e = MoneyError::Mismatch(Currency::NOK, Currency::EUR);
    assert_eq!(e.to_string(), "currencies differ (NOK and EUR)");
}

#[test]
fn money_major_ceil() {
    let nok = |v| Money::new(a(v), Currency::NOK);
    assert_eq!(nok(0).major_ceil(), 0);
    assert_eq!(nok(1).major_ceil(), 1);
    assert_eq!(nok(4500).major_ceil(), 45);
    assert_eq!(nok(4501).major_ceil(), 46);
    assert_eq!(nok(4599).major_ceil(), 46);
    let jpy = Currency::parse("JPY").unwrap();
    assert_eq!(Money::new(a(1500), jpy).major_ceil(), 1500);
}

#[test]
fn money_serde_shape() {
    let m = Money::new(a(4550), Currency::NOK);
    let v = serde_json::to_value(m).unwrap();
    assert_eq!(v, serde_json::json!({"amount": 4550, "currency": "NOK"}));
    assert_eq!(serde_json::from_value::<Money>(v).unwrap(), m);
    assert!(
        serde_json::from_value::<Money>(serde_json::json!({"amount": -1, "currency": "NOK"}))
            .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// Name

#[test]
fn name_is_trimmed() {
    assert_eq!(Name::parse("  Latte  ").unwrap().as_str(), "Latte");
    assert_eq!(Name::parse("\tLatte\n").unwrap().as_str(), "Latte");
    assert_eq!(
        Name::parse("Caffè latte").unwrap().to_string(),
        "Caffè latte"
    );
}

#[test]
fn name_must_not_be_empty() {
    assert_eq!(Name::parse(""), Err(TextError::Empty));
    assert_eq!(Name::parse("   "), Err(TextError::Empty));
    assert_eq!(Name::parse("\n\t"), Err(TextError::Empty));
}

#[test]
fn name_length_is_counted_in_characters() {
    assert!(Name::parse(&"a".repeat(100)).is_ok());
    assert!(Name::parse(&"ø".repeat(100)).is_ok()); // 200 bytes, 100 characters
    assert_eq!(
        Name::parse(&"a".repeat(101)),
        Err(TextError::TooLong { max: 100, got: 101 })
    );
    assert_eq!(
        Name::parse(&"ø".repeat(101)),
        Err(TextError::TooLong { max: 100, got: 101 })
    );
    // Surrounding whitespace does not count.
    assert!(Name::parse(&format!("  {}  ", "a".repeat(100))).is_ok());
}

#[test]
fn name_rejects_control_characters_inside() {
    assert_eq!(Name::parse("Lat\nte"), Err(TextError::Control));
    assert_eq!(Name::parse("Lat\tte"), Err(TextError::Control));
    assert_eq!(Name::parse("Lat\u{0}te"), Err(TextError::Control));
    assert_eq!(Name::parse("Lat\u{7f}te"), Err(TextError::Control));
    assert_eq!(Name::parse("Lat\u{9b}te"), Err(TextError::Control));
}

#[test]
fn name_serde_validates() {
    let n: Name = serde_json::from_str("\" Latte \"").unwrap();
    assert_eq!(n.as_str(), "Latte");
    assert_eq!(serde_json::to_string(&n).unwrap(), "\"Latte\"");
    assert!(serde_json::from_str::<Name>("\"\"").is_err());
    assert!(serde_json::from_str::<Name>("\"a\\u0000b\"").is_err());
    assert_eq!(String::from(n), "Latte");
}

#[test]
fn text_error_messages() {
    assert_eq!(
        TextError::TooLong { max: 100, got: 101 }.to_string(),
        "must be at most 100 characters (got 101)"
    );
    assert_eq!(TextError::Empty.to_string(), "must not be empty");
}

// ---------------------------------------------------------------------------------------------
// Notes

#[test]
fn notes_empty_means_none() {
    assert_eq!(Notes::parse(""), Ok(None));
    assert_eq!(Notes::parse("   "), Ok(None));
    assert_eq!(Notes::parse("\n\n"), Ok(None));
}

#[test]
fn notes_are_trimmed() {
    assert_eq!(
        Notes::parse("  extra hot ").unwrap().unwrap().as_str(),
        "extra hot"
    );
}

#[test]
fn notes_length_limit() {
    assert!(Notes::parse(&"a".repeat(200)).unwrap().is_some());
    assert!(Notes::parse(&"é".repeat(200)).unwrap().is_some());
    assert_eq!(
        Notes::parse(&"a".repeat(201)),
        Err(TextError::TooLong { max: 200, got: 201 })
    );
    assert!(Notes::parse(&format!("  {}  ", "a".repeat(200)))
        .unwrap()
        .is_some());
}

#[test]
fn notes_allow_newlines_but_not_other_controls() {
    assert_eq!(
        Notes::parse("extra hot\nno lid").unwrap().unwrap().as_str(),
        "extra hot\nno lid"
    );
    assert_eq!(Notes::parse("extra\u{0}hot"), Err(TextError::Control));
    assert_eq!(Notes::parse("extra\u{7}hot"), Err(TextError::Control));
    assert_eq!(Notes::parse("extra\thot"), Err(TextError::Control));
}

#[test]
fn notes_accept_windows_line_breaks_as_newlines() {
    // Browsers submit a textarea's line breaks as CRLF; they are newlines, not control junk.
    assert_eq!(
        Notes::parse("extra hot\r\nno lid")
            .unwrap()
            .unwrap()
            .as_str(),
        "extra hot\nno lid"
    );
    assert_eq!(Notes::parse("a\rb").unwrap().unwrap().as_str(), "a\nb");
    // The limit counts the normalised text.
    // 99 + CRLF + 100 is 201 characters as sent and 200 once the CRLF is one newline.
    let sent = format!("{}\r\n{}", "a".repeat(99), "b".repeat(100));
    assert_eq!(sent.chars().count(), 201);
    assert_eq!(
        Notes::parse(&sent)
            .unwrap()
            .unwrap()
            .as_str()
            .chars()
            .count(),
        200
    );
    assert_eq!(
        Notes::parse(&format!("{sent}c")),
        Err(TextError::TooLong { max: 200, got: 201 })
    );
}

#[test]
fn notes_serde_is_a_plain_string_and_validates() {
    let n = Notes::parse("extra hot").unwrap().unwrap();
    assert_eq!(serde_json::to_string(&n).unwrap(), "\"extra hot\"");
    let back: Notes = serde_json::from_str("\"extra hot\"").unwrap();
    assert_eq!(back, n);
    assert!(serde_json::from_str::<Notes>(&format!("\"{}\"", "a".repeat(201))).is_err());
    assert!(serde_json::from_str::<Notes>("\"a\\u0000b\"").is_err());
    assert!(serde_json::from_str::<Notes>("\"  \"").is_err());
}

// ---------------------------------------------------------------------------------------------
// LabelColor

#[test]
fn label_color_is_normalised_to_lower_case() {
    assert_eq!(LabelColor::parse("#3B82F6").unwrap().as_str(), "#3b82f6");
    assert_eq!(LabelColor::parse("#CCC").unwrap().as_str(), "#ccc");
    assert_eq!(LabelColor::parse(" #abc ").unwrap().as_str(), "#abc");
    assert_eq!(LabelColor::parse("#000000").unwrap().as_str(), "#000000");
}

#[test]
fn label_color_rejects_other_forms() {
    for bad in [
        "",
        "#",
        "abc",
        "3b82f6",
        "#ab",
        "#abcd",
        "#abcde",
        "#abcdefa",
        "#ggg",
        "#12345g",
        "red",
        "rgb(0,0,0)",
        "##abc",
        "#ａｂｃ",
        "# abc",
    ] {
        assert_eq!(LabelColor::parse(bad), Err(TextError::Colour), "{bad:?}");
    }
}

#[test]
fn label_color_serde() {
    let c: LabelColor = serde_json::from_str("\"#ABC\"").unwrap();
    assert_eq!(c.as_str(), "#abc");
    assert_eq!(serde_json::to_string(&c).unwrap(), "\"#abc\"");
    assert!(serde_json::from_str::<LabelColor>("\"blue\"").is_err());
    assert_eq!(String::from(c), "#abc");
}

// ---------------------------------------------------------------------------------------------
// IdempotencyKey

#[test]
fn idempotency_key_accepts_visible_ascii() {
    assert_eq!(
        IdempotencyKey::parse("abc-123").unwrap().as_str(),
        "abc-123"
    );
    assert!(IdempotencyKey::parse("550e8400-e29b-41d4-a716-446655440000").is_ok());
    assert!(IdempotencyKey::parse("!~").is_ok());
    assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
}

#[test]
fn idempotency_key_rejects() {
    for bad in [
        String::new(),
        "k".repeat(256),
        "has space".to_owned(),
        " lead".to_owned(),
        "tab\there".to_owned(),
        "nøkkel".to_owned(),
        "nl\n".to_owned(),
        "del\u{7f}".to_owned(),
    ] {
        assert_eq!(IdempotencyKey::parse(&bad), Err(TextError::Key), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #[test]
    fn amount_new_accepts_exactly_the_range(v in any::<i64>()) {
        let r = Amount::new(v);
        if (0..=Amount::MAX).contains(&v) {
            prop_assert_eq!(r.map(Amount::minor), Ok(v));
        } else if v < 0 {
            prop_assert_eq!(r, Err(MoneyError::Negative));
        } else {
            prop_assert_eq!(r, Err(MoneyError::Overflow));
        }
    }

    #[test]
    fn amount_add_matches_integers(x in 0..=Amount::MAX, y in 0..=Amount::MAX) {
        let got = a(x).checked_add(a(y)).map(Amount::minor);
        let want = Some(x + y).filter(|s| *s <= Amount::MAX);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn amount_mul_matches_integers(x in 0..=Amount::MAX, n in any::<u32>()) {
        let got = a(x).checked_mul(n).map(Amount::minor);
        let want = x.checked_mul(i64::from(n)).filter(|s| *s <= Amount::MAX);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn money_display_round_trips_for_two_decimals(v in 0..=Amount::MAX) {
        let s = Money::new(a(v), Currency::NOK).to_string();
        let number = s.strip_suffix(" NOK").unwrap();
        let (major, minor) = number.split_once('.').unwrap();
        prop_assert_eq!(minor.len(), 2);
        prop_assert_eq!(major.parse::<i64>().unwrap() * 100 + minor.parse::<i64>().unwrap(), v);
    }

    #[test]
    fn major_ceil_is_ceiling(v in 0..=Amount::MAX) {
        let k = Money::new(a(v), Currency::NOK).major_ceil();
        prop_assert!(k * 100 >= v && (k - 1) * 100 < v || (v == 0 && k == 0));
    }

    #[test]
    fn currency_parse_is_case_insensitive_for_letters(s in "[a-zA-Z]{3}") {
        let c = Currency::parse(&s).unwrap();
        prop_assert_eq!(c.code(), s.to_ascii_uppercase());
        prop_assert_eq!(Currency::parse(c.code()), Ok(c));
    }

    #[test]
    fn name_parse_is_idempotent(s in "\\PC{0,120}") {
        if let Ok(n) = Name::parse(&s) {
            prop_assert_eq!(Name::parse(n.as_str()), Ok(n.clone()));
            prop_assert!(n.as_str().chars().count() <= Name::MAX);
            prop_assert_eq!(n.as_str(), n.as_str().trim());
            prop_assert!(!n.as_str().is_empty());
        }
    }

    #[test]
    fn notes_parse_is_idempotent(s in "[ a-z\\n\\r\\t]{0,230}") {
        if let Ok(Some(n)) = Notes::parse(&s) {
            prop_assert_eq!(Notes::parse(n.as_str()), Ok(Some(n.clone())));
            prop_assert!(n.as_str().chars().count() <= Notes::MAX);
            prop_assert!(!n.as_str().contains('\r'));
        }
    }

    #[test]
    fn label_color_accepts_all_hex_forms(h in "[0-9a-fA-F]{3}|[0-9a-fA-F]{6}") {
        let c = LabelColor::parse(&format!("#{h}")).unwrap();
        prop_assert_eq!(c.as_str(), format!("#{}", h.to_ascii_lowercase()));
    }

    #[test]
    fn idempotency_key_accepts_exactly_visible_ascii(s in "[\\x21-\\x7e]{1,255}") {
        let k = IdempotencyKey::parse(&s).unwrap();
        prop_assert_eq!(k.as_str(), s.as_str());
    }
}

#[test]
fn email_is_trimmed_and_lower_cased() {
    let e = Email::parse("  Ola.Nordmann@Example.ORG ").unwrap();
    assert_eq!(e.as_str(), "ola.nordmann@example.org");
    assert_eq!(e.to_string(), "ola.nordmann@example.org");
    assert_eq!(
        Email::parse("admin@localhost").unwrap().as_str(),
        "admin@localhost"
    );
}

#[test]
fn email_refuses_what_is_not_one_address() {
    for bad in [
        "ola",
        "@example.org",
        "ola@",
        "ola@@example.org",
        "ola@exa@mple.org",
        "ola nordmann@example.org",
        "ola@exam\nple.org",
        "ola\u{0}@example.org",
        "ola\u{a0}@example.org",
    ] {
        assert_eq!(Email::parse(bad), Err(TextError::Email), "{bad:?}");
    }
    assert_eq!(Email::parse("   "), Err(TextError::Empty));
    let long = format!("{}@example.org", "a".repeat(160));
    assert_eq!(
        Email::parse(&long),
        Err(TextError::TooLong { max: 160, got: 172 })
    );
    let exact = format!("{}@example.org", "a".repeat(148));
    assert!(Email::parse(&exact).is_ok());
}
