//! The server's behaviour, one module per concern. Handlers in `routes` extract, authorize
//! and call one function here, then map the result; the job workers (`jobs`), the agent
//! links (`agents`) and `bootstrap` call the same functions.
//!
//! Every function takes the shared [`App`](crate::state::App) and, when a member acts, the
//! authorized [`OrgAccess`](crate::auth::OrgAccess) (who, in which organization, with which
//! role): services record the audit trail and check what a role alone cannot say (a server
//! administrator's flag, a host-access policy, an engine's owner).
//!
//! *Invariant:* only services (and the workers and bootstrap) touch `App::store` and the
//! target drivers; `tests/architecture.rs` checks `routes` holds neither.

pub mod access;
pub mod agents;
pub mod ai;
pub mod audit;
pub mod backups;
pub mod catalog;
pub mod certificates;
pub mod containers;
pub mod deployments;
pub mod dns;
pub mod dns01;
pub mod domains;
pub mod factors;
pub mod gateway;
pub mod health;
pub mod names;
pub mod notifications;
pub mod organizations;
pub mod passkeys;
pub mod policies;
pub mod sessions;
pub mod sso;
pub mod stacks;
pub mod swarm;
pub mod targets;
pub mod users;
pub mod variables;
pub mod workflows;
