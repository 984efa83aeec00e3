//! The order workflow: steps as data, forward / undo / cancel / finish, and the undo stack.

use crema_core::workflow::{
    parse_reason, undo_target, Move, MoveKind, StepName, UndoWalk, Workflow, WorkflowError,
    CANCELLED,
};
use proptest::prelude::*;

const R: &str = "received";
const P: &str = "production";
const C: &str = "completed";
const D: &str = "dispatched";

fn wf() -> Workflow {
    Workflow::default()
}

fn mv(kind: MoveKind, from: Option<&str>, to: &str) -> Move {
    Move {
        kind,
        from: from.map(str::to_owned),
        to: to.to_owned(),
    }
}

fn place() -> Move {
    mv(MoveKind::Place, None, R)
}

fn fwd(from: &str, to: &str) -> Move {
    mv(MoveKind::Forward, Some(from), to)
}

fn undo(from: &str, to: &str) -> Move {
    mv(MoveKind::Undo, Some(from), to)
}

fn cancel(from: &str) -> Move {
    mv(MoveKind::Cancel, Some(from), CANCELLED)
}

fn names(w: &Workflow) -> Vec<&str> {
    w.steps().iter().map(StepName::as_str).collect()
}

// ---------------------------------------------------------------------------------------------
// The default workflow

#[test]
fn default_is_kaffediem() {
    assert_eq!(wf(), Workflow::kaffediem());
    assert_eq!(names(&wf()), vec![R, P, C, D]);
    assert_eq!(wf().first().as_str(), R);
    assert_eq!(wf().last().as_str(), D);
    assert_eq!(wf().position(R), Some(0));
    assert_eq!(wf().position(D), Some(3));
    assert_eq!(wf().position(CANCELLED), None);
    assert_eq!(wf().position("bogus"), None);
}

#[test]
fn forward_through_every_step() {
    let w = wf();
    assert_eq!(w.forward(R).unwrap().as_str(), P);
    assert_eq!(w.forward(P).unwrap().as_str(), C);
    assert_eq!(w.forward(C).unwrap().as_str(), D);
    assert_eq!(w.forward(D), Err(WorkflowError::AtEnd(D.to_owned())));
}

#[test]
fn forward_from_cancelled_or_unknown() {
    assert_eq!(wf().forward(CANCELLED), Err(WorkflowError::Cancelled));
    assert_eq!(
        wf().forward("bogus"),
        Err(WorkflowError::UnknownStep("bogus".to_owned()))
    );
    assert_eq!(
        wf().forward("Received"),
        Err(WorkflowError::UnknownStep("Received".to_owned()))
    );
}

#[test]
fn cancel_is_allowed_before_the_last_step() {
    for s in [R, P, C] {
        assert_eq!(wf().cancel(s), Ok(()), "{s}");
    }
}

#[test]
fn cancel_is_refused_at_the_last_step_and_when_cancelled() {
    assert_eq!(
        wf().cancel(D),
        Err(WorkflowError::CancelFinished(D.to_owned()))
    );
    assert_eq!(wf().cancel(CANCELLED), Err(WorkflowError::Cancelled));
    assert_eq!(
        wf().cancel("bogus"),
        Err(WorkflowError::UnknownStep("bogus".to_owned()))
    );
}

// ---------------------------------------------------------------------------------------------
// The undo stack

#[test]
fn nothing_to_undo_after_placing() {
    assert_eq!(undo_target(&[]), None);
    assert_eq!(undo_target(&[place()]), None);
}

#[test]
fn undo_stack_semantics() {
    let mut h = vec![place()];
    h.push(fwd(R, P));
    assert_eq!(undo_target(&h).as_deref(), Some(R));
    h.push(fwd(P, C));
    assert_eq!(undo_target(&h).as_deref(), Some(P));
    h.push(undo(C, P));
    assert_eq!(undo_target(&h).as_deref(), Some(R));
    h.push(undo(P, R));
    assert_eq!(undo_target(&h), None);
}

#[test]
fn undo_after_cancel_restores_the_previous_step() {
    let h = vec![place(), fwd(R, P), cancel(P)];
    assert_eq!(undo_target(&h).as_deref(), Some(P));
    let w = wf();
    assert_eq!(w.decide(CANCELLED, P, &h, false), Ok(MoveKind::Undo));
    // And after that undo, the forward before it can be undone too.
    let h2 = [h.clone(), vec![undo(CANCELLED, P)]].concat();
    assert_eq!(undo_target(&h2).as_deref(), Some(R));
    assert_eq!(w.decide(P, R, &h2, false), Ok(MoveKind::Undo));
}

#[test]
fn undo_after_finish_returns_to_where_the_manager_jumped_from() {
    let h = vec![place(), mv(MoveKind::Finish, Some(R), D)];
    assert_eq!(undo_target(&h).as_deref(), Some(R));
    assert_eq!(wf().decide(D, R, &h, false), Ok(MoveKind::Undo));
}

#[test]
fn redo_after_undo_is_a_forward() {
    let h = vec![place(), fwd(R, P), undo(P, R)];
    assert_eq!(undo_target(&h), None);
    assert_eq!(wf().decide(R, P, &h, false), Ok(MoveKind::Forward));
    let h = [h, vec![fwd(R, P)]].concat();
    assert_eq!(undo_target(&h).as_deref(), Some(R));
}

#[test]
fn placing_again_clears_the_stack() {
    let h = vec![place(), fwd(R, P), place()];
    assert_eq!(undo_target(&h), None);
}

#[test]
fn undo_works_from_a_full_history_not_just_one_tab() {
    // Kaffediem's undo was per browser tab; here any screen sees the same history.
    let h = vec![place(), fwd(R, P), fwd(P, C), fwd(C, D)];
    assert_eq!(wf().decide(D, C, &h, false), Ok(MoveKind::Undo));
}

// ---------------------------------------------------------------------------------------------
// decide()

#[test]
fn decide_forward() {
    let w = wf();
    assert_eq!(w.decide(R, P, &[place()], false), Ok(MoveKind::Forward));
    assert_eq!(
        w.decide(P, C, &[place(), fwd(R, P)], false),
        Ok(MoveKind::Forward)
    );
    let h = [place(), fwd(R, P), fwd(P, C)];
    assert_eq!(w.decide(C, D, &h, false), Ok(MoveKind::Forward));
}

#[test]
fn decide_undo() {
    let h = [place(), fwd(R, P)];
    assert_eq!(wf().decide(P, R, &h, false), Ok(MoveKind::Undo));
}

#[test]
fn decide_refuses_a_backward_move_that_is_not_the_undo() {
    let h = [place(), fwd(R, P), fwd(P, C)];
    assert_eq!(
        wf().decide(C, R, &h, false),
        Err(WorkflowError::Jump {
            from: C.to_owned(),
            to: R.to_owned()
        })
    );
    // Without history there is nothing to undo.
    assert_eq!(
        wf().decide(P, R, &[], false),
        Err(WorkflowError::Jump {
            from: P.to_owned(),
            to: R.to_owned()
        })
    );
}

#[test]
fn decide_refuses_a_jump_forward() {
    for may_finish in [false, true] {
        assert_eq!(
            wf().decide(R, C, &[place()], may_finish),
            Err(WorkflowError::Jump {
                from: R.to_owned(),
                to: C.to_owned()
            })
        );
    }
}

#[test]
fn decide_refuses_staying_put() {
    for s in [R, P, C, D] {
        assert!(matches!(
            wf().decide(s, s, &[place()], true),
            Err(WorkflowError::Jump { .. })
        ));
    }
}

#[test]
fn manager_finish_needs_may_finish() {
    let w = wf();
    assert_eq!(w.decide(R, D, &[place()], true), Ok(MoveKind::Finish));
    assert_eq!(
        w.decide(R, D, &[place()], false),
        Err(WorkflowError::Jump {
            from: R.to_owned(),
            to: D.to_owned()
        })
    );
    // The step before the last is an ordinary forward either way.
    assert_eq!(w.decide(C, D, &[], true), Ok(MoveKind::Forward));
    assert_eq!(w.decide(C, D, &[], false), Ok(MoveKind::Forward));
}

#[test]
fn a_cancelled_order_cannot_be_finished_or_moved_forward() {
    let h = [place(), cancel(R)];
    let w = wf();
    assert!(matches!(
        w.decide(CANCELLED, D, &h, true),
        Err(WorkflowError::Jump { .. })
    ));
    assert!(matches!(
        w.decide(CANCELLED, P, &h, true),
        Err(WorkflowError::Jump { .. })
    ));
    // Only the undo of the cancel.
    assert_eq!(w.decide(CANCELLED, R, &h, false), Ok(MoveKind::Undo));
}

#[test]
fn decide_refuses_unknown_targets() {
    assert_eq!(
        wf().decide(R, "bogus", &[place()], true),
        Err(WorkflowError::UnknownStep("bogus".to_owned()))
    );
    // Cancelling goes through cancel(), with a reason; it is not a target.
    assert_eq!(
        wf().decide(R, CANCELLED, &[place()], true),
        Err(WorkflowError::UnknownStep(CANCELLED.to_owned()))
    );
}

#[test]
fn decide_on_a_custom_workflow() {
    let w = Workflow::new(&["new", "brewing", "done"]).unwrap();
    assert_eq!(
        w.decide("new", "brewing", &[], false),
        Ok(MoveKind::Forward)
    );
    assert_eq!(w.decide("new", "done", &[], true), Ok(MoveKind::Finish));
    assert_eq!(
        w.forward("done"),
        Err(WorkflowError::AtEnd("done".to_owned()))
    );
    assert_eq!(
        w.decide("new", "received", &[], true),
        Err(WorkflowError::UnknownStep("received".to_owned()))
    );
}

#[test]
fn error_messages_are_readable() {
    assert_eq!(
        WorkflowError::Jump {
            from: R.to_owned(),
            to: C.to_owned()
        }
        .to_string(),
        "cannot move from received to completed: only one step forward, or undo"
    );
    assert_eq!(
        WorkflowError::AtEnd(D.to_owned()).to_string(),
        "the order is already at the last step (dispatched)"
    );
}

// ---------------------------------------------------------------------------------------------
// Workflow::new and step names

#[test]
fn new_accepts_valid_workflows() {
    let w = Workflow::new(&["a", "b"]).unwrap();
    assert_eq!(names(&w), vec!["a", "b"]);
    let twelve: Vec<String> = (0..12).map(|i| format!("step_{i}")).collect();
    assert_eq!(Workflow::new(&twelve).unwrap().steps().len(), 12);
    let w = Workflow::new(&[R.to_owned(), P.to_owned(), C.to_owned(), D.to_owned()]).unwrap();
    assert_eq!(w, Workflow::kaffediem());
}

#[test]
fn new_checks_the_step_count() {
    let none: [&str; 0] = [];
    assert_eq!(Workflow::new(&none), Err(WorkflowError::StepCount(12)));
    assert_eq!(Workflow::new(&["only"]), Err(WorkflowError::StepCount(12)));
    let thirteen: Vec<String> = (0..13).map(|i| format!("s{i}")).collect();
    assert_eq!(Workflow::new(&thirteen), Err(WorkflowError::StepCount(12)));
}

#[test]
fn new_checks_names() {
    for bad in [
        "",
        "Received",
        "with space",
        "dash-ed",
        "ø",
        "tab\t",
        &"a".repeat(33),
    ] {
        assert_eq!(
            Workflow::new(&["ok", bad]),
            Err(WorkflowError::StepName(bad.to_owned())),
            "{bad:?}"
        );
    }
    assert!(Workflow::new(&["ok", &"a".repeat(32)]).is_ok());
    assert!(Workflow::new(&["step_1", "2nd"]).is_ok());
}

#[test]
fn new_refuses_duplicates() {
    assert_eq!(
        Workflow::new(&["a", "b", "a"]),
        Err(WorkflowError::Duplicate("a".to_owned()))
    );
}

#[test]
fn new_refuses_the_reserved_name() {
    assert_eq!(
        Workflow::new(&["received", CANCELLED]),
        Err(WorkflowError::Reserved(CANCELLED.to_owned()))
    );
    assert_eq!(
        StepName::parse(CANCELLED),
        Err(WorkflowError::Reserved(CANCELLED.to_owned()))
    );
}

#[test]
fn step_name_parse_and_display() {
    let s = StepName::parse("production").unwrap();
    assert_eq!(s.as_str(), "production");
    assert_eq!(s.to_string(), "production");
    assert_eq!(String::from(s), "production");
    assert_eq!(
        StepName::try_from("Bad".to_owned()),
        Err(WorkflowError::StepName("Bad".to_owned()))
    );
}

#[test]
fn workflow_serde_is_a_list_of_names_and_validates() {
    let v = serde_json::to_value(wf()).unwrap();
    assert_eq!(v, serde_json::json!([R, P, C, D]));
    let back: Workflow = serde_json::from_value(v).unwrap();
    assert_eq!(back, wf());
    assert!(serde_json::from_value::<Workflow>(serde_json::json!(["a"])).is_err());
    assert!(serde_json::from_value::<Workflow>(serde_json::json!(["a", "a"])).is_err());
    assert!(serde_json::from_value::<Workflow>(serde_json::json!(["a", "cancelled"])).is_err());
    assert!(serde_json::from_value::<StepName>(serde_json::json!("A")).is_err());
}

#[test]
fn move_kind_round_trip() {
    for k in [
        MoveKind::Place,
        MoveKind::Forward,
        MoveKind::Undo,
        MoveKind::Cancel,
        MoveKind::Finish,
    ] {
        assert_eq!(MoveKind::parse(k.as_str()), Some(k));
        assert_eq!(
            serde_json::to_value(k).unwrap(),
            serde_json::Value::String(k.as_str().to_owned())
        );
    }
    assert_eq!(MoveKind::parse("jump"), None);
    assert_eq!(MoveKind::parse("Forward"), None);
}

#[test]
fn move_serde() {
    let m = fwd(R, P);
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"kind": "forward", "from": R, "to": P})
    );
    assert_eq!(serde_json::from_value::<Move>(v).unwrap(), m);
}

// ---------------------------------------------------------------------------------------------
// Cancel reasons

#[test]
fn reasons() {
    assert_eq!(
        parse_reason("  customer left "),
        Ok("customer left".to_owned())
    );
    assert_eq!(parse_reason(&"a".repeat(200)).map(|s| s.len()), Ok(200));
    assert_eq!(
        parse_reason(&"å".repeat(200)).map(|s| s.chars().count()),
        Ok(200)
    );
    assert_eq!(parse_reason(&"a".repeat(201)), Err(WorkflowError::Reason));
    assert_eq!(parse_reason(""), Err(WorkflowError::Reason));
    assert_eq!(parse_reason("   "), Err(WorkflowError::Reason));
    assert_eq!(parse_reason("spilt\nit"), Err(WorkflowError::Reason));
    assert_eq!(parse_reason("nul\u{0}"), Err(WorkflowError::Reason));
}

// ---------------------------------------------------------------------------------------------
// Properties

#[derive(Debug, Clone, Copy)]
enum Op {
    Forward,
    Undo,
    Cancel,
    Finish,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Forward),
        3 => Just(Op::Undo),
        1 => Just(Op::Cancel),
        1 => Just(Op::Finish),
    ]
}

/// Applies `op` the way the server does: decide, then record the move.
fn apply(w: &Workflow, current: &mut String, history: &mut Vec<Move>, op: Op) -> Option<MoveKind> {
    let (kind, to) = match op {
        Op::Forward => {
            let next = w.forward(current).ok()?;
            let kind = w.decide(current, next.as_str(), history, false).ok()?;
            (kind, next.as_str().to_owned())
        }
        Op::Undo => {
            let target = undo_target(history)?;
            let kind = w.decide(current, &target, history, false).ok()?;
            (kind, target)
        }
        Op::Cancel => {
            w.cancel(current).ok()?;
            (MoveKind::Cancel, CANCELLED.to_owned())
        }
        Op::Finish => {
            let last = w.last().as_str().to_owned();
            let kind = w.decide(current, &last, history, true).ok()?;
            (kind, last)
        }
    };
    history.push(Move {
        kind,
        from: Some(current.clone()),
        to: to.clone(),
    });
    *current = to;
    Some(kind)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn forward_and_undo_never_leave_the_workflow(
        ops in prop::collection::vec(prop_oneof![Just(Op::Forward), Just(Op::Undo)], 0..60),
    ) {
        let w = wf();
        let mut current = w.first().as_str().to_owned();
        let mut history = vec![place()];
        let mut forwards = 0usize;
        let mut undos = 0usize;
        for op in ops {
            let at = w.position(&current).unwrap();
            let had_undo = undo_target(&history).is_some();
            let r = apply(&w, &mut current, &mut history, op);
            match op {
                Op::Forward => {
                    if at + 1 < w.steps().len() {
                        prop_assert_eq!(r, Some(MoveKind::Forward));
                        forwards += 1;
                    } else {
                        prop_assert_eq!(r, None);
                        prop_assert_eq!(
                            w.forward(&current),
                            Err(WorkflowError::AtEnd(current.clone()))
                        );
                    }
                }
                Op::Undo => {
                    if had_undo {
                        prop_assert_eq!(r, Some(MoveKind::Undo));
                        undos += 1;
                    } else {
                        prop_assert_eq!(r, None);
                    }
                }
                _ => unreachable!(),
            }
            let pos = w.position(&current);
            prop_assert!(pos.is_some(), "left the workflow: {}", current);
            prop_assert_eq!(pos.unwrap(), forwards - undos);
            // With only forward and undo, undo is possible exactly when not at the start.
            prop_assert_eq!(undo_target(&history).is_some(), pos.unwrap() > 0);
        }
    }

    #[test]
    fn undo_always_returns_to_the_step_before_the_matching_move(
        ops in prop::collection::vec(op(), 0..60),
    ) {
        // A model of the stack: every successful non-undo move pushes where it came from.
        let w = wf();
        let mut current = w.first().as_str().to_owned();
        let mut history = vec![place()];
        let mut stack: Vec<String> = vec![];
        for op in ops {
            let before = current.clone();
            let Some(kind) = apply(&w, &mut current, &mut history, op) else {
                continue;
            };
            match kind {
                MoveKind::Undo => {
                    prop_assert_eq!(Some(current.clone()), stack.pop());
                }
                MoveKind::Forward | MoveKind::Finish | MoveKind::Cancel => stack.push(before),
                MoveKind::Place => unreachable!(),
            }
            prop_assert_eq!(undo_target(&history), stack.last().cloned());
            prop_assert!(current == CANCELLED || w.position(&current).is_some());
            if current == CANCELLED {
                prop_assert_eq!(history.last().unwrap().kind, MoveKind::Cancel);
            }
        }
    }

    #[test]
    fn decide_only_ever_allows_one_step_the_undo_or_a_finish(
        from in 0usize..4,
        to in 0usize..4,
        cancelled in any::<bool>(),
        history_ops in prop::collection::vec(op(), 0..10),
        may_finish in any::<bool>(),
    ) {
        let w = wf();
        // Build a plausible history first.
        let mut cur = w.first().as_str().to_owned();
        let mut history = vec![place()];
        for op in history_ops {
            apply(&w, &mut cur, &mut history, op);
        }
        let current = if cancelled { CANCELLED.to_owned() } else { w.steps()[from].as_str().to_owned() };
        let target = w.steps()[to].as_str();
        match w.decide(&current, target, &history, may_finish) {
            Ok(MoveKind::Forward) => prop_assert_eq!(w.position(&current).map(|p| p + 1), Some(to)),
            Ok(MoveKind::Undo) => {
                let t = undo_target(&history);
                prop_assert_eq!(t.as_deref(), Some(target));
            }
            Ok(MoveKind::Finish) => {
                prop_assert!(may_finish);
                prop_assert_eq!(to, 3);
                prop_assert!(current != CANCELLED);
            }
            Ok(k) => prop_assert!(false, "unexpected {:?}", k),
            Err(e) => {
                let is_jump = matches!(e, WorkflowError::Jump { .. });
                prop_assert!(is_jump);
            }
        }
    }
}

#[test]
fn only_a_new_or_cancelled_order_may_be_deleted() {
    let w = wf();
    assert_eq!(w.delete("received"), Ok(()));
    assert_eq!(w.delete(CANCELLED), Ok(()));
    for started in ["production", "completed", "dispatched"] {
        assert_eq!(
            w.delete(started),
            Err(WorkflowError::DeleteStarted(started.to_owned()))
        );
    }
    assert_eq!(
        w.delete("bogus"),
        Err(WorkflowError::UnknownStep("bogus".to_owned()))
    );
}

/// What a store reading the moves newest first finds with [`UndoWalk`].
fn undo_walking_back(history: &[Move]) -> Option<String> {
    let mut walk = UndoWalk::new();
    for m in history.iter().rev() {
        if let Some(answer) = walk.older(m.kind, m.from.as_deref()) {
            return answer;
        }
    }
    None
}

fn any_move() -> impl Strategy<Value = Move> {
    let kind = prop_oneof![
        Just(MoveKind::Place),
        Just(MoveKind::Forward),
        Just(MoveKind::Finish),
        Just(MoveKind::Cancel),
        Just(MoveKind::Undo),
        Just(MoveKind::Undo),
    ];
    let from = prop::option::weighted(0.9, prop::sample::select(vec![R, P, C, D]));
    (kind, from, prop::sample::select(vec![R, P, C, D])).prop_map(|(kind, from, to)| Move {
        kind,
        from: from.map(str::to_owned),
        to: to.to_owned(),
    })
}

proptest! {
    /// Any history at all, including undos with nothing to undo and placements in the middle
    /// (which the API never records, so this is stricter than needed).
    #[test]
    fn walking_back_finds_the_same_undo_target_as_the_stack(
        history in prop::collection::vec(any_move(), 0..40),
    ) {
        prop_assert_eq!(undo_walking_back(&history), undo_target(&history));
    }
}

#[test]
fn walking_back_stops_at_the_newest_move_that_answers() {
    let mut walk = UndoWalk::new();
    assert_eq!(
        walk.older(MoveKind::Forward, Some(P)),
        Some(Some(P.to_owned()))
    );
    let mut walk = UndoWalk::new();
    assert_eq!(walk.older(MoveKind::Undo, Some(C)), None);
    assert_eq!(walk.older(MoveKind::Forward, Some(P)), None);
    assert_eq!(
        walk.older(MoveKind::Forward, Some(R)),
        Some(Some(R.to_owned()))
    );
    let mut walk = UndoWalk::new();
    assert_eq!(walk.older(MoveKind::Place, None), Some(None));
}
