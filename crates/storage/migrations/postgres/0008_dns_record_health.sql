-- The last health check of each record WindFlow created: whether every authoritative server
-- serves exactly its values ('in_sync'), something else ('mismatch', detail says what it
-- answered), or could not be asked yet ('unchecked', detail says why when it was tried).
ALTER TABLE dns_records ADD COLUMN health TEXT NOT NULL DEFAULT 'unchecked';
ALTER TABLE dns_records ADD COLUMN health_detail TEXT;
ALTER TABLE dns_records ADD COLUMN checked_at BIGINT;
