-- Domains, certificates and DNS (the gateway's control-plane state).

-- Certificates the gateways serve: issued through ACME or uploaded by a user. The chain is
-- public; the private key is sealed by the keyring like a secret and never read back out.
CREATE TABLE certificates (
    id                TEXT   NOT NULL PRIMARY KEY,
    org_id            TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name              TEXT   NOT NULL,
    source            TEXT   NOT NULL,
    domains           TEXT   NOT NULL,
    chain_pem         TEXT   NOT NULL,
    key_key_id        TEXT   NOT NULL,
    key_nonce         BLOB   NOT NULL,
    key_ciphertext    BLOB   NOT NULL,
    issuer            TEXT   NOT NULL,
    serial            TEXT   NOT NULL,
    not_before        BIGINT NOT NULL,
    not_after         BIGINT NOT NULL,
    renewal_error     TEXT,
    renewal_attempts  BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX certificates_org_name ON certificates (org_id, name);
CREATE INDEX certificates_not_after ON certificates (not_after);

-- One ACME account per organization and directory; its credentials (the account key) are
-- sealed.
CREATE TABLE acme_accounts (
    org_id                  TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    directory_url           TEXT   NOT NULL,
    contact                 TEXT,
    credentials_key_id      TEXT   NOT NULL,
    credentials_nonce       BLOB   NOT NULL,
    credentials_ciphertext  BLOB   NOT NULL,
    created_at              BIGINT NOT NULL,
    PRIMARY KEY (org_id, directory_url)
);

-- DNS providers (RFC 2136 servers, PowerDNS, …): their settings as JSON, their credential
-- (TSIG key, API token) sealed.
CREATE TABLE dns_providers (
    id                 TEXT   NOT NULL PRIMARY KEY,
    org_id             TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name               TEXT   NOT NULL,
    kind               TEXT   NOT NULL,
    config             TEXT   NOT NULL,
    secret_key_id      TEXT,
    secret_nonce       BLOB  ,
    secret_ciphertext  BLOB  ,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX dns_providers_org_name ON dns_providers (org_id, name);

-- The records WindFlow created, and for what (owner): only these are ever changed or removed.
CREATE TABLE dns_records (
    id           TEXT   NOT NULL PRIMARY KEY,
    org_id       TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_id  TEXT   NOT NULL REFERENCES dns_providers (id) ON DELETE CASCADE,
    zone         TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    record_type  TEXT   NOT NULL,
    record_values TEXT  NOT NULL,
    owner        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX dns_records_key ON dns_records (provider_id, name, record_type);
CREATE INDEX dns_records_owner ON dns_records (org_id, owner);

-- Domains of a stack's services set in the control plane, over the compose file's
-- x-windflow: per environment, or for every environment (environment_id '').
CREATE TABLE stack_domains (
    org_id          TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    stack_id        TEXT   NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    environment_id  TEXT   NOT NULL,
    service         TEXT   NOT NULL,
    ingress         TEXT   NOT NULL,
    updated_by      TEXT   NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (org_id, stack_id, environment_id, service)
);
