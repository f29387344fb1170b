-- Agents: `windflow agent` processes that dial out to the control plane from hosts behind
-- NAT. An enrollment token (single use, expiring, stored as its SHA-256) is traded once for
-- a per-agent credential (stored as its SHA-256 too); the agent's target is created at that
-- moment. Revoking sets revoked_at: the credential stops working at once.
CREATE TABLE agent_enrollments (
    id              TEXT   NOT NULL PRIMARY KEY,
    org_id          TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    hash            TEXT   NOT NULL,
    target_name     TEXT   NOT NULL,
    environment_id  TEXT   REFERENCES environments (id) ON DELETE CASCADE,
    labels          TEXT   NOT NULL,
    created_by      TEXT   NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX agent_enrollments_hash ON agent_enrollments (hash);

CREATE TABLE agents (
    id               TEXT   NOT NULL PRIMARY KEY,
    org_id           TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    target_id        TEXT   NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    credential_hash  TEXT   NOT NULL,
    version          TEXT,
    address          TEXT,
    last_seen_at     BIGINT,
    revoked_at       BIGINT,
    created_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX agents_credential ON agents (credential_hash);
CREATE INDEX agents_org ON agents (org_id, created_at);
