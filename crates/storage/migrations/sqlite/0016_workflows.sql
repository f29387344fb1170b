-- Workflows: an organization's automations (a versioned graph of nodes), their runs (a
-- leased queue like deployments, with one row per node so a restarted server resumes a run
-- without repeating what completed) and the notification channels their nodes use.

CREATE TABLE workflows (
    id                       TEXT    NOT NULL PRIMARY KEY,
    org_id                   TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                     TEXT    NOT NULL,
    -- The current version and its document (a copy of workflow_versions' row).
    version                  BIGINT  NOT NULL,
    document                 TEXT    NOT NULL,
    enabled                  INTEGER NOT NULL DEFAULT 1,
    -- Routes incoming webhooks (not a credential: the sealed secret signs them).
    webhook_token            TEXT    UNIQUE,
    webhook_secret_key_id    TEXT,
    webhook_secret_nonce     BLOB,
    webhook_secret_ciphertext BLOB,
    -- When the next cron trigger fires (NULL: no cron trigger).
    next_cron_at             BIGINT,
    created_by               TEXT    NOT NULL,
    created_at               BIGINT  NOT NULL,
    updated_by               TEXT    NOT NULL,
    updated_at               BIGINT  NOT NULL,
    deleted_at               BIGINT
);
CREATE UNIQUE INDEX workflows_name ON workflows (org_id, name) WHERE deleted_at IS NULL;
CREATE INDEX workflows_cron ON workflows (next_cron_at) WHERE deleted_at IS NULL;

-- Every saved version, immutable.
CREATE TABLE workflow_versions (
    workflow_id  TEXT    NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version      BIGINT  NOT NULL,
    document     TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE workflow_runs (
    -- FIFO order of the queue.
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT    NOT NULL UNIQUE,
    org_id            TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    workflow_id       TEXT    NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    workflow_name     TEXT    NOT NULL,
    version           BIGINT  NOT NULL,
    -- queued, running, waiting (an approval or a timer; wake_at), succeeded, failed, cancelled
    status            TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')),
    trigger_kind      TEXT    NOT NULL,
    trigger_payload   TEXT    NOT NULL,
    inputs            TEXT    NOT NULL,
    requested_by      TEXT,
    parent_run        TEXT,
    concurrency_limit BIGINT  NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    attempts          BIGINT  NOT NULL DEFAULT 0,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    wake_at           BIGINT,
    error             TEXT,
    created_at        BIGINT  NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT
);
CREATE INDEX workflow_runs_queue ON workflow_runs (status, seq);
CREATE INDEX workflow_runs_workflow ON workflow_runs (workflow_id, seq);
CREATE INDEX workflow_runs_active ON workflow_runs (workflow_id, status);
CREATE INDEX workflow_runs_finished ON workflow_runs (finished_at);

-- Each node's state in a run: written before and after it runs.
CREATE TABLE workflow_node_runs (
    run_id       TEXT    NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    node_id      TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled')),
    port         TEXT,
    attempt      BIGINT  NOT NULL,
    input        TEXT,
    output       TEXT,
    logs         TEXT    NOT NULL,
    error        TEXT,
    -- What the node started elsewhere (a deployment id): a resumed node waits for it
    -- instead of starting it again.
    reference    TEXT,
    wake_at      BIGINT,
    started_at   BIGINT,
    finished_at  BIGINT,
    PRIMARY KEY (run_id, node_id)
);

CREATE TABLE notification_channels (
    id                 TEXT    NOT NULL PRIMARY KEY,
    org_id             TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    settings           TEXT    NOT NULL,
    secret_key_id      TEXT,
    secret_nonce       BLOB,
    secret_ciphertext  BLOB,
    created_by         TEXT    NOT NULL,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    UNIQUE (org_id, name)
);
