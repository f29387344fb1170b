-- Host-access policies (what host-level features a stack may use), as JSON: one per
-- organization (set by server administrators; none means baseline), optionally narrowed per
-- environment or target (scope_id is '' for the organization's own).
CREATE TABLE host_policies (
    org_id      TEXT   NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    scope       TEXT   NOT NULL,
    scope_id    TEXT   NOT NULL,
    policy      TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, scope, scope_id)
);

-- An existing installation keeps what its first organization (the one `windflow serve`
-- created on its first run, for its administrator) could do; every other organization
-- becomes baseline.
INSERT INTO host_policies (org_id, scope, scope_id, policy, updated_at)
SELECT id, 'organization', '', '{"level":"privileged"}', created_at
FROM organizations ORDER BY created_at, id LIMIT 1;
