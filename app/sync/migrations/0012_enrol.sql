-- One-time enrolment codes for the field page (crate::enrol): stored as the hex SHA-256 of the code, single use
-- (used_at), good until expires_at (RFC 3339 UTC with milliseconds, so text order is time order).
CREATE TABLE enrol_codes (
    hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
