//! Sensors on the server: the registry (`pingan-sync sensors import FILE.csv`), the readings sensor gateways post
//! (`POST /v1/readings`), and the warning rules of `pingan_core::sensors` applied to them. A batch of readings is
//! checked whole (known sensor, of its kind, after its last reading, in range, not in the future) and stored only
//! when every reading passes; a rule that fires becomes a warning event through the normal intake (routed like any
//! report, as the system user `sensors`), carrying its readings as evidence.
//!
//! The rules' state lives in memory and is rebuilt at start from the last eight days of stored readings. With
//! several instances each keeps its own; post a sensor's readings to one instance.

use crate::db::Db;
use crate::writer::Writer;
use pingan_core::sensors::{Reading, RuleEngine, Sensor, SensorId, SensorRules};
use pingan_core::sync::{ClientCommand, CommandBody, Outcome, Role};
use pingan_core::{District, EventId, SensorKind};
use sqlx::Row as _;
use std::collections::HashMap;

/// Readings older than this are refused (the rules' state is rebuilt from this many days of readings).
pub const MAX_AGE_DAYS: i64 = 8;

/// Most sensors one import may register.
pub const MAX_SENSORS: usize = 1_000_000;

/// The registry and the rules' state.
pub struct Sensors {
    inner: tokio::sync::Mutex<Inner>,
}

struct Inner {
    sensors: HashMap<SensorId, Sensor>,
    engine: RuleEngine,
}

/// What a batch of readings did.
#[derive(Debug, serde::Serialize)]
pub struct Taken {
    /// Readings stored.
    pub stored: usize,
    /// Warnings raised.
    pub warnings: Vec<Raised>,
    /// Why a warning's report was refused by the intake, if any was.
    pub refused: Vec<String>,
}

/// A warning raised by a batch: the sensor, the rule, and the event reported for it (`None`: the intake refused
/// it, see [`Taken::refused`]).
#[derive(Debug, serde::Serialize)]
pub struct Raised {
    /// The sensor.
    pub sensor: SensorId,
    /// The rule.
    pub rule: pingan_core::sensors::RuleKind,
    /// The warning event.
    pub event: Option<EventId>,
}

/// Why a batch was not taken.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// A reading is wrong: nothing was stored.
    #[error("{0}")]
    Bad(String),
    /// The database failed: logged under the incident's id.
    #[error("{0}")]
    Storage(crate::error::Incident),
}

/// The database failed while doing `what`: logged, and answered by its incident id.
fn storage(what: &str) -> impl Fn(sqlx::Error) -> Refusal + '_ {
    move |e| Refusal::Storage(crate::error::Incident::log(what, &e))
}

/// Why the registry could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum SensorsError {
    /// The database failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// A stored sensor is not the JSON it should be (or one cannot be written as JSON).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// The name of a sensor kind in files.
pub fn kind_name(k: SensorKind) -> &'static str {
    match k {
        SensorKind::WaterMeter => "water_meter",
        SensorKind::SmokeDetector => "smoke_detector",
        SensorKind::EbikeCharger => "ebike_charger",
        SensorKind::StrawBurningCamera => "fire_camera",
        SensorKind::CheckpointCamera => "helmet_counter",
        SensorKind::CrowdCamera => "crowd_counter",
    }
}

fn kind_of(name: &str) -> Option<SensorKind> {
    SensorKind::ALL.into_iter().find(|k| kind_name(*k) == name.trim())
}

fn time_text(t: pingan_core::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn registered(db: &Db) -> Result<HashMap<SensorId, Sensor>, SensorsError> {
    let rows = sqlx::query("SELECT body FROM sensors").fetch_all(&db.pool).await?;
    let mut out = HashMap::new();
    for r in rows {
        let body: String = r.try_get(0)?;
        let s: Sensor = serde_json::from_str(&body)?;
        out.insert(s.id, s);
    }
    Ok(out)
}

impl Sensors {
    /// No sensors (until [`Sensors::load`]).
    pub fn empty() -> Sensors {
        Sensors {
            inner: tokio::sync::Mutex::new(Inner {
                sensors: HashMap::new(),
                engine: RuleEngine::new(SensorRules::default()),
            }),
        }
    }

    /// Load the registry and rebuild the rules' state from the last eight days of readings.
    pub async fn load(db: &Db, now: pingan_core::Timestamp) -> Result<Sensors, SensorsError> {
        let sensors = registered(db).await?;
        let mut engine = RuleEngine::new(SensorRules::default());
        let since = time_text(now - chrono::Duration::days(MAX_AGE_DAYS));
        let rows = sqlx::query("SELECT body FROM readings WHERE at >= $1 ORDER BY at, sensor_id")
            .bind(since)
            .fetch_all(&db.pool)
            .await?;
        let mut replayed = 0usize;
        for r in rows {
            let body: String = r.try_get(0)?;
            let Ok(reading) = serde_json::from_str::<Reading>(&body) else { continue };
            if let Some(s) = sensors.get(&reading.sensor)
                && engine.ingest(s, &reading).is_ok()
            {
                replayed += 1;
            }
        }
        if !sensors.is_empty() {
            tracing::info!("{} sensors; rules' state rebuilt from {replayed} readings", sensors.len());
        }
        Ok(Sensors { inner: tokio::sync::Mutex::new(Inner { sensors, engine }) })
    }

    /// Check, store and apply a batch of readings posted at `now`; raise the warnings through `writer`.
    pub async fn take(
        &self,
        db: &Db,
        writer: &Writer,
        district: &District,
        readings: &[Reading],
        now: pingan_core::Timestamp,
    ) -> Result<Taken, Refusal> {
        let mut inner = self.inner.lock().await;
        if readings.iter().any(|r| !inner.sensors.contains_key(&r.sensor)) {
            // Perhaps registered since the start (an import by another process).
            inner.sensors = registered(db).await.map_err(|e| match e {
                SensorsError::Sql(e) => storage("reading the sensor registry")(e),
                e => Refusal::Storage(crate::error::Incident::log("reading the sensor registry", &e)),
            })?;
        }
        let mut engine = inner.engine.clone();
        let mut warnings = Vec::new();
        for (i, r) in readings.iter().enumerate() {
            let Some(s) = inner.sensors.get(&r.sensor) else {
                return Err(Refusal::Bad(format!(
                    "reading {i}: sensor {} is not registered (`pingan-sync sensors import`)",
                    r.sensor.0
                )));
            };
            if !pingan_core::time::not_in_future(r.at, now) {
                return Err(Refusal::Bad(format!("reading {i}: taken at {} is in the future", r.at)));
            }
            if now - r.at > chrono::Duration::days(MAX_AGE_DAYS) {
                return Err(Refusal::Bad(format!(
                    "reading {i}: taken at {} is more than {MAX_AGE_DAYS} days old",
                    r.at
                )));
            }
            if let Some(w) = engine.ingest(s, r).map_err(|e| Refusal::Bad(format!("reading {i}: {e}")))? {
                warnings.push(w);
            }
        }
        let mut tx = db.pool.begin().await.map_err(storage("storing readings"))?;
        for (i, r) in readings.iter().enumerate() {
            let body = serde_json::to_string(r)
                .map_err(|e| Refusal::Storage(crate::error::Incident::log("storing readings", &e)))?;
            sqlx::query("INSERT INTO readings (sensor_id, at, body) VALUES ($1, $2, $3)")
                .bind(i64::from(r.sensor.0))
                .bind(time_text(r.at))
                .bind(body)
                .execute(&mut *tx)
                .await
                .map_err(|e| match e {
                    // Stored already (by another instance, or before the rules' state was rebuilt), or two readings
                    // within one millisecond (stored to the millisecond): refused like any reading that is not after
                    // its sensor's last one.
                    sqlx::Error::Database(d) if d.is_unique_violation() => Refusal::Bad(format!(
                        "reading {i}: sensor {} already has a reading stored at {} (readings are kept to the \
                         millisecond): a duplicate; nothing was stored",
                        r.sensor.0,
                        time_text(r.at)
                    )),
                    e => storage("storing readings")(e),
                })?;
        }
        tx.commit().await.map_err(storage("storing readings"))?;
        inner.engine = engine;
        let mut taken = Taken { stored: readings.len(), warnings: Vec::new(), refused: Vec::new() };
        if warnings.is_empty() {
            return Ok(taken);
        }
        let user = db.system_user("sensors", Role::SensorGateway).await.map_err(|e| match e {
            crate::db::DbError::Sql(e) => storage("the sensors user")(e),
            e => Refusal::Storage(crate::error::Incident::log("the sensors user", &e)),
        })?;
        let mut cmds = Vec::new();
        let mut submitted = Vec::new();
        for w in &warnings {
            let Some(s) = inner.sensors.get(&w.sensor) else { continue };
            match w.event(district, s) {
                Some(e) => {
                    submitted.push(w);
                    cmds.push(ClientCommand {
                        key: format!("warn-{}-{}", w.sensor.0, w.at.timestamp_millis()),
                        at: w.at,
                        body: CommandBody::Report { event: Box::new(e) },
                    });
                }
                None => {
                    taken.refused.push(format!("sensor {}: its address {} is not in the district", s.id.0, s.address))
                }
            }
        }
        drop(inner);
        let results = writer.submit(user, cmds.clone()).await.map_err(|e| match e {
            crate::writer::SubmitError::Storage(incident) => Refusal::Storage(incident),
            e => Refusal::Storage(crate::error::Incident::log("reporting warnings", &e)),
        })?;
        for (w, r) in submitted.into_iter().zip(results) {
            match r.outcome {
                Outcome::Applied { event, .. } => taken.warnings.push(Raised { sensor: w.sensor, rule: w.rule, event }),
                Outcome::Rejected { reason } => {
                    taken.warnings.push(Raised { sensor: w.sensor, rule: w.rule, event: None });
                    taken.refused.push(reason);
                }
            }
        }
        Ok(taken)
    }
}

/// `pingan-sync sensors import FILE.csv`: `id,kind,address[,elderly_alone]` per line (a header line is skipped;
/// kinds: water_meter, smoke_detector, ebike_charger, fire_camera, helmet_counter, crowd_counter; the address a
/// 27-digit code of a building, room or grid of the stored district; elderly_alone `1`/`true`). Every line is
/// checked; with any problem nothing is stored and the problems are returned by line. Returns how many sensors were
/// registered (new or changed).
pub async fn import(db: &Db, district: &District, text: &str) -> Result<Result<usize, Vec<String>>, SensorsError> {
    let mut problems = Vec::new();
    let mut sensors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || (n == 0 && line.to_lowercase().starts_with("id,")) {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if !(3..=4).contains(&cols.len()) {
            problems
                .push(format!("line {line_no}: expected id,kind,address[,elderly_alone], got {} columns", cols.len()));
            continue;
        }
        let Ok(id) = cols[0].parse::<u32>() else {
            problems.push(format!("line {line_no}: id {:?} is not a number", cols[0]));
            continue;
        };
        if !seen.insert(id) {
            problems.push(format!("line {line_no}: sensor {id} appears twice"));
            continue;
        }
        let Some(kind) = kind_of(cols[1]) else {
            problems.push(format!(
                "line {line_no}: unknown kind {:?} (water_meter, smoke_detector, ebike_charger, fire_camera, helmet_counter, crowd_counter)",
                cols[1]
            ));
            continue;
        };
        let digits: String = cols[2].chars().filter(|c| c.is_ascii_digit()).collect();
        let Ok(address) = pingan_core::AddressCode::parse(&digits) else {
            problems.push(format!("line {line_no}: {:?} is not a 27-digit address code", cols[2]));
            continue;
        };
        let Some(place) = district.place_of_code(&address) else {
            problems.push(format!("line {line_no}: no building or grid of {} has the code {address}", district.name));
            continue;
        };
        let elderly_alone = matches!(cols.get(3).map(|s| s.to_lowercase()).as_deref(), Some("1" | "true" | "yes"));
        sensors.push(Sensor { id: SensorId(id), kind, address, position: place.position, elderly_alone, view: None });
    }
    if sensors.len() > MAX_SENSORS {
        problems.push(format!("{} sensors in one file; at most {MAX_SENSORS}", sensors.len()));
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    Ok(Ok(register(db, &sensors).await?))
}

/// Store `sensors` in the registry in one transaction (a sensor already registered under the same id is replaced);
/// returns how many. The import's storing half, also used by `--demo` for its fleet.
pub async fn register(db: &Db, sensors: &[Sensor]) -> Result<usize, SensorsError> {
    let mut tx = db.pool.begin().await?;
    let now = time_text(chrono::Utc::now());
    for s in sensors {
        sqlx::query("DELETE FROM sensors WHERE id = $1").bind(i64::from(s.id.0)).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO sensors (id, kind, body, created_at) VALUES ($1, $2, $3, $4)")
            .bind(i64::from(s.id.0))
            .bind(kind_name(s.kind))
            .bind(serde_json::to_string(s)?)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(sensors.len())
}
