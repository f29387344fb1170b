//! The REST API's wire types: every request and response body of `/api/v1`, shared by the
//! server, the CLI's client and — through the OpenAPI document generated from them — the web
//! UI's TypeScript client.
//!
//! *Invariant:* these types know nothing of storage or the engine; the server maps its records
//! into them, so a schema change here is a deliberate API change. The one dependency is
//! `windflow-domain`, for the enums every layer shares (roles, deployment states and kinds,
//! target kinds and statuses, policy levels) and what an engine says about itself
//! (`EngineInfo`): they are re-exported here as the wire's own,
//! with their OpenAPI schema (domain's `openapi` feature), so they are defined once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

pub mod agent;
pub mod factors;
pub mod inventory;
pub mod workflows;

pub use factors::*;
pub use time;
/// The enums the API shows as they are, defined once in the domain: the wire and the store
/// name a role, a deployment's state and kind, a target's kind and status and a policy level
/// the same way.
pub use windflow_domain::access::Role;
pub use windflow_domain::deployment::{DeploymentKind, DeploymentState};
pub use windflow_domain::observed::{EngineInfo, SwarmNode};
pub use windflow_domain::policy::PolicyLevel;
pub use windflow_domain::target::{TargetKind, TargetStatus};
pub use workflows::*;

/// The API's version prefix.
pub const API_PREFIX: &str = "/api/v1";
/// The CSRF header a browser session must send on every mutating request.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The header that makes a POST safe to retry.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "windflow_session";

/// An RFC 9457 problem: every error the API returns, as `application/problem+json`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`https://windflow.dev/problems/conflict`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id, also in the `x-request-id` response header and the server log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field-level errors (validation): where and what.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One thing wrong with a request body or a compose file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The field (`name`, `content`) or, for compose files, the YAML path (`services.web.ports`).
    pub field: String,
    pub message: String,
    /// For compose content: the 1-based line in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// A page of results with the total count of the filtered list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// `?limit=&offset=` on every list.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many items (1–500, default 50).
    pub limit: Option<i64>,
    /// Skip this many items.
    pub offset: Option<i64>,
}

// ---- auth ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// A TOTP code or a recovery code, for a user with a second factor (a login without one
    /// answers 401 with the problem type [`SECOND_FACTOR_REQUIRED`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Who is logged in, and the CSRF token a browser must echo in `x-csrf-token`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub user: User,
    pub organizations: Vec<Membership>,
    /// Present for cookie sessions; API tokens need none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The organizations (slugs) whose login policy requires a second factor you have not
    /// enrolled: their endpoints answer 403 until you enrol one.
    #[serde(default)]
    pub second_factor_enrolment_required: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Membership {
    pub organization: Organization,
    pub role: Role,
    /// Permissions held beyond the role on some environment or stack (through grants to the
    /// user or its teams), or organization-wide through a team: what the console offers,
    /// the server checking each action on its environment and stack.
    #[serde(default)]
    pub scoped_permissions: Vec<windflow_domain::access::Permission>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateTokenRequest {
    pub name: String,
    /// `read` (GET only) or `write` (everything the user may do). Default: both.
    #[serde(default)]
    pub scopes: Vec<TokenScope>,
    /// Days until it expires; none for a token that never expires.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    Read,
    Write,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    pub scopes: Vec<TokenScope>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A new token: the secret is shown this once and never again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

// ---- single sign-on -------------------------------------------------------------------------

/// Which claims of the ID token (or userinfo) give the user's name, email, display name and
/// groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SsoClaimMapping {
    #[serde(default = "default_username_claim")]
    pub username: String,
    #[serde(default = "default_email_claim")]
    pub email: String,
    #[serde(default = "default_display_name_claim")]
    pub display_name: String,
    #[serde(default = "default_groups_claim")]
    pub groups: String,
}

fn default_username_claim() -> String {
    "preferred_username".into()
}
fn default_email_claim() -> String {
    "email".into()
}
fn default_display_name_claim() -> String {
    "name".into()
}
fn default_groups_claim() -> String {
    "groups".into()
}

impl Default for SsoClaimMapping {
    fn default() -> Self {
        Self {
            username: default_username_claim(),
            email: default_email_claim(),
            display_name: default_display_name_claim(),
            groups: default_groups_claim(),
        }
    }
}

/// Members of `group` at the provider get `role` in organization `org` (refreshed at each
/// login: a group that disappears takes the role away).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SsoGroupMapping {
    pub group: String,
    /// The organization's slug.
    pub org: String,
    pub role: Role,
}

/// An OpenID Connect provider as administrators see it (the client secret never).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SsoProvider {
    pub slug: String,
    pub display_name: String,
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret_set: bool,
    pub scopes: Vec<String>,
    /// Email domains allowed to log in (empty: any).
    pub allowed_domains: Vec<String>,
    /// Unknown identities become new users (else an administrator links them first).
    pub auto_provision: bool,
    pub claims: SsoClaimMapping,
    pub group_mappings: Vec<SsoGroupMapping>,
    /// The redirect URI to register at the provider for this client.
    pub redirect_uri: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Add or change a provider. On change, `client_secret` absent keeps the stored secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SsoProviderRequest {
    /// Lowercase letters, digits and dashes; fixed once created (ignored on change).
    #[serde(default)]
    pub slug: String,
    pub display_name: String,
    pub issuer_url: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scopes besides `openid` (default: `email profile`).
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    #[serde(default)]
    pub auto_provision: bool,
    #[serde(default)]
    pub claims: Option<SsoClaimMapping>,
    #[serde(default)]
    pub group_mappings: Vec<SsoGroupMapping>,
}

/// A provider on the login page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SsoProviderSummary {
    pub slug: String,
    pub display_name: String,
}

/// Exchange the one-time code a CLI received on its loopback redirect for an API token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SsoCliExchangeRequest {
    pub code: String,
    /// The token's name (default `windflow CLI (sso)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What logging out asks of the browser: the provider's RP-initiated logout URL when the
/// session came from a provider that offers one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogoutInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_url: Option<String>,
}

// ---- users and organizations --------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// A server administrator (manages users and organizations).
    pub is_admin: bool,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub password: String,
    #[serde(default)]
    pub is_admin: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Sets a new password (admins resetting someone else's).
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub slug: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateOrganizationRequest {
    /// Lowercase letters, digits and dashes; used in URLs.
    pub slug: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetMemberRequest {
    /// The user's name (or id).
    pub user: String,
    pub role: Role,
}

// ---- passkeys ----------------------------------------------------------------------------------

/// One of your passkeys.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// The first step of a WebAuthn ceremony: its id, to send back with the answer, and the
/// options for `navigator.credentials.create` (registration) or `.get` (login), as
/// WebAuthn's JSON (binary fields in base64url).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasskeyChallenge {
    pub ceremony: String,
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartPasskeyRegistrationRequest {
    /// Your current password: a session alone cannot add a way in.
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FinishPasskeyRegistrationRequest {
    pub ceremony: String,
    /// What to call it ("laptop", "YubiKey").
    pub name: String,
    /// The authenticator's `PublicKeyCredential`, as WebAuthn's JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartPasskeyLoginRequest {
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FinishPasskeyLoginRequest {
    pub ceremony: String,
    /// The authenticator's assertion, as WebAuthn's JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

// ---- teams, custom roles, scoped grants, service accounts ------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Team {
    pub name: String,
    pub description: String,
    /// The members' user names.
    pub members: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateTeamRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomRole {
    pub name: String,
    pub description: String,
    /// What the role allows.
    pub permissions: Vec<windflow_domain::access::Permission>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateCustomRoleRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// At least one of `read`, `deploy`, `configure`, `audit`, `manage_members`.
    pub permissions: Vec<windflow_domain::access::Permission>,
}

/// Where a grant applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantScopeKind {
    Organization,
    Environment,
    Stack,
}

/// A role held by a user or a team on the organization, one environment or one stack.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleGrant {
    pub id: String,
    /// The user's name, when granted to a user.
    pub user: Option<String>,
    /// The team's name, when granted to a team.
    pub team: Option<String>,
    /// A built-in role (`viewer`, `operator`, `admin`, `owner`) or a custom role's name.
    pub role: String,
    pub custom: bool,
    pub scope: GrantScopeKind,
    /// The environment's or the stack's name (absent on the organization).
    pub scope_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Grant a role to a user or a team (exactly one of them) on the organization (teams only:
/// a user's organization role is their membership), an environment or a stack.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateGrantRequest {
    pub user: Option<String>,
    pub team: Option<String>,
    /// A built-in role or a custom role's name.
    pub role: String,
    pub scope: GrantScopeKind,
    /// The environment's or the stack's name; required unless the scope is the organization.
    pub scope_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceAccount {
    pub name: String,
    pub description: String,
    /// The user name its tokens act as (it never logs in with a password).
    pub username: String,
    /// Its organization role (more can be granted on environments and stacks).
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateServiceAccountRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Its organization role; `viewer` when absent. Narrow roles on environments or stacks
    /// are granted through `/grants`.
    pub role: Option<Role>,
}

// ---- environments and targets ----------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Environment {
    pub id: String,
    pub name: String,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateEnvironmentRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub kind: TargetKind,
    /// `unix:///var/run/docker.sock`, `tcp://host:2376`, `ssh://user@host`.
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[schema(value_type = Object)]
    pub labels: serde_json::Map<String, serde_json::Value>,
    pub status: TargetStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<EngineInfo>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub checked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Whether a client key (TLS or SSH) is stored for the target; the key itself is
    /// never returned.
    #[serde(default)]
    pub has_client_key: bool,
    /// The SHA-256 fingerprint of the SSH host key pinned for a target reached over SSH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key_fingerprint: Option<String>,
    /// A server administrator shared the target's engine with this organization: it may
    /// reach an engine another organization registered first.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateTargetRequest {
    pub name: String,
    #[serde(default = "default_target_kind")]
    pub kind: TargetKind,
    pub endpoint: String,
    /// The environment (name) the target belongs to.
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// TLS client material for a `docker` or `swarm` target at `tcp://` (PEM text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TargetTlsRequest>,
    /// The client key and pinned host key of an `ssh` target, or of a `swarm` target at
    /// `ssh://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<TargetSshRequest>,
    /// Share an engine another organization registered first with this organization
    /// (server administrators only; audited). Without it such a target is refused (409).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
    /// How a `kubernetes` target reaches its cluster (its endpoint is then the API server's
    /// URL from the kubeconfig).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<TargetKubernetesRequest>,
}

/// A `kubernetes` target's cluster: a kubeconfig (stored encrypted, never returned: it holds
/// the credentials) and where stacks go.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetKubernetesRequest {
    /// The kubeconfig's YAML text (server URL, CA, and a token or client certificate).
    pub kubeconfig: String,
    /// Its context (default: its current context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The storage class of named volumes' claims (default: the cluster's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// The ingress class of domains' Ingresses (default: the cluster's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class: Option<String>,
    /// A cert-manager cluster issuer for domains with `tls: auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_issuer: Option<String>,
}

/// TLS for a `tcp://` target: the CA that signed the engine's certificate, and the client
/// certificate and key (PEM text). The key is stored encrypted and never returned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetTlsRequest {
    pub ca: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// SSH for an `ssh://` target: the OpenSSH private key to log in with (stored encrypted,
/// never returned) and the host key to trust, as an OpenSSH public key line
/// (`ssh-ed25519 AAAA…`) or its `SHA256:` fingerprint. Without a host key, the target is
/// trusted later with `POST …/targets/{target}/trust`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetSshRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
}

/// `POST …/targets/{target}/trust`: the fingerprint of the SSH host key to pin, checked
/// against the key the host offers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrustTargetRequest {
    /// `SHA256:…`, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it.
    pub fingerprint: String,
}

fn default_target_kind() -> TargetKind {
    TargetKind::Docker
}

/// The answer of `POST …/targets/{name}/test`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetTest {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<EngineInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub latency_ms: u64,
}

/// One entry of a target's health history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetCheck {
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    pub status: TargetStatus,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `PATCH …/targets/{name}`: what may change on a registered target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdateTargetRequest {
    /// Replaces the labels (string values) used by label selectors.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub labels: Option<serde_json::Map<String, serde_json::Value>>,
    /// Share (or stop sharing) the target's engine with this organization (server
    /// administrators only; audited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared: Option<bool>,
}

/// How a deployment picks its target among those matching a label selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlacementStrategy {
    /// The eligible target (up, labels matching, enough unreserved memory for the stack's
    /// reservations) with the most unreserved memory.
    #[default]
    MostFreeMemory,
}

/// A deployment's placement: the selector it was given, and where it went and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Placement {
    pub selector: BTreeMap<String, String>,
    pub strategy: PlacementStrategy,
    pub failover: bool,
    /// The targets tried before the current one (failover), in order.
    #[serde(default)]
    pub tried: Vec<String>,
    /// Why the current target was chosen (`most free memory: 3.1 GiB of 7.8 GiB`).
    pub reason: String,
}

// ---- stacks ----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Stack {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The newest version; also the stack's ETag (`"3"`).
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Where it runs (in lists; empty elsewhere).
    #[serde(default)]
    pub deployed: Vec<DeployedStack>,
    /// Its newest deployment, whatever its state (in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deployment: Option<DeploymentSummary>,
}

/// A deployment in a line: enough for a list's status column.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeploymentSummary {
    pub id: String,
    pub kind: DeploymentKind,
    pub state: DeploymentState,
    pub target: String,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A stack with the content of one version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StackDetail {
    pub stack: Stack,
    pub current: StackVersion,
    /// Services the compose file defines (empty when it no longer loads).
    pub services: Vec<String>,
    /// Where it runs: per target, the version its last successful deployment left there.
    #[serde(default)]
    pub deployed: Vec<DeployedStack>,
    /// Its deletion was asked for: it is being removed from its targets and takes no new
    /// deployment.
    #[serde(default)]
    pub deleting: bool,
}

/// A stack running on a target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeployedStack {
    pub target: String,
    pub version: i64,
    /// The deployment that put it there.
    pub deployment: String,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub since: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateStackRequest {
    /// The stack's name, which is also the compose project name on targets.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The compose file.
    pub content: String,
    #[serde(default)]
    pub message: Option<String>,
}

/// A new version of a stack. Send `If-Match: "<version>"` to refuse the write when someone
/// else pushed in between.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdateStackRequest {
    pub content: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StackVersion {
    pub version: i64,
    pub content: String,
    pub author: String,
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StackVersionSummary {
    pub version: i64,
    pub author: String,
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A unified diff between two versions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StackDiff {
    pub from: i64,
    pub to: i64,
    pub unified: String,
    pub added_lines: usize,
    pub removed_lines: usize,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StackListQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// Only stacks whose name contains this.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    pub from: i64,
    pub to: i64,
}

/// Validation of compose content without saving it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ValidateRequest {
    pub content: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Validation {
    pub valid: bool,
    pub errors: Vec<FieldError>,
    pub warnings: Vec<FieldError>,
    pub services: Vec<String>,
    /// The advisor's findings on a stack that loads (advice: none of it blocks a deployment).
    #[serde(default)]
    pub advice: Vec<Advice>,
}

// ---- host-access policies ------------------------------------------------------------------

/// A host-access policy: what host-level features a stack may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HostPolicy {
    pub level: PolicyLevel,
    /// Absolute host paths under which bind mounts are allowed (below `privileged`).
    #[serde(default)]
    pub allowed_host_paths: Vec<String>,
}

/// An organization's host-access policy and the narrower ones of its environments and
/// targets. A deployment gets the organization's policy narrowed by its environment's and its
/// target's: a narrowing only takes permissions away.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HostPolicies {
    /// Set by server administrators; `baseline` when never set.
    pub organization: HostPolicy,
    /// By environment name.
    pub environments: BTreeMap<String, HostPolicy>,
    /// By target name.
    pub targets: BTreeMap<String, HostPolicy>,
}

// ---- variables and secrets -----------------------------------------------------------------

/// A variable or secret. A secret's value is never returned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Variable {
    pub name: String,
    pub secret: bool,
    /// The value of a plain variable; always absent for a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The environment this value is for; absent when it applies to all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetVariableRequest {
    pub value: String,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VariableQuery {
    /// Values for this environment only (default: the ones for every environment).
    pub environment: Option<String>,
}

// ---- domains ------------------------------------------------------------------------------

/// The domains of one service of a stack: from its compose file (`x-windflow`), or set in
/// the control plane for every environment or one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceDomains {
    pub service: String,
    /// `host` or `host/path-prefix`.
    pub domains: Vec<String>,
    /// The container port the gateway forwards to.
    pub port: u16,
    /// `auto` (ACME), `off`, or the name of a stored certificate.
    pub tls: String,
    /// `compose` (the stack's newest version) or `control-plane`.
    pub source: String,
    /// The health-check path requested on each replica, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// The environment a control-plane setting is for; absent when it applies to all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub updated_at: Option<OffsetDateTime>,
}

/// Sets a service's domains in the control plane, over its compose file's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetDomainsRequest {
    pub domains: Vec<String>,
    /// Default: the compose file's `x-windflow.port`, else the service's only declared port.
    #[serde(default)]
    pub port: Option<u16>,
    /// Default: `auto`.
    #[serde(default)]
    pub tls: Option<String>,
    /// A path the gateway requests on each replica to keep unhealthy ones out of rotation
    /// (default: the compose file's `x-windflow.health`, else none).
    #[serde(default)]
    pub health: Option<String>,
}

// ---- gateways ---------------------------------------------------------------------------

/// A target's gateway: whether it runs, and the routes it serves with their replicas.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GatewayInfo {
    /// Whether this kind of target has a gateway (docker, ssh and agent targets do).
    pub supported: bool,
    /// Whether the gateway container answers.
    pub running: bool,
    pub image: String,
    /// Where the gateway takes HTTP and HTTPS on the target's host.
    pub http: String,
    pub https: String,
    pub routes: Vec<GatewayRoute>,
    /// Raw TCP forwards of gateway ports (the TCP gateway, HAProxy, beside the HTTP one).
    #[serde(default)]
    pub tcp_routes: Vec<GatewayTcpRoute>,
    /// Whether the TCP gateway container runs (it exists only while TCP routes do).
    #[serde(default)]
    pub tcp_running: bool,
    /// Why the live state could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One host and path the gateway serves.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GatewayRoute {
    /// `host` or `host/path-prefix`.
    pub domain: String,
    pub stack: String,
    pub service: String,
    /// `auto`, `off` or a stored certificate's name.
    pub tls: String,
    /// The certificate serving it, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    pub upstreams: Vec<GatewayUpstream>,
}

/// A gateway port forwarded to a service, whole or by TLS server name (passthrough).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GatewayTcpRoute {
    /// The gateway port on the target's host.
    pub listen: u16,
    /// TLS server names routed to the service; empty: the whole port.
    pub sni: Vec<String>,
    pub stack: String,
    pub service: String,
    /// `container:port` on the gateway's network.
    pub upstreams: Vec<String>,
}

/// A replica behind a route, as the gateway counts it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GatewayUpstream {
    /// `container:port` on the gateway's network.
    pub address: String,
    /// No recent failed request (the gateway's passive health check).
    pub healthy: bool,
    /// Requests in flight.
    pub requests: i64,
    /// Recent failures.
    pub fails: i64,
}

// ---- certificates -------------------------------------------------------------------------

/// A certificate the gateways serve. Its private key never leaves the server.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Certificate {
    pub name: String,
    /// `acme` (issued and renewed by WindFlow) or `uploaded`.
    pub source: String,
    /// The names it covers (its subject alternative names).
    pub domains: Vec<String>,
    pub issuer: String,
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// When WindFlow renews it (ACME certificates: at two thirds of their lifetime).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub renewal_at: Option<OffsetDateTime>,
    /// `valid`, `expiring` (within 14 days) or `expired`.
    pub status: String,
    /// The last renewal's error; the certificate keeps being served meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A certificate to store under a name: its chain (leaf first) and private key, PEM.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadCertificateRequest {
    pub chain_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for UploadCertificateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadCertificateRequest")
            .field("chain_pem", &self.chain_pem.len())
            .field("key_pem", &"[redacted]")
            .finish()
    }
}

// ---- DNS ----------------------------------------------------------------------------------

/// A DNS provider WindFlow writes records through. Its credential is write-only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DnsProvider {
    pub name: String,
    /// `rfc2136` or `powerdns`.
    pub kind: String,
    /// The zones WindFlow manages through it (`example.com`).
    pub zones: Vec<String>,
    /// `rfc2136`: the server's address (`192.0.2.53:53`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// `rfc2136`: the TSIG key's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// `rfc2136`: the TSIG key's HMAC (`hmac-sha256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// `powerdns`: the API's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// `powerdns`: the server id in the API (`localhost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A DNS provider to register. WindFlow lists each zone with the credential before storing
/// anything.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateDnsProviderRequest {
    pub name: String,
    /// `rfc2136` or `powerdns`.
    pub kind: String,
    pub zones: Vec<String>,
    /// `rfc2136`: the server's address (`192.0.2.53:53`).
    #[serde(default)]
    pub server: Option<String>,
    /// `rfc2136`: the TSIG key's name.
    #[serde(default)]
    pub key_name: Option<String>,
    /// `rfc2136`: `hmac-sha256` (default), `hmac-sha384` or `hmac-sha512`.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// `powerdns`: the API's base URL.
    #[serde(default)]
    pub api_url: Option<String>,
    /// `powerdns`: the server id in the API [default: localhost].
    #[serde(default)]
    pub server_id: Option<String>,
    /// The TSIG secret (base64) or the API key. Never returned.
    pub secret: String,
}

impl std::fmt::Debug for CreateDnsProviderRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateDnsProviderRequest")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("zones", &self.zones)
            .field("secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// A DNS record WindFlow created (the only records it changes or removes).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DnsRecord {
    pub provider: String,
    pub zone: String,
    pub name: String,
    /// `A`, `AAAA` or `CNAME`.
    pub record_type: String,
    pub values: Vec<String>,
    /// What it serves: `stack:<stack id>`.
    pub owner: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Whether the zone's authoritative servers serve it as WindFlow wrote it.
    pub health: DnsRecordHealth,
    /// On a mismatch, what each server answered; when unchecked after a try, why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_detail: Option<String>,
    /// When the last check ran.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub checked_at: Option<OffsetDateTime>,
}

/// A DNS record's health, as the authoritative servers answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DnsRecordHealth {
    /// Every authoritative server answers exactly the record's values.
    InSync,
    /// A server answers other values, or none: someone changed the record behind WindFlow.
    Mismatch,
    /// Not checked yet, or no server could be asked.
    Unchecked,
}

/// One zone a DNS provider manages, with its DNSSEC state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DnsZone {
    pub provider: String,
    /// The provider's kind: `rfc2136` or `powerdns`.
    pub kind: String,
    /// The zone's apex (`example.com`).
    pub zone: String,
    /// The zone is served signed.
    pub signed: bool,
    pub keys: Vec<DnssecKey>,
    /// The DS records to hand to the registrar (`<key tag> <algorithm> <digest type>
    /// <digest>`), one per key-signing key.
    pub ds_records: Vec<String>,
    /// Why the state could not be read (the provider is unreachable, …); the rest is empty
    /// then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One DNSSEC key of a zone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DnssecKey {
    pub key_tag: u16,
    /// The algorithm's number (13).
    pub algorithm: u8,
    /// Its mnemonic (`ECDSAP256SHA256`).
    pub algorithm_name: String,
    /// `ksk`, `zsk` or `csk`.
    pub role: String,
    /// Published and signing.
    pub active: bool,
    /// When the server plans to replace the key, where it tells.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub next_rollover: Option<OffsetDateTime>,
    /// The DNSKEY record data (`257 3 13 base64…`).
    pub dnskey: String,
}

// ---- deployments ------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Deployment {
    pub id: String,
    pub stack: String,
    pub version: i64,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub kind: DeploymentKind,
    pub state: DeploymentState,
    pub requested_by: String,
    /// The plan: one line per change, once computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Vec<String>>,
    /// How the target was chosen, when the request gave a label selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateDeploymentRequest {
    pub stack: String,
    /// The stack version; default the newest.
    #[serde(default)]
    pub version: Option<i64>,
    /// The target's name. Either this or `selector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Deploy onto a target whose labels include all of these (instead of naming one); the
    /// `strategy` picks among them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub strategy: PlacementStrategy,
    /// With a selector: when the chosen target fails (unreachable, agent gone), move to the
    /// next eligible target instead of failing.
    #[serde(default)]
    pub failover: bool,
    /// The environment whose variables apply; default the target's.
    #[serde(default)]
    pub environment: Option<String>,
    /// `remove` takes the stack down from the target.
    #[serde(default)]
    pub kind: Option<DeploymentKind>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RollbackRequest {
    pub target: String,
    /// The version to return to; default the last one that succeeded before the current.
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanRequest {
    pub target: String,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub environment: Option<String>,
}

/// What a deployment would do, computed against what the target really runs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanPreview {
    pub version: i64,
    pub changes: Vec<String>,
    pub unchanged: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeploymentListQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub stack: Option<String>,
    pub target: Option<String>,
    pub state: Option<DeploymentState>,
}

/// One persisted step event of a deployment. `data` is the engine's event (`event` names its
/// kind: `planned`, `step_started`, `step_progress`, `step_finished`, `service_state`,
/// `warning`, `rollback_*`, `finished`) or the control plane's own (`state`, `log`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeploymentEvent {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events after this sequence number.
    pub after: Option<i64>,
}

// ---- logs and containers ---------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// The target the stack runs on.
    pub target: String,
    /// Only this service.
    pub service: Option<String>,
    /// Keep streaming new lines.
    #[serde(default)]
    pub follow: bool,
    /// Lines from the end of each container's log (default 100).
    pub tail: Option<u64>,
    /// Unix seconds.
    pub since: Option<i64>,
}

/// One log line, as an SSE `data:` payload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogLine {
    pub container: String,
    pub service: String,
    /// `stdout` or `stderr`.
    pub stream: String,
    pub text: String,
    /// When the container wrote it (RFC 3339, the engine's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub service: String,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    pub image: String,
}

// ---- audit ----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    pub actor: String,
    pub action: String,
    pub resource: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub actor: Option<String>,
    /// Prefix of the action (`stack.` for every stack action).
    pub action: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    pub until: Option<String>,
    /// `json` (default) or `csv` (an export).
    pub format: Option<String>,
}

// ---- health -----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    pub ready: bool,
    pub database: Check,
    pub engine: Check,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Check {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A WindFlow stack on a `kubernetes` target's cluster: its namespace and workloads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KubeStack {
    pub stack: String,
    pub namespace: String,
    pub workloads: Vec<KubeWorkload>,
}

/// A service of a stack as the cluster runs it: a Deployment or a StatefulSet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KubeWorkload {
    pub service: String,
    /// `deployment` or `statefulset`.
    pub kind: String,
    pub name: String,
    pub replicas: i64,
    pub ready: i64,
    pub updated: i64,
    pub pods: Vec<KubePod>,
}

/// One pod of a workload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KubePod {
    pub name: String,
    /// `Running`, `Pending`, `Terminating`, …
    pub phase: String,
    pub ready: bool,
    pub restarts: i64,
    /// Why it is not running (`CrashLoopBackOff`), when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

// ---- the advisor --------------------------------------------------------------------------

/// One finding of the stack advisor: a rule with a stable id, where, what and how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Advice {
    /// The rule's stable id (`no-healthcheck`, `docker-socket`, …).
    pub rule: String,
    /// `info`, `warning` or `error`.
    pub severity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The compose path (`services.db.ports[0]`).
    pub field: String,
    /// The 1-based line in the compose file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
    pub fix: String,
}

// ---- the template catalog -------------------------------------------------------------------

/// A template of the catalog, as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateSummary {
    /// `builtin`, or the name of the catalog source it came from.
    pub source: String,
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}

/// One input of a template: a `${VARIABLE}` of its compose file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateInput {
    pub name: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `string`, `number`, `boolean`, `enum`, `secret`, `domain`, `port` or `size`.
    pub kind: String,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// How a value is generated when none is given (`password`, `hex:32`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<String>,
    /// The sizing formula its value is computed with (`memory / 4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
}

/// A size class of a template: the resources it is given.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateSize {
    /// `small`, `medium` or `large`.
    pub class: String,
    pub cpus: f64,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
}

/// A template with its inputs, sizes and compose file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateDetail {
    #[serde(flatten)]
    pub summary: TemplateSummary,
    pub inputs: Vec<TemplateInput>,
    pub sizes: Vec<TemplateSize>,
    /// The template's compose file.
    pub compose: String,
    /// The advisor's findings on the template itself.
    #[serde(default)]
    pub advice: Vec<Advice>,
}

/// The resources to size a template for: a class, or explicit figures (which win).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SizeRequest {
    /// `small` (default), `medium` or `large`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Bytes, or a size such as `512MiB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
}

/// Deploy a template as a new stack (or, with `dry_run`, only show what it would be).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeployTemplateRequest {
    /// The new stack's name.
    pub stack: String,
    #[serde(default)]
    pub description: String,
    /// The target to size for (its capacity is checked) and, with `deploy`, to deploy onto.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default)]
    pub size: SizeRequest,
    /// Input values by name; secrets among them are stored encrypted.
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, String>,
    /// Also start a deployment onto `target`.
    #[serde(default)]
    pub deploy: bool,
    /// Resolve, size and validate only: nothing is created.
    #[serde(default)]
    pub dry_run: bool,
}

/// An input's value as resolved for a deployment; a secret's value is never shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResolvedInput {
    pub name: String,
    pub secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `given`, `default`, `generated`, `kept`, `formula` or `builtin`.
    pub origin: String,
    /// For a formula: the formula and the figures it used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// What deploying a template made (or, for a dry run, would make).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateDeployment {
    pub template: TemplateSummary,
    pub stack: String,
    pub size: TemplateSize,
    pub inputs: Vec<ResolvedInput>,
    /// The advisor's findings and the loader's warnings, with lines.
    pub advice: Vec<Advice>,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The deployment started with `deploy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    pub dry_run: bool,
}

/// The template a stack came from, and whether its source has a newer version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StackTemplateInfo {
    pub source: String,
    pub id: String,
    pub version: String,
    /// The version the catalog has now, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<String>,
    pub size: serde_json::Value,
    pub inputs: serde_json::Value,
}

/// Move a stack to the catalog's current version of its template: a new stack version.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpgradeTemplateRequest {
    /// New or changed input values (others are kept).
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, String>,
    /// Show the diff only.
    #[serde(default)]
    pub dry_run: bool,
}

/// The result of a template upgrade: the diff, and the new version unless a dry run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateUpgrade {
    pub from: String,
    pub to: String,
    pub diff: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_version: Option<i64>,
    pub inputs: Vec<ResolvedInput>,
}

/// A catalog source (server administrators add them; every organization sees their
/// templates).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogSource {
    pub name: String,
    /// `git` or `http`.
    pub kind: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// `coolify`, `portainer` or `windflow`.
    pub format: String,
    pub refresh_interval_s: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub refreshed_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_error: Option<String>,
    pub templates: i64,
    /// The last import's report: what could not be imported or mapped, per template.
    pub report: Vec<ImportNote>,
}

/// One line of an import report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportNote {
    /// The template's file or title in the source.
    pub template: String,
    /// `imported`, `skipped` (not imported) or `partial` (imported with something unmapped).
    pub outcome: String,
    /// A stable reason code (`unsupported-key`, `needs-repository`, `does-not-load`, …).
    pub reason: String,
    pub message: String,
}

/// Add a catalog source.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateCatalogSourceRequest {
    pub name: String,
    /// A git repository (`https://…`, `git://…`, `ssh://…`, `file://…`) or, with `kind: http`,
    /// the URL of one file (a Portainer list, a template).
    pub url: String,
    /// `git` (default) or `http`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The folder or file inside the repository (`templates/compose`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A branch or tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// `coolify`, `portainer` or `windflow`.
    pub format: String,
    /// Seconds between scheduled refreshes (default one day; 0: on demand only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval_s: Option<i64>,
}

// ---- AI -------------------------------------------------------------------------------------

/// An organization's OpenAI-compatible provider (the API key is never shown).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AiProvider {
    pub base_url: String,
    pub model: String,
    pub api_key_set: bool,
    pub timeout_s: u64,
    pub max_tokens: u32,
    /// Tokens the organization may use per calendar month (0: no limit).
    pub monthly_token_budget: i64,
    /// Tokens used this month.
    pub tokens_this_month: i64,
    /// Ask for JSON-schema constrained output (llama.cpp, vLLM, OpenAI).
    pub json_schema: bool,
}

/// Set the organization's AI provider. `api_key` absent keeps the stored key; empty clears it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetAiProviderRequest {
    pub base_url: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_token_budget: Option<i64>,
    #[serde(default)]
    pub json_schema: bool,
}

/// Generate a stack from a description.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AiGenerateRequest {
    pub description: String,
    /// The target to size for and plan against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Repair rounds (1–5, default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rounds: Option<u32>,
}

/// One round of the generate-and-repair loop.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AiRound {
    pub round: u32,
    /// What WindFlow's loader and advisor found in that round's answer (`file:line: field: message`).
    pub problems: Vec<String>,
}

/// A generated stack: it loads without errors; its advice and, with a target, its plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AiGenerated {
    pub compose: String,
    pub rounds: Vec<AiRound>,
    pub advice: Vec<Advice>,
    /// The plan against the target, one line per action.
    #[serde(default)]
    pub plan: Vec<String>,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

/// A model's diagnosis of a failed deployment, with a fix as a diff of the compose file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AiDiagnosis {
    pub cause: String,
    /// A corrected compose file that loads, when the model proposed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    pub model: String,
}

/// Proposals for an existing stack, as a diff: never applied without the user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AiProposal {
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    pub advice: Vec<Advice>,
    pub model: String,
}

/// One AI call of the organization (the audit of AI use).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AiRequestRecord {
    pub id: String,
    pub user: String,
    pub kind: String,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub duration_ms: i64,
    pub outcome: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

// ---- backups --------------------------------------------------------------------------------

/// Where a backup repository keeps its data (restic's repository location).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BackupLocation {
    /// An S3-compatible bucket (AWS, R2, B2, MinIO, Garage, SeaweedFS); path-style
    /// addressing for any endpoint but AWS's.
    S3 {
        /// `https://host[:port]` (no path).
        endpoint: String,
        bucket: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    /// A folder on the repository's target: a host path (the organization's host-access
    /// policy must allow it) or, with `volume`, a named volume.
    Folder {
        path: String,
        #[serde(default)]
        volume: bool,
    },
    /// A folder on an SSH server.
    Sftp {
        host: String,
        #[serde(default = "default_ssh_port")]
        port: u16,
        user: String,
        path: String,
    },
}

fn default_ssh_port() -> u16 {
    22
}

/// A backup repository (its credentials and password are never shown).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupRepository {
    pub id: String,
    pub name: String,
    pub location: BackupLocation,
    /// The target whose engine runs the repository's own operations (initialization,
    /// checks); a folder repository lives there.
    pub target: String,
    pub credentials_set: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub initialized_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub checked_at: Option<OffsetDateTime>,
    pub check_ok: Option<bool>,
    pub check_message: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Add a backup repository. It is initialized (or, with `password`, an existing restic
/// repository is opened) before it is stored: a location WindFlow cannot use is refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBackupRepositoryRequest {
    pub name: String,
    pub target: String,
    pub location: BackupLocation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    /// An SFTP repository's private key (OpenSSH format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_private_key: Option<String>,
    /// An SFTP repository's host key line(s), as in `known_hosts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_known_hosts: Option<String>,
    /// The password of an existing restic repository to attach; a new repository gets a
    /// random one, sealed by the server's keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Change a repository's name or credentials (absent fields are kept).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBackupRepositoryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_private_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_known_hosts: Option<String>,
}

/// A stack's backup policy as in effect: set through the API, or read from the compose file's
/// `x-windflow.backup`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupPolicy {
    pub stack: String,
    /// `api` or `compose`.
    pub source: String,
    pub enabled: bool,
    /// The policy (docs/backups.md): repository, schedule, timezone, retention, volumes,
    /// binds, detect_databases, databases, consistency, exclude, hooks, check, drill.
    #[schema(value_type = Object)]
    pub policy: serde_json::Value,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_backup_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_check_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_drill_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success_at: Option<OffsetDateTime>,
}

/// Set a stack's backup policy through the API (it then wins over the compose file's).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetBackupPolicyRequest {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[schema(value_type = Object)]
    pub policy: serde_json::Value,
}

fn yes() -> bool {
    true
}

/// Start a backup of a stack now.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBackupRequest {
    /// The target the stack runs on, when it runs on several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Restore a backup.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// The backup run to restore (its snapshots); the latest successful one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// Only these items (`volume:data`, `database:db`); every item of the run when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Only these paths inside a volume item (single files or folders), e.g. `uploads/a.png`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Restore into this stack instead (a migration, or a copy); the same stack by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub into_stack: Option<String>,
    /// The target of the destination stack, when it runs on several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Only show the plan: what would be replaced and which services stopped.
    #[serde(default)]
    pub dry_run: bool,
}

/// One item of a restore plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RestorePlanItem {
    pub item: String,
    pub snapshot: String,
    /// What is replaced: a volume's engine name, or a database.
    pub replaces: String,
    /// The services stopped while it is replaced.
    pub stops: Vec<String>,
    pub size_bytes: i64,
}

/// What a restore does (the answer to a dry run), and the run when it was started.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RestorePlan {
    pub from_run: String,
    pub stack: String,
    pub target: String,
    pub items: Vec<RestorePlanItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<BackupRun>,
}

/// A backup operation: a backup, restore, check, drill or prune.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupRun {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub trigger: String,
    pub stack: Option<String>,
    pub repository: String,
    pub requested_by: String,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// Progress and outcome: items with their snapshot, sizes and durations; for a drill,
    /// its checks.
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
    pub error: Option<String>,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// One snapshot (one item of one backup run).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupSnapshot {
    pub id: String,
    pub run: String,
    pub stack: String,
    pub repository: String,
    pub item: String,
    pub kind: String,
    pub engine: Option<String>,
    pub path: String,
    pub files: i64,
    pub size_bytes: i64,
    pub added_bytes: i64,
    pub duration_ms: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An entry of a snapshot (a file or folder).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupEntry {
    pub name: String,
    /// `file`, `dir`, `symlink`, …
    pub kind: String,
    /// The path inside the item (what `paths` of a restore takes).
    pub path: String,
    pub size: Option<u64>,
    pub mtime: Option<String>,
}
