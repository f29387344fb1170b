//! `windflow`: deploy compose stacks onto Docker targets.
//!
//! This binary only parses arguments, loads config and renders: stacks are loaded by
//! `windflow-compose`, planned by `windflow-domain`, run by `windflow-engine`.

mod advise;
mod ai;
mod commands;
mod connection;
mod failure;
mod kube;
mod logs;
mod remote;
mod render;
mod ssh_trust;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, stable for scripts.
pub mod exit {
    /// The command failed for a reason not listed below.
    pub const FAILURE: u8 = 1;
    /// Bad arguments (clap's own code).
    pub const USAGE: u8 = 2;
    /// The compose file is invalid: nothing was changed.
    pub const INVALID_STACK: u8 = 3;
    /// The Docker engine could not be reached.
    pub const UNREACHABLE: u8 = 4;
    /// The deployment failed and the previous version was restored.
    pub const DEPLOY_FAILED: u8 = 5;
    /// The deployment failed and the previous version could not be fully restored.
    pub const ROLLBACK_FAILED: u8 = 6;
    /// `advise --strict`: the advisor found an error-level finding.
    pub const ADVICE: u8 = 7;
}

#[derive(Parser, Debug)]
#[command(
    name = "windflow",
    version,
    about = "Deploy docker-compose stacks onto Docker hosts: planned, health-gated, rolled back on failure.",
    after_help = "Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid compose or workflow file, 4 engine or server unreachable, \
                  5 deployment failed (previous version restored), 6 deployment failed and rollback incomplete, \
                  7 advisor errors (advise --strict)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Compose file(s), merged in order (default: compose.yaml, compose.yml, docker-compose.yml, ...).
    /// Like docker compose, it goes before the verb: `windflow -f a.yml -f b.yml up`.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name (default: the file's `name:`, COMPOSE_PROJECT_NAME, or the directory name).
    #[arg(
        short = 'p',
        long = "project-name",
        global = true,
        env = "COMPOSE_PROJECT_NAME",
        value_name = "NAME"
    )]
    pub project_name: Option<String>,
    /// Directory relative paths are resolved against (default: the first file's directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// Variables file(s) for interpolation (default: .env in the project directory).
    #[arg(long = "env-file", global = true, value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Enable services of this profile (repeatable; also COMPOSE_PROFILES).
    #[arg(long = "profile", global = true, value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Docker endpoint: unix:///path, tcp://host:port, ssh://user@host[:port] (default: DOCKER_HOST, else the local socket).
    #[arg(
        short = 'H',
        long = "host",
        global = true,
        env = "DOCKER_HOST",
        value_name = "URL"
    )]
    pub host: Option<String>,
    /// Use TLS and verify the engine's certificate (tcp:// hosts; also DOCKER_TLS_VERIFY).
    #[arg(long, global = true, env = "DOCKER_TLS_VERIFY")]
    pub tlsverify: bool,
    /// Trust certificates signed by this CA only (default: $DOCKER_CERT_PATH/ca.pem, else ~/.docker/ca.pem).
    #[arg(long, global = true, value_name = "FILE")]
    pub tlscacert: Option<PathBuf>,
    /// TLS client certificate (default: cert.pem beside the CA file's default).
    #[arg(long, global = true, value_name = "FILE")]
    pub tlscert: Option<PathBuf>,
    /// TLS client key (default: key.pem beside the CA file's default).
    #[arg(long, global = true, value_name = "FILE")]
    pub tlskey: Option<PathBuf>,
    /// Private key for ssh:// hosts, tried before ssh-agent and ~/.ssh/id_* (repeatable).
    #[arg(long = "ssh-identity", global = true, value_name = "FILE")]
    pub ssh_identity: Vec<PathBuf>,
    /// Output format of read commands (and the event stream of up/down/rollback).
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Plain progress lines even on a terminal.
    #[arg(long, global = true)]
    pub plain: bool,
    /// What the stack becomes: containers, services on a Swarm manager, or objects in a
    /// Kubernetes namespace (up, plan, ps, logs, restart, down, rollback, history, ls).
    #[arg(long, global = true, value_enum, env = "WINDFLOW_MODE", default_value_t = DeployMode::Containers)]
    pub mode: DeployMode,
    #[command(flatten)]
    pub kube: kube::KubeArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployMode {
    Containers,
    Swarm,
    Kubernetes,
}

impl From<DeployMode> for windflow_engine::deploy::DeployMode {
    fn from(mode: DeployMode) -> Self {
        match mode {
            DeployMode::Containers => Self::Containers,
            DeployMode::Swarm => Self::Swarm,
            DeployMode::Kubernetes => Self::Kubernetes,
        }
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check the compose file(s): errors with file, line and field; warnings for unknown keys.
    Validate,
    /// Review the stack against the advisor's rules (no healthcheck, latest tags, root,
    /// privileged, the Docker socket, published database ports, literal secrets, …): each
    /// finding at its line, with a fix.
    Advise {
        /// Exit with code 7 when an error-level finding exists.
        #[arg(long)]
        strict: bool,
    },
    /// Print the resolved, normalized stack as `docker compose config` prints it (interpolated,
    /// merged, defaults applied; secret values left out).
    Config,
    /// Show what `up` would change on the target, without changing anything.
    Plan(UpArgs),
    /// Deploy the stack and wait until every service is ready; roll back on failure.
    Up(UpArgs),
    /// List the stack's containers.
    Ps,
    /// Show container logs (with --stack, ask the WindFlow server instead of the local engine).
    Logs(LogsArgs),
    /// Remove the stack's containers and networks (no compose file needed with -p).
    Down {
        /// Also remove the stack's named volumes.
        #[arg(short = 'v', long)]
        volumes: bool,
    },
    /// Restart the stack's containers (all, or the named services).
    Restart {
        services: Vec<String>,
        /// Seconds to wait for a container to stop before killing it.
        #[arg(short = 't', long)]
        timeout: Option<u64>,
    },
    /// Deploy an earlier version again (default: the one before the current one).
    ///
    /// With --stack, ask the WindFlow server instead of the local engine.
    Rollback {
        /// The version to go back to (see `windflow history`, or `windflow stack history`).
        #[arg(long)]
        to: Option<u64>,
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        wait_timeout: u64,
        #[command(flatten)]
        remote: remote::OnServer,
    },
    /// List the stack's deployed versions.
    History,
    /// List the stacks on the target.
    Ls,
    /// Write the stack in another tool's format (Kubernetes manifests for GitOps).
    Export {
        #[arg(long, value_enum)]
        format: kube::ExportFormat,
        /// The file to write (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Write Secrets with their values (by default they are left out).
        #[arg(long)]
        include_secrets: bool,
    },
    /// Print shell completions.
    Completion { shell: clap_complete::Shell },
    /// Run the control plane: REST API, web console, deployment workers (SQLite by default).
    Serve(Box<windflow_server::ServeArgs>),
    /// Run on a target host: dial out to the control plane and execute its deployments here.
    Agent(Box<windflow_agent::AgentArgs>),
    /// Recovery operations on this host's server data (the server may be stopped).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the server's OpenAPI document (JSON).
    Openapi,
    /// Log in to a WindFlow server and keep an API token in your config directory.
    Login(remote::LoginArgs),
    /// Revoke the stored API token and forget the server.
    Logout,
    /// Stacks on the WindFlow server: push compose files, list, show, diff.
    #[command(subcommand)]
    Stack(remote::StackCommand),
    /// Certificates the server's gateways serve: list, upload, renew, remove.
    #[command(subcommand)]
    Cert(remote::CertCommand),
    /// Domains of stacks on the WindFlow server: list, set per environment, remove.
    #[command(subcommand)]
    Domain(remote::DomainCommand),
    /// DNS on the WindFlow server: providers, zones with DNSSEC, and its records with their health.
    #[command(subcommand)]
    Dns(remote::DnsCommand),
    /// Single sign-on on the WindFlow server: OpenID Connect providers (server administrators).
    #[command(subcommand)]
    Sso(remote::SsoCommand),
    /// Deploy a stack on the WindFlow server onto a target, following its progress.
    Deploy(remote::DeployArgs),
    /// The WindFlow server's deployments: a list, or one with its plan and error.
    Deployments(remote::DeploymentsArgs),
    /// Backups on the WindFlow server: repositories, each stack's policy, backup, restore,
    /// check and drill runs, snapshots browsed and downloaded.
    #[command(subcommand)]
    Backup(remote::BackupCommand),
    /// Workflows on the WindFlow server: apply and validate workflow files, run them and
    /// follow their runs, approve waiting steps, webhooks, notification channels.
    #[command(subcommand)]
    Workflow(remote::WorkflowCommand),
    /// SSH hosts: trust a host's key (after checking its fingerprint).
    #[command(subcommand)]
    Ssh(ssh_trust::SshCommand),
    /// The template catalog on the WindFlow server: list, show, deploy as a stack.
    #[command(subcommand)]
    Template(remote::TemplateCommand),
    /// AI: generate a stack from a description (through the server, or directly with
    /// WINDFLOW_AI_BASE_URL, WINDFLOW_AI_MODEL, WINDFLOW_AI_API_KEY, and optionally
    /// WINDFLOW_AI_TIMEOUT seconds and WINDFLOW_AI_MAX_TOKENS), diagnose a failed deployment.
    #[command(subcommand)]
    Ai(ai::AiCommand),
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Set a new password for a user (default `admin`), unlock it and end its sessions.
    /// Uses WINDFLOW_ADMIN_PASSWORD when set, else prints a generated one.
    ResetPassword {
        /// The user (default: admin).
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        server: Box<windflow_server::ServeArgs>,
    },
    /// Re-encrypt every secret under a new key and drop the old keys.
    RotateSecretKey {
        #[command(flatten)]
        server: Box<windflow_server::ServeArgs>,
    },
    /// Write the server's database and secrets keyring into one archive, encrypted with a
    /// passphrase (--passphrase-file or WINDFLOW_ADMIN_BACKUP_PASSPHRASE). The server may be
    /// running. PostgreSQL needs the host's pg_dump.
    Backup {
        /// The archive to write (`--out`, like `export`: `--output` is the global format flag).
        #[arg(long = "out", value_name = "FILE")]
        out: PathBuf,
        /// A file whose first line is the passphrase (else WINDFLOW_ADMIN_BACKUP_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// Write a plain tar: anyone who reads it can decrypt every secret.
        #[arg(long, conflicts_with = "passphrase_file")]
        unencrypted: bool,
        #[command(flatten)]
        server: Box<windflow_server::ServeArgs>,
    },
    /// Restore an archive of `windflow admin backup` into this server's data directory and
    /// database (stop the server first). PostgreSQL needs the host's psql.
    Restore {
        /// The archive to read.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// A file whose first line is the passphrase (else WINDFLOW_ADMIN_BACKUP_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// Replace a database or keyring that already holds data (SQLite file and keyring kept
        /// as *.before-restore-<time>; a PostgreSQL schema is dropped).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        server: Box<windflow_server::ServeArgs>,
    },
}

impl Global {
    /// What the global flags say to load: `-f`, `-p`, `--project-directory`, `--env-file`,
    /// `--profile`, and the process environment.
    pub fn load_options(&self) -> windflow_compose::LoadOptions {
        windflow_compose::LoadOptions {
            files: self.files.clone(),
            working_dir: self.project_directory.clone(),
            project_name: self.project_name.clone(),
            env_files: self.env_files.clone(),
            profiles: self.profiles.clone(),
            isolated: false,
            environment: std::env::vars().collect(),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct UpArgs {
    /// Build images before starting, even when they exist.
    #[arg(long)]
    pub build: bool,
    /// Recreate containers even when their configuration is unchanged.
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// Never recreate existing containers.
    #[arg(long)]
    pub no_recreate: bool,
    /// Pull policy for images: always, or missing (default).
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing"])]
    pub pull: Option<String>,
    /// Keep containers of services that are no longer in the stack.
    #[arg(long)]
    pub keep_orphans: bool,
    /// Longest wait for one service to become ready.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait_timeout: u64,
    /// Leave a failed deployment in place instead of restoring the previous version.
    #[arg(long)]
    pub no_rollback: bool,
}

#[derive(Args, Debug, Clone)]
pub struct LogsArgs {
    /// Only these services.
    pub services: Vec<String>,
    /// Follow new output.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Lines from the end of each container's log ("all" for everything).
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Only lines since a relative time (10m, 1h30m) or a Unix timestamp.
    #[arg(long)]
    pub since: Option<String>,
    /// Show timestamps.
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// No `service-1 |` prefix.
    #[arg(long)]
    pub no_log_prefix: bool,
    /// No colours (also NO_COLOR).
    #[arg(long)]
    pub no_color: bool,
    #[command(flatten)]
    pub remote: remote::OnServer,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Serve(args) = cli.command {
        return serve(*args);
    }
    if let Command::Agent(args) = cli.command {
        return agent(*args);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WINDFLOW_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("{}", render::error_text(&failure.message));
            }
            ExitCode::from(failure.code)
        }
    }
}

/// `windflow serve`: its own logging (JSON by default) and runtime.
fn serve(args: windflow_server::ServeArgs) -> ExitCode {
    let config = match windflow_server::ServeConfig::resolve(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{}", render::error_text(&format!("{e:#}")));
            return ExitCode::from(exit::USAGE);
        }
    };
    windflow_server::tune_allocator();
    windflow_server::init_logging(&config);
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(windflow_server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "the server stopped");
            eprintln!("{}", render::error_text(&format!("{e:#}")));
            ExitCode::from(exit::FAILURE)
        }
    }
}

/// `windflow agent`: info-level text logs on stderr, until the credential is refused.
fn agent(args: windflow_agent::AgentArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WINDFLOW_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(windflow_agent::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", render::error_text(&format!("{e:#}")));
            ExitCode::from(exit::FAILURE)
        }
    }
}

/// The multi-threaded runtime every async verb runs on.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(exit::FAILURE)
        })
}
