-- Single sign-on with OpenID Connect.

-- Providers a server administrator added (server-wide). The client secret is sealed by the
-- keyring (AAD bound to the provider's id), write-only. scopes, allowed_domains: JSON lists;
-- claims: JSON {username, email, display_name, groups} claim names; group_mappings: JSON list
-- of {group, org, role}.
CREATE TABLE sso_providers (
    id                 TEXT    NOT NULL PRIMARY KEY,
    slug               TEXT    NOT NULL,
    display_name       TEXT    NOT NULL,
    issuer_url         TEXT    NOT NULL,
    client_id          TEXT    NOT NULL,
    secret_key_id      TEXT,
    secret_nonce       BLOB,
    secret_ciphertext  BLOB,
    scopes             TEXT    NOT NULL,
    allowed_domains    TEXT    NOT NULL,
    auto_provision     INTEGER NOT NULL,
    claims             TEXT    NOT NULL,
    group_mappings     TEXT    NOT NULL,
    created_at         BIGINT  NOT NULL,
    updated_by         TEXT    NOT NULL,
    updated_at         BIGINT  NOT NULL
);
CREATE UNIQUE INDEX sso_providers_slug ON sso_providers (slug);

-- Which WindFlow user an identity (provider, subject) is.
CREATE TABLE sso_identities (
    provider_id    TEXT   NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    subject        TEXT   NOT NULL,
    user_id        TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email          TEXT,
    created_at     BIGINT NOT NULL,
    last_login_at  BIGINT NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- Memberships a provider's group mapping granted (so a group that disappears removes only
-- what the mapping gave, never a membership granted by hand).
CREATE TABLE sso_grants (
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_id  TEXT   NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    role         TEXT   NOT NULL,
    granted_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);

-- Logins under way: the state (hashed) is taken once; nonce and PKCE verifier for the
-- callback; where to go after (a console path, or a CLI's loopback redirect).
CREATE TABLE sso_logins (
    state_hash     TEXT   NOT NULL PRIMARY KEY,
    provider_id    TEXT   NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    nonce          TEXT   NOT NULL,
    pkce_verifier  TEXT   NOT NULL,
    return_to      TEXT,
    cli_redirect   TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);

-- One-time codes a CLI exchanges for an API token after an SSO login (hashed).
CREATE TABLE sso_cli_codes (
    code_hash    TEXT   NOT NULL PRIMARY KEY,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id  TEXT   NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

-- Browser sessions opened through a provider (for its RP-initiated logout).
CREATE TABLE sso_sessions (
    session_hash  TEXT   NOT NULL PRIMARY KEY REFERENCES sessions (id_hash) ON DELETE CASCADE,
    provider_id   TEXT   NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL
);
