//! Day numbers and the café's local day.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use crema_core::day::{day_bounds, local_date, parse_tz, DayError, DayNumber, FirstNumber};
use proptest::prelude::*;

fn first(n: u32) -> FirstNumber {
    FirstNumber::new(n).unwrap()
}

fn num(n: u32) -> DayNumber {
    DayNumber::new(n).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const OSLO: Tz = chrono_tz::Europe::Oslo;

// ---------------------------------------------------------------------------------------------
// DayNumber::next

#[test]
fn first_order_of_the_day_gets_the_first_number() {
    assert_eq!(DayNumber::next(first(101), None), Ok(num(101)));
    assert_eq!(DayNumber::next(FirstNumber::default(), None), Ok(num(101)));
    assert_eq!(DayNumber::next(first(1), None), Ok(num(1)));
    assert_eq!(
        DayNumber::next(first(FirstNumber::MAX), None),
        Ok(num(FirstNumber::MAX))
    );
}

#[test]
fn next_follows_the_last() {
    assert_eq!(DayNumber::next(first(101), Some(num(101))), Ok(num(102)));
    assert_eq!(DayNumber::next(first(101), Some(num(150))), Ok(num(151)));
}

#[test]
fn raising_the_first_number_mid_day_jumps_ahead() {
    assert_eq!(DayNumber::next(first(500), Some(num(120))), Ok(num(500)));
    assert_eq!(DayNumber::next(first(500), Some(num(499))), Ok(num(500)));
    assert_eq!(DayNumber::next(first(500), Some(num(500))), Ok(num(501)));
}

#[test]
fn lowering_the_first_number_mid_day_never_reuses_numbers() {
    assert_eq!(DayNumber::next(first(1), Some(num(150))), Ok(num(151)));
}

#[test]
fn next_after_the_maximum_is_an_error() {
    assert_eq!(
        DayNumber::next(first(101), Some(num(DayNumber::MAX))),
        Err(DayError::Range {
            min: 1,
            max: DayNumber::MAX
        })
    );
    assert_eq!(
        DayNumber::next(first(101), Some(num(DayNumber::MAX - 1))),
        Ok(num(DayNumber::MAX))
    );
}

#[test]
fn day_number_bounds() {
    assert!(DayNumber::new(0).is_err());
    assert_eq!(DayNumber::new(1).map(DayNumber::get), Ok(1));
    assert_eq!(
        DayNumber::new(DayNumber::MAX).map(u32::from),
        Ok(DayNumber::MAX)
    );
    assert_eq!(
        DayNumber::new(DayNumber::MAX + 1),
        Err(DayError::Range {
            min: 1,
            max: DayNumber::MAX
        })
    );
    assert!(DayNumber::try_from(u32::MAX).is_err());
    assert_eq!(num(101).to_string(), "101");
    assert!(num(101) < num(102));
}

#[test]
fn first_number_bounds() {
    assert_eq!(FirstNumber::KAFFEBASE.get(), 101);
    assert_eq!(FirstNumber::default(), FirstNumber::KAFFEBASE);
    assert!(FirstNumber::new(0).is_err());
    assert_eq!(FirstNumber::new(1).map(u32::from), Ok(1));
    assert_eq!(FirstNumber::new(9_999).map(FirstNumber::get), Ok(9_999));
    assert_eq!(
        FirstNumber::new(10_000),
        Err(DayError::Range { min: 1, max: 9_999 })
    );
    assert_eq!(
        DayError::Range { min: 1, max: 9_999 }.to_string(),
        "must be between 1 and 9999"
    );
}

#[test]
fn serde_validates_numbers() {
    assert_eq!(serde_json::to_string(&num(101)).unwrap(), "101");
    assert_eq!(serde_json::from_str::<DayNumber>("101").unwrap(), num(101));
    assert!(serde_json::from_str::<DayNumber>("0").is_err());
    assert!(serde_json::from_str::<DayNumber>("1000000").is_err());
    assert!(serde_json::from_str::<DayNumber>("-1").is_err());
    assert_eq!(
        serde_json::from_str::<FirstNumber>("500").unwrap(),
        first(500)
    );
    assert!(serde_json::from_str::<FirstNumber>("0").is_err());
    assert!(serde_json::from_str::<FirstNumber>("10000").is_err());
}

// ---------------------------------------------------------------------------------------------
// Local dates

#[test]
fn oslo_summer_midnight() {
    // 22:30 UTC is 00:30 CEST the next day: the order belongs to 1 July in Oslo (Kaffebase
    // put it on 30 June, the UTC day).
    assert_eq!(
        local_date(OSLO, utc("2026-06-30T22:30:00Z")),
        date(2026, 7, 1)
    );
    assert_eq!(
        local_date(OSLO, utc("2026-06-30T21:59:59Z")),
        date(2026, 6, 30)
    );
    assert_eq!(
        local_date(OSLO, utc("2026-06-30T22:00:00Z")),
        date(2026, 7, 1)
    );
}

#[test]
fn oslo_winter_midnight() {
    assert_eq!(
        local_date(OSLO, utc("2026-01-31T22:59:59Z")),
        date(2026, 1, 31)
    );
    assert_eq!(
        local_date(OSLO, utc("2026-01-31T23:00:00Z")),
        date(2026, 2, 1)
    );
    assert_eq!(
        local_date(OSLO, utc("2026-01-31T23:30:00Z")),
        date(2026, 2, 1)
    );
}

#[test]
fn new_years_eve() {
    assert_eq!(
        local_date(OSLO, utc("2025-12-31T23:00:00Z")),
        date(2026, 1, 1)
    );
    assert_eq!(
        local_date(chrono_tz::UTC, utc("2025-12-31T23:00:00Z")),
        date(2025, 12, 31)
    );
}

#[test]
fn zones_west_of_utc() {
    let ny = chrono_tz::America::New_York;
    // 03:00 UTC is 23:00 EDT the day before.
    assert_eq!(
        local_date(ny, utc("2026-07-01T03:00:00Z")),
        date(2026, 6, 30)
    );
    assert_eq!(
        local_date(ny, utc("2026-07-01T04:00:00Z")),
        date(2026, 7, 1)
    );
}

// ---------------------------------------------------------------------------------------------
// Day bounds

#[test]
fn an_ordinary_oslo_day_is_24_hours_from_local_midnight() {
    let (s, e) = day_bounds(OSLO, date(2026, 7, 1));
    assert_eq!(s, utc("2026-06-30T22:00:00Z"));
    assert_eq!(e, utc("2026-07-01T22:00:00Z"));
    let (s, e) = day_bounds(OSLO, date(2026, 1, 15));
    assert_eq!(s, utc("2026-01-14T23:00:00Z"));
    assert_eq!(e - s, Duration::hours(24));
}

#[test]
fn spring_forward_day_is_23_hours() {
    // 2026-03-29: clocks go from 02:00 to 03:00 in Oslo.
    let (s, e) = day_bounds(OSLO, date(2026, 3, 29));
    assert_eq!(s, utc("2026-03-28T23:00:00Z"));
    assert_eq!(e, utc("2026-03-29T22:00:00Z"));
    assert_eq!(e - s, Duration::hours(23));
}

#[test]
fn fall_back_day_is_25_hours() {
    // 2026-10-25: clocks go from 03:00 back to 02:00 in Oslo.
    let (s, e) = day_bounds(OSLO, date(2026, 10, 25));
    assert_eq!(s, utc("2026-10-24T22:00:00Z"));
    assert_eq!(e, utc("2026-10-25T23:00:00Z"));
    assert_eq!(e - s, Duration::hours(25));
}

#[test]
fn a_day_whose_midnight_does_not_exist_starts_when_the_clock_jumps() {
    // Cuba moves its clocks from 00:00 to 01:00: 2024-03-10 has no local midnight.
    let havana = chrono_tz::America::Havana;
    let (s, e) = day_bounds(havana, date(2024, 3, 10));
    assert_eq!(s, utc("2024-03-10T05:00:00Z")); // 00:00 CST = 01:00 CDT
    assert_eq!(e, utc("2024-03-11T04:00:00Z"));
    assert_eq!(e - s, Duration::hours(23));
    assert_eq!(local_date(havana, s), date(2024, 3, 10));
    assert_eq!(
        local_date(havana, s - Duration::seconds(1)),
        date(2024, 3, 9)
    );
}

#[test]
fn a_day_whose_midnight_happens_twice_starts_at_the_first() {
    // Cuba moves its clocks back from 01:00 to 00:00: 2024-11-03 has midnight twice.
    let havana = chrono_tz::America::Havana;
    let (s, e) = day_bounds(havana, date(2024, 11, 3));
    assert_eq!(s, utc("2024-11-03T04:00:00Z")); // 00:00 CDT
    assert_eq!(e, utc("2024-11-04T05:00:00Z"));
    assert_eq!(e - s, Duration::hours(25));
}

#[test]
fn bounds_contain_exactly_the_local_day() {
    let (s, e) = day_bounds(OSLO, date(2026, 6, 30));
    assert_eq!(local_date(OSLO, s), date(2026, 6, 30));
    assert_eq!(
        local_date(OSLO, e - Duration::seconds(1)),
        date(2026, 6, 30)
    );
    assert_eq!(local_date(OSLO, e), date(2026, 7, 1));
    assert_eq!(
        local_date(OSLO, s - Duration::seconds(1)),
        date(2026, 6, 29)
    );
}

#[test]
fn consecutive_days_tile_without_gaps() {
    let mut d = date(2026, 1, 1);
    let mut prev_end = day_bounds(OSLO, d).0;
    while d < date(2027, 1, 1) {
        let (s, e) = day_bounds(OSLO, d);
        assert_eq!(s, prev_end, "{d}");
        assert!(e > s);
        prev_end = e;
        d = d.succ_opt().unwrap();
    }
}

#[test]
fn utc_days_are_utc_midnights() {
    let (s, e) = day_bounds(chrono_tz::UTC, date(2026, 7, 1));
    assert_eq!(s, Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap());
    assert_eq!(e, Utc.with_ymd_and_hms(2026, 7, 2, 0, 0, 0).unwrap());
}

/// Zones with DST changes at midnight, odd offsets or skipped days, as well as ordinary ones.
const AWKWARD_ZONES: [Tz; 20] = [
    chrono_tz::Europe::Oslo,
    chrono_tz::UTC,
    chrono_tz::America::New_York,
    chrono_tz::America::Havana,
    chrono_tz::America::Santiago,
    chrono_tz::America::Asuncion,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::America::St_Johns,
    chrono_tz::Asia::Beirut,
    chrono_tz::Asia::Damascus,
    chrono_tz::Asia::Amman,
    chrono_tz::Asia::Gaza,
    chrono_tz::Asia::Tehran,
    chrono_tz::Africa::Cairo,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Chatham,
    chrono_tz::Pacific::Apia,
    chrono_tz::Pacific::Kiritimati,
    chrono_tz::Asia::Tokyo,
];

#[test]
fn every_day_of_fifty_years_in_awkward_zones() {
    for tz in AWKWARD_ZONES {
        let mut d = date(2000, 1, 1);
        let mut prev_end = day_bounds(tz, d).0;
        while d < date(2050, 1, 1) {
            let (s, e) = day_bounds(tz, d);
            assert_eq!(
                s, prev_end,
                "{d} in {tz}: does not start where the day before ended"
            );
            if s == e {
                // A skipped day (Samoa jumped over 2011-12-30): no instant belongs to it.
                assert_ne!(local_date(tz, s), d, "{d} in {tz}");
            } else {
                assert_eq!(local_date(tz, s), d, "{d} in {tz}: start {s}");
                assert_eq!(
                    local_date(tz, e - Duration::seconds(1)),
                    d,
                    "{d} in {tz}: end {e}"
                );
                let minutes = (e - s).num_minutes();
                assert!(
                    (22 * 60..=26 * 60).contains(&minutes),
                    "{d} in {tz} is {minutes} min"
                );
            }
            assert!(local_date(tz, s - Duration::seconds(1)) < d, "{d} in {tz}");
            prev_end = e;
            d = d.succ_opt().unwrap();
        }
    }
}

#[test]
fn samoa_skipped_a_day() {
    // Samoa crossed the date line: 2011-12-29 was followed by 2011-12-31.
    let apia = chrono_tz::Pacific::Apia;
    let (s, e) = day_bounds(apia, date(2011, 12, 30));
    assert_eq!(s, e);
    assert_eq!(day_bounds(apia, date(2011, 12, 29)).1, s);
    assert_eq!(day_bounds(apia, date(2011, 12, 31)).0, s);
}

#[test]
fn day_bounds_at_the_ends_of_the_calendar_do_not_panic() {
    for tz in AWKWARD_ZONES {
        let (s, e) = day_bounds(tz, NaiveDate::MAX);
        assert!(s <= e);
        let (s, e) = day_bounds(tz, NaiveDate::MIN);
        assert!(s <= e);
    }
}

// ---------------------------------------------------------------------------------------------
// parse_tz

#[test]
fn parse_tz_accepts_iana_names() {
    assert_eq!(parse_tz("Europe/Oslo"), Ok(OSLO));
    assert_eq!(parse_tz("  Europe/Oslo "), Ok(OSLO));
    assert_eq!(parse_tz("UTC"), Ok(chrono_tz::UTC));
    assert_eq!(
        parse_tz("America/New_York"),
        Ok(chrono_tz::America::New_York)
    );
}

#[test]
fn parse_tz_errors() {
    for bad in [
        "",
        "   ",
        "Europe/Olso",
        "Oslo",
        "Mars/Olympus_Mons",
        "+02:00",
        "CEST",
    ] {
        assert_eq!(parse_tz(bad), Err(DayError::TimeZone), "{bad:?}");
    }
    assert_eq!(
        DayError::TimeZone.to_string(),
        "is not a known time zone (use an IANA name such as Europe/Oslo)"
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(vec![
        chrono_tz::Europe::Oslo,
        chrono_tz::UTC,
        chrono_tz::America::New_York,
        chrono_tz::America::Havana,
        chrono_tz::America::Santiago,
        chrono_tz::America::St_Johns,
        chrono_tz::Asia::Tokyo,
        chrono_tz::Asia::Kolkata,
        chrono_tz::Asia::Kathmandu,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Pacific::Chatham,
        chrono_tz::Pacific::Kiritimati,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn next_is_never_below_first_and_always_above_last(
        f in 1u32..=FirstNumber::MAX,
        last in prop::option::of(1u32..DayNumber::MAX),
    ) {
        let n = DayNumber::next(first(f), last.map(num)).unwrap().get();
        prop_assert!(n >= f);
        if let Some(l) = last {
            prop_assert!(n > l);
            prop_assert_eq!(n, (l + 1).max(f));
        } else {
            prop_assert_eq!(n, f);
        }
    }

    #[test]
    fn a_run_of_orders_is_numbered_consecutively(f in 1u32..=FirstNumber::MAX, count in 1usize..300) {
        let mut last = None;
        for k in 0..count {
            let n = DayNumber::next(first(f), last).unwrap();
            prop_assert_eq!(n.get(), f + k as u32);
            last = Some(n);
        }
    }

    #[test]
    fn every_instant_lies_within_the_bounds_of_its_local_day(
        tz in zone(),
        secs in 946_684_800i64..2_524_608_000, // 2000-01-01 .. 2050-01-01
    ) {
        let at = DateTime::from_timestamp(secs, 0).unwrap();
        let d = local_date(tz, at);
        let (s, e) = day_bounds(tz, d);
        prop_assert!(s <= at && at < e, "{at} not in [{s}, {e}) for {d} in {tz}");
        let hours = (e - s).num_minutes();
        prop_assert!((22 * 60..=26 * 60).contains(&hours), "{d} in {tz} is {hours} minutes");
    }

    #[test]
    fn day_bounds_start_on_their_date_and_tile(
        tz in zone(),
        days in 0i64..18_000,
    ) {
        let d = date(2000, 1, 1) + Duration::days(days);
        let (s, e) = day_bounds(tz, d);
        prop_assert_eq!(local_date(tz, s), d);
        prop_assert_eq!(local_date(tz, e - Duration::seconds(1)), d);
        prop_assert!(local_date(tz, s - Duration::seconds(1)) < d);
        let next = d.succ_opt().unwrap();
        prop_assert_eq!(day_bounds(tz, next).0, e);
    }
}
