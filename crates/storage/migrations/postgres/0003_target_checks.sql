-- Target health history: one row per connection check (periodic or on demand), pruned to a
-- retention window by the server's maintenance loop.
CREATE TABLE target_checks (
    target_id   TEXT   NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    checked_at  BIGINT NOT NULL,
    status      TEXT   NOT NULL,
    latency_ms  BIGINT NOT NULL,
    error       TEXT,
    PRIMARY KEY (target_id, checked_at)
);
CREATE INDEX target_checks_at ON target_checks (checked_at);

-- How a deployment chose its target when it named a label selector instead of one target:
-- the selector, the strategy, whether it may move to the next eligible target, and the
-- targets tried so far (JSON). NULL for a deployment that named its target.
ALTER TABLE deployments ADD COLUMN placement TEXT;
