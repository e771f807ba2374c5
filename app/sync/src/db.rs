//! Storage: one SQL layer (sqlx's `Any` driver) over SQLite or PostgreSQL, the same queries and migrations for both.
//!
//! Queries use `$1`-style placeholders, which both SQLite and PostgreSQL understand. Everything that writes the change
//! log goes through [`crate::writer`]; this module holds connecting, migrating, users and tokens, and the reads.

use pingan_core::WorkerId;
use pingan_core::sync::{Role, Seq};
use sha2::Digest as _;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row as _};
use std::str::FromStr as _;

/// Which database a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file.
    Sqlite,
    /// A PostgreSQL server (shared by several instances).
    Postgres,
}

/// A connected, migrated database.
#[derive(Clone, Debug)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// Which backend it is.
    pub backend: Backend,
    /// The URL it was opened with (PostgreSQL: for LISTEN connections).
    pub url: String,
}

/// A user, as the server knows them after checking a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// For a grid worker: the one worker this user is (positions only for them, events of their grids or assigned
    /// to them). A grid worker without one may not send commands.
    pub worker: Option<WorkerId>,
    /// The room they sit in: the 27-digit address code of a town or community, `None` for the district's room.
    /// Resolved against the current district per command ([`crate::units::unit_ref`]).
    pub unit: Option<String>,
}

/// Why a database operation failed or was refused.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// The migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A role that sits in no room below the district was given one.
    #[error("only an operator or a supervisor sits in a town's or community's room (--unit); a {0} has none")]
    RoomForRole(&'static str),
    /// A user name that is empty or too long.
    #[error("a user name must be 1 to {} characters", pingan_core::validate::MAX_NAME)]
    NameLength,
    /// A user name with control characters.
    #[error("a user name may not contain control characters")]
    NameControl,
    /// A grid worker user without a worker.
    #[error("a grid_worker user must be bound to a worker: add --worker ID (see /v1/snapshot's workers)")]
    WorkerRequired,
    /// A worker id that is not registered.
    #[error("there is no worker {0} in this database: register the roster first")]
    NoWorker(u32),
    /// A worker for a user of another role than grid worker.
    #[error("only a grid_worker user is bound to a worker")]
    WorkerForRole,
    /// A user name that is taken.
    #[error("user {0:?} already exists")]
    NameTaken(String),
    /// A user of a role that sits in no room below the district moved to one.
    #[error("{user} is a {role}: only an operator or a supervisor sits in a town's or community's room")]
    NotInRoom {
        /// The user's name.
        user: String,
        /// Their role.
        role: &'static str,
    },
    /// A user of another role than grid worker bound to a worker.
    #[error("{user} is a {role}: only a grid_worker user is bound to a worker")]
    NotBindable {
        /// The user's name.
        user: String,
        /// Their role.
        role: &'static str,
    },
    /// A role the server does not know, stored in the users table.
    #[error("unknown role {0:?} in the database")]
    UnknownRole(String),
}

/// Turn a path or URL into a database URL: `postgres://…` stays, `sqlite:…` stays, anything else is a SQLite file.
pub fn normalise_url(db: &str) -> String {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") || db.starts_with("sqlite:") {
        db.to_string()
    } else {
        format!("sqlite://{db}")
    }
}

impl Db {
    /// Connect (creating a SQLite file if missing) and run the migrations.
    pub async fn open(db: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let url = normalise_url(db);
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        let pool = match backend {
            Backend::Sqlite => {
                // Create the file on first start; WAL so readers never block the writer.
                let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    // 30 s: an admin command run while the server seeds its demo or imports a district (one long
                    // write transaction, slower on a loaded machine) waits for it rather than failing.
                    .busy_timeout(std::time::Duration::from_secs(30));
                // Make sure the file exists with WAL before the Any pool opens it.
                let c = sqlx::ConnectOptions::connect(&opts).await?;
                sqlx::Connection::close(c).await.ok();
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                            // 64 MiB of page cache: the key index and the projection stay in memory.
                            sqlx::query("PRAGMA cache_size = -65536").execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(16).connect(&url).await?,
        };
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db { pool, backend, url })
    }

    /// The last seq in the log (0 when empty).
    pub async fn head(&self) -> sqlx::Result<Seq> {
        sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM changes").fetch_one(&self.pool).await?.try_get(0)
    }

    /// Create a user. Fails if the name is taken.
    pub async fn add_user(&self, name: &str, role: Role) -> Result<User, DbError> {
        self.add_user_bound(name, role, None).await
    }

    /// Create a user, a grid worker bound to `worker` (which must be registered). Fails if the name is taken, if a
    /// grid worker has no worker or another role has one, or if the worker is not known.
    pub async fn add_user_bound(&self, name: &str, role: Role, worker: Option<WorkerId>) -> Result<User, DbError> {
        self.add_user_in(name, role, worker, None).await
    }

    /// Create a user as [`Db::add_user_bound`] does, sitting in the room of `unit` (a town's or community's address
    /// code, already resolved against the district; `None`: the district's room). Only operators and supervisors sit
    /// in a room below the district.
    pub async fn add_user_in(
        &self,
        name: &str,
        role: Role,
        worker: Option<WorkerId>,
        unit: Option<&pingan_core::AddressCode>,
    ) -> Result<User, DbError> {
        if unit.is_some() && !matches!(role, Role::Operator | Role::Supervisor) {
            return Err(DbError::RoomForRole(role.name()));
        }
        if name.trim().is_empty() || name.chars().count() > pingan_core::validate::MAX_NAME {
            return Err(DbError::NameLength);
        }
        if name.chars().any(char::is_control) {
            return Err(DbError::NameControl);
        }
        match (role, worker) {
            (Role::GridWorker, None) => return Err(DbError::WorkerRequired),
            (Role::GridWorker, Some(w)) => {
                if !self.worker_exists(w).await? {
                    return Err(DbError::NoWorker(w.0));
                }
            }
            (_, Some(_)) => return Err(DbError::WorkerForRole),
            (_, None) => {}
        }
        let mut tx = self.pool.begin().await?;
        let taken: i64 = sqlx::query("SELECT COUNT(*) FROM users WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if taken > 0 {
            return Err(DbError::NameTaken(name.to_string()));
        }
        let id: i64 =
            sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM users").fetch_one(&mut *tx).await?.try_get(0)?;
        let unit = unit.map(|u| u.to_string());
        sqlx::query("INSERT INTO users (id, name, role, created_at, worker_id, unit) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(name)
            .bind(role.name())
            .bind(chrono::Utc::now().to_rfc3339())
            .bind(worker.map(|w| w.0 as i64))
            .bind(unit.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(User { id, name: name.to_string(), role, worker, unit })
    }

    /// Move a user to the room of `unit` (`None`: the district's room).
    pub async fn set_unit(&self, user: &User, unit: Option<&pingan_core::AddressCode>) -> Result<(), DbError> {
        if unit.is_some() && !matches!(user.role, Role::Operator | Role::Supervisor) {
            return Err(DbError::NotInRoom { user: user.name.clone(), role: user.role.name() });
        }
        sqlx::query("UPDATE users SET unit = $1 WHERE id = $2")
            .bind(unit.map(|u| u.to_string()))
            .bind(user.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user `name`, created with `role` when missing (a system user without tokens: `demo`, `sla`). Two
    /// instances starting at once may both try to create it: the one that loses finds the other's.
    pub async fn system_user(&self, name: &str, role: Role) -> Result<User, DbError> {
        let mut tries = 0;
        loop {
            if let Some(u) = self.user(name).await? {
                return Ok(u);
            }
            match self.add_user(name, role).await {
                Ok(u) => return Ok(u),
                // Another process took the name, or the next id for another user: look again.
                Err(_) if tries < 3 => tries += 1,
                Err(e) => return self.user(name).await?.ok_or(e),
            }
        }
    }

    /// Bind an existing grid worker user to `worker` (which must be registered).
    pub async fn bind_worker(&self, user: &User, worker: WorkerId) -> Result<(), DbError> {
        if user.role != Role::GridWorker {
            return Err(DbError::NotBindable { user: user.name.clone(), role: user.role.name() });
        }
        if !self.worker_exists(worker).await? {
            return Err(DbError::NoWorker(worker.0));
        }
        sqlx::query("UPDATE users SET worker_id = $1 WHERE id = $2")
            .bind(worker.0 as i64)
            .bind(user.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether a worker with this id is registered.
    pub async fn worker_exists(&self, worker: WorkerId) -> Result<bool, DbError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM workers WHERE id = $1")
            .bind(worker.0 as i64)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n > 0)
    }

    /// A user by name.
    pub async fn user(&self, name: &str) -> Result<Option<User>, DbError> {
        let row = sqlx::query("SELECT id, name, role, worker_id, unit FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    /// Every user, by id.
    pub async fn users(&self) -> Result<Vec<User>, DbError> {
        let rows =
            sqlx::query("SELECT id, name, role, worker_id, unit FROM users ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Issue a new random token for `user`; returns the token (shown once, stored only as its hash).
    pub async fn new_token(&self, user: &User) -> Result<String, DbError> {
        use rand::RngCore as _;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("pa_{}", hex::encode(bytes));
        self.add_token(user, &token).await?;
        Ok(token)
    }

    /// Register a token chosen by the caller (the demo's well-known token). Idempotent.
    pub async fn add_token(&self, user: &User, token: &str) -> Result<(), DbError> {
        let hash = token_hash(token);
        let exists: i64 = sqlx::query("SELECT COUNT(*) FROM tokens WHERE hash = $1")
            .bind(&hash)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if exists == 0 {
            sqlx::query("INSERT INTO tokens (hash, user_id, created_at, revoked) VALUES ($1, $2, $3, 0)")
                .bind(hash)
                .bind(user.id)
                .bind(chrono::Utc::now().to_rfc3339())
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Revoke every token of a user.
    pub async fn revoke_tokens(&self, user: &User) -> Result<u64, DbError> {
        let r =
            sqlx::query("UPDATE tokens SET revoked = 1 WHERE user_id = $1").bind(user.id).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }

    /// The user a token belongs to, if it is known and not revoked.
    pub async fn user_for_token(&self, token: &str) -> Result<Option<User>, DbError> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, u.worker_id, u.unit FROM tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.hash = $1 AND t.revoked = 0",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    /// Changes after `after`, at most `limit`, as `(seq, body JSON)`.
    pub async fn changes_after(&self, after: Seq, limit: i64) -> sqlx::Result<Vec<(Seq, String)>> {
        let rows = sqlx::query("SELECT seq, body FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Up to `limit` kept track points (`worker_moved` bodies) reported at or after `since_ms` (Unix ms) with seq
    /// above `after`, by seq. Starts at the first seq reported that late (found by the `at_ms` index), so a first
    /// page does not scan the months before it.
    pub async fn tracks_after(&self, since_ms: i64, after: Seq, limit: i64) -> sqlx::Result<Vec<(Seq, String)>> {
        // A first page looks up where the window starts; a later one goes on from its cursor.
        let first: Seq = if after > 0 {
            after + 1
        } else {
            let first: Option<Seq> = sqlx::query("SELECT MIN(seq) FROM tracks WHERE at_ms >= $1")
                .bind(since_ms)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
            let Some(first) = first else { return Ok(Vec::new()) };
            first
        };
        let rows = sqlx::query("SELECT seq, body FROM tracks WHERE seq > $1 AND at_ms >= $2 ORDER BY seq LIMIT $3")
            .bind(after.max(first - 1))
            .bind(since_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// The whole situation at one seq, as JSON text:
    /// `{"seq":…,"situation":{"events":[…],"workers":[…],"task_books":[…]}}`.
    /// Read in one transaction, so the parts agree with each other and with the seq.
    pub async fn snapshot_json(&self) -> sqlx::Result<String> {
        Ok(self.snapshot_parts().await?.join(|_| true, |w| Some(std::borrow::Cow::Borrowed(w)), |_| true))
    }

    /// The stored records of the whole situation at one seq, read in one transaction (so the parts agree with each
    /// other and with the seq), to be joined into a snapshot ([`SnapshotParts::join`]).
    pub async fn snapshot_parts(&self) -> sqlx::Result<SnapshotParts> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
        }
        let seq: Seq =
            sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM changes").fetch_one(&mut *tx).await?.try_get(0)?;
        let events = sqlx::query("SELECT body FROM events ORDER BY id").fetch_all(&mut *tx).await?;
        let workers = sqlx::query("SELECT body FROM workers ORDER BY id").fetch_all(&mut *tx).await?;
        let books = sqlx::query("SELECT body FROM task_books ORDER BY id").fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let bodies =
            |rows: Vec<AnyRow>| rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<sqlx::Result<Vec<_>>>();
        Ok(SnapshotParts { seq, events: bodies(events)?, workers: bodies(workers)?, books: bodies(books)? })
    }

    /// A change page's rows with the audience stored with each (`None`: written before audiences were kept).
    pub async fn changes_with_audience(&self, after: Seq, limit: i64) -> sqlx::Result<Vec<LogRow>> {
        let rows = sqlx::query("SELECT seq, body, audience FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// One worker's stored record as JSON.
    pub async fn worker_json(&self, id: i64) -> sqlx::Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM workers WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| r.try_get(0)).transpose()
    }

    /// Every worker's stored record as JSON, by id.
    pub async fn worker_bodies(&self) -> sqlx::Result<Vec<String>> {
        let rows = sqlx::query("SELECT body FROM workers ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.try_get(0)).collect()
    }

    /// One event's stored record as JSON.
    pub async fn event_json(&self, id: i64) -> sqlx::Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM events WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| r.try_get(0)).transpose()
    }

    /// A value from the meta table.
    pub async fn meta(&self, name: &str) -> sqlx::Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM meta WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        row.map(|r| r.try_get(0)).transpose()
    }

    /// Set a value in the meta table.
    pub async fn set_meta(&self, name: &str, value: &str) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// A row of the log with its stored audience: (seq, body, audience JSON).
pub type LogRow = (Seq, String, Option<String>);

/// The stored records of the situation at one seq ([`Db::snapshot_parts`]).
pub struct SnapshotParts {
    /// The last change they include.
    pub seq: Seq,
    /// Events, by id.
    pub events: Vec<String>,
    /// Workers, by id.
    pub workers: Vec<String>,
    /// Task books, by id.
    pub books: Vec<String>,
}

impl SnapshotParts {
    /// `{"seq":…,"situation":{"events":[…],"workers":[…],"task_books":[…]}}` of the events and books kept and the
    /// workers as `worker` gives them (`None`: left out), copied as stored where they are kept whole.
    pub fn join<'a>(
        &'a self,
        event: impl Fn(&str) -> bool,
        worker: impl Fn(&'a str) -> Option<std::borrow::Cow<'a, str>>,
        book: impl Fn(&str) -> bool,
    ) -> String {
        let size = |v: &[String]| v.iter().map(|b| b.len() + 1).sum::<usize>();
        let mut out = String::with_capacity(64 + size(&self.events) + size(&self.workers) + size(&self.books));
        out.push_str(&format!("{{\"seq\":{},\"situation\":{{\"events\":[", self.seq));
        push_joined(&mut out, self.events.iter().filter(|e| event(e)).map(|e| std::borrow::Cow::Borrowed(e.as_str())));
        out.push_str("],\"workers\":[");
        push_joined(&mut out, self.workers.iter().filter_map(|w| worker(w)));
        out.push_str("],\"task_books\":[");
        push_joined(&mut out, self.books.iter().filter(|b| book(b)).map(|b| std::borrow::Cow::Borrowed(b.as_str())));
        out.push_str("]}}");
        out
    }
}

fn push_joined<'a>(out: &mut String, bodies: impl Iterator<Item = std::borrow::Cow<'a, str>>) {
    for (i, b) in bodies.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&b);
    }
}

pub(crate) fn user_from_row(r: &AnyRow) -> Result<User, DbError> {
    let role: String = r.try_get(2)?;
    Ok(User {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        role: Role::parse(&role).ok_or_else(|| DbError::UnknownRole(role.clone()))?,
        worker: r.try_get::<Option<i64>, _>(3)?.and_then(|w| u32::try_from(w).ok()).map(WorkerId),
        unit: r.try_get(4)?,
    })
}

/// Hex SHA-256 of a token: what the database stores.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// `$first, $first+1, …` for `n` placeholders.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
