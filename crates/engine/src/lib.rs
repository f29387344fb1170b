//! WindFlow's engine: makes a target run a stack.
//!
//! - [`driver::Driver`] is the one trait every target kind implements (primitive container,
//!   network, volume and image operations); [`docker::DockerDriver`] implements it on the
//!   Docker Engine API through bollard.
//! - [`executor`] runs a plan from `windflow_domain::plan` on a driver: a DAG run in parallel,
//!   services gated on their dependencies' conditions, replaced containers parked until the
//!   new ones are ready, and a rollback journal.
//! - [`events`] is the typed event stream every step reports to.
//! - [`deploy`] composes them into `up`, `down` and `rollback`, recorded in [`history`].
//!
//! Invariants: only `docker` speaks to the Docker API; the executor sees targets only through
//! `Driver`; planning stays in the pure domain crate, so the engine never decides *what* to
//! change, only *how*.

pub mod agent;
mod build_context;
pub mod connect;
mod credentials;
pub mod deploy;
pub mod docker;
pub mod driver;
pub mod events;
pub mod executor;
pub mod history;
pub mod inventory;
pub mod swarm;
