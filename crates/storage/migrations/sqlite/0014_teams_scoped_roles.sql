-- Teams, custom roles, roles granted on the organization, an environment or a stack, and
-- service accounts (organization-owned principals that only hold API tokens).

CREATE TABLE teams (
    id          TEXT   NOT NULL PRIMARY KEY,
    org_id      TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX teams_org_name ON teams (org_id, name);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- A custom role is a named set of permissions (comma-separated permission names).
CREATE TABLE custom_roles (
    id          TEXT   NOT NULL PRIMARY KEY,
    org_id      TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    permissions TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_roles_org_name ON custom_roles (org_id, name);

-- One role (built-in name or custom role) granted to a user or a team, on the whole
-- organization (both scope columns NULL), one environment or one stack.
CREATE TABLE role_grants (
    id             TEXT   NOT NULL PRIMARY KEY,
    org_id         TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id        TEXT   REFERENCES users (id) ON DELETE CASCADE,
    team_id        TEXT   REFERENCES teams (id) ON DELETE CASCADE,
    role           TEXT,
    custom_role_id TEXT   REFERENCES custom_roles (id) ON DELETE CASCADE,
    environment_id TEXT   REFERENCES environments (id) ON DELETE CASCADE,
    stack_id       TEXT   REFERENCES stacks (id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    CHECK ((user_id IS NULL) <> (team_id IS NULL)),
    CHECK ((role IS NULL) <> (custom_role_id IS NULL)),
    CHECK (environment_id IS NULL OR stack_id IS NULL)
);
CREATE UNIQUE INDEX role_grants_unique ON role_grants (org_id, COALESCE(user_id, ''),
    COALESCE(team_id, ''), COALESCE(role, ''), COALESCE(custom_role_id, ''),
    COALESCE(environment_id, ''), COALESCE(stack_id, ''));
CREATE INDEX role_grants_user ON role_grants (user_id);
CREATE INDEX role_grants_team ON role_grants (team_id);

CREATE TABLE service_accounts (
    id          TEXT   NOT NULL PRIMARY KEY,
    org_id      TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    created_by  TEXT,
    created_at  BIGINT NOT NULL,
    -- A deleted account keeps its row (and its user row, which the history names) but
    -- loses its membership, grants and tokens, and its name is free again.
    deleted_at  BIGINT
);
CREATE UNIQUE INDEX service_accounts_org_name ON service_accounts (org_id, name)
    WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX service_accounts_user ON service_accounts (user_id);
