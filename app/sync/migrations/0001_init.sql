-- Pingan sync schema. Portable SQL: the same file migrates SQLite and PostgreSQL.
-- Timestamps are RFC 3339 text; JSON bodies are text (serde_json on both sides).

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Bearer tokens, stored as the hex SHA-256 of the token (tokens are 256-bit random, so a fast hash is enough).
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);

-- The append-only change log. seq is assigned by the writer under a lock, so it has no gaps.
CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    event_id BIGINT,
    worker_id BIGINT,
    user_id BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Idempotency: every command key a user has sent, and the answer it got (applied as seq N, or rejected).
CREATE TABLE applied (
    user_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- The current situation (a projection of the log), for snapshots and for checking transitions.
CREATE TABLE events (
    id BIGINT PRIMARY KEY,
    state TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE workers (
    id BIGINT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
