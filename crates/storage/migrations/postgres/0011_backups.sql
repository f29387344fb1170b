-- Backups: repositories restic writes to, stacks' backup policies, the operations run
-- against them (a leased queue, like deployments), and the snapshots the backups wrote.

-- A backup repository of an organization. settings: the non-secret settings (endpoint,
-- bucket, prefix, path, …); credentials: the secret ones (S3 keys, an SSH key), sealed by
-- the keyring; password: the restic repository password, sealed, always present.
CREATE TABLE backup_repositories (
    id                      TEXT    NOT NULL PRIMARY KEY,
    org_id                  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                    TEXT    NOT NULL,
    kind                    TEXT    NOT NULL,
    settings                TEXT    NOT NULL,
    credentials_key_id      TEXT,
    credentials_nonce       BYTEA,
    credentials_ciphertext  BYTEA,
    password_key_id         TEXT    NOT NULL,
    password_nonce          BYTEA   NOT NULL,
    password_ciphertext     BYTEA   NOT NULL,
    initialized_at          BIGINT,
    checked_at              BIGINT,
    check_ok                BOOLEAN,
    check_message           TEXT,
    created_by              TEXT    NOT NULL,
    created_at              BIGINT  NOT NULL,
    updated_at              BIGINT  NOT NULL
);
CREATE UNIQUE INDEX backup_repositories_org_name ON backup_repositories (org_id, name);

-- One backup policy per stack. A repository a policy uses cannot be deleted (RESTRICT);
-- deleting the organization removes both. settings: schedule, timezone, retention, volumes,
-- databases, hooks, consistency, check and drill settings.
CREATE TABLE backup_policies (
    org_id          TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    stack_id        TEXT    NOT NULL PRIMARY KEY REFERENCES stacks (id) ON DELETE CASCADE,
    repository_id   TEXT    NOT NULL REFERENCES backup_repositories (id) ON DELETE RESTRICT,
    enabled         BOOLEAN NOT NULL,
    settings        TEXT    NOT NULL,
    next_backup_at  BIGINT,
    next_check_at   BIGINT,
    next_drill_at   BIGINT,
    updated_by      TEXT    NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX backup_policies_org ON backup_policies (org_id);
CREATE INDEX backup_policies_repository ON backup_policies (repository_id);

-- Backup operations (backup, restore, check, drill, prune): a leased queue, at most one
-- running per repository (restic locks the repository). No foreign key on stack_id: runs
-- outlive their stack, as its history.
CREATE TABLE backup_runs (
    -- FIFO order of the queue.
    seq               BIGSERIAL NOT NULL UNIQUE,
    id                TEXT    NOT NULL PRIMARY KEY,
    org_id            TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    stack_id          TEXT,
    stack_name        TEXT,
    repository_id     TEXT    NOT NULL REFERENCES backup_repositories (id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    trigger           TEXT    NOT NULL,
    requested_by      TEXT    NOT NULL,
    params            TEXT    NOT NULL,
    result            TEXT    NOT NULL,
    error             TEXT,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    attempts          BIGINT  NOT NULL DEFAULT 0,
    cancel_requested  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        BIGINT  NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT
);
-- At most one running operation per repository, whatever the workers do.
CREATE UNIQUE INDEX backup_runs_one_running ON backup_runs (repository_id) WHERE status = 'running';
CREATE INDEX backup_runs_queue ON backup_runs (status, seq);
CREATE INDEX backup_runs_org ON backup_runs (org_id, seq);
CREATE INDEX backup_runs_stack ON backup_runs (stack_id, kind, status, seq);
CREATE INDEX backup_runs_repository ON backup_runs (repository_id, status);

-- The restic snapshots backups wrote (one per volume, database dump or bind mount). No
-- foreign key on stack_id: snapshots outlive their stack (restorable into another).
CREATE TABLE backup_snapshots (
    id             TEXT    NOT NULL,
    org_id         TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    repository_id  TEXT    NOT NULL REFERENCES backup_repositories (id) ON DELETE CASCADE,
    stack_id       TEXT    NOT NULL,
    stack_name     TEXT    NOT NULL,
    run_id         TEXT    NOT NULL,
    item           TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    engine         TEXT,
    path           TEXT    NOT NULL,
    files          BIGINT  NOT NULL,
    size_bytes     BIGINT  NOT NULL,
    added_bytes    BIGINT  NOT NULL,
    duration_ms    BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (repository_id, id)
);
CREATE INDEX backup_snapshots_org_stack ON backup_snapshots (org_id, stack_id, created_at);
CREATE INDEX backup_snapshots_org_id ON backup_snapshots (org_id, id);
CREATE INDEX backup_snapshots_run ON backup_snapshots (run_id);
