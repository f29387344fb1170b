//! WindFlow's engine: makes a target run a stack.
//!
//! - [`driver::Driver`] is the one trait every target kind implements (primitive container,
//!   network, volume and image operations); [`docker::DockerDriver`] implements it on the
//!   Docker Engine API through bollard, and [`docker`] holds the one translation of compose
//!   mounts into Engine API mounts.
//! - [`executor`] runs a plan from `windflow_domain::plan` on a driver: a DAG run in parallel,
//!   services gated on their dependencies' conditions, replaced containers parked until the
//!   new ones are ready, and a rollback journal.
//! - [`swarm`] is the Swarm mode: a pure translation ([`swarm::spec`]) and planner
//!   ([`swarm::plan`](mod@swarm::plan)), a Swarm driver ([`swarm::docker`]), and the orchestration that
//!   applies and converges.
//! - [`task`] is one-off work on a target: a helper container run to its end, or a command
//!   in a service's container, fed and drained as byte streams (backups use them).
//! - [`events`] is the typed event stream every step reports to.
//! - [`deploy`] composes them into `plan`, `up`, `down`, `rollback` and `status`, dispatched
//!   on the target's [`deploy::DeployMode`] through one [`deploy::Orchestrator`] (one variant
//!   per mode), and recorded in [`history`].
//!
//! Invariants: only driver modules import bollard and speak to the Docker API — `docker`,
//! `swarm::docker`, the `connect` transports and `credentials` (registry auth); `swarm::spec`
//! builds bollard's spec types without I/O. The executor sees targets only through `Driver`;
//! planning is pure (the container planner in the domain crate, the Swarm planner in
//! `swarm::plan`), so the engine's orchestration never decides *what* to change, only *how*;
//! callers never branch on the deployment mode.

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
pub mod kube;
pub mod swarm;
pub mod task;
