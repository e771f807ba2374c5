-- Hardening: a command's key remembers what it was sent with, so reusing a key for another body is refused;
-- a grid worker's user is bound to one worker.
ALTER TABLE applied ADD COLUMN body_hash TEXT;
ALTER TABLE users ADD COLUMN worker_id BIGINT;
