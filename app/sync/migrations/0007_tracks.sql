-- The grid workers' tracks, for replays on the desks: the worker_moved changes that the thinning rule keeps against
-- the worker's last kept point (pingan_core::replay::keeps: a change of status, or one new report per worker per
-- five-minute slot), each with
-- its change's seq and body. A projection of the log like events and workers; moves logged before this table existed
-- are not in it.
CREATE TABLE tracks (
    seq BIGINT PRIMARY KEY,
    worker_id BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    body TEXT NOT NULL
);

CREATE INDEX tracks_at ON tracks (at_ms);

-- Each worker's last kept point, which the writer thins the next report against.
CREATE INDEX tracks_worker ON tracks (worker_id, seq);
