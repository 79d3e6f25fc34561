-- Access control: API keys (only a hash of each key is kept) and the audit trail of every change.

CREATE TABLE api_keys (
    id              TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL,   -- 'reader', 'analyst' or 'admin'
    key_hash        TEXT    NOT NULL,   -- SHA-256 of the key, hex; keys are 256 random bits, so a fast hash suffices
    created_at_ms   BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL,   -- the key name that created it, or 'bootstrap' / 'command'
    revoked_at_ms   BIGINT  NULL,
    revoked_by      TEXT    NULL
);
CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash);

-- Append-only: rows are inserted, never updated or deleted. Ids are version-7 UUIDs, so they sort by time.
CREATE TABLE audit_events (
    id              TEXT    NOT NULL PRIMARY KEY,
    at_ms           BIGINT  NOT NULL,
    actor           TEXT    NOT NULL,   -- the key's name
    action          TEXT    NOT NULL,   -- 'experiment.created', 'analysis.queued', 'key.revoked', …
    target          TEXT    NOT NULL,   -- what it acted on: an experiment id, a run id, a key id
    body_sha256     TEXT    NULL        -- SHA-256 of the request body, hex, when there was one
);
CREATE INDEX ix_audit_events_at ON audit_events (at_ms, id);
