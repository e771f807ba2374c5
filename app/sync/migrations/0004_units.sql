-- Roles by level: a user sits in a unit's room. unit = the 27-digit address code of their town or community; NULL is
-- the district's room (every user created before this migration). Portable SQL (SQLite and PostgreSQL).
ALTER TABLE users ADD COLUMN unit TEXT;
