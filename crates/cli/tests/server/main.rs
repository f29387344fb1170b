//! Integration tests of `windflow serve`: the real binary on a free port, with SQLite and
//! with PostgreSQL, deploying onto the real Docker engine. One test binary, one module per
//! concern; the two that drive Chromium (`console`, `kubernetes`) run from `tests/browser.rs`,
//! alone.

mod admin_backup;
mod agent_gateway;
mod agents;
mod agents_containers;
mod ai;
mod api;
mod authz;
mod backups;
mod backups_cli;
mod catalog;
mod cli_client;
mod crash;
mod dns;
mod domains;
mod factors;
mod gateway;
mod hardening;
mod scoped;
mod sso;
mod support;
mod swarm;
mod targets;
mod targets_remote;
mod tcp;
mod tenancy;
mod tenant_escape;
mod workflows;
