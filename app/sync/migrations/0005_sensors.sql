-- Sensors (registered by `pingan-sync sensors import`) and the readings sensor gateways post (`POST /v1/readings`).
-- A reading is stored only when it was checked (known sensor, after its last reading, in range).

CREATE TABLE sensors (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE readings (
    sensor_id BIGINT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (sensor_id, at)
);
