-- The audit trail (crate::audit): admin commands (CLI and API), the first use of each token (a login), and reads that
-- hand out personal data in bulk (snapshot, district package, tracks pages) — who, when, what, from which address.
-- Rows are only ever added (and pruned by age at start and daily, `--audit-days`); no API route changes them.
-- `at` is UTC RFC 3339 with milliseconds and a `Z` (fixed width, so text order is time order). The column is
-- `username`, not `user`, which PostgreSQL reads as CURRENT_USER when unquoted.
CREATE TABLE audit (
    id BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    address TEXT NOT NULL
);

CREATE INDEX audit_at ON audit (at);

-- When each token was first used (NULL: never). Set once, by the first successful authentication, which is recorded
-- as a login in the audit.
ALTER TABLE tokens ADD COLUMN first_used_at TEXT;
