-- Patrol task books (巡查任务书): the projection of TaskBookIssued / CheckReported changes, for snapshots and for
-- checking reports. state is 'open' or 'closed' (every stop reported); overdue is derived from the body's deadline.

CREATE TABLE task_books (
    id BIGINT PRIMARY KEY,
    state TEXT NOT NULL,
    grid_id BIGINT NOT NULL,
    issued_at TEXT NOT NULL,
    body TEXT NOT NULL
);
