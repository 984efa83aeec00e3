//! Who may do what in a café: the staff roles, the principals a request can be, the
//! permissions, and the one table that joins them ([`allows`]).
//!
//! Deciding is pure: the server works out the [`Principal`] from the request's credentials
//! (a membership's [`Role`], a device token's purpose) and asks [`allows`].

use serde::Serialize;

/// A member's role in a café.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Manager,
    Barista,
    Cashier,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::Barista, Role::Cashier];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Barista => "barista",
            Role::Cashier => "cashier",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What an actor is in one café.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    Owner,
    Manager,
    Barista,
    Cashier,
    /// Signed in, no role in this café.
    Customer,
    Anonymous,
    /// A wall display's device token of this café.
    Display,
    /// A kiosk's device token of this café.
    Kiosk,
    /// A device token of another café.
    Outsider,
}

impl Principal {
    pub const ALL: [Principal; 9] = [
        Principal::Owner,
        Principal::Manager,
        Principal::Barista,
        Principal::Cashier,
        Principal::Customer,
        Principal::Anonymous,
        Principal::Display,
        Principal::Kiosk,
        Principal::Outsider,
    ];

    /// A person: staff by their role in the café, else a customer when signed in, else
    /// anonymous.
    pub fn person(signed_in: bool, role: Option<Role>) -> Principal {
        match (signed_in, role) {
            (_, Some(role)) => role.into(),
            (true, None) => Principal::Customer,
            (false, None) => Principal::Anonymous,
        }
    }

    /// Owner, manager, barista or cashier of the café.
    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Principal::Owner | Principal::Manager | Principal::Barista | Principal::Cashier
        )
    }
}

impl From<Role> for Principal {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => Principal::Owner,
            Role::Manager => Principal::Manager,
            Role::Barista => Principal::Barista,
            Role::Cashier => Principal::Cashier,
        }
    }
}

/// What an actor wants to do in a café.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// The menu, the status and messages, the public board: what a café shows everyone.
    ReadMenu,
    PlaceOrder,
    /// Staff lists of orders, and the staff topics.
    ReadOrders,
    MoveOrders,
    /// Move an order straight to the last step (Kaffediem's "reset orders").
    FinishOrders,
    /// Mark items and options sold out or available again.
    ToggleAvailability,
    EditMenu,
    /// Open or close the café.
    SetStatus,
    /// Messages shown on the display and the menu.
    EditContent,
    /// Café settings and stations.
    EditCafe,
    /// Invite staff and change their roles (an owner for managers and owners).
    ManageStaff,
    ManageDevices,
    ReadAudit,
    /// The day's figures and its orders as CSV.
    ReadReports,
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Permission::ReadMenu,
        Permission::PlaceOrder,
        Permission::ReadOrders,
        Permission::MoveOrders,
        Permission::FinishOrders,
        Permission::ToggleAvailability,
        Permission::EditMenu,
        Permission::SetStatus,
        Permission::EditContent,
        Permission::EditCafe,
        Permission::ManageStaff,
        Permission::ManageDevices,
        Permission::ReadAudit,
        Permission::ReadReports,
    ];
}

/// The permission matrix: the one table of who may do what (`docs/security.md` prints it).
pub fn allows(who: Principal, what: Permission) -> bool {
    use Permission as P;
    use Principal as R;
    match what {
        P::ReadMenu => who != R::Outsider,
        P::PlaceOrder => matches!(
            who,
            R::Owner | R::Manager | R::Barista | R::Cashier | R::Customer | R::Anonymous | R::Kiosk
        ),
        P::ReadOrders | P::MoveOrders | P::ToggleAvailability | P::SetStatus => who.is_staff(),
        P::FinishOrders
        | P::EditMenu
        | P::EditContent
        | P::EditCafe
        | P::ManageStaff
        | P::ManageDevices
        | P::ReadAudit
        | P::ReadReports => matches!(who, R::Owner | R::Manager),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(who: Principal) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| allows(who, *p))
            .collect()
    }

    #[test]
    fn owners_and_managers_may_do_everything_and_outsiders_nothing() {
        assert_eq!(row(Principal::Owner), Permission::ALL);
        assert_eq!(row(Principal::Manager), Permission::ALL);
        assert_eq!(row(Principal::Outsider), []);
    }

    /// The rows below the owner's and manager's, written out from docs/security.md: one
    /// permission granted too many or too few fails here.
    #[test]
    fn the_barista_cashier_customer_anonymous_display_and_kiosk_rows() {
        use Permission as P;
        let floor = [
            P::ReadMenu,
            P::PlaceOrder,
            P::ReadOrders,
            P::MoveOrders,
            P::ToggleAvailability,
            P::SetStatus,
        ];
        assert_eq!(row(Principal::Barista), floor);
        assert_eq!(row(Principal::Cashier), floor);
        assert_eq!(row(Principal::Customer), [P::ReadMenu, P::PlaceOrder]);
        assert_eq!(row(Principal::Anonymous), [P::ReadMenu, P::PlaceOrder]);
        assert_eq!(row(Principal::Display), [P::ReadMenu]);
        assert_eq!(row(Principal::Kiosk), [P::ReadMenu, P::PlaceOrder]);
    }

    #[test]
    fn the_days_takings_are_the_owners_and_managers_business() {
        for who in Principal::ALL {
            let may = allows(who, Permission::ReadReports);
            assert_eq!(
                may,
                matches!(who, Principal::Owner | Principal::Manager),
                "{who:?}"
            );
        }
    }

    #[test]
    fn a_person_is_staff_by_role_else_customer_or_anonymous() {
        for role in Role::ALL {
            for signed_in in [true, false] {
                let p = Principal::person(signed_in, Some(role));
                assert!(p.is_staff(), "{role:?}");
                assert_eq!(p, Principal::from(role));
            }
        }
        assert_eq!(Principal::person(true, None), Principal::Customer);
        assert_eq!(Principal::person(false, None), Principal::Anonymous);
        let staff: Vec<_> = Principal::ALL
            .into_iter()
            .filter(|p| p.is_staff())
            .collect();
        assert_eq!(
            staff,
            [
                Principal::Owner,
                Principal::Manager,
                Principal::Barista,
                Principal::Cashier
            ]
        );
    }

    #[test]
    fn roles_read_back_what_they_write() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Owner"), None);
        assert_eq!(Role::parse(""), None);
    }
}
