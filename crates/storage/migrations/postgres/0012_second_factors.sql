-- Second factors and organizations' login policies.

-- One TOTP (RFC 6238) factor per user. Its secret is sealed by the keyring with the user's
-- id as associated data. Pending (confirmed_at NULL) until the user proves a code.
-- last_step: the time step of the last code accepted; a code of that step or an earlier one
-- is refused, so each code works once.
CREATE TABLE totp_factors (
    user_id            TEXT   NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_key_id      TEXT   NOT NULL,
    secret_nonce       BYTEA  NOT NULL,
    secret_ciphertext  BYTEA  NOT NULL,
    confirmed_at       BIGINT,
    last_step          BIGINT,
    last_used_at       BIGINT,
    created_at         BIGINT NOT NULL
);

-- One-time recovery codes, stored as SHA-256 of (user id, code): high-entropy secrets, like
-- API tokens. used_at is set when one is spent.
CREATE TABLE recovery_codes (
    user_id     TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- An organization's login policy (no row: the defaults, none and allowed).
-- require_second_factor: none | admins | all; password_login: allowed | disabled.
CREATE TABLE org_login_policies (
    org_id                 TEXT   NOT NULL PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    require_second_factor  TEXT   NOT NULL,
    password_login         TEXT   NOT NULL,
    updated_by             TEXT   NOT NULL,
    updated_at             BIGINT NOT NULL
);
