-- A deleted stack keeps its row (tombstoned by deleted_at) so its deployment history stays
-- listed; its name is free again for a new stack. delete_requested_at marks a stack whose
-- removal from every target was asked for: the last successful removal deletes it.
ALTER TABLE stacks ADD COLUMN deleted_at BIGINT;
ALTER TABLE stacks ADD COLUMN delete_requested_at BIGINT;
DROP INDEX stacks_org_name;
CREATE UNIQUE INDEX stacks_org_name ON stacks (org_id, name) WHERE deleted_at IS NULL;
