//! The records the store reads and writes. Plain data: ids are UUID strings, times are
//! [`Timestamp`]s (milliseconds since the Unix epoch, stored as BIGINT).

pub use windflow_domain::access::Role;
pub use windflow_domain::deployment::{DeploymentKind, DeploymentState};
pub use windflow_domain::target::{TargetKind, TargetStatus};

/// Milliseconds since the Unix epoch.
pub type Timestamp = i64;

/// A page of a list: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub offset: i64,
}

impl PageRequest {
    pub const fn new(limit: i64, offset: i64) -> Self {
        Self { limit, offset }
    }
    /// Everything (for internal callers).
    pub const fn all() -> Self {
        Self {
            limit: i64::MAX,
            offset: 0,
        }
    }
}

/// One page of rows and how many rows the whole list has.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    /// A server administrator: manages users and organizations.
    pub is_admin: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
    pub last_login_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

/// A browser session. The id itself is only in the cookie; the store keeps its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// HMAC-SHA256 of the secret, hex.
    pub hash: String,
    /// The first characters of the token, shown in lists to tell tokens apart.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganization {
    pub id: String,
    /// URL-safe, unique: `[a-z0-9][a-z0-9-]*`.
    pub slug: String,
    pub name: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEnvironment {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTarget {
    pub id: String,
    pub org_id: String,
    pub environment_id: Option<String>,
    pub name: String,
    pub kind: TargetKind,
    /// Where the engine answers: `unix:///var/run/docker.sock`, `tcp://…`, `ssh://…`.
    pub endpoint: String,
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// Kind-specific settings (TLS paths, SSH identity…), never secrets.
    pub config: serde_json::Value,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    pub org_id: String,
    pub environment_id: Option<String>,
    pub name: String,
    pub kind: TargetKind,
    pub endpoint: String,
    pub labels: serde_json::Map<String, serde_json::Value>,
    pub config: serde_json::Value,
    pub status: TargetStatus,
    /// What the last successful check learned (engine version, OS, CPUs, memory).
    pub info: Option<serde_json::Value>,
    pub checked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// What a host-access policy applies to: the organization as a whole, or one of its
/// environments or targets (which can only narrow the organization's).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PolicyScope {
    Organization,
    Environment(String),
    Target(String),
}

impl PolicyScope {
    pub fn kind(&self) -> &'static str {
        match self {
            PolicyScope::Organization => "organization",
            PolicyScope::Environment(_) => "environment",
            PolicyScope::Target(_) => "target",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            PolicyScope::Organization => "",
            PolicyScope::Environment(id) | PolicyScope::Target(id) => id,
        }
    }

    pub fn parse(kind: &str, id: &str) -> Option<Self> {
        match kind {
            "organization" => Some(PolicyScope::Organization),
            "environment" => Some(PolicyScope::Environment(id.to_string())),
            "target" => Some(PolicyScope::Target(id.to_string())),
            _ => None,
        }
    }
}

/// A host-access policy as stored: the domain's `HostAccessPolicy` as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct HostPolicy {
    pub org_id: String,
    pub scope: PolicyScope,
    pub policy: serde_json::Value,
    pub updated_at: Timestamp,
}

/// One connection check of a target: the health history.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCheck {
    pub target_id: String,
    pub checked_at: Timestamp,
    pub status: TargetStatus,
    pub latency_ms: i64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewStack {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub first_version: NewStackVersion,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    /// The newest version number (1, 2, …): the stack's ETag.
    pub latest_version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set when its removal from every target was asked for: it is deleted once the last
    /// removal succeeds, and takes no new deployment meanwhile.
    pub delete_requested_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StackFilter {
    pub name_contains: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewStackVersion {
    /// The compose file, as the author wrote it.
    pub content: String,
    pub author_id: String,
    pub message: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StackVersion {
    pub stack_id: String,
    pub version: i64,
    pub content: String,
    pub author_id: String,
    /// The author's username at read time.
    pub author: String,
    pub message: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StackVersionSummary {
    pub version: i64,
    pub author: String,
    pub message: String,
    pub created_at: Timestamp,
}

/// Where a variable applies: to one stack (in every environment, or in one environment),
/// or to every stack deployed in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableScope {
    Stack {
        stack_id: String,
        environment_id: Option<String>,
    },
    Environment {
        environment_id: String,
    },
}

/// An encrypted secret: XChaCha20-Poly1305 ciphertext, its nonce and the id of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretValue {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableValue {
    Plain(String),
    Secret(SecretValue),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewVariable {
    pub id: String,
    pub scope: VariableScope,
    pub name: String,
    pub value: VariableValue,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub id: String,
    pub org_id: String,
    pub scope: VariableScope,
    pub name: String,
    pub value: VariableValue,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDeployment {
    pub id: String,
    pub org_id: String,
    pub stack_id: String,
    pub stack_version: i64,
    pub target_id: String,
    pub environment_id: Option<String>,
    pub kind: DeploymentKind,
    pub requested_by: String,
    /// Unique per (organization, user) when set.
    pub idempotency_key: Option<String>,
    /// How the target was chosen from a label selector; `None` when the request named it.
    pub placement: Option<serde_json::Value>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub id: String,
    pub org_id: String,
    pub stack_id: String,
    pub stack_name: String,
    pub stack_version: i64,
    pub target_id: String,
    pub target_name: String,
    pub environment_id: Option<String>,
    pub environment_name: Option<String>,
    pub kind: DeploymentKind,
    pub state: DeploymentState,
    pub requested_by: String,
    /// The requester's username at read time.
    pub requested_by_name: String,
    pub idempotency_key: Option<String>,
    pub plan: Option<serde_json::Value>,
    /// How the target was chosen from a label selector, and the targets tried so far.
    pub placement: Option<serde_json::Value>,
    /// The services' domains and gateway settings as this deployment deployed them (service →
    /// ingress); `None` before it ran, and for deployments older than the record.
    pub ingress: Option<serde_json::Value>,
    pub error: Option<String>,
    pub cancel_requested: bool,
    /// How many times a worker took it (more than 1 after a crash).
    pub attempts: i64,
    pub worker: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeploymentFilter {
    pub stack_id: Option<String>,
    pub target_id: Option<String>,
    pub state: Option<DeploymentState>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentFinish {
    /// A terminal state.
    pub state: DeploymentState,
    pub error: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    Requested,
}

/// One step event of a deployment, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentEvent {
    pub deployment_id: String,
    pub seq: i64,
    pub at: Timestamp,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub id: String,
    /// `None` for server-level actions (users, organizations).
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    /// The actor's username (kept even if the user is later removed).
    pub actor: String,
    /// `stack.create`, `deployment.cancel`, `auth.login_failed`…
    pub action: String,
    /// The resource acted on, e.g. `stack/web`.
    pub resource: String,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
    pub at: Timestamp,
}

pub type AuditEntry = NewAuditEntry;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Prefix match: `stack.` matches every stack action.
    pub action: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// A single-use token that enrolls one agent as a new target (only its hash is stored).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgentEnrollment {
    pub id: String,
    pub org_id: String,
    pub hash: String,
    pub target_name: String,
    pub environment_id: Option<String>,
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// The user who created it.
    pub created_by: String,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

/// What `enroll_agent` needs besides the enrollment token's hash.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgent {
    pub id: String,
    /// The id the agent's target gets.
    pub target_id: String,
    pub credential_hash: String,
    pub version: Option<String>,
    pub created_at: Timestamp,
}

/// An enrolled agent and the target it serves.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRecord {
    pub id: String,
    pub org_id: String,
    pub target_id: String,
    pub target_name: String,
    pub version: Option<String>,
    pub address: Option<String>,
    pub last_seen_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

// ---- certificates, ACME accounts, DNS, domains -------------------------------------------

/// Where a certificate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateSource {
    /// Issued (and renewed) through ACME by WindFlow.
    Acme,
    /// Uploaded by a user; renewed by uploading again.
    Uploaded,
}

impl CertificateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateSource::Acme => "acme",
            CertificateSource::Uploaded => "uploaded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "acme" => Some(CertificateSource::Acme),
            "uploaded" => Some(CertificateSource::Uploaded),
            _ => None,
        }
    }
}

/// A certificate to store: its chain in clear, its private key sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertificate {
    pub id: String,
    pub name: String,
    pub source: CertificateSource,
    pub domains: Vec<String>,
    pub chain_pem: String,
    pub key: SecretValue,
    pub issuer: String,
    pub serial: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub source: CertificateSource,
    pub domains: Vec<String>,
    pub chain_pem: String,
    pub key: SecretValue,
    pub issuer: String,
    pub serial: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// The last renewal's error, cleared by the next successful one.
    pub renewal_error: Option<String>,
    pub renewal_attempts: i64,
    /// No renewal is tried before this (backoff after a failure).
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CertificateRecord {
    /// When renewal is due: at two thirds of the certificate's lifetime.
    pub fn renewal_at(&self) -> Timestamp {
        self.not_before + (self.not_after - self.not_before) * 2 / 3
    }

    /// Whether a renewal should be tried at `now`: past [`renewal_at`](Self::renewal_at) and
    /// not waiting out the backoff of a failed one (what `list_certificates_due` selects).
    pub fn renewal_due(&self, now: Timestamp) -> bool {
        self.renewal_at() <= now && self.next_attempt_at.is_none_or(|at| at <= now)
    }
}

/// An organization's account with one ACME directory; the credentials are sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeAccountRecord {
    pub org_id: String,
    pub directory_url: String,
    pub contact: Option<String>,
    pub credentials: SecretValue,
    pub created_at: Timestamp,
}

/// A DNS provider to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDnsProvider {
    pub id: String,
    pub name: String,
    /// `rfc2136`, `powerdns`, …: the server decides which kinds exist.
    pub kind: String,
    /// The provider's settings (server address, zones, key name …), never a credential.
    pub config: serde_json::Value,
    /// Its credential (TSIG secret, API token), sealed.
    pub secret: Option<SecretValue>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsProviderRecord {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub kind: String,
    pub config: serde_json::Value,
    pub secret: Option<SecretValue>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A DNS record WindFlow created (only these are ever changed or removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecordRow {
    pub id: String,
    pub org_id: String,
    pub provider_id: String,
    pub zone: String,
    pub name: String,
    pub record_type: String,
    pub values: Vec<String>,
    /// What the record serves, e.g. `stack:<id>:<environment id>`.
    pub owner: String,
    pub created_at: Timestamp,
    /// The last health check's verdict; `Unchecked` for a new record or changed values
    /// (ignored by `save_dns_record`, set by `record_dns_check`).
    pub health: DnsHealth,
    /// What the servers answered on a mismatch, or why the check could not be made.
    pub health_detail: Option<String>,
    pub checked_at: Option<Timestamp>,
}

/// One health check's result for a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsCheck<'a> {
    pub health: DnsHealth,
    /// What the servers answered on a mismatch, or why the check could not be made.
    pub detail: Option<&'a str>,
    pub checked_at: Timestamp,
}

/// Whether the authoritative servers serve a record as WindFlow wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsHealth {
    /// Not checked yet, or no server could be asked.
    #[default]
    Unchecked,
    /// Every authoritative server answers exactly the record's values.
    InSync,
    /// At least one answers something else, or nothing.
    Mismatch,
}

impl DnsHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchecked => "unchecked",
            Self::InSync => "in_sync",
            Self::Mismatch => "mismatch",
        }
    }

    /// Unknown text reads as `Unchecked`.
    pub fn parse(text: &str) -> Self {
        match text {
            "in_sync" => Self::InSync,
            "mismatch" => Self::Mismatch,
            _ => Self::Unchecked,
        }
    }
}

/// Domains of one service of a stack set in the control plane, for one environment (or for
/// every environment when `environment_id` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackDomains {
    pub stack_id: String,
    pub environment_id: Option<String>,
    pub service: String,
    pub ingress: windflow_domain::Ingress,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

// ---- the template catalog -----------------------------------------------------------------

/// A catalog source a server administrator added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogSourceRecord {
    pub id: String,
    pub name: String,
    /// `git` (a repository, cloned shallow) or `http` (one file).
    pub kind: String,
    pub url: String,
    /// The folder or file inside a git repository.
    pub path: Option<String>,
    /// A git branch or tag.
    pub reference: Option<String>,
    /// `coolify`, `portainer` or `windflow`.
    pub format: String,
    pub refresh_interval_s: i64,
    pub refreshed_at: Option<Timestamp>,
    pub refresh_error: Option<String>,
    /// The last refresh's import report (per template: imported, or why not).
    pub report: serde_json::Value,
    pub created_at: Timestamp,
}

/// One imported template of a source, as cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogTemplateRow {
    pub source_id: String,
    pub template_id: String,
    pub version: String,
    pub name: String,
    pub description: String,
    pub categories: Vec<String>,
    /// The template file (compose text with its `x-windflow.template` block).
    pub text: String,
}

/// The template a stack was created from: enough to upgrade it with a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackTemplate {
    pub stack_id: String,
    /// `builtin` or a catalog source's name.
    pub source: String,
    pub template_id: String,
    pub version: String,
    pub size: serde_json::Value,
    /// The non-secret input values; secret and generated ones live as stack secrets.
    pub inputs: serde_json::Value,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

// ---- AI -------------------------------------------------------------------------------------

/// An organization's OpenAI-compatible provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiProviderRecord {
    pub org_id: String,
    pub base_url: String,
    pub model: String,
    /// Timeouts, token limits, the monthly budget.
    pub settings: serde_json::Value,
    /// The API key, sealed.
    pub secret: Option<SecretValue>,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// One AI call, for the audit and the token budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiRequestRow {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    /// `generate`, `diagnose`, `optimize`.
    pub kind: String,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub duration_ms: i64,
    /// `ok`, or the error's kind.
    pub outcome: String,
    pub created_at: Timestamp,
}

// ---- backups --------------------------------------------------------------------------------

/// A backup repository of an organization: where restic stores its encrypted, deduplicated
/// data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRepositoryRecord {
    pub id: String,
    pub org_id: String,
    /// Unique in the organization.
    pub name: String,
    /// `s3`, `folder` or `sftp`.
    pub kind: String,
    /// The non-secret settings (endpoint, bucket, prefix, target, path, …).
    pub settings: serde_json::Value,
    /// The secret settings (S3 keys, an SSH key), sealed; `None` when there are none.
    pub credentials: Option<SecretValue>,
    /// The restic repository password, sealed.
    pub password: SecretValue,
    pub initialized_at: Option<Timestamp>,
    pub checked_at: Option<Timestamp>,
    pub check_ok: Option<bool>,
    pub check_message: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A stack's backup policy (one per stack; removed with the stack or the organization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupPolicyRecord {
    pub org_id: String,
    pub stack_id: String,
    /// A repository of the same organization; it cannot be deleted while a policy uses it.
    pub repository_id: String,
    pub enabled: bool,
    /// Schedule, timezone, retention, volumes, databases, hooks, consistency, check, drill.
    pub settings: serde_json::Value,
    pub next_backup_at: Option<Timestamp>,
    pub next_check_at: Option<Timestamp>,
    pub next_drill_at: Option<Timestamp>,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// One backup operation (a backup, restore, check, drill or prune), run under a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRunRecord {
    pub id: String,
    pub org_id: String,
    /// `None` for a repository-wide operation (a check). Not a reference: runs outlive
    /// their stack.
    pub stack_id: Option<String>,
    pub stack_name: Option<String>,
    pub repository_id: String,
    /// `backup`, `restore`, `check`, `drill` or `prune`.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// `manual` or `schedule`.
    pub trigger: String,
    pub requested_by: String,
    pub params: serde_json::Value,
    /// Progress and outcome, rewritten as the run goes.
    pub result: serde_json::Value,
    pub error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Timestamp>,
    pub attempts: i64,
    pub cancel_requested: bool,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// One restic snapshot a backup run wrote (one per volume, database dump or bind mount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSnapshotRecord {
    /// restic's snapshot id (64 hex digits), unique in its repository.
    pub id: String,
    pub org_id: String,
    pub repository_id: String,
    /// Not a reference: snapshots outlive their stack (restorable into another).
    pub stack_id: String,
    pub stack_name: String,
    pub run_id: String,
    /// `volume:<name>`, `database:<service>` or `bind:<path>`.
    pub item: String,
    /// `volume`, `database` or `bind`.
    pub kind: String,
    /// `postgres`, `mysql`, `mongodb` or `redis`, for a database dump.
    pub engine: Option<String>,
    /// The path inside the snapshot.
    pub path: String,
    pub files: i64,
    pub size_bytes: i64,
    pub added_bytes: i64,
    pub duration_ms: i64,
    pub created_at: Timestamp,
}

// ---- teams, custom roles, scoped grants, service accounts ------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
    /// The members' user names, sorted.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTeam {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomRole {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub permissions: windflow_domain::access::PermissionSet,
    pub created_at: Timestamp,
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantSubject {
    User(String),
    Team(String),
}

/// The role a grant gives: a built-in one or one of the organization's custom roles (by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRole {
    Builtin(Role),
    Custom(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRoleGrant {
    pub id: String,
    pub org_id: String,
    pub subject: GrantSubject,
    pub role: GrantRole,
    pub scope: windflow_domain::access::Scope,
    pub created_at: Timestamp,
}

/// A grant as listed: ids with the names they stand for.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleGrant {
    pub id: String,
    pub org_id: String,
    pub subject: GrantSubject,
    /// The user's or the team's name.
    pub subject_name: String,
    pub role: GrantRole,
    /// The built-in role's name or the custom role's name.
    pub role_name: String,
    pub scope: windflow_domain::access::Scope,
    /// The environment's or the stack's name; `None` on the organization.
    pub scope_name: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceAccount {
    pub id: String,
    pub org_id: String,
    /// The user row that holds its membership, grants and tokens.
    pub user_id: String,
    pub name: String,
    pub description: String,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewServiceAccount {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    /// The user row's unique user name (`<org>/<name>` style; never logs in).
    pub username: String,
    pub name: String,
    pub description: String,
    pub role: Role,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
}

// ---- passkeys -----------------------------------------------------------------------------

/// A user's passkey: its WebAuthn credential as webauthn-rs serializes it (public key and
/// signature counter; nothing secret).
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub credential_id: String,
    pub credential: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// The server-side half of a WebAuthn ceremony between its start and its finish.
#[derive(Debug, Clone, PartialEq)]
pub struct WebauthnCeremony {
    pub id: String,
    pub user_id: String,
    /// `register` or `login`.
    pub kind: String,
    pub state: String,
    pub expires_at: Timestamp,
}

/// An OpenID Connect provider (server-wide).
#[derive(Debug, Clone, PartialEq)]
pub struct SsoProviderRecord {
    pub id: String,
    pub slug: String,
    pub display_name: String,
    pub issuer_url: String,
    pub client_id: String,
    /// The client secret, sealed (`None` on update: keep the stored one).
    pub secret: Option<SecretValue>,
    pub scopes: Vec<String>,
    /// Email domains allowed to log in (empty: any).
    pub allowed_domains: Vec<String>,
    pub auto_provision: bool,
    /// `{username, email, display_name, groups}`: the claim names to read.
    pub claims: serde_json::Value,
    /// `[{group, org, role}]`.
    pub group_mappings: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// An identity at a provider, linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    pub provider_id: String,
    pub subject: String,
    pub user_id: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub last_login_at: Timestamp,
}

/// What a group mapping changed at a login: (organization id, role).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoGrantChanges {
    pub added: Vec<(String, Role)>,
    pub changed: Vec<(String, Role)>,
    pub removed: Vec<(String, Role)>,
}

/// A login under way, keyed by its state's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoLogin {
    pub state_hash: String,
    pub provider_id: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where the console goes after the login (a path on this server).
    pub return_to: Option<String>,
    /// A CLI's loopback redirect (the login ends with a one-time code there).
    pub cli_redirect: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A one-time code a CLI exchanges for an API token (hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoCliCode {
    pub code_hash: String,
    pub user_id: String,
    pub provider_id: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An organization's workflow: its current version's document and its trigger state.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRecord {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub version: i64,
    /// The current version's document (the workflow file as JSON).
    pub document: serde_json::Value,
    pub enabled: bool,
    /// Routes incoming webhooks to the workflow; `None` until a webhook secret is made.
    pub webhook_token: Option<String>,
    /// The sealed key incoming webhooks are signed with.
    pub webhook_secret: Option<SecretValue>,
    /// When the next cron trigger fires (`None`: no cron trigger).
    pub next_cron_at: Option<Timestamp>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// One saved version of a workflow (immutable).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowVersionRecord {
    pub workflow_id: String,
    pub version: i64,
    pub document: serde_json::Value,
    /// The user who saved it.
    pub author: String,
    pub created_at: Timestamp,
}

/// One run of a workflow, run under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRunRecord {
    pub id: String,
    pub org_id: String,
    pub workflow_id: String,
    pub workflow_name: String,
    /// The version the run executes (fixed when it is queued).
    pub version: i64,
    /// `queued`, `running`, `waiting`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// `manual`, `cron`, `webhook`, `event` or `call`.
    pub trigger_kind: String,
    pub trigger_payload: serde_json::Value,
    pub inputs: serde_json::Value,
    /// The user who started it (`None` for a trigger).
    pub requested_by: Option<String>,
    /// The run whose `call` node started this one.
    pub parent_run: Option<String>,
    /// How many runs of the workflow may be running or waiting at once.
    pub concurrency_limit: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Timestamp>,
    pub attempts: i64,
    pub cancel_requested: bool,
    /// When a waiting run is due again (a timer, a retry, an approval's deadline).
    pub wake_at: Option<Timestamp>,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// One node's state in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowNodeRunRecord {
    pub run_id: String,
    pub node_id: String,
    /// `pending`, `running`, `waiting`, `succeeded`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The output port a condition or switch chose.
    pub port: Option<String>,
    pub attempt: i64,
    pub input: Option<serde_json::Value>,
    pub output: Option<serde_json::Value>,
    pub logs: String,
    pub error: Option<String>,
    /// What the node started elsewhere (a deployment id), so a resumed node waits for it.
    pub reference: Option<String>,
    /// When a waiting node is due (a retry, a wait, an approval's deadline).
    pub wake_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// A notification channel of an organization; its credentials sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationChannelRecord {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub kind: String,
    /// The public settings (no credential).
    pub settings: serde_json::Value,
    /// The sealed credentials (a JSON object), if the channel has any.
    pub secret: Option<SecretValue>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
