//! WindFlow's domain: what a stack is, what a target really runs, the plan that turns the
//! one into the other, who may act on an organization's resources (`access`) and the life of
//! a deployment (`deployment`).
//!
//! Invariant: this crate is pure. It does no I/O and knows nothing of tokio, Docker, SQL or
//! HTTP, so everything here is tested as data in, data out. Wire and storage formats live in
//! other crates; the serde derives here serve the stack history and `windflow config`, and
//! the enums every layer shares (roles, deployment states and kinds, target kinds and
//! statuses, policy levels) are defined here once: storage and the wire reuse them, with an
//! OpenAPI schema behind the `openapi` feature.

pub mod access;
pub mod deployment;
pub mod ingress;
pub mod naming;
pub mod observed;
pub mod plan;
pub mod policy;
pub mod spec;
pub mod stack;
pub mod target;
pub mod units;

pub use ingress::{Domain, Ingress, TcpForward, TlsMode};
pub use stack::*;
