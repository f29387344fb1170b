//! Who may do what inside an organization: four roles, ordered, and the permission each
//! action needs. The server checks one [`Permission`] per endpoint through [`Role::allows`].

use serde::{Deserialize, Serialize};

/// A member's role in one organization, from least to most powerful.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything in the organization except secret values.
    Viewer,
    /// A viewer who also deploys, cancels, rolls back and restarts containers.
    Operator,
    /// An operator who also edits stacks, variables, secrets, environments and targets, and
    /// reads the audit log.
    Admin,
    /// An admin who also manages members and their roles.
    Owner,
}

/// What an endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read stacks, targets, deployments, logs.
    Read,
    /// Start, cancel or roll back deployments; start/stop/restart containers.
    Deploy,
    /// Create and change stacks, variables, secrets, environments and targets.
    Configure,
    /// Read and export the audit log.
    Audit,
    /// Add, remove and change members.
    ManageMembers,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::Admin, Role::Owner];

    /// The least role that holds `permission`.
    pub fn required_for(permission: Permission) -> Role {
        match permission {
            Permission::Read => Role::Viewer,
            Permission::Deploy => Role::Operator,
            Permission::Configure | Permission::Audit => Role::Admin,
            Permission::ManageMembers => Role::Owner,
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self >= Role::required_for(permission)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(role: Role, expected: [bool; 5]) {
        let perms = [
            Permission::Read,
            Permission::Deploy,
            Permission::Configure,
            Permission::Audit,
            Permission::ManageMembers,
        ];
        let got = perms.map(|p| role.allows(p));
        assert_eq!(got, expected, "{role}");
    }

    #[test]
    fn roles_grant_increasing_permissions() {
        check(Role::Viewer, [true, false, false, false, false]);
        check(Role::Operator, [true, true, false, false, false]);
        check(Role::Admin, [true, true, true, true, false]);
        check(Role::Owner, [true, true, true, true, true]);
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
