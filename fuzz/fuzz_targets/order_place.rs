//! Order placement from structured input: arbitrary lines (ids mostly near the fixed menu's,
//! sometimes anything), quantities, notes and modifier picks go through crema-core's
//! `order::place` and pricing. Whatever the input: no panic, and either a valid order whose
//! total is the sum of its correctly priced lines, or a rejection whose every error names a
//! real field of the request (see `crema_fuzz::check_placement`).
#![no_main]

use arbitrary::Arbitrary;
use crema_core::id::{GroupId, ItemId, OptionId};
use crema_core::order::{place, LineRequest, SelectionRequest, MAX_LINES};
use crema_fuzz::{check_placement, menu, rounding, MAX_MENU_ID};
use libfuzzer_sys::fuzz_target;

/// An id: usually one near the menu's (including 0, -1 and a few past the end), else any.
#[derive(Debug, Arbitrary)]
enum Id {
    Near(u8),
    Any(i64),
}

impl Id {
    fn get(&self) -> i64 {
        match self {
            Id::Near(n) => i64::from(*n) % (MAX_MENU_ID + 3) - 1,
            Id::Any(v) => *v,
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Quantity {
    /// -5..=55: both edges of 1..=50.
    Near(u8),
    Any(i64),
}

#[derive(Debug, Arbitrary)]
enum NotesInput {
    Text(String),
    /// One character many times, to cross the length limit (in characters, not bytes).
    Repeat(char, u16),
}

#[derive(Debug, Arbitrary)]
struct Selection {
    group: Id,
    options: Vec<Id>,
}

#[derive(Debug, Arbitrary)]
struct Line {
    item: Id,
    quantity: Quantity,
    notes: Option<NotesInput>,
    modifiers: Vec<Selection>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    open: bool,
    rounding: u8,
    lines: Vec<Line>,
    /// Repeat the lines up to around the line limit (95-104 lines), which the byte budget
    /// of a fuzz input would rarely reach otherwise.
    pad_to_limit: Option<u8>,
}

fn request(line: &Line) -> LineRequest {
    LineRequest {
        item_id: ItemId(line.item.get()),
        quantity: match line.quantity {
            Quantity::Near(q) => i64::from(q) % 61 - 5,
            Quantity::Any(q) => q,
        },
        notes: line.notes.as_ref().map(|n| match n {
            NotesInput::Text(s) => s.clone(),
            NotesInput::Repeat(c, n) => std::iter::repeat_n(*c, usize::from(*n % 512)).collect(),
        }),
        modifiers: line
            .modifiers
            .iter()
            .map(|s| SelectionRequest {
                group_id: GroupId(s.group.get()),
                option_ids: s.options.iter().map(|o| OptionId(o.get())).collect(),
            })
            .collect(),
    }
}

fuzz_target!(|input: Input| {
    let menu = menu(rounding(input.rounding));
    let mut lines: Vec<LineRequest> = input.lines.iter().map(request).collect();
    if let (Some(n), false) = (input.pad_to_limit, lines.is_empty()) {
        let target = MAX_LINES - 5 + usize::from(n % 10);
        let mut k = 0;
        while lines.len() < target {
            lines.push(lines[k].clone());
            k += 1;
        }
    }
    let result = place(&menu, input.open, &lines);
    if let Err(broken) = check_placement(&menu, input.open, &lines, &result) {
        panic!("{broken}\nrequest: {lines:?}\nresult: {result:?}");
    }
});
