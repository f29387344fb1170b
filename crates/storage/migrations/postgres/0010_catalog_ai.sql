-- The template catalog, templates' deployments, and AI providers.

-- Catalog sources a server administrator added: a git repository or an HTTP URL holding a
-- Coolify-style folder, a Portainer app-template list or WindFlow templates. Server-wide:
-- every organization sees their templates. The last refresh's per-template import report
-- (what could not be mapped, and why) is kept as JSON.
CREATE TABLE catalog_sources (
    id                  TEXT   NOT NULL PRIMARY KEY,
    name                TEXT   NOT NULL,
    kind                TEXT   NOT NULL,
    url                 TEXT   NOT NULL,
    path                TEXT,
    reference           TEXT,
    format              TEXT   NOT NULL,
    refresh_interval_s  BIGINT NOT NULL,
    refreshed_at        BIGINT,
    refresh_error       TEXT,
    report              TEXT   NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX catalog_sources_name ON catalog_sources (name);

-- The templates of each source as last imported (the cache the catalog serves offline).
CREATE TABLE catalog_templates (
    source_id    TEXT   NOT NULL REFERENCES catalog_sources (id) ON DELETE CASCADE,
    template_id  TEXT   NOT NULL,
    version      TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    description  TEXT   NOT NULL,
    categories   TEXT   NOT NULL,
    text         TEXT   NOT NULL,
    PRIMARY KEY (source_id, template_id)
);

-- Which template (and version, size and non-secret inputs) a stack was created from, so it
-- can be upgraded to a newer version of the template with a diff.
CREATE TABLE stack_templates (
    org_id       TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    stack_id     TEXT   NOT NULL PRIMARY KEY REFERENCES stacks (id) ON DELETE CASCADE,
    source       TEXT   NOT NULL,
    template_id  TEXT   NOT NULL,
    version      TEXT   NOT NULL,
    size         TEXT   NOT NULL,
    inputs       TEXT   NOT NULL,
    updated_by   TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- One OpenAI-compatible provider per organization; its API key sealed by the keyring,
-- write-only. settings: timeouts, token limits, the monthly token budget.
CREATE TABLE ai_providers (
    org_id             TEXT   NOT NULL PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    base_url           TEXT   NOT NULL,
    model              TEXT   NOT NULL,
    settings           TEXT   NOT NULL,
    secret_key_id      TEXT,
    secret_nonce       BYTEA ,
    secret_ciphertext  BYTEA ,
    updated_by         TEXT   NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- Every AI call: who, what for, which model, tokens and time (the budget is summed here).
CREATE TABLE ai_requests (
    id                 TEXT   NOT NULL PRIMARY KEY,
    org_id             TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id            TEXT   NOT NULL,
    kind               TEXT   NOT NULL,
    model              TEXT   NOT NULL,
    prompt_tokens      BIGINT NOT NULL,
    completion_tokens  BIGINT NOT NULL,
    duration_ms        BIGINT NOT NULL,
    outcome            TEXT   NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX ai_requests_org_time ON ai_requests (org_id, created_at);
