//! Backups as data. A stack's [`Policy`] (what, where, when, how long), the [`restic`]
//! invocations that carry it out and the reading of their output, the database [`engines`]'
//! dump and restore commands, and [`Schedule`]s. Pure: it runs nothing and does no I/O; the
//! server's backup service runs these commands in containers on the target.
//!
//! restic does the storage work — content-defined chunking, deduplication, compression (from
//! restic 0.14's repository format 2), client-side encryption, retention and integrity checks
//! — because it is maintained, audited and what operators already trust; WindFlow drives it.

pub mod engines;
pub mod policy;
pub mod restic;
pub mod schedule;

pub use engines::Engine;
pub use policy::{
    Consistency, DatabaseDecl, DrillCheck, DrillPolicy, Hook, Hooks, Policy, Retention,
};
pub use restic::{Failure, FailureKind, Invocation, Location};
pub use schedule::Schedule;
