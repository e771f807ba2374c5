-- Reference data: the server is the source of truth for the district, the roster's home grids and the event history.
-- Portable SQL (SQLite and PostgreSQL). Blobs are declared BYTEA: PostgreSQL's binary type; SQLite keeps a blob as a
-- blob whatever the declared type.

-- Every imported district, newest = highest version. body = pingan_package::encode_district (postcard + deflate).
CREATE TABLE districts (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    code TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body BYTEA NOT NULL
);

-- Past events (pingan_core::assess::EventRecord), for the five-colour assessment and the reports.
-- at: Unix seconds; category and severity: their serde names (e.g. 'FireAlarm', 'Major');
-- town / community / grid / building: ids (indexes) in the current district.
CREATE TABLE history (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    town BIGINT NOT NULL,
    community BIGINT NOT NULL,
    grid BIGINT NOT NULL,
    building BIGINT
);
CREATE INDEX history_at ON history (at);

-- The district package (pingan_package::encode) built at the end of every import, by reference version; the newest
-- two are kept. etag = pingan_package::etag(body).
CREATE TABLE packages (
    version BIGINT PRIMARY KEY,
    etag TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body BYTEA NOT NULL
);

-- The reference version: bumped by every import (district, roster, history); running servers poll it.
INSERT INTO meta (name, value) VALUES ('district_version', '0');
