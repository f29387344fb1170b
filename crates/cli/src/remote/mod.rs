//! The verbs that talk to a running `windflow serve`: `login`, `logout`, `stack …`,
//! `deploy`, `deployments`, `backup …`, `workflow …`, and the server variants of `logs` and `rollback`
//! (`--stack`).
//!
//! *Invariant:* no engine calls here: the server plans and deploys; this module sends
//! requests, follows event streams and renders them with the same renderer as `up`.

pub mod ai;
pub mod backups;
pub mod catalog;
pub mod certificates;
pub mod client;
pub mod commands;
pub mod credentials;
pub mod dns;
pub mod domains;
pub mod sse;
pub mod sso;
pub mod workflows;

use std::path::PathBuf;

use clap::{Args, Subcommand};

pub use backups::{BackupCommand, backup};
pub use catalog::{TemplateCommand, template};
pub use certificates::{CertCommand, cert};
pub use commands::{deploy, deployments, login, logout, logs, rollback, stack};
pub use dns::{DnsCommand, dns};
pub use domains::{DomainCommand, domain};
pub use sso::{SsoCommand, sso};
pub use workflows::{WorkflowCommand, workflow};

/// Which server and organization a command talks to.
#[derive(Args, Debug, Clone, Default)]
pub struct ServerArgs {
    /// The WindFlow server's URL (default: the one you logged in to).
    #[arg(long, env = "WINDFLOW_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The organization (default: the one chosen at login, else `default`).
    #[arg(long, env = "WINDFLOW_ORG", value_name = "SLUG")]
    pub org: Option<String>,
}

/// `--stack`/`--target`: switches `logs` and `rollback` from the local engine to the server.
#[derive(Args, Debug, Clone, Default)]
pub struct OnServer {
    /// With --stack, ask the WindFlow server instead of the local engine: the stack's name.
    #[arg(long, value_name = "NAME", requires = "target")]
    pub stack: Option<String>,
    /// The server's target the stack runs on (with --stack).
    #[arg(long, value_name = "TARGET", requires = "stack")]
    pub target: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Args, Debug, Clone)]
pub struct LoginArgs {
    /// The server, e.g. http://windflow.internal:8080.
    pub url: String,
    /// Your user name (asked for on a terminal when missing).
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// Read the password from stdin (one line) instead of asking on the terminal.
    #[arg(long)]
    pub password_stdin: bool,
    /// The organization to use by default (default: `default`, else your first).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
    /// A code from your authenticator app (or a recovery code) for an account with a second
    /// factor; asked for on the terminal when the server wants one and this is missing.
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    /// Sign in through the server's single sign-on provider SLUG in a browser: the CLI
    /// listens on a loopback port for the end of the login (`windflow login <url> --sso corp`).
    #[arg(long, value_name = "PROVIDER", conflicts_with_all = ["username", "password_stdin"])]
    pub sso: Option<String>,
    /// With --sso: print the URL to open instead of also trying to open a browser.
    #[arg(long, requires = "sso")]
    pub no_browser: bool,
}

#[derive(Subcommand, Debug)]
pub enum StackCommand {
    /// Push a compose file as the stack's next version (creates the stack on first push).
    Push {
        /// The compose file (default: compose.yaml, compose.yml, docker-compose.yml, …).
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: Option<PathBuf>,
        /// The stack's name on the server (also the compose project name on targets).
        name: String,
        /// A note for the version's history.
        #[arg(short = 'm', long)]
        message: Option<String>,
        /// Refuse the push unless the stack is still at this version (If-Match).
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the organization's stacks.
    Ls {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Print a stack's compose file (newest version, or --version N).
    Show {
        name: String,
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List a stack's versions, newest first.
    History {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Delete a stack; its deployment history stays. Refused while it runs on a target,
    /// unless --undeploy: then it is removed from every target first and deleted once those
    /// removals succeed.
    Rm {
        name: String,
        /// Remove it from every target that runs it, then delete it.
        #[arg(long)]
        undeploy: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Show what changed between two versions (unified diff).
    Diff {
        name: String,
        #[arg(long, value_name = "N")]
        from: i64,
        #[arg(long, value_name = "N")]
        to: i64,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Args, Debug, Clone)]
pub struct DeployArgs {
    /// The stack (as pushed with `windflow stack push`).
    pub stack: String,
    /// The target to deploy onto (`local` is the server's own Docker engine).
    #[arg(
        long,
        required_unless_present = "selector",
        conflicts_with = "selector"
    )]
    pub target: Option<String>,
    /// Instead of --target: deploy onto the eligible target with these labels that has the
    /// most free memory (`-l region=eu -l tier=edge`).
    #[arg(short = 'l', long = "selector", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub selector: Vec<(String, String)>,
    /// With --selector: if the chosen target fails, move to the next eligible one.
    #[arg(long, requires = "selector")]
    pub failover: bool,
    /// The environment whose variables apply (default: the target's).
    #[arg(long = "env", value_name = "ENV")]
    pub environment: Option<String>,
    /// The stack version (default: the newest).
    #[arg(long, value_name = "N")]
    pub version: Option<i64>,
    /// Queue the deployment and return at once instead of following it.
    #[arg(short = 'd', long)]
    pub detach: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Args, Debug, Clone)]
pub struct DeploymentsArgs {
    /// One deployment to show (with its plan and error).
    pub id: Option<String>,
    /// Only this stack's deployments.
    #[arg(long)]
    pub stack: Option<String>,
    /// Only deployments onto this target.
    #[arg(long)]
    pub target: Option<String>,
    /// Only deployments in this state: queued, running, succeeded, failed, rolled_back, cancelled.
    #[arg(long)]
    pub state: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
    /// With an ID: follow its events until it ends.
    #[arg(long, requires = "id")]
    pub follow: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}
