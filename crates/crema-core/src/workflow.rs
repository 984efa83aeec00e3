//! The order workflow: an ordered list of steps that is data per café. The default is
//! Kaffediem's `received -> production -> completed -> dispatched`.
//!
//! Moves: forward one step, undo the last move, cancel with a reason (not once the order has
//! reached the last step). A manager may also jump straight to the last step (Kaffediem's
//! "reset orders"). Every move is recorded; undo is computed from that record, so it works
//! from any screen, not only the tab that made the move.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("a workflow needs between 2 and {0} steps")]
    StepCount(usize),
    #[error("step names must be 1 to 32 characters of a-z, 0-9 and _ (got {0:?})")]
    StepName(String),
    #[error("step {0:?} appears twice")]
    Duplicate(String),
    #[error("{0:?} is reserved")]
    Reserved(String),
    #[error("{0:?} is not a step of this workflow")]
    UnknownStep(String),
    #[error("the order is already at the last step ({0})")]
    AtEnd(String),
    #[error("the order is cancelled")]
    Cancelled,
    #[error("there is no move to undo")]
    NothingToUndo,
    #[error("an order at the last step ({0}) cannot be cancelled")]
    CancelFinished(String),
    #[error("a cancel needs a reason of 1 to 200 characters")]
    Reason,
    #[error("cannot move from {from} to {to}: only one step forward, or undo")]
    Jump { from: String, to: String },
    #[error("an order in {0} cannot be deleted: only a new order (at the first step) or a cancelled one can; cancel it instead")]
    DeleteStarted(String),
}

/// The state an order is in when cancelled. Not a step: no workflow may use the name.
pub const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StepName(String);

impl StepName {
    pub fn parse(s: &str) -> Result<Self, WorkflowError> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(WorkflowError::StepName(s.to_owned()));
        }
        if s == CANCELLED {
            return Err(WorkflowError::Reserved(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }
}

crate::text::text_newtype!(StepName, WorkflowError);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Workflow {
    steps: Vec<StepName>,
}

impl Workflow {
    pub const MAX_STEPS: usize = 12;

    pub fn new<S: AsRef<str>>(steps: &[S]) -> Result<Self, WorkflowError> {
        if steps.len() < 2 || steps.len() > Self::MAX_STEPS {
            return Err(WorkflowError::StepCount(Self::MAX_STEPS));
        }
        let mut out: Vec<StepName> = Vec::with_capacity(steps.len());
        for s in steps {
            let n = StepName::parse(s.as_ref())?;
            if out.contains(&n) {
                return Err(WorkflowError::Duplicate(n.0));
            }
            out.push(n);
        }
        Ok(Self { steps: out })
    }

    pub fn kaffediem() -> Self {
        Self {
            steps: ["received", "production", "completed", "dispatched"]
                .iter()
                .map(|s| StepName((*s).to_owned()))
                .collect(),
        }
    }

    pub fn steps(&self) -> &[StepName] {
        &self.steps
    }

    pub fn first(&self) -> &StepName {
        &self.steps[0]
    }

    pub fn last(&self) -> &StepName {
        &self.steps[self.steps.len() - 1]
    }

    pub fn position(&self, step: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.as_str() == step)
    }

    /// Where "forward" takes an order in `current`.
    pub fn forward(&self, current: &str) -> Result<StepName, WorkflowError> {
        if current == CANCELLED {
            return Err(WorkflowError::Cancelled);
        }
        let i = self
            .position(current)
            .ok_or_else(|| WorkflowError::UnknownStep(current.to_owned()))?;
        self.steps
            .get(i + 1)
            .cloned()
            .ok_or_else(|| WorkflowError::AtEnd(current.to_owned()))
    }

    /// Whether an order in `current` may be cancelled.
    pub fn cancel(&self, current: &str) -> Result<(), WorkflowError> {
        if current == CANCELLED {
            return Err(WorkflowError::Cancelled);
        }
        if current == self.last().as_str() {
            return Err(WorkflowError::CancelFinished(current.to_owned()));
        }
        self.position(current)
            .map(|_| ())
            .ok_or_else(|| WorkflowError::UnknownStep(current.to_owned()))
    }

    /// Whether an order in `current` may be deleted outright (Kaffebase's DELETE). Only an
    /// order nobody has worked on yet (still at the first step) or one already cancelled: any
    /// other has a history worth keeping, and cancelling is how it leaves the queue.
    pub fn delete(&self, current: &str) -> Result<(), WorkflowError> {
        if current == CANCELLED || current == self.first().as_str() {
            return Ok(());
        }
        match self.position(current) {
            Some(_) => Err(WorkflowError::DeleteStarted(current.to_owned())),
            None => Err(WorkflowError::UnknownStep(current.to_owned())),
        }
    }

    /// Decides a request to put an order in `current` into `target` (Kaffebase's PATCH
    /// `{"state": ...}`): one step forward, the undo of the last move, or (for a manager) a
    /// jump to the last step. Anything else is refused.
    pub fn decide(
        &self,
        current: &str,
        target: &str,
        history: &[Move],
        may_finish: bool,
    ) -> Result<MoveKind, WorkflowError> {
        self.decide_with_undo(current, target, undo_target(history).as_deref(), may_finish)
    }

    /// [`Workflow::decide`] given the step an undo would return to (see [`UndoWalk`]), for a
    /// caller that has not read the whole history.
    pub fn decide_with_undo(
        &self,
        current: &str,
        target: &str,
        undo: Option<&str>,
        may_finish: bool,
    ) -> Result<MoveKind, WorkflowError> {
        if self.position(target).is_none() {
            return Err(WorkflowError::UnknownStep(target.to_owned()));
        }
        if let Ok(next) = self.forward(current) {
            if next.as_str() == target {
                return Ok(MoveKind::Forward);
            }
        }
        if undo == Some(target) && current != target {
            return Ok(MoveKind::Undo);
        }
        if may_finish && target == self.last().as_str() && current != target && current != CANCELLED
        {
            return Ok(MoveKind::Finish);
        }
        Err(WorkflowError::Jump {
            from: current.to_owned(),
            to: target.to_owned(),
        })
    }
}

impl TryFrom<Vec<String>> for Workflow {
    type Error = WorkflowError;
    fn try_from(v: Vec<String>) -> Result<Self, Self::Error> {
        Self::new(&v)
    }
}

impl From<Workflow> for Vec<String> {
    fn from(w: Workflow) -> Vec<String> {
        w.steps.into_iter().map(|s| s.0).collect()
    }
}

impl Default for Workflow {
    fn default() -> Self {
        Self::kaffediem()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// The order was placed (from nothing to the first step).
    Place,
    Forward,
    Undo,
    Cancel,
    /// A manager moved the order straight to the last step.
    Finish,
}

impl MoveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::Place => "place",
            MoveKind::Forward => "forward",
            MoveKind::Undo => "undo",
            MoveKind::Cancel => "cancel",
            MoveKind::Finish => "finish",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "place" => MoveKind::Place,
            "forward" => MoveKind::Forward,
            "undo" => MoveKind::Undo,
            "cancel" => MoveKind::Cancel,
            "finish" => MoveKind::Finish,
            _ => return None,
        })
    }
}

/// One recorded move, oldest first in a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub kind: MoveKind,
    pub from: Option<String>,
    pub to: String,
}

/// The step "undo" returns to: the history is a stack where forward, finish and cancel push
/// the step they left and undo pops it. `None` when there is nothing left to undo (placing an
/// order cannot be undone; cancel it instead).
pub fn undo_target(history: &[Move]) -> Option<String> {
    let mut stack: Vec<&str> = Vec::new();
    for m in history {
        match m.kind {
            MoveKind::Place => stack.clear(),
            MoveKind::Forward | MoveKind::Finish | MoveKind::Cancel => {
                if let Some(f) = &m.from {
                    stack.push(f);
                }
            }
            MoveKind::Undo => {
                stack.pop();
            }
        }
    }
    stack.last().map(|s| (*s).to_owned())
}

/// [`undo_target`] found by walking the history **newest first** and stopping as soon as the
/// answer is known, so a store can read an order's moves backwards and usually stop at the
/// first: an undo right after a move reads one row, whatever the order's history holds.
///
/// Walking back, an undo hides the newest push not already hidden; the first push not hidden
/// is the target, and a placement (or the start) ends the walk with nothing to undo. This
/// equals the stack of [`undo_target`] for every history (a property test checks it).
#[derive(Debug, Default)]
pub struct UndoWalk {
    hidden: usize,
}

impl UndoWalk {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next older move; `Some(answer)` once the answer is known.
    pub fn older(&mut self, kind: MoveKind, from: Option<&str>) -> Option<Option<String>> {
        match kind {
            MoveKind::Place => Some(None),
            MoveKind::Undo => {
                self.hidden += 1;
                None
            }
            MoveKind::Forward | MoveKind::Finish | MoveKind::Cancel => {
                let from = from?;
                if self.hidden == 0 {
                    Some(Some(from.to_owned()))
                } else {
                    self.hidden -= 1;
                    None
                }
            }
        }
    }
}

/// A cancel reason: 1 to 200 characters after trimming.
pub fn parse_reason(s: &str) -> Result<String, WorkflowError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(WorkflowError::Reason);
    }
    Ok(t.to_owned())
}
