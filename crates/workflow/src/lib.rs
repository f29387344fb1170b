//! Workflows as data: the workflow document ([`Workflow`], read from YAML files or API JSON),
//! its [`validate`]ion, the [`expr`]ession and [`Template`] language of node settings, and
//! the [`graph`] scheduler that says which nodes of a run start or are skipped next and how
//! the run ends. The server's workflow engine owns runs, timers, storage and the node
//! actions; this crate only decides.
//!
//! Invariants:
//! - Pure: no I/O, no clock, no async runtime, no database. Every function is a function of
//!   its arguments, so its tests are data.
//! - Bounded: documents are at most 1 MiB; an expression is at most 4096 bytes, 64 levels deep
//!   and 10 000 evaluation steps, and makes no string over 1 MiB nor list over 10 000 items.
//!   Parsing and evaluation return errors at those limits; they never panic or overflow the
//!   stack, whatever the input.
//! - Deterministic: validation issues are sorted; the scheduler lists nodes in topological
//!   order with ties in document order.

pub mod expr;
pub mod graph;
pub mod model;
pub mod validate;

pub use expr::{Expr, ExprError, Template, truthy};
pub use graph::{
    Advance, NodeState, NodeStatus, RunOutcome, advance, ancestors, downstream, outcome,
    topological_order,
};
pub use model::{
    Action, Concurrency, ConcurrencyPolicy, Edge, EventKind, InputSpec, Node, ParseError, Position,
    Retry, Trigger, WebhookProvider, Workflow, parse_duration,
};
pub use validate::{Issue, check, validate};
