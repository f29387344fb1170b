//! Who may do what inside an organization: four built-in roles, ordered, the permission each
//! action needs, custom roles as sets of permissions, and [`Grants`] — what one principal
//! holds in one organization once its membership, its teams and its scoped grants are
//! resolved. The server checks one [`Permission`] per endpoint; the check asks [`Grants`]
//! whether the permission holds on the endpoint's [`Resource`].
//!
//! Grants only add: a role granted on an environment or a stack widens what the principal
//! may do there, and never narrows what its organization role already allows.

use std::collections::HashMap;

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::Read,
        Permission::Deploy,
        Permission::Configure,
        Permission::Audit,
        Permission::ManageMembers,
    ];

    /// Whether a grant on an environment or a stack may carry this permission. Auditing and
    /// managing members concern the organization as a whole.
    pub fn scopable(self) -> bool {
        matches!(
            self,
            Permission::Read | Permission::Deploy | Permission::Configure
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Deploy => "deploy",
            Permission::Configure => "configure",
            Permission::Audit => "audit",
            Permission::ManageMembers => "manage_members",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of permissions: what a role (built-in or custom) grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionSet(u8);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    pub fn of(permissions: impl IntoIterator<Item = Permission>) -> PermissionSet {
        PermissionSet(permissions.into_iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn union(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Only what a grant on an environment or a stack may carry (see [`Permission::scopable`]).
    pub fn scopable(self) -> PermissionSet {
        PermissionSet::of(self.iter().filter(|p| p.scopable()))
    }
}

/// Where a grant applies: the whole organization, one environment, or one stack (by id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Organization,
    Environment(String),
    Stack(String),
}

/// What an action touches, by id: the stack it concerns and the environment it happens in,
/// when either is known. An organization-wide action touches neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resource<'a> {
    pub stack: Option<&'a str>,
    pub environment: Option<&'a str>,
}

impl<'a> Resource<'a> {
    pub fn stack(id: &'a str) -> Resource<'a> {
        Resource {
            stack: Some(id),
            environment: None,
        }
    }

    pub fn environment(id: &'a str) -> Resource<'a> {
        Resource {
            stack: None,
            environment: Some(id),
        }
    }
}

/// Everything one principal holds in one organization: its organization-wide permissions
/// (its membership role, and the roles its teams hold on the organization) and the
/// permissions granted on single environments and stacks (to it or to its teams).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants {
    organization: PermissionSet,
    environments: HashMap<String, PermissionSet>,
    stacks: HashMap<String, PermissionSet>,
}

impl Grants {
    /// A member's grants before any team or scoped grant: its role, organization-wide.
    pub fn member(role: Role) -> Grants {
        Grants {
            organization: role.permissions(),
            ..Grants::default()
        }
    }

    /// Adds `permissions` on `scope`. A grant on an environment or a stack keeps only its
    /// scopable permissions.
    pub fn add(&mut self, scope: Scope, permissions: PermissionSet) {
        match scope {
            Scope::Organization => self.organization = self.organization.union(permissions),
            Scope::Environment(id) => {
                let entry = self.environments.entry(id).or_default();
                *entry = entry.union(permissions.scopable());
            }
            Scope::Stack(id) => {
                let entry = self.stacks.entry(id).or_default();
                *entry = entry.union(permissions.scopable());
            }
        }
    }

    /// The organization-wide permissions.
    pub fn organization(&self) -> PermissionSet {
        self.organization
    }

    /// Whether `permission` holds on the whole organization.
    pub fn allows(&self, permission: Permission) -> bool {
        self.organization.contains(permission)
    }

    /// Whether `permission` holds on `resource`: organization-wide, on its environment or on
    /// its stack.
    pub fn allows_on(&self, permission: Permission, resource: Resource<'_>) -> bool {
        self.allows(permission)
            || resource
                .environment
                .and_then(|id| self.environments.get(id))
                .is_some_and(|set| set.contains(permission))
            || resource
                .stack
                .and_then(|id| self.stacks.get(id))
                .is_some_and(|set| set.contains(permission))
    }

    /// Whether `permission` holds anywhere: organization-wide or on some environment or
    /// stack.
    pub fn allows_somewhere(&self, permission: Permission) -> bool {
        self.allows(permission)
            || self.environments.values().any(|s| s.contains(permission))
            || self.stacks.values().any(|s| s.contains(permission))
    }

    /// The stacks (ids) on which `permission` holds through a stack grant.
    pub fn stacks_with(&self, permission: Permission) -> impl Iterator<Item = &str> {
        self.stacks
            .iter()
            .filter(move |(_, s)| s.contains(permission))
            .map(|(id, _)| id.as_str())
    }

    /// The environments (ids) on which `permission` holds through an environment grant.
    pub fn environments_with(&self, permission: Permission) -> impl Iterator<Item = &str> {
        self.environments
            .iter()
            .filter(move |(_, s)| s.contains(permission))
            .map(|(id, _)| id.as_str())
    }

    /// The most powerful built-in role whose permissions the organization-wide set covers.
    pub fn organization_role(&self) -> Option<Role> {
        Role::ALL.into_iter().rev().find(|r| {
            r.permissions()
                .iter()
                .all(|p| self.organization.contains(p))
        })
    }
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

    /// Every permission this role holds.
    pub fn permissions(self) -> PermissionSet {
        PermissionSet::of(Permission::ALL.into_iter().filter(|p| self.allows(*p)))
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
    fn scoped_grants_add_only_where_they_apply() {
        let mut grants = Grants::member(Role::Viewer);
        grants.add(
            Scope::Environment("staging".into()),
            Role::Operator.permissions(),
        );
        grants.add(Scope::Stack("shop".into()), Role::Owner.permissions());
        let staging = Resource::environment("staging");
        let production = Resource::environment("production");
        assert!(grants.allows_on(Permission::Deploy, staging));
        assert!(!grants.allows_on(Permission::Deploy, production));
        assert!(!grants.allows(Permission::Deploy));
        assert!(grants.allows_somewhere(Permission::Deploy));
        // A stack grant holds in every environment, and only for that stack.
        let shop_in_production = Resource {
            stack: Some("shop"),
            environment: Some("production"),
        };
        assert!(grants.allows_on(Permission::Configure, shop_in_production));
        assert!(!grants.allows_on(Permission::Configure, Resource::stack("blog")));
        // Organization-wide permissions never come from a scoped grant.
        assert!(!grants.allows_on(Permission::ManageMembers, shop_in_production));
        assert!(!grants.allows_on(Permission::Audit, shop_in_production));
        assert_eq!(grants.organization_role(), Some(Role::Viewer));
    }

    #[test]
    fn organization_role_of_a_custom_set() {
        let mut grants = Grants::default();
        assert_eq!(grants.organization_role(), None);
        grants.add(
            Scope::Organization,
            PermissionSet::of([Permission::Read, Permission::Deploy, Permission::Audit]),
        );
        assert_eq!(grants.organization_role(), Some(Role::Operator));
    }

    proptest::proptest! {
        /// Adding a grant never takes a permission away, anywhere, and what holds on the
        /// organization holds on every resource.
        #[test]
        fn grants_only_add(
            base in 0usize..4,
            adds in proptest::collection::vec((0u8..3, 0u8..4, 0u8..32), 0..8),
            probe_env in 0u8..4,
            probe_stack in 0u8..4,
        ) {
            let names = ["a", "b", "c", "d"];
            let mut grants = Grants::member(Role::ALL[base]);
            let resource = Resource {
                stack: Some(names[probe_stack as usize]),
                environment: Some(names[probe_env as usize]),
            };
            for (kind, name, bits) in adds {
                let before: Vec<bool> = Permission::ALL
                    .iter()
                    .map(|p| grants.allows_on(*p, resource))
                    .collect();
                let scope = match kind {
                    0 => Scope::Organization,
                    1 => Scope::Environment(names[name as usize].into()),
                    _ => Scope::Stack(names[name as usize].into()),
                };
                grants.add(scope, PermissionSet(bits & 0b11111));
                for (p, was) in Permission::ALL.iter().zip(before) {
                    proptest::prop_assert!(!was || grants.allows_on(*p, resource));
                    if grants.allows(*p) {
                        proptest::prop_assert!(grants.allows_on(*p, resource));
                    }
                    if !p.scopable() {
                        proptest::prop_assert_eq!(
                            grants.allows_on(*p, resource),
                            grants.allows(*p)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
