-- Tokens end (issue 29): a token's expiry and when it was last used, and a user who may be disabled. Portable SQL
-- (SQLite and PostgreSQL); times are RFC 3339 text like every other time here.
-- expires_at NULL: the token never expires. Tokens issued before this migration stay so (a migration that gave them
-- the role's default would cut off gateways in the field on a day nobody chose); `token list USER` shows them as
-- "never", and `token revoke` + `token new` replaces them with tokens that end.
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
-- last_used_at: written at most once a minute per token (NULL: not used since it was issued or since this migration).
ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
-- disabled_at: when `user disable` stopped the user (NULL: enabled). Their tokens answer 401 "disabled" meanwhile.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
