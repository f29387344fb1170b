-- WindFlow's schema for SQLite. Kept column-for-column identical to
-- migrations/postgres/0001_initial.sql so that the SQL in src/queries.rs runs on both.
-- Times are unix milliseconds (BIGINT), ids are caller-made UUID strings, JSON is TEXT,
-- booleans are INTEGER 0/1, secrets are BLOBs. Foreign keys are enforced (the connection
-- sets PRAGMA foreign_keys=ON).

CREATE TABLE users (
    id             TEXT    NOT NULL PRIMARY KEY,
    username       TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    is_admin       INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    failed_logins  BIGINT  NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    last_login_at  BIGINT,
    created_at     BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE sessions (
    id_hash     TEXT   NOT NULL PRIMARY KEY,
    user_id     TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    ip          TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id            TEXT   NOT NULL PRIMARY KEY,
    user_id       TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    hash          TEXT   NOT NULL,
    prefix        TEXT   NOT NULL,
    scopes        TEXT   NOT NULL,
    expires_at    BIGINT,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

CREATE TABLE organizations (
    id          TEXT   NOT NULL PRIMARY KEY,
    slug        TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX organizations_slug ON organizations (slug);

CREATE TABLE memberships (
    org_id   TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE environments (
    id           TEXT   NOT NULL PRIMARY KEY,
    org_id       TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    description  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX environments_org_name ON environments (org_id, name);

CREATE TABLE targets (
    id              TEXT   NOT NULL PRIMARY KEY,
    org_id          TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    environment_id  TEXT   REFERENCES environments (id),
    name            TEXT   NOT NULL,
    kind            TEXT   NOT NULL,
    endpoint        TEXT   NOT NULL,
    labels          TEXT   NOT NULL,
    config          TEXT   NOT NULL,
    status          TEXT   NOT NULL DEFAULT 'unknown',
    info            TEXT,
    checked_at      BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX targets_org_name ON targets (org_id, name);
CREATE INDEX targets_environment ON targets (environment_id);

CREATE TABLE stacks (
    id              TEXT   NOT NULL PRIMARY KEY,
    org_id          TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT   NOT NULL,
    description     TEXT   NOT NULL,
    latest_version  BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX stacks_org_name ON stacks (org_id, name);

CREATE TABLE stack_versions (
    stack_id    TEXT   NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    content     TEXT   NOT NULL,
    author_id   TEXT   NOT NULL REFERENCES users (id),
    message     TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (stack_id, version)
);

CREATE TABLE variables (
    id                 TEXT   NOT NULL PRIMARY KEY,
    org_id             TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    stack_id           TEXT   REFERENCES stacks (id) ON DELETE CASCADE,
    environment_id     TEXT   REFERENCES environments (id) ON DELETE CASCADE,
    name               TEXT   NOT NULL,
    -- Exactly one of: a plain value, or the three secret columns.
    plain_value        TEXT,
    secret_key_id      TEXT,
    secret_nonce       BLOB,
    secret_ciphertext  BLOB,
    updated_by         TEXT   NOT NULL,
    updated_at         BIGINT NOT NULL,
    CHECK (stack_id IS NOT NULL OR environment_id IS NOT NULL),
    CHECK ((plain_value IS NULL) <> (secret_ciphertext IS NULL))
);
CREATE UNIQUE INDEX variables_scope_name
    ON variables (org_id, COALESCE(stack_id, ''), COALESCE(environment_id, ''), name);
CREATE INDEX variables_stack ON variables (stack_id);
CREATE INDEX variables_environment ON variables (environment_id);
CREATE INDEX variables_secret ON variables (secret_key_id) WHERE secret_ciphertext IS NOT NULL;

CREATE TABLE deployments (
    -- FIFO order of the queue.
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT    NOT NULL UNIQUE,
    org_id            TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    stack_id          TEXT    NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    stack_name        TEXT    NOT NULL,
    stack_version     BIGINT  NOT NULL,
    -- No foreign key: a force-deleted target leaves its history (and target_name) behind.
    target_id         TEXT    NOT NULL,
    target_name       TEXT    NOT NULL,
    environment_id    TEXT    REFERENCES environments (id),
    environment_name  TEXT,
    kind              TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    requested_by      TEXT    NOT NULL REFERENCES users (id),
    idempotency_key   TEXT,
    plan              TEXT,
    error             TEXT,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    attempts          BIGINT  NOT NULL DEFAULT 0,
    worker            TEXT,
    lease_until       BIGINT,
    created_at        BIGINT  NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT
);
-- At most one running deployment per (stack, target), whatever the workers do.
CREATE UNIQUE INDEX deployments_one_running
    ON deployments (stack_id, target_id) WHERE state = 'running';
CREATE UNIQUE INDEX deployments_idempotency
    ON deployments (org_id, requested_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX deployments_queue ON deployments (state, seq);
CREATE INDEX deployments_org ON deployments (org_id, seq);
CREATE INDEX deployments_stack_target ON deployments (stack_id, target_id, state, seq);
CREATE INDEX deployments_target ON deployments (target_id, state);
CREATE INDEX deployments_environment ON deployments (environment_id);

CREATE TABLE deployment_events (
    deployment_id  TEXT   NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    seq            BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    data           TEXT   NOT NULL,
    PRIMARY KEY (deployment_id, seq)
);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    -- No foreign keys: the log outlives what it mentions.
    org_id      TEXT,
    actor_id    TEXT,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    ip          TEXT,
    at          BIGINT  NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, seq);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at, seq);
