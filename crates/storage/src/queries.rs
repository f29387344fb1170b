//! The SQL, written once for both backends, and [`impl_store!`], which implements
//! [`Store`](crate::Store) for a concrete pool type by expanding the same method bodies
//! against that backend's `sqlx` types.
//!
//! Every statement uses `$n` placeholders and, where it returns rows, `RETURNING`; both
//! work on SQLite and PostgreSQL, and the two schemas are column-for-column identical.
//! Optional filters are written as `($n IS NULL OR column = $n)` so the text stays static
//! (sqlx caches one prepared statement per text and connection).
//!
//! *Invariants:* every organization-owned read and write names `org_id` in its `WHERE`
//! clause (or joins through a row that does); list methods run one or two queries whatever
//! the number of rows; multi-statement writes run in a transaction opened by the backend's
//! `begin_write` (SQLite: `BEGIN IMMEDIATE`, so writers queue on the busy timeout instead of
//! failing on a stale snapshot).

use crate::StoreError;

/// Maps any sqlx error that no call site expected.
pub(crate) fn database_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::RowNotFound => StoreError::NotFound("record"),
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
            entity: "record",
            field: if is_primary_key(db.as_ref()) {
                "id"
            } else {
                "key"
            },
        },
        other => StoreError::Database(other.to_string()),
    }
}

/// Maps the errors of an insert or update: a unique violation becomes a conflict on
/// `field` (or `id` when the primary key clashed), a foreign-key violation means `missing`
/// does not exist.
pub(crate) fn write_error(
    entity: &'static str,
    field: &'static str,
    missing: &'static str,
) -> impl Fn(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
            entity,
            field: if is_primary_key(db.as_ref()) {
                "id"
            } else {
                field
            },
        },
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound(missing),
        _ => database_error(error),
    }
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// PostgreSQL names primary keys `<table>_pkey`; SQLite reports `UNIQUE constraint failed:
/// <table>.id` for a clash on an `id` column.
fn is_primary_key(db: &dyn sqlx::error::DatabaseError) -> bool {
    db.constraint().is_some_and(|c| c.ends_with("_pkey")) || db.message().ends_with(".id")
}

pub(crate) fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

pub(crate) fn parse_json(text: &str, column: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|error| {
        StoreError::Database(format!("column {column} holds invalid JSON: {error}"))
    })
}

/// A `LIKE … ESCAPE '\'` pattern matching values that contain `needle`, lowercased (the
/// query lowercases the column too, so the match ignores ASCII case on both backends).
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub(crate) fn unknown_value(column: &str, value: &str) -> StoreError {
    StoreError::Database(format!("column {column} holds unknown value {value:?}"))
}

// ---- SQL ------------------------------------------------------------------------------

macro_rules! user_columns {
    () => {
        "id, username, display_name, is_admin, disabled, failed_logins, locked_until, \
         last_login_at, created_at"
    };
    (u) => {
        "u.id, u.username, u.display_name, u.is_admin, u.disabled, u.failed_logins, \
         u.locked_until, u.last_login_at, u.created_at"
    };
}

macro_rules! token_columns {
    () => {
        "id, user_id, name, prefix, scopes, expires_at, created_at, last_used_at, revoked_at"
    };
}

macro_rules! org_columns {
    () => {
        "id, slug, name, created_at"
    };
    (o) => {
        "o.id, o.slug, o.name, o.created_at"
    };
}

macro_rules! environment_columns {
    () => {
        "id, org_id, name, description, created_at"
    };
}

macro_rules! target_columns {
    () => {
        "id, org_id, environment_id, name, kind, endpoint, labels, config, status, info, \
         checked_at, created_at"
    };
}

macro_rules! stack_columns {
    () => {
        "id, org_id, name, description, latest_version, created_at, updated_at"
    };
}

macro_rules! variable_columns {
    () => {
        "id, org_id, stack_id, environment_id, name, plain_value, secret_key_id, secret_nonce, \
         secret_ciphertext, updated_by, updated_at"
    };
}

macro_rules! deployment_select {
    () => {
        "SELECT d.id, d.org_id, d.stack_id, d.stack_name, d.stack_version, d.target_id, \
         d.target_name, d.environment_id, d.environment_name, d.kind, d.state, d.requested_by, \
         u.username AS requested_by_name, d.idempotency_key, d.plan, d.placement, d.error, \
         d.cancel_requested, d.attempts, d.worker, d.lease_until, d.created_at, d.started_at, \
         d.finished_at FROM deployments d JOIN users u ON u.id = d.requested_by"
    };
}

macro_rules! stack_version_select {
    () => {
        "SELECT v.stack_id, v.version, v.content, v.author_id, u.username AS author, v.message, \
         v.created_at FROM stack_versions v JOIN stacks s ON s.id = v.stack_id \
         JOIN users u ON u.id = v.author_id"
    };
}

// users
pub(crate) const INSERT_USER: &str = concat!(
    "INSERT INTO users (id, username, display_name, password_hash, is_admin, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
    user_columns!()
);
pub(crate) const GET_USER: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
pub(crate) const FIND_USER_CREDENTIALS: &str = concat!(
    "SELECT ",
    user_columns!(),
    ", password_hash FROM users WHERE username = $1"
);
pub(crate) const LIST_USERS: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users ORDER BY username LIMIT $1 OFFSET $2"
);
pub(crate) const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";
pub(crate) const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
pub(crate) const RECORD_LOGIN_FAILURE: &str = concat!(
    "UPDATE users SET failed_logins = failed_logins + 1, \
     locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
     WHERE id = $1 RETURNING ",
    user_columns!()
);
pub(crate) const RECORD_LOGIN_SUCCESS: &str = "UPDATE users SET failed_logins = 0, \
     locked_until = NULL, last_login_at = $2 WHERE id = $1";
pub(crate) const SET_USER_DISABLED: &str = "UPDATE users SET disabled = $2 WHERE id = $1";

// sessions
pub(crate) const INSERT_SESSION: &str = "INSERT INTO sessions \
     (id_hash, user_id, csrf_token, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const GET_SESSION: &str = "SELECT id_hash, user_id, csrf_token, created_at, \
     expires_at, ip FROM sessions WHERE id_hash = $1 AND expires_at > $2";
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id_hash = $1";
pub(crate) const DELETE_USER_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
pub(crate) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1";

// API tokens
pub(crate) const INSERT_API_TOKEN: &str = concat!(
    "INSERT INTO api_tokens (id, user_id, name, hash, prefix, scopes, expires_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
    token_columns!()
);
pub(crate) const FIND_API_TOKEN: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL \
     AND (expires_at IS NULL OR expires_at > $2)"
);
pub(crate) const LIST_API_TOKENS: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id"
);
pub(crate) const REVOKE_API_TOKEN: &str = "UPDATE api_tokens SET \
     revoked_at = COALESCE(revoked_at, $3) WHERE id = $2 AND user_id = $1";
pub(crate) const TOUCH_API_TOKEN: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";

// organizations and members
pub(crate) const INSERT_ORGANIZATION: &str = concat!(
    "INSERT INTO organizations (id, slug, name, created_at) VALUES ($1, $2, $3, $4) RETURNING ",
    org_columns!()
);
pub(crate) const GET_ORGANIZATION: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM organizations WHERE slug = $1"
);
pub(crate) const ORGANIZATION_EXISTS: &str = "SELECT 1 FROM organizations WHERE id = $1";
pub(crate) const USER_EXISTS: &str = "SELECT 1 FROM users WHERE id = $1";
pub(crate) const LIST_ORGANIZATIONS: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM organizations ORDER BY slug LIMIT $1 OFFSET $2"
);
pub(crate) const COUNT_ORGANIZATIONS: &str = "SELECT COUNT(*) FROM organizations";
pub(crate) const LIST_USER_ORGANIZATIONS: &str = concat!(
    "SELECT ",
    org_columns!(o),
    ", m.role FROM memberships m JOIN organizations o ON o.id = m.org_id \
     WHERE m.user_id = $1 ORDER BY o.slug"
);
pub(crate) const SET_MEMBER: &str = "INSERT INTO memberships (org_id, user_id, role) \
     VALUES ($1, $2, $3) ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role";
pub(crate) const REMOVE_MEMBER: &str = "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2";
pub(crate) const GET_MEMBER_ROLE: &str =
    "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";
pub(crate) const LIST_MEMBERS: &str = concat!(
    "SELECT ",
    user_columns!(u),
    ", m.role FROM memberships m JOIN users u ON u.id = m.user_id \
     WHERE m.org_id = $1 ORDER BY u.username"
);

// environments
pub(crate) const INSERT_ENVIRONMENT: &str = concat!(
    "INSERT INTO environments (id, org_id, name, description, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING ",
    environment_columns!()
);
pub(crate) const GET_ENVIRONMENT: &str = concat!(
    "SELECT ",
    environment_columns!(),
    " FROM environments WHERE org_id = $1 AND name = $2"
);
pub(crate) const ENVIRONMENT_EXISTS: &str =
    "SELECT 1 FROM environments WHERE org_id = $1 AND id = $2";
pub(crate) const LIST_ENVIRONMENTS: &str = concat!(
    "SELECT ",
    environment_columns!(),
    " FROM environments WHERE org_id = $1 ORDER BY name"
);
pub(crate) const COUNT_ENVIRONMENT_TARGETS: &str =
    "SELECT COUNT(*) FROM targets WHERE environment_id = $1";
pub(crate) const COUNT_ENVIRONMENT_DEPLOYMENTS: &str =
    "SELECT COUNT(*) FROM deployments WHERE environment_id = $1";
pub(crate) const DELETE_ENVIRONMENT: &str = "DELETE FROM environments WHERE id = $1";

// targets
pub(crate) const INSERT_TARGET: &str = concat!(
    "INSERT INTO targets (id, org_id, environment_id, name, kind, endpoint, labels, config, \
     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
    target_columns!()
);
pub(crate) const GET_TARGET: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM targets WHERE org_id = $1 AND name = $2"
);
pub(crate) const GET_TARGET_BY_ID: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM targets WHERE org_id = $1 AND id = $2"
);
pub(crate) const LIST_TARGETS: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM targets WHERE org_id = $1 ORDER BY name"
);
pub(crate) const LIST_ALL_TARGETS: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM targets ORDER BY org_id, name"
);
pub(crate) const UPDATE_TARGET_STATUS: &str = "UPDATE targets SET status = $2, \
     info = COALESCE($3, info), checked_at = $4 WHERE id = $1";
pub(crate) const COUNT_TARGET_ACTIVE_DEPLOYMENTS: &str = "SELECT COUNT(*) FROM deployments \
     WHERE target_id = $1 AND state IN ('queued', 'running')";
pub(crate) const DELETE_TARGET: &str = "DELETE FROM targets WHERE id = $1";
pub(crate) const SET_TARGET_LABELS: &str = concat!(
    "UPDATE targets SET labels = $3 WHERE org_id = $1 AND name = $2 RETURNING ",
    target_columns!()
);
pub(crate) const SET_TARGET_CONFIG: &str = concat!(
    "UPDATE targets SET config = $3 WHERE org_id = $1 AND name = $2 RETURNING ",
    target_columns!()
);
pub(crate) const INSERT_TARGET_CHECK: &str = "INSERT INTO target_checks \
     (target_id, checked_at, status, latency_ms, error) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT DO NOTHING";
pub(crate) const LIST_TARGET_CHECKS: &str = "SELECT target_id, checked_at, status, latency_ms, \
     error FROM target_checks WHERE target_id = $1 ORDER BY checked_at DESC LIMIT $2";
pub(crate) const PRUNE_TARGET_CHECKS: &str = "DELETE FROM target_checks WHERE checked_at < $1";

// host-access policies
pub(crate) const LIST_HOST_POLICIES: &str = "SELECT org_id, scope, scope_id, policy, updated_at \
     FROM host_policies WHERE org_id = $1 ORDER BY scope, scope_id";
pub(crate) const SET_HOST_POLICY: &str = "INSERT INTO host_policies \
     (org_id, scope, scope_id, policy, updated_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (org_id, scope, scope_id) DO UPDATE SET policy = $4, updated_at = $5";
pub(crate) const DELETE_HOST_POLICY: &str =
    "DELETE FROM host_policies WHERE org_id = $1 AND scope = $2 AND scope_id = $3";

// stacks and versions
pub(crate) const INSERT_STACK: &str = concat!(
    "INSERT INTO stacks (id, org_id, name, description, latest_version, created_at, \
     updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING ",
    stack_columns!()
);
pub(crate) const INSERT_STACK_VERSION: &str = "INSERT INTO stack_versions \
     (stack_id, version, content, author_id, message, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const GET_STACK: &str = concat!(
    "SELECT ",
    stack_columns!(),
    " FROM stacks WHERE org_id = $1 AND name = $2"
);
pub(crate) const GET_STACK_BY_ID: &str = concat!(
    "SELECT ",
    stack_columns!(),
    " FROM stacks WHERE org_id = $1 AND id = $2"
);
pub(crate) const STACK_EXISTS: &str = "SELECT 1 FROM stacks WHERE org_id = $1 AND id = $2";
pub(crate) const LIST_STACKS: &str = concat!(
    "SELECT ",
    stack_columns!(),
    " FROM stacks WHERE org_id = $1 AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\') \
     ORDER BY name LIMIT $3 OFFSET $4"
);
pub(crate) const STACK_COUNT: &str = "SELECT stack_count FROM organizations WHERE id = $1";
pub(crate) const ADD_TO_STACK_COUNT: &str =
    "UPDATE organizations SET stack_count = stack_count + $2 WHERE id = $1";
pub(crate) const COUNT_STACKS: &str = "SELECT COUNT(*) FROM stacks \
     WHERE org_id = $1 AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\')";
pub(crate) const BUMP_STACK_VERSION: &str = "UPDATE stacks SET \
     latest_version = latest_version + 1, updated_at = $4 \
     WHERE org_id = $1 AND id = $2 AND latest_version = $3 RETURNING latest_version";
pub(crate) const GET_LATEST_VERSION: &str =
    "SELECT latest_version FROM stacks WHERE org_id = $1 AND id = $2";
pub(crate) const GET_STACK_VERSION: &str = concat!(
    stack_version_select!(),
    " WHERE s.org_id = $1 AND v.stack_id = $2 AND v.version = $3"
);
pub(crate) const LIST_STACK_VERSIONS: &str = "SELECT v.version, u.username AS author, \
     v.message, v.created_at FROM stack_versions v JOIN stacks s ON s.id = v.stack_id \
     JOIN users u ON u.id = v.author_id WHERE s.org_id = $1 AND v.stack_id = $2 \
     ORDER BY v.version DESC LIMIT $3 OFFSET $4";
pub(crate) const COUNT_STACK_VERSIONS: &str = "SELECT COUNT(*) FROM stack_versions v \
     JOIN stacks s ON s.id = v.stack_id WHERE s.org_id = $1 AND v.stack_id = $2";
pub(crate) const GET_STACK_ID: &str = "SELECT id FROM stacks WHERE org_id = $1 AND name = $2";
pub(crate) const COUNT_STACK_ACTIVE_DEPLOYMENTS: &str = "SELECT COUNT(*) FROM deployments \
     WHERE stack_id = $1 AND state IN ('queued', 'running')";
pub(crate) const DELETE_STACK: &str = "DELETE FROM stacks WHERE id = $1";

// variables and secrets
pub(crate) const SET_VARIABLE: &str = concat!(
    "INSERT INTO variables (id, org_id, stack_id, environment_id, name, plain_value, \
     secret_key_id, secret_nonce, secret_ciphertext, updated_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (org_id, COALESCE(stack_id, ''), COALESCE(environment_id, ''), name) \
     DO UPDATE SET plain_value = excluded.plain_value, secret_key_id = excluded.secret_key_id, \
     secret_nonce = excluded.secret_nonce, secret_ciphertext = excluded.secret_ciphertext, \
     updated_by = excluded.updated_by, updated_at = excluded.updated_at RETURNING ",
    variable_columns!()
);
pub(crate) const LIST_VARIABLES: &str = concat!(
    "SELECT ",
    variable_columns!(),
    " FROM variables WHERE org_id = $1 AND COALESCE(stack_id, '') = $2 \
     AND COALESCE(environment_id, '') = $3 ORDER BY name"
);
pub(crate) const DELETE_VARIABLE: &str = "DELETE FROM variables WHERE org_id = $1 \
     AND COALESCE(stack_id, '') = $2 AND COALESCE(environment_id, '') = $3 AND name = $4";
pub(crate) const LIST_ALL_SECRETS: &str = concat!(
    "SELECT ",
    variable_columns!(),
    " FROM variables WHERE secret_ciphertext IS NOT NULL ORDER BY org_id, id"
);
pub(crate) const LIST_ORG_SECRETS: &str = concat!(
    "SELECT ",
    variable_columns!(),
    " FROM variables WHERE org_id = $1 AND secret_ciphertext IS NOT NULL ORDER BY id"
);
pub(crate) const REPLACE_SECRET_VALUE: &str = "UPDATE variables SET secret_key_id = $2, \
     secret_nonce = $3, secret_ciphertext = $4 WHERE id = $1 AND secret_ciphertext IS NOT NULL";

// deployments
pub(crate) const INSERT_DEPLOYMENT: &str = "INSERT INTO deployments (id, org_id, stack_id, \
     stack_name, stack_version, target_id, target_name, environment_id, environment_name, \
     kind, state, requested_by, idempotency_key, created_at, placement) \
     SELECT $1, s.org_id, s.id, s.name, $4, t.id, t.name, e.id, e.name, $6, 'queued', $7, $8, $9, \
     $11 \
     FROM stacks s JOIN targets t ON t.org_id = s.org_id AND t.id = $5 \
     LEFT JOIN environments e ON e.org_id = s.org_id AND e.id = $10 \
     WHERE s.org_id = $2 AND s.id = $3 \
     AND EXISTS (SELECT 1 FROM stack_versions v WHERE v.stack_id = s.id AND v.version = $4) \
     AND ($10 IS NULL OR e.id IS NOT NULL) \
     RETURNING id";
pub(crate) const STACK_VERSION_EXISTS: &str =
    "SELECT 1 FROM stack_versions WHERE stack_id = $1 AND version = $2";
pub(crate) const TARGET_EXISTS: &str = "SELECT 1 FROM targets WHERE org_id = $1 AND id = $2";
pub(crate) const GET_DEPLOYMENT: &str =
    concat!(deployment_select!(), " WHERE d.org_id = $1 AND d.id = $2");
pub(crate) const GET_DEPLOYMENT_ANY_ORG: &str = concat!(deployment_select!(), " WHERE d.id = $1");
pub(crate) const FIND_IDEMPOTENT_DEPLOYMENT: &str = concat!(
    deployment_select!(),
    " WHERE d.org_id = $1 AND d.requested_by = $2 AND d.idempotency_key = $3"
);
pub(crate) const LIST_DEPLOYMENTS: &str = concat!(
    deployment_select!(),
    " WHERE d.org_id = $1 AND ($2 IS NULL OR d.stack_id = $2) \
     AND ($3 IS NULL OR d.target_id = $3) AND ($4 IS NULL OR d.state = $4) \
     ORDER BY d.seq DESC LIMIT $5 OFFSET $6"
);
pub(crate) const COUNT_DEPLOYMENTS: &str = "SELECT COUNT(*) FROM deployments d \
     WHERE d.org_id = $1 AND ($2 IS NULL OR d.stack_id = $2) \
     AND ($3 IS NULL OR d.target_id = $3) AND ($4 IS NULL OR d.state = $4)";
/// The oldest queued deployment whose (stack, target) has none running.
macro_rules! claimable {
    () => {
        "SELECT d.id FROM deployments d WHERE d.state = 'queued' AND NOT EXISTS \
         (SELECT 1 FROM deployments r WHERE r.stack_id = d.stack_id \
         AND r.target_id = d.target_id AND r.state = 'running') ORDER BY d.seq LIMIT 1"
    };
}
pub(crate) const CLAIM_DEPLOYMENT: &str = concat!(
    "UPDATE deployments SET state = 'running', worker = $1, lease_until = $3, \
     started_at = COALESCE(started_at, $2), attempts = attempts + 1 WHERE id = (",
    claimable!(),
    ") AND state = 'queued' RETURNING id"
);
pub(crate) const ANY_CLAIMABLE: &str = claimable!();
pub(crate) const RENEW_LEASE: &str = "UPDATE deployments SET lease_until = $3 \
     WHERE id = $1 AND worker = $2 AND state = 'running'";
pub(crate) const RECLAIM_EXPIRED: &str = "UPDATE deployments SET worker = $1, \
     lease_until = $3, attempts = attempts + 1 \
     WHERE state = 'running' AND lease_until < $2 RETURNING id";
pub(crate) const SET_DEPLOYMENT_PLAN: &str = "UPDATE deployments SET plan = $2 WHERE id = $1";
pub(crate) const MOVE_DEPLOYMENT: &str = "UPDATE deployments SET target_id = t.id, \
     target_name = t.name, placement = $4, plan = NULL FROM targets t \
     WHERE deployments.id = $1 AND deployments.worker = $2 AND deployments.state = 'running' \
     AND t.id = $3 AND t.org_id = deployments.org_id RETURNING deployments.id";
pub(crate) const FINISH_DEPLOYMENT: &str = "UPDATE deployments SET state = $2, error = $3, \
     finished_at = $4, lease_until = NULL WHERE id = $1 AND state = 'running'";
pub(crate) const GET_DEPLOYMENT_STATE: &str = "SELECT state FROM deployments WHERE id = $1";
pub(crate) const GET_DEPLOYMENT_STATE_IN_ORG: &str =
    "SELECT state FROM deployments WHERE org_id = $1 AND id = $2";
pub(crate) const CANCEL_QUEUED: &str = "UPDATE deployments SET state = 'cancelled', \
     cancel_requested = TRUE, finished_at = $3 \
     WHERE org_id = $1 AND id = $2 AND state = 'queued'";
pub(crate) const CANCEL_RUNNING: &str = "UPDATE deployments SET cancel_requested = TRUE \
     WHERE org_id = $1 AND id = $2 AND state = 'running'";
pub(crate) const IS_CANCEL_REQUESTED: &str =
    "SELECT cancel_requested FROM deployments WHERE id = $1";
pub(crate) const LAST_EVENT_SEQ: &str =
    "SELECT COALESCE(MAX(seq), 0) FROM deployment_events WHERE deployment_id = $1";
pub(crate) const DEPLOYMENT_EXISTS: &str = "SELECT 1 FROM deployments WHERE id = $1";
pub(crate) const INSERT_EVENT: &str =
    "INSERT INTO deployment_events (deployment_id, seq, at, data) VALUES ($1, $2, $3, $4)";
pub(crate) const LIST_EVENTS: &str = "SELECT deployment_id, seq, at, data \
     FROM deployment_events WHERE deployment_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
pub(crate) const LAST_SUCCEEDED_DEPLOYMENT: &str = concat!(
    deployment_select!(),
    " WHERE d.org_id = $1 AND d.stack_id = $2 AND d.target_id = $3 \
     AND d.state = 'succeeded' AND ($4 IS NULL OR d.stack_version < $4) \
     ORDER BY d.seq DESC LIMIT 1"
);
pub(crate) const COUNT_DEPLOYMENTS_BY_STATE: &str =
    "SELECT state, COUNT(*) AS n FROM deployments GROUP BY state";

// audit
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log \
     (id, org_id, actor_id, actor, action, resource, detail, ip, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
macro_rules! audit_where {
    () => {
        " WHERE ($1 IS NULL OR org_id = $1) AND ($2 IS NULL OR actor = $2) \
         AND ($3 IS NULL OR substr(action, 1, length($3)) = $3) \
         AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5)"
    };
}
pub(crate) const LIST_AUDIT: &str = concat!(
    "SELECT id, org_id, actor_id, actor, action, resource, detail, ip, at FROM audit_log",
    audit_where!(),
    " ORDER BY at DESC, seq DESC LIMIT $6 OFFSET $7"
);
pub(crate) const COUNT_AUDIT: &str = concat!("SELECT COUNT(*) FROM audit_log", audit_where!());

// ---- the shared implementation ----------------------------------------------------------

/// Implements [`Store`](crate::Store) for `$store`, a struct with a `pool` field of the
/// backend's pool type and an `async fn begin_write(&self)` that opens a write transaction.
/// `$db` is the sqlx database type and `$row` its row type.
macro_rules! impl_store {
    ($store:ty, $db:ty, $row:ty, $backend:literal) => {
        use async_trait::async_trait;
        use sqlx::Row as _;

        use $crate::queries::{self as q, database_error, write_error};
        use $crate::*;

        type Db = $db;
        type DbRow = $row;

        /// Decodes a column, turning a decoding failure into `StoreError::Database`.
        fn col<'r, T>(row: &'r DbRow, name: &str) -> StoreResult<T>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            row.try_get::<T, _>(name).map_err(database_error)
        }

        fn first<'r, T>(row: &'r DbRow) -> StoreResult<T>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            row.try_get::<T, _>(0usize).map_err(database_error)
        }

        fn user_from_row(row: &DbRow) -> StoreResult<User> {
            Ok(User {
                id: col(row, "id")?,
                username: col(row, "username")?,
                display_name: col(row, "display_name")?,
                is_admin: col(row, "is_admin")?,
                disabled: col(row, "disabled")?,
                failed_logins: col(row, "failed_logins")?,
                locked_until: col(row, "locked_until")?,
                last_login_at: col(row, "last_login_at")?,
                created_at: col(row, "created_at")?,
            })
        }

        fn role_from_row(row: &DbRow) -> StoreResult<Role> {
            let role: String = col(row, "role")?;
            Role::parse(&role).ok_or_else(|| q::unknown_value("role", &role))
        }

        fn session_from_row(row: &DbRow) -> StoreResult<Session> {
            Ok(Session {
                id_hash: col(row, "id_hash")?,
                user_id: col(row, "user_id")?,
                csrf_token: col(row, "csrf_token")?,
                created_at: col(row, "created_at")?,
                expires_at: col(row, "expires_at")?,
                ip: col(row, "ip")?,
            })
        }

        fn token_from_row(row: &DbRow) -> StoreResult<ApiToken> {
            let scopes: String = col(row, "scopes")?;
            let scopes: Vec<String> = serde_json::from_str(&scopes).map_err(|error| {
                StoreError::Database(format!("column scopes holds invalid JSON: {error}"))
            })?;
            Ok(ApiToken {
                id: col(row, "id")?,
                user_id: col(row, "user_id")?,
                name: col(row, "name")?,
                prefix: col(row, "prefix")?,
                scopes,
                expires_at: col(row, "expires_at")?,
                created_at: col(row, "created_at")?,
                last_used_at: col(row, "last_used_at")?,
                revoked_at: col(row, "revoked_at")?,
            })
        }

        fn org_from_row(row: &DbRow) -> StoreResult<Organization> {
            Ok(Organization {
                id: col(row, "id")?,
                slug: col(row, "slug")?,
                name: col(row, "name")?,
                created_at: col(row, "created_at")?,
            })
        }

        fn environment_from_row(row: &DbRow) -> StoreResult<Environment> {
            Ok(Environment {
                id: col(row, "id")?,
                org_id: col(row, "org_id")?,
                name: col(row, "name")?,
                description: col(row, "description")?,
                created_at: col(row, "created_at")?,
            })
        }

        fn target_from_row(row: &DbRow) -> StoreResult<Target> {
            let kind: String = col(row, "kind")?;
            let status: String = col(row, "status")?;
            let labels = match q::parse_json(&col::<String>(row, "labels")?, "labels")? {
                serde_json::Value::Object(map) => map,
                _ => {
                    return Err(StoreError::Database(
                        "column labels is not an object".into(),
                    ))
                }
            };
            let info: Option<String> = col(row, "info")?;
            Ok(Target {
                id: col(row, "id")?,
                org_id: col(row, "org_id")?,
                environment_id: col(row, "environment_id")?,
                name: col(row, "name")?,
                kind: TargetKind::parse(&kind).ok_or_else(|| q::unknown_value("kind", &kind))?,
                endpoint: col(row, "endpoint")?,
                labels,
                config: q::parse_json(&col::<String>(row, "config")?, "config")?,
                status: TargetStatus::parse(&status)
                    .ok_or_else(|| q::unknown_value("status", &status))?,
                info: info.map(|text| q::parse_json(&text, "info")).transpose()?,
                checked_at: col(row, "checked_at")?,
                created_at: col(row, "created_at")?,
            })
        }

        fn stack_from_row(row: &DbRow) -> StoreResult<Stack> {
            Ok(Stack {
                id: col(row, "id")?,
                org_id: col(row, "org_id")?,
                name: col(row, "name")?,
                description: col(row, "description")?,
                latest_version: col(row, "latest_version")?,
                created_at: col(row, "created_at")?,
                updated_at: col(row, "updated_at")?,
            })
        }

        fn stack_version_from_row(row: &DbRow) -> StoreResult<StackVersion> {
            Ok(StackVersion {
                stack_id: col(row, "stack_id")?,
                version: col(row, "version")?,
                content: col(row, "content")?,
                author_id: col(row, "author_id")?,
                author: col(row, "author")?,
                message: col(row, "message")?,
                created_at: col(row, "created_at")?,
            })
        }

        fn variable_from_row(row: &DbRow) -> StoreResult<Variable> {
            let stack_id: Option<String> = col(row, "stack_id")?;
            let environment_id: Option<String> = col(row, "environment_id")?;
            let scope = match (stack_id, environment_id) {
                (Some(stack_id), environment_id) => VariableScope::Stack {
                    stack_id,
                    environment_id,
                },
                (None, Some(environment_id)) => VariableScope::Environment { environment_id },
                (None, None) => {
                    return Err(StoreError::Database("variable without a scope".into()));
                }
            };
            let plain: Option<String> = col(row, "plain_value")?;
            let value = match plain {
                Some(text) => VariableValue::Plain(text),
                None => VariableValue::Secret(SecretValue {
                    key_id: col::<Option<String>>(row, "secret_key_id")?.unwrap_or_default(),
                    nonce: col::<Option<Vec<u8>>>(row, "secret_nonce")?.unwrap_or_default(),
                    ciphertext: col::<Option<Vec<u8>>>(row, "secret_ciphertext")?
                        .unwrap_or_default(),
                }),
            };
            Ok(Variable {
                id: col(row, "id")?,
                org_id: col(row, "org_id")?,
                scope,
                name: col(row, "name")?,
                value,
                updated_by: col(row, "updated_by")?,
                updated_at: col(row, "updated_at")?,
            })
        }

        fn deployment_from_row(row: &DbRow) -> StoreResult<Deployment> {
            let kind: String = col(row, "kind")?;
            let state: String = col(row, "state")?;
            let plan: Option<String> = col(row, "plan")?;
            Ok(Deployment {
                id: col(row, "id")?,
                org_id: col(row, "org_id")?,
                stack_id: col(row, "stack_id")?,
                stack_name: col(row, "stack_name")?,
                stack_version: col(row, "stack_version")?,
                target_id: col(row, "target_id")?,
                target_name: col(row, "target_name")?,
                environment_id: col(row, "environment_id")?,
                environment_name: col(row, "environment_name")?,
                kind: DeploymentKind::parse(&kind)
                    .ok_or_else(|| q::unknown_value("kind", &kind))?,
                state: DeploymentState::parse(&state)
                    .ok_or_else(|| q::unknown_value("state", &state))?,
                requested_by: col(row, "requested_by")?,
                requested_by_name: col(row, "requested_by_name")?,
                idempotency_key: col(row, "idempotency_key")?,
                plan: plan.map(|text| q::parse_json(&text, "plan")).transpose()?,
                placement: col::<Option<String>>(row, "placement")?
                    .map(|text| q::parse_json(&text, "placement"))
                    .transpose()?,
                error: col(row, "error")?,
                cancel_requested: col(row, "cancel_requested")?,
                attempts: col(row, "attempts")?,
                worker: col(row, "worker")?,
                lease_until: col(row, "lease_until")?,
                created_at: col(row, "created_at")?,
                started_at: col(row, "started_at")?,
                finished_at: col(row, "finished_at")?,
            })
        }

        fn target_check_from_row(row: &DbRow) -> StoreResult<TargetCheck> {
            let status: String = col(row, "status")?;
            Ok(TargetCheck {
                target_id: col(row, "target_id")?,
                checked_at: col(row, "checked_at")?,
                status: TargetStatus::parse(&status)
                    .ok_or_else(|| q::unknown_value("status", &status))?,
                latency_ms: col(row, "latency_ms")?,
                error: col(row, "error")?,
            })
        }

        fn host_policy_from_row(row: &DbRow) -> StoreResult<HostPolicy> {
            let scope: String = col(row, "scope")?;
            let scope_id: String = col(row, "scope_id")?;
            let policy: String = col(row, "policy")?;
            Ok(HostPolicy {
                org_id: col(row, "org_id")?,
                scope: PolicyScope::parse(&scope, &scope_id)
                    .ok_or_else(|| q::unknown_value("scope", &scope))?,
                policy: serde_json::from_str(&policy)
                    .map_err(|_| q::unknown_value("policy", &policy))?,
                updated_at: col(row, "updated_at")?,
            })
        }

        fn event_from_row(row: &DbRow) -> StoreResult<DeploymentEvent> {
            Ok(DeploymentEvent {
                deployment_id: col(row, "deployment_id")?,
                seq: col(row, "seq")?,
                at: col(row, "at")?,
                data: q::parse_json(&col::<String>(row, "data")?, "data")?,
            })
        }

        fn audit_from_row(row: &DbRow) -> StoreResult<AuditEntry> {
            Ok(AuditEntry {
                id: col(row, "id")?,
                org_id: col(row, "org_id")?,
                actor_id: col(row, "actor_id")?,
                actor: col(row, "actor")?,
                action: col(row, "action")?,
                resource: col(row, "resource")?,
                detail: q::parse_json(&col::<String>(row, "detail")?, "detail")?,
                ip: col(row, "ip")?,
                at: col(row, "at")?,
            })
        }

        /// `(stack_id, environment_id)` as the variables table stores them, with `''` for
        /// "none" (the unique index and the lookups compare through `COALESCE(…, '')`).
        fn scope_keys(scope: &VariableScope) -> (&str, &str) {
            match scope {
                VariableScope::Stack {
                    stack_id,
                    environment_id,
                } => (stack_id.as_str(), environment_id.as_deref().unwrap_or("")),
                VariableScope::Environment { environment_id } => ("", environment_id.as_str()),
            }
        }

        fn rows<T>(rows: Vec<DbRow>, decode: fn(&DbRow) -> StoreResult<T>) -> StoreResult<Vec<T>> {
            rows.iter().map(decode).collect()
        }

        fn not_found_unless(affected: u64, entity: &'static str) -> StoreResult<()> {
            if affected == 0 {
                Err(StoreError::NotFound(entity))
            } else {
                Ok(())
            }
        }

        impl $store {
            async fn exists(
                &self,
                sql: &'static str,
                a: &str,
                b: Option<&str>,
            ) -> StoreResult<bool> {
                let mut query = sqlx::query::<Db>(sql).bind(a);
                if let Some(b) = b {
                    query = query.bind(b);
                }
                Ok(query
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .is_some())
            }

            async fn deployment_by_id(&self, id: &str) -> StoreResult<Deployment> {
                let row = sqlx::query::<Db>(q::GET_DEPLOYMENT_ANY_ORG)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("deployment"))?;
                deployment_from_row(&row)
            }

            async fn find_idempotent(
                &self,
                org_id: &str,
                requested_by: &str,
                key: &str,
            ) -> StoreResult<Option<Deployment>> {
                sqlx::query::<Db>(q::FIND_IDEMPOTENT_DEPLOYMENT)
                    .bind(org_id)
                    .bind(requested_by)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .as_ref()
                    .map(deployment_from_row)
                    .transpose()
            }
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query::<Db>("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                Ok(())
            }

            // ---- users -----------------------------------------------------------------

            async fn create_user(&self, user: NewUser) -> StoreResult<User> {
                let row = sqlx::query::<Db>(q::INSERT_USER)
                    .bind(&user.id)
                    .bind(&user.username)
                    .bind(&user.display_name)
                    .bind(&user.password_hash)
                    .bind(user.is_admin)
                    .bind(user.created_at)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(write_error("user", "username", "user"))?;
                user_from_row(&row)
            }

            async fn get_user(&self, id: &str) -> StoreResult<User> {
                let row = sqlx::query::<Db>(q::GET_USER)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("user"))?;
                user_from_row(&row)
            }

            async fn find_user_credentials(
                &self,
                username: &str,
            ) -> StoreResult<Option<UserCredentials>> {
                let Some(row) = sqlx::query::<Db>(q::FIND_USER_CREDENTIALS)
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                else {
                    return Ok(None);
                };
                Ok(Some(UserCredentials {
                    user: user_from_row(&row)?,
                    password_hash: col(&row, "password_hash")?,
                }))
            }

            async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>> {
                let mut conn = self.pool.acquire().await.map_err(database_error)?;
                let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_USERS)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(database_error)?;
                let items = sqlx::query::<Db>(q::LIST_USERS)
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(database_error)?;
                Ok(Page {
                    items: rows(items, user_from_row)?,
                    total,
                })
            }

            async fn count_users(&self) -> StoreResult<i64> {
                sqlx::query_scalar::<Db, i64>(q::COUNT_USERS)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(database_error)
            }

            async fn set_password_hash(
                &self,
                user_id: &str,
                password_hash: &str,
            ) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::SET_PASSWORD_HASH)
                    .bind(user_id)
                    .bind(password_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "user")
            }

            async fn record_login_failure(
                &self,
                user_id: &str,
                lock_after: i64,
                locked_until: Timestamp,
            ) -> StoreResult<User> {
                let row = sqlx::query::<Db>(q::RECORD_LOGIN_FAILURE)
                    .bind(user_id)
                    .bind(lock_after)
                    .bind(locked_until)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("user"))?;
                user_from_row(&row)
            }

            async fn record_login_success(&self, user_id: &str, at: Timestamp) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::RECORD_LOGIN_SUCCESS)
                    .bind(user_id)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "user")
            }

            async fn set_user_disabled(&self, user_id: &str, disabled: bool) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::SET_USER_DISABLED)
                    .bind(user_id)
                    .bind(disabled)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "user")
            }

            // ---- sessions --------------------------------------------------------------

            async fn create_session(&self, session: Session) -> StoreResult<()> {
                sqlx::query::<Db>(q::INSERT_SESSION)
                    .bind(&session.id_hash)
                    .bind(&session.user_id)
                    .bind(&session.csrf_token)
                    .bind(session.created_at)
                    .bind(session.expires_at)
                    .bind(&session.ip)
                    .execute(&self.pool)
                    .await
                    .map_err(write_error("session", "id", "user"))?;
                Ok(())
            }

            async fn get_session(
                &self,
                id_hash: &str,
                now: Timestamp,
            ) -> StoreResult<Option<Session>> {
                sqlx::query::<Db>(q::GET_SESSION)
                    .bind(id_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .as_ref()
                    .map(session_from_row)
                    .transpose()
            }

            async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
                sqlx::query::<Db>(q::DELETE_SESSION)
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                Ok(())
            }

            async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<()> {
                sqlx::query::<Db>(q::DELETE_USER_SESSIONS)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                Ok(())
            }

            async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
                let done = sqlx::query::<Db>(q::DELETE_EXPIRED_SESSIONS)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                Ok(done.rows_affected())
            }

            // ---- API tokens ------------------------------------------------------------

            async fn create_api_token(&self, token: NewApiToken) -> StoreResult<ApiToken> {
                let scopes = serde_json::to_string(&token.scopes)
                    .map_err(|error| StoreError::Database(error.to_string()))?;
                let row = sqlx::query::<Db>(q::INSERT_API_TOKEN)
                    .bind(&token.id)
                    .bind(&token.user_id)
                    .bind(&token.name)
                    .bind(&token.hash)
                    .bind(&token.prefix)
                    .bind(scopes)
                    .bind(token.expires_at)
                    .bind(token.created_at)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(write_error("api token", "hash", "user"))?;
                token_from_row(&row)
            }

            async fn find_api_token(
                &self,
                hash: &str,
                now: Timestamp,
            ) -> StoreResult<Option<ApiToken>> {
                sqlx::query::<Db>(q::FIND_API_TOKEN)
                    .bind(hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .as_ref()
                    .map(token_from_row)
                    .transpose()
            }

            async fn list_api_tokens(&self, user_id: &str) -> StoreResult<Vec<ApiToken>> {
                let found = sqlx::query::<Db>(q::LIST_API_TOKENS)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, token_from_row)
            }

            async fn revoke_api_token(
                &self,
                user_id: &str,
                token_id: &str,
                at: Timestamp,
            ) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::REVOKE_API_TOKEN)
                    .bind(user_id)
                    .bind(token_id)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "api token")
            }

            async fn touch_api_token(&self, token_id: &str, at: Timestamp) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::TOUCH_API_TOKEN)
                    .bind(token_id)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "api token")
            }

            // ---- organizations and members ---------------------------------------------

            async fn create_organization(&self, org: NewOrganization) -> StoreResult<Organization> {
                let row = sqlx::query::<Db>(q::INSERT_ORGANIZATION)
                    .bind(&org.id)
                    .bind(&org.slug)
                    .bind(&org.name)
                    .bind(org.created_at)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(write_error("organization", "slug", "organization"))?;
                org_from_row(&row)
            }

            async fn get_organization(&self, slug: &str) -> StoreResult<Organization> {
                let row = sqlx::query::<Db>(q::GET_ORGANIZATION)
                    .bind(slug)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("organization"))?;
                org_from_row(&row)
            }

            async fn list_organizations(
                &self,
                page: PageRequest,
            ) -> StoreResult<Page<Organization>> {
                let mut conn = self.pool.acquire().await.map_err(database_error)?;
                let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_ORGANIZATIONS)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(database_error)?;
                let items = sqlx::query::<Db>(q::LIST_ORGANIZATIONS)
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(database_error)?;
                Ok(Page {
                    items: rows(items, org_from_row)?,
                    total,
                })
            }

            async fn list_user_organizations(
                &self,
                user_id: &str,
            ) -> StoreResult<Vec<(Organization, Role)>> {
                let found = sqlx::query::<Db>(q::LIST_USER_ORGANIZATIONS)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                found
                    .iter()
                    .map(|row| Ok((org_from_row(row)?, role_from_row(row)?)))
                    .collect()
            }

            async fn set_member(&self, org_id: &str, user_id: &str, role: Role) -> StoreResult<()> {
                if !self.exists(q::ORGANIZATION_EXISTS, org_id, None).await? {
                    return Err(StoreError::NotFound("organization"));
                }
                if !self.exists(q::USER_EXISTS, user_id, None).await? {
                    return Err(StoreError::NotFound("user"));
                }
                sqlx::query::<Db>(q::SET_MEMBER)
                    .bind(org_id)
                    .bind(user_id)
                    .bind(role.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(write_error("member", "user", "organization or user"))?;
                Ok(())
            }

            async fn remove_member(&self, org_id: &str, user_id: &str) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::REMOVE_MEMBER)
                    .bind(org_id)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "member")
            }

            async fn get_member_role(
                &self,
                org_id: &str,
                user_id: &str,
            ) -> StoreResult<Option<Role>> {
                sqlx::query::<Db>(q::GET_MEMBER_ROLE)
                    .bind(org_id)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .as_ref()
                    .map(role_from_row)
                    .transpose()
            }

            async fn list_members(&self, org_id: &str) -> StoreResult<Vec<Member>> {
                let found = sqlx::query::<Db>(q::LIST_MEMBERS)
                    .bind(org_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                found
                    .iter()
                    .map(|row| {
                        Ok(Member {
                            user: user_from_row(row)?,
                            role: role_from_row(row)?,
                        })
                    })
                    .collect()
            }

            // ---- environments ----------------------------------------------------------

            async fn create_environment(&self, env: NewEnvironment) -> StoreResult<Environment> {
                let row = sqlx::query::<Db>(q::INSERT_ENVIRONMENT)
                    .bind(&env.id)
                    .bind(&env.org_id)
                    .bind(&env.name)
                    .bind(&env.description)
                    .bind(env.created_at)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(write_error("environment", "name", "organization"))?;
                environment_from_row(&row)
            }

            async fn get_environment(&self, org_id: &str, name: &str) -> StoreResult<Environment> {
                let row = sqlx::query::<Db>(q::GET_ENVIRONMENT)
                    .bind(org_id)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("environment"))?;
                environment_from_row(&row)
            }

            async fn list_environments(&self, org_id: &str) -> StoreResult<Vec<Environment>> {
                let found = sqlx::query::<Db>(q::LIST_ENVIRONMENTS)
                    .bind(org_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, environment_from_row)
            }

            async fn delete_environment(&self, org_id: &str, name: &str) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query::<Db>(q::GET_ENVIRONMENT)
                    .bind(org_id)
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("environment"))?;
                let id: String = col(&row, "id")?;
                let targets: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_ENVIRONMENT_TARGETS)
                    .bind(&id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(database_error)?;
                if targets > 0 {
                    return Err(StoreError::Invalid(format!(
                        "environment {name} still has {targets} target(s): move or delete them \
                         first"
                    )));
                }
                let deployments: i64 =
                    sqlx::query_scalar::<Db, i64>(q::COUNT_ENVIRONMENT_DEPLOYMENTS)
                        .bind(&id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(database_error)?;
                if deployments > 0 {
                    return Err(StoreError::Invalid(format!(
                        "environment {name} is referred to by {deployments} deployment(s) in the \
                         history: delete the stacks deployed there first"
                    )));
                }
                sqlx::query::<Db>(q::DELETE_ENVIRONMENT)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(database_error)?;
                tx.commit().await.map_err(database_error)
            }

            // ---- targets ---------------------------------------------------------------

            async fn create_target(&self, target: NewTarget) -> StoreResult<Target> {
                if let Some(environment_id) = &target.environment_id {
                    if !self
                        .exists(q::ENVIRONMENT_EXISTS, &target.org_id, Some(environment_id))
                        .await?
                    {
                        return Err(StoreError::NotFound("environment"));
                    }
                }
                let labels = serde_json::Value::Object(target.labels.clone());
                let row = sqlx::query::<Db>(q::INSERT_TARGET)
                    .bind(&target.id)
                    .bind(&target.org_id)
                    .bind(&target.environment_id)
                    .bind(&target.name)
                    .bind(target.kind.as_str())
                    .bind(&target.endpoint)
                    .bind(q::json_text(&labels))
                    .bind(q::json_text(&target.config))
                    .bind(target.created_at)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(write_error("target", "name", "organization or environment"))?;
                target_from_row(&row)
            }

            async fn get_target(&self, org_id: &str, name: &str) -> StoreResult<Target> {
                let row = sqlx::query::<Db>(q::GET_TARGET)
                    .bind(org_id)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("target"))?;
                target_from_row(&row)
            }

            async fn get_target_by_id(&self, org_id: &str, id: &str) -> StoreResult<Target> {
                let row = sqlx::query::<Db>(q::GET_TARGET_BY_ID)
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("target"))?;
                target_from_row(&row)
            }

            async fn list_targets(&self, org_id: &str) -> StoreResult<Vec<Target>> {
                let found = sqlx::query::<Db>(q::LIST_TARGETS)
                    .bind(org_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, target_from_row)
            }

            async fn list_all_targets(&self) -> StoreResult<Vec<Target>> {
                let found = sqlx::query::<Db>(q::LIST_ALL_TARGETS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, target_from_row)
            }

            async fn update_target_status(
                &self,
                target_id: &str,
                status: TargetStatus,
                info: Option<serde_json::Value>,
                at: Timestamp,
            ) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::UPDATE_TARGET_STATUS)
                    .bind(target_id)
                    .bind(status.as_str())
                    .bind(info.as_ref().map(q::json_text))
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "target")
            }

            async fn delete_target(
                &self,
                org_id: &str,
                name: &str,
                force: bool,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query::<Db>(q::GET_TARGET)
                    .bind(org_id)
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("target"))?;
                let id: String = col(&row, "id")?;
                if !force {
                    let active: i64 =
                        sqlx::query_scalar::<Db, i64>(q::COUNT_TARGET_ACTIVE_DEPLOYMENTS)
                            .bind(&id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    if active > 0 {
                        return Err(StoreError::Invalid(format!(
                            "target {name} has {active} queued or running deployment(s): wait \
                             for them or cancel them, or force the deletion"
                        )));
                    }
                }
                sqlx::query::<Db>(q::DELETE_TARGET)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(database_error)?;
                tx.commit().await.map_err(database_error)
            }

            async fn set_target_labels(
                &self,
                org_id: &str,
                name: &str,
                labels: serde_json::Map<String, serde_json::Value>,
            ) -> StoreResult<Target> {
                let row = sqlx::query::<Db>(q::SET_TARGET_LABELS)
                    .bind(org_id)
                    .bind(name)
                    .bind(q::json_text(&serde_json::Value::Object(labels)))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("target"))?;
                target_from_row(&row)
            }

            async fn set_target_config(
                &self,
                org_id: &str,
                name: &str,
                config: serde_json::Value,
            ) -> StoreResult<Target> {
                let row = sqlx::query::<Db>(q::SET_TARGET_CONFIG)
                    .bind(org_id)
                    .bind(name)
                    .bind(q::json_text(&config))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("target"))?;
                target_from_row(&row)
            }

            // ---- host-access policies ---------------------------------------------------

            async fn list_host_policies(&self, org_id: &str) -> StoreResult<Vec<HostPolicy>> {
                let rows = sqlx::query::<Db>(q::LIST_HOST_POLICIES)
                    .bind(org_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows.iter().map(host_policy_from_row).collect()
            }

            async fn set_host_policy(&self, policy: HostPolicy) -> StoreResult<()> {
                sqlx::query::<Db>(q::SET_HOST_POLICY)
                    .bind(&policy.org_id)
                    .bind(policy.scope.kind())
                    .bind(policy.scope.id())
                    .bind(policy.policy.to_string())
                    .bind(policy.updated_at)
                    .execute(&self.pool)
                    .await
                    .map_err(write_error("host policy", "scope", "organization"))?;
                Ok(())
            }

            async fn delete_host_policy(
                &self,
                org_id: &str,
                scope: &PolicyScope,
            ) -> StoreResult<bool> {
                let done = sqlx::query::<Db>(q::DELETE_HOST_POLICY)
                    .bind(org_id)
                    .bind(scope.kind())
                    .bind(scope.id())
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                Ok(done.rows_affected() > 0)
            }

            async fn record_target_check(&self, check: TargetCheck) -> StoreResult<()> {
                sqlx::query::<Db>(q::INSERT_TARGET_CHECK)
                    .bind(&check.target_id)
                    .bind(check.checked_at)
                    .bind(check.status.as_str())
                    .bind(check.latency_ms)
                    .bind(&check.error)
                    .execute(&self.pool)
                    .await
                    .map_err(write_error("target check", "checked_at", "target"))?;
                Ok(())
            }

            async fn list_target_checks(
                &self,
                target_id: &str,
                limit: i64,
            ) -> StoreResult<Vec<TargetCheck>> {
                let rows = sqlx::query::<Db>(q::LIST_TARGET_CHECKS)
                    .bind(target_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows.iter().map(target_check_from_row).collect()
            }

            async fn prune_target_checks(&self, before: Timestamp) -> StoreResult<u64> {
                let done = sqlx::query::<Db>(q::PRUNE_TARGET_CHECKS)
                    .bind(before)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                Ok(done.rows_affected())
            }

            // ---- stacks and versions ---------------------------------------------------

            async fn create_stack(&self, stack: NewStack) -> StoreResult<(Stack, StackVersion)> {
                let mut tx = self.begin_write().await?;
                // The counter first: concurrent creations in one organization queue here.
                sqlx::query::<Db>(q::ADD_TO_STACK_COUNT)
                    .bind(&stack.org_id)
                    .bind(1i64)
                    .execute(&mut *tx)
                    .await
                    .map_err(database_error)?;
                let row = sqlx::query::<Db>(q::INSERT_STACK)
                    .bind(&stack.id)
                    .bind(&stack.org_id)
                    .bind(&stack.name)
                    .bind(&stack.description)
                    .bind(stack.created_at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(write_error("stack", "name", "organization"))?;
                let created = stack_from_row(&row)?;
                let first = &stack.first_version;
                sqlx::query::<Db>(q::INSERT_STACK_VERSION)
                    .bind(&stack.id)
                    .bind(1i64)
                    .bind(&first.content)
                    .bind(&first.author_id)
                    .bind(&first.message)
                    .bind(first.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error("stack version", "version", "user"))?;
                let row = sqlx::query::<Db>(q::GET_STACK_VERSION)
                    .bind(&stack.org_id)
                    .bind(&stack.id)
                    .bind(1i64)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(database_error)?;
                let version = stack_version_from_row(&row)?;
                tx.commit().await.map_err(database_error)?;
                Ok((created, version))
            }

            async fn get_stack(&self, org_id: &str, name: &str) -> StoreResult<Stack> {
                let row = sqlx::query::<Db>(q::GET_STACK)
                    .bind(org_id)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("stack"))?;
                stack_from_row(&row)
            }

            async fn get_stack_by_id(&self, org_id: &str, id: &str) -> StoreResult<Stack> {
                let row = sqlx::query::<Db>(q::GET_STACK_BY_ID)
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("stack"))?;
                stack_from_row(&row)
            }

            async fn list_stacks(
                &self,
                org_id: &str,
                filter: &StackFilter,
                page: PageRequest,
            ) -> StoreResult<Page<Stack>> {
                let pattern = filter.name_contains.as_deref().map(q::contains_pattern);
                let mut conn = self.pool.acquire().await.map_err(database_error)?;
                // Unfiltered, the organization's counter is the total (one primary-key read);
                // filtered, the matching names are counted on the (org_id, name) index.
                let total: i64 = match &pattern {
                    None => sqlx::query_scalar::<Db, i64>(q::STACK_COUNT)
                        .bind(org_id)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(database_error)?
                        .unwrap_or(0),
                    Some(pattern) => sqlx::query_scalar::<Db, i64>(q::COUNT_STACKS)
                        .bind(org_id)
                        .bind(pattern)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(database_error)?,
                };
                let items = if total > page.offset && page.limit > 0 {
                    sqlx::query::<Db>(q::LIST_STACKS)
                        .bind(org_id)
                        .bind(&pattern)
                        .bind(page.limit)
                        .bind(page.offset)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?
                } else {
                    Vec::new()
                };
                Ok(Page {
                    items: rows(items, stack_from_row)?,
                    total,
                })
            }

            async fn add_stack_version(
                &self,
                org_id: &str,
                stack_id: &str,
                expected_latest: i64,
                version: NewStackVersion,
            ) -> StoreResult<StackVersion> {
                let mut tx = self.begin_write().await?;
                let bumped = sqlx::query_scalar::<Db, i64>(q::BUMP_STACK_VERSION)
                    .bind(org_id)
                    .bind(stack_id)
                    .bind(expected_latest)
                    .bind(version.created_at)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(database_error)?;
                let Some(number) = bumped else {
                    let found = sqlx::query_scalar::<Db, i64>(q::GET_LATEST_VERSION)
                        .bind(org_id)
                        .bind(stack_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("stack"))?;
                    return Err(StoreError::Stale {
                        entity: "stack",
                        expected: expected_latest,
                        found,
                    });
                };
                sqlx::query::<Db>(q::INSERT_STACK_VERSION)
                    .bind(stack_id)
                    .bind(number)
                    .bind(&version.content)
                    .bind(&version.author_id)
                    .bind(&version.message)
                    .bind(version.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error("stack version", "version", "user"))?;
                let row = sqlx::query::<Db>(q::GET_STACK_VERSION)
                    .bind(org_id)
                    .bind(stack_id)
                    .bind(number)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(database_error)?;
                let created = stack_version_from_row(&row)?;
                tx.commit().await.map_err(database_error)?;
                Ok(created)
            }

            async fn get_stack_version(
                &self,
                org_id: &str,
                stack_id: &str,
                version: i64,
            ) -> StoreResult<StackVersion> {
                let row = sqlx::query::<Db>(q::GET_STACK_VERSION)
                    .bind(org_id)
                    .bind(stack_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("stack version"))?;
                stack_version_from_row(&row)
            }

            async fn list_stack_versions(
                &self,
                org_id: &str,
                stack_id: &str,
                page: PageRequest,
            ) -> StoreResult<Page<StackVersionSummary>> {
                let mut conn = self.pool.acquire().await.map_err(database_error)?;
                let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_STACK_VERSIONS)
                    .bind(org_id)
                    .bind(stack_id)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(database_error)?;
                // Every stack has a version 1, so none means no such stack in this org.
                if total == 0 {
                    return Err(StoreError::NotFound("stack"));
                }
                let found = sqlx::query::<Db>(q::LIST_STACK_VERSIONS)
                    .bind(org_id)
                    .bind(stack_id)
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(database_error)?;
                let items = found
                    .iter()
                    .map(|row| {
                        Ok(StackVersionSummary {
                            version: col(row, "version")?,
                            author: col(row, "author")?,
                            message: col(row, "message")?,
                            created_at: col(row, "created_at")?,
                        })
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok(Page { items, total })
            }

            async fn delete_stack(&self, org_id: &str, name: &str) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let id = sqlx::query_scalar::<Db, String>(q::GET_STACK_ID)
                    .bind(org_id)
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("stack"))?;
                let active: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_STACK_ACTIVE_DEPLOYMENTS)
                    .bind(&id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(database_error)?;
                if active > 0 {
                    return Err(StoreError::Invalid(format!(
                        "stack {name} has {active} queued or running deployment(s): wait for \
                         them or cancel them first"
                    )));
                }
                sqlx::query::<Db>(q::DELETE_STACK)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(database_error)?;
                sqlx::query::<Db>(q::ADD_TO_STACK_COUNT)
                    .bind(org_id)
                    .bind(-1i64)
                    .execute(&mut *tx)
                    .await
                    .map_err(database_error)?;
                tx.commit().await.map_err(database_error)
            }

            // ---- variables and secrets -------------------------------------------------

            async fn set_variable(
                &self,
                org_id: &str,
                variable: NewVariable,
            ) -> StoreResult<Variable> {
                let (stack_id, environment_id) = scope_keys(&variable.scope);
                if !stack_id.is_empty()
                    && !self.exists(q::STACK_EXISTS, org_id, Some(stack_id)).await?
                {
                    return Err(StoreError::NotFound("stack"));
                }
                if !environment_id.is_empty()
                    && !self
                        .exists(q::ENVIRONMENT_EXISTS, org_id, Some(environment_id))
                        .await?
                {
                    return Err(StoreError::NotFound("environment"));
                }
                let (plain, secret) = match &variable.value {
                    VariableValue::Plain(text) => (Some(text.as_str()), None),
                    VariableValue::Secret(secret) => (None, Some(secret)),
                };
                let row = sqlx::query::<Db>(q::SET_VARIABLE)
                    .bind(&variable.id)
                    .bind(org_id)
                    .bind((!stack_id.is_empty()).then_some(stack_id))
                    .bind((!environment_id.is_empty()).then_some(environment_id))
                    .bind(&variable.name)
                    .bind(plain)
                    .bind(secret.map(|s| s.key_id.as_str()))
                    .bind(secret.map(|s| s.nonce.as_slice()))
                    .bind(secret.map(|s| s.ciphertext.as_slice()))
                    .bind(&variable.updated_by)
                    .bind(variable.updated_at)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(write_error("variable", "name", "stack or environment"))?;
                variable_from_row(&row)
            }

            async fn list_variables(
                &self,
                org_id: &str,
                scope: &VariableScope,
            ) -> StoreResult<Vec<Variable>> {
                let (stack_id, environment_id) = scope_keys(scope);
                let found = sqlx::query::<Db>(q::LIST_VARIABLES)
                    .bind(org_id)
                    .bind(stack_id)
                    .bind(environment_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, variable_from_row)
            }

            async fn delete_variable(
                &self,
                org_id: &str,
                scope: &VariableScope,
                name: &str,
            ) -> StoreResult<()> {
                let (stack_id, environment_id) = scope_keys(scope);
                let done = sqlx::query::<Db>(q::DELETE_VARIABLE)
                    .bind(org_id)
                    .bind(stack_id)
                    .bind(environment_id)
                    .bind(name)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "variable")
            }

            async fn list_all_secrets(&self) -> StoreResult<Vec<Variable>> {
                let found = sqlx::query::<Db>(q::LIST_ALL_SECRETS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, variable_from_row)
            }

            async fn list_org_secrets(&self, org_id: &str) -> StoreResult<Vec<Variable>> {
                let found = sqlx::query::<Db>(q::LIST_ORG_SECRETS)
                    .bind(org_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, variable_from_row)
            }

            async fn replace_secret_value(
                &self,
                variable_id: &str,
                value: SecretValue,
            ) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::REPLACE_SECRET_VALUE)
                    .bind(variable_id)
                    .bind(&value.key_id)
                    .bind(&value.nonce)
                    .bind(&value.ciphertext)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "secret")
            }

            // ---- deployments -----------------------------------------------------------

            async fn create_deployment(
                &self,
                deployment: NewDeployment,
            ) -> StoreResult<(Deployment, bool)> {
                let d = &deployment;
                if let Some(key) = &d.idempotency_key {
                    let earlier = self
                        .find_idempotent(&d.org_id, &d.requested_by, key)
                        .await?;
                    if let Some(earlier) = earlier {
                        return Ok((earlier, false));
                    }
                }
                let inserted = sqlx::query_scalar::<Db, String>(q::INSERT_DEPLOYMENT)
                    .bind(&d.id)
                    .bind(&d.org_id)
                    .bind(&d.stack_id)
                    .bind(d.stack_version)
                    .bind(&d.target_id)
                    .bind(d.kind.as_str())
                    .bind(&d.requested_by)
                    .bind(&d.idempotency_key)
                    .bind(d.created_at)
                    .bind(&d.environment_id)
                    .bind(d.placement.as_ref().map(q::json_text))
                    .fetch_optional(&self.pool)
                    .await;
                match inserted {
                    Ok(Some(id)) => Ok((self.deployment_by_id(&id).await?, true)),
                    Ok(None) => {
                        // Say which reference is missing.
                        if !self
                            .exists(q::STACK_EXISTS, &d.org_id, Some(&d.stack_id))
                            .await?
                        {
                            return Err(StoreError::NotFound("stack"));
                        }
                        if !self
                            .exists(q::TARGET_EXISTS, &d.org_id, Some(&d.target_id))
                            .await?
                        {
                            return Err(StoreError::NotFound("target"));
                        }
                        let version = sqlx::query::<Db>(q::STACK_VERSION_EXISTS)
                            .bind(&d.stack_id)
                            .bind(d.stack_version)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(database_error)?;
                        if version.is_none() {
                            return Err(StoreError::NotFound("stack version"));
                        }
                        Err(StoreError::NotFound("environment"))
                    }
                    Err(error) if q::is_unique_violation(&error) => {
                        // Another request with the same key won the race.
                        if let Some(key) = &d.idempotency_key {
                            if let Some(earlier) = self
                                .find_idempotent(&d.org_id, &d.requested_by, key)
                                .await?
                            {
                                return Ok((earlier, false));
                            }
                        }
                        Err(write_error("deployment", "idempotency_key", "user")(error))
                    }
                    Err(error) => Err(write_error("deployment", "id", "user")(error)),
                }
            }

            async fn get_deployment(&self, org_id: &str, id: &str) -> StoreResult<Deployment> {
                let row = sqlx::query::<Db>(q::GET_DEPLOYMENT)
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("deployment"))?;
                deployment_from_row(&row)
            }

            async fn list_deployments(
                &self,
                org_id: &str,
                filter: &DeploymentFilter,
                page: PageRequest,
            ) -> StoreResult<Page<Deployment>> {
                let state = filter.state.map(DeploymentState::as_str);
                let mut conn = self.pool.acquire().await.map_err(database_error)?;
                let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_DEPLOYMENTS)
                    .bind(org_id)
                    .bind(&filter.stack_id)
                    .bind(&filter.target_id)
                    .bind(state)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(database_error)?;
                let items = if total > page.offset && page.limit > 0 {
                    sqlx::query::<Db>(q::LIST_DEPLOYMENTS)
                        .bind(org_id)
                        .bind(&filter.stack_id)
                        .bind(&filter.target_id)
                        .bind(state)
                        .bind(page.limit)
                        .bind(page.offset)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?
                } else {
                    Vec::new()
                };
                Ok(Page {
                    items: rows(items, deployment_from_row)?,
                    total,
                })
            }

            async fn claim_deployment(
                &self,
                worker: &str,
                now: Timestamp,
                lease_until: Timestamp,
            ) -> StoreResult<Option<Deployment>> {
                // One statement picks and takes the row. Under PostgreSQL's READ COMMITTED two
                // workers may pick the same row: the loser updates nothing (or trips the
                // one-running index) and tries again while something is claimable.
                for _ in 0..q::CLAIM_ATTEMPTS {
                    let claimed = sqlx::query_scalar::<Db, String>(q::CLAIM_DEPLOYMENT)
                        .bind(worker)
                        .bind(now)
                        .bind(lease_until)
                        .fetch_optional(&self.pool)
                        .await;
                    match claimed {
                        Ok(Some(id)) => return self.deployment_by_id(&id).await.map(Some),
                        Ok(None) => {}
                        Err(error) if q::is_unique_violation(&error) => {}
                        Err(error) => return Err(database_error(error)),
                    }
                    let claimable = sqlx::query::<Db>(q::ANY_CLAIMABLE)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if claimable.is_none() {
                        return Ok(None);
                    }
                    tokio::task::yield_now().await;
                }
                Ok(None)
            }

            async fn renew_lease(
                &self,
                id: &str,
                worker: &str,
                lease_until: Timestamp,
            ) -> StoreResult<bool> {
                let done = sqlx::query::<Db>(q::RENEW_LEASE)
                    .bind(id)
                    .bind(worker)
                    .bind(lease_until)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                Ok(done.rows_affected() > 0)
            }

            async fn reclaim_expired(
                &self,
                worker: &str,
                now: Timestamp,
                lease_until: Timestamp,
            ) -> StoreResult<Vec<Deployment>> {
                let ids = sqlx::query_scalar::<Db, String>(q::RECLAIM_EXPIRED)
                    .bind(worker)
                    .bind(now)
                    .bind(lease_until)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                let mut reclaimed = Vec::with_capacity(ids.len());
                for id in ids {
                    reclaimed.push(self.deployment_by_id(&id).await?);
                }
                Ok(reclaimed)
            }

            async fn set_deployment_plan(
                &self,
                id: &str,
                plan: &serde_json::Value,
            ) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::SET_DEPLOYMENT_PLAN)
                    .bind(id)
                    .bind(q::json_text(plan))
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "deployment")
            }

            async fn move_deployment(
                &self,
                id: &str,
                worker: &str,
                target_id: &str,
                placement: &serde_json::Value,
            ) -> StoreResult<Deployment> {
                let moved = sqlx::query_scalar::<Db, String>(q::MOVE_DEPLOYMENT)
                    .bind(id)
                    .bind(worker)
                    .bind(target_id)
                    .bind(q::json_text(placement))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(write_error("deployment", "target", "target"))?;
                match moved {
                    Some(id) => self.deployment_by_id(&id).await,
                    None => Err(StoreError::NotFound("deployment")),
                }
            }

            async fn finish_deployment(
                &self,
                id: &str,
                finish: DeploymentFinish,
            ) -> StoreResult<()> {
                if !finish.state.is_terminal() {
                    return Err(StoreError::Invalid(format!(
                        "a deployment cannot finish as {}: use succeeded, failed, rolled_back or \
                         cancelled",
                        finish.state
                    )));
                }
                let done = sqlx::query::<Db>(q::FINISH_DEPLOYMENT)
                    .bind(id)
                    .bind(finish.state.as_str())
                    .bind(&finish.error)
                    .bind(finish.at)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                if done.rows_affected() > 0 {
                    return Ok(());
                }
                let state = sqlx::query_scalar::<Db, String>(q::GET_DEPLOYMENT_STATE)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("deployment"))?;
                Err(StoreError::Invalid(format!(
                    "deployment {id} is {state}, not running: only a running deployment can finish"
                )))
            }

            async fn cancel_deployment(
                &self,
                org_id: &str,
                id: &str,
                at: Timestamp,
            ) -> StoreResult<CancelOutcome> {
                let done = sqlx::query::<Db>(q::CANCEL_QUEUED)
                    .bind(org_id)
                    .bind(id)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                if done.rows_affected() > 0 {
                    return Ok(CancelOutcome::Cancelled);
                }
                let done = sqlx::query::<Db>(q::CANCEL_RUNNING)
                    .bind(org_id)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                if done.rows_affected() > 0 {
                    return Ok(CancelOutcome::Requested);
                }
                let state = sqlx::query_scalar::<Db, String>(q::GET_DEPLOYMENT_STATE_IN_ORG)
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("deployment"))?;
                Err(StoreError::Invalid(format!(
                    "deployment {id} has already finished ({state}): there is nothing to cancel"
                )))
            }

            async fn is_cancel_requested(&self, id: &str) -> StoreResult<bool> {
                sqlx::query_scalar::<Db, bool>(q::IS_CANCEL_REQUESTED)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("deployment"))
            }

            async fn append_deployment_events(
                &self,
                events: &[DeploymentEvent],
            ) -> StoreResult<()> {
                if events.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                // The next expected seq per deployment in this batch.
                let mut next: Vec<(&str, i64)> = Vec::new();
                for event in events {
                    let id = event.deployment_id.as_str();
                    let index = match next.iter().position(|(d, _)| *d == id) {
                        Some(index) => index,
                        None => {
                            let present = sqlx::query::<Db>(q::DEPLOYMENT_EXISTS)
                                .bind(id)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(database_error)?;
                            if present.is_none() {
                                return Err(StoreError::NotFound("deployment"));
                            }
                            let last = sqlx::query::<Db>(q::LAST_EVENT_SEQ)
                                .bind(id)
                                .fetch_one(&mut *tx)
                                .await
                                .map_err(database_error)?;
                            next.push((id, first::<i64>(&last)? + 1));
                            next.len() - 1
                        }
                    };
                    let expected = next[index].1;
                    if event.seq != expected {
                        return Err(StoreError::Invalid(format!(
                            "event {} of deployment {id} does not continue its sequence (the next \
                             is {expected})",
                            event.seq
                        )));
                    }
                    next[index].1 += 1;
                    sqlx::query::<Db>(q::INSERT_EVENT)
                        .bind(id)
                        .bind(event.seq)
                        .bind(event.at)
                        .bind(q::json_text(&event.data))
                        .execute(&mut *tx)
                        .await
                        .map_err(write_error("deployment event", "seq", "deployment"))?;
                }
                tx.commit().await.map_err(database_error)
            }

            async fn list_deployment_events(
                &self,
                deployment_id: &str,
                after: i64,
                limit: i64,
            ) -> StoreResult<Vec<DeploymentEvent>> {
                let found = sqlx::query::<Db>(q::LIST_EVENTS)
                    .bind(deployment_id)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, event_from_row)
            }

            async fn last_succeeded_deployment(
                &self,
                org_id: &str,
                stack_id: &str,
                target_id: &str,
                before_version: Option<i64>,
            ) -> StoreResult<Option<Deployment>> {
                sqlx::query::<Db>(q::LAST_SUCCEEDED_DEPLOYMENT)
                    .bind(org_id)
                    .bind(stack_id)
                    .bind(target_id)
                    .bind(before_version)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .as_ref()
                    .map(deployment_from_row)
                    .transpose()
            }

            async fn count_deployments_by_state(&self) -> StoreResult<Vec<(DeploymentState, i64)>> {
                let found = sqlx::query::<Db>(q::COUNT_DEPLOYMENTS_BY_STATE)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                let mut counts: Vec<(DeploymentState, i64)> =
                    DeploymentState::ALL.iter().map(|s| (*s, 0)).collect();
                for row in &found {
                    let state: String = col(row, "state")?;
                    let state = DeploymentState::parse(&state)
                        .ok_or_else(|| q::unknown_value("state", &state))?;
                    let n: i64 = col(row, "n")?;
                    if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                        slot.1 = n;
                    }
                }
                Ok(counts)
            }

            // ---- audit -----------------------------------------------------------------

            async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
                sqlx::query::<Db>(q::INSERT_AUDIT)
                    .bind(&entry.id)
                    .bind(&entry.org_id)
                    .bind(&entry.actor_id)
                    .bind(&entry.actor)
                    .bind(&entry.action)
                    .bind(&entry.resource)
                    .bind(q::json_text(&entry.detail))
                    .bind(&entry.ip)
                    .bind(entry.at)
                    .execute(&self.pool)
                    .await
                    .map_err(write_error("audit entry", "id", "record"))?;
                Ok(())
            }

            async fn list_audit(
                &self,
                org_id: Option<&str>,
                filter: &AuditFilter,
                page: PageRequest,
            ) -> StoreResult<Page<AuditEntry>> {
                let mut conn = self.pool.acquire().await.map_err(database_error)?;
                let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_AUDIT)
                    .bind(org_id)
                    .bind(&filter.actor)
                    .bind(&filter.action)
                    .bind(filter.since)
                    .bind(filter.until)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(database_error)?;
                let items = if total > page.offset && page.limit > 0 {
                    sqlx::query::<Db>(q::LIST_AUDIT)
                        .bind(org_id)
                        .bind(&filter.actor)
                        .bind(&filter.action)
                        .bind(filter.since)
                        .bind(filter.until)
                        .bind(page.limit)
                        .bind(page.offset)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?
                } else {
                    Vec::new()
                };
                Ok(Page {
                    items: rows(items, audit_from_row)?,
                    total,
                })
            }

            async fn create_agent_enrollment(
                &self,
                enrollment: NewAgentEnrollment,
            ) -> StoreResult<()> {
                let labels = serde_json::Value::Object(enrollment.labels.clone());
                sqlx::query::<Db>(q::INSERT_AGENT_ENROLLMENT)
                    .bind(&enrollment.id)
                    .bind(&enrollment.org_id)
                    .bind(&enrollment.hash)
                    .bind(&enrollment.target_name)
                    .bind(&enrollment.environment_id)
                    .bind(q::json_text(&labels))
                    .bind(&enrollment.created_by)
                    .bind(enrollment.expires_at)
                    .bind(enrollment.created_at)
                    .execute(&self.pool)
                    .await
                    .map_err(write_error(
                        "enrollment token",
                        "hash",
                        "organization or environment",
                    ))?;
                Ok(())
            }

            async fn enroll_agent(
                &self,
                enrollment_hash: &str,
                agent: NewAgent,
                now: Timestamp,
            ) -> StoreResult<(AgentRecord, Target)> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query::<Db>(q::USE_AGENT_ENROLLMENT)
                    .bind(enrollment_hash)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("enrollment token"))?;
                let org_id: String = col(&row, "org_id")?;
                let target_name: String = col(&row, "target_name")?;
                let environment_id: Option<String> = col(&row, "environment_id")?;
                let labels: String = col(&row, "labels")?;
                let target_row = sqlx::query::<Db>(q::INSERT_TARGET)
                    .bind(&agent.target_id)
                    .bind(&org_id)
                    .bind(&environment_id)
                    .bind(&target_name)
                    .bind(TargetKind::Agent.as_str())
                    .bind(format!("agent://{}", agent.id))
                    .bind(labels)
                    .bind("{}")
                    .bind(agent.created_at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(write_error("target", "name", "organization or environment"))?;
                let target = target_from_row(&target_row)?;
                sqlx::query::<Db>(q::INSERT_AGENT)
                    .bind(&agent.id)
                    .bind(&org_id)
                    .bind(&agent.target_id)
                    .bind(&agent.credential_hash)
                    .bind(&agent.version)
                    .bind(agent.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error("agent", "credential", "target"))?;
                tx.commit().await.map_err(database_error)?;
                let record = AgentRecord {
                    id: agent.id,
                    org_id,
                    target_id: target.id.clone(),
                    target_name: target.name.clone(),
                    version: agent.version,
                    address: None,
                    last_seen_at: None,
                    revoked_at: None,
                    created_at: agent.created_at,
                };
                Ok((record, target))
            }

            async fn find_agent_by_credential(
                &self,
                hash: &str,
            ) -> StoreResult<Option<AgentRecord>> {
                sqlx::query::<Db>(q::FIND_AGENT_BY_CREDENTIAL)
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .as_ref()
                    .map(agent_from_row)
                    .transpose()
            }

            async fn list_agents(&self, org_id: &str) -> StoreResult<Vec<AgentRecord>> {
                let found = sqlx::query::<Db>(q::LIST_AGENTS)
                    .bind(org_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database_error)?;
                rows(found, agent_from_row)
            }

            async fn get_agent(&self, org_id: &str, id: &str) -> StoreResult<AgentRecord> {
                let row = sqlx::query::<Db>(q::GET_AGENT)
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(database_error)?
                    .ok_or(StoreError::NotFound("agent"))?;
                agent_from_row(&row)
            }

            async fn revoke_agent(&self, org_id: &str, id: &str, at: Timestamp) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::REVOKE_AGENT)
                    .bind(org_id)
                    .bind(id)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "agent")
            }

            async fn record_agent_seen(
                &self,
                id: &str,
                version: Option<&str>,
                address: Option<&str>,
                at: Timestamp,
            ) -> StoreResult<()> {
                let done = sqlx::query::<Db>(q::RECORD_AGENT_SEEN)
                    .bind(id)
                    .bind(version)
                    .bind(address)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(database_error)?;
                not_found_unless(done.rows_affected(), "agent")
            }
        }

        fn agent_from_row(row: &DbRow) -> StoreResult<AgentRecord> {
            Ok(AgentRecord {
                id: col(row, "id")?,
                org_id: col(row, "org_id")?,
                target_id: col(row, "target_id")?,
                target_name: col(row, "target_name")?,
                version: col(row, "version")?,
                address: col(row, "address")?,
                last_seen_at: col(row, "last_seen_at")?,
                revoked_at: col(row, "revoked_at")?,
                created_at: col(row, "created_at")?,
            })
        }
    };
}

pub(crate) use impl_store;

/// How often `claim_deployment` retries after losing a race for a claimable deployment.
pub(crate) const CLAIM_ATTEMPTS: usize = 50;

// agents
pub(crate) const INSERT_AGENT_ENROLLMENT: &str = "INSERT INTO agent_enrollments (id, org_id, \
     hash, target_name, environment_id, labels, created_by, expires_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
pub(crate) const USE_AGENT_ENROLLMENT: &str = "UPDATE agent_enrollments SET used_at = $2 \
     WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 \
     RETURNING org_id, target_name, environment_id, labels";
pub(crate) const INSERT_AGENT: &str = "INSERT INTO agents (id, org_id, target_id, \
     credential_hash, version, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
macro_rules! agent_select {
    () => {
        "SELECT a.id, a.org_id, a.target_id, t.name AS target_name, a.version, a.address, \
         a.last_seen_at, a.revoked_at, a.created_at FROM agents a JOIN targets t ON t.id = \
         a.target_id "
    };
}
pub(crate) const FIND_AGENT_BY_CREDENTIAL: &str = concat!(
    agent_select!(),
    "WHERE a.credential_hash = $1 AND a.revoked_at IS NULL"
);
pub(crate) const LIST_AGENTS: &str = concat!(
    agent_select!(),
    "WHERE a.org_id = $1 ORDER BY a.created_at, a.id"
);
pub(crate) const GET_AGENT: &str = concat!(agent_select!(), "WHERE a.org_id = $1 AND a.id = $2");
pub(crate) const REVOKE_AGENT: &str = "UPDATE agents SET revoked_at = COALESCE(revoked_at, $3) \
     WHERE org_id = $1 AND id = $2";
pub(crate) const RECORD_AGENT_SEEN: &str = "UPDATE agents SET version = COALESCE($2, version), \
     address = COALESCE($3, address), last_seen_at = $4 WHERE id = $1";
