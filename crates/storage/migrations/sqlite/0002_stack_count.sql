-- Each organization counts its stacks, so that listing stacks (the busiest page of the UI)
-- reads its total from one row instead of counting the index on every request. create_stack
-- and delete_stack keep it exact inside their transactions.
ALTER TABLE organizations ADD COLUMN stack_count BIGINT NOT NULL DEFAULT 0;
UPDATE organizations
SET stack_count = (SELECT COUNT(*) FROM stacks WHERE stacks.org_id = organizations.id);
