//! Accounts, memberships, sessions and tokens, devices, invitations and pairing.

use super::Journal;

/// Accounts, memberships, sessions and tokens, devices, invitations and pairing.
pub trait AccountTx: Journal {}
