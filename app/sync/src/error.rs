//! What the modules above share about failing: the answer while no district is held, and an error written out
//! with its causes (as the log and the demo's status have always shown them).

use std::fmt;

/// What the server answers while it holds no district.
pub const NO_DISTRICT: &str = "no district imported yet: run pingan-sync district import FILE, or start with --demo";

/// An error and each of its causes, `outer: cause: cause` (the form `{:#}` gives an `anyhow::Error`).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

/// An unexpected failure, written to the log once (error level, with its causes) under a fresh incident id; a client
/// is told the id and never the failure's own text (a database's or a library's message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// 8 hex digits, as in the log line `incident ab12cd34: …`.
    pub id: String,
    /// The database could not be reached or was busy (a 503 that a retry may cure), rather than a fault (500).
    pub unavailable: bool,
}

impl Incident {
    /// Log `e` (with its causes) as what failed while doing `what`; a `sqlx::Error` or I/O error anywhere in its
    /// chain that says the database is unreachable or busy marks it `unavailable`.
    pub fn log(what: &str, e: &(dyn std::error::Error + 'static)) -> Self {
        let mut unavailable = false;
        let mut link = Some(e);
        while let Some(x) = link {
            unavailable |= x.downcast_ref::<sqlx::Error>().is_some_and(unreachable) || x.is::<std::io::Error>();
            link = x.source();
        }
        Self::record(what, &Chain(e), unavailable)
    }

    /// Log `detail` as what failed while doing `what`.
    pub fn record(what: &str, detail: &dyn fmt::Display, unavailable: bool) -> Self {
        let id = format!("{:08x}", rand::random::<u32>());
        tracing::error!("incident {id}: {what}: {detail}");
        Self { id, unavailable }
    }

    /// What a client is told: `internal error` or `storage unavailable`.
    pub fn public(&self) -> &'static str {
        if self.unavailable { "storage unavailable" } else { "internal error" }
    }
}

impl fmt::Display for Incident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (incident {}, see the server's log)", self.public(), self.id)
    }
}

/// Whether `e` says the database is unreachable or busy (a retry may cure it): the pool, the connection, SQLite's
/// BUSY and LOCKED, PostgreSQL's connection, resource, shutdown and serialisation classes.
pub fn unreachable(e: &sqlx::Error) -> bool {
    use sqlx::Error as E;
    match e {
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => true,
        E::Database(d) => d.code().is_some_and(|c| match c.parse::<u32>() {
            // SQLite: an extended code's low byte is its primary code (5 BUSY, 6 LOCKED).
            Ok(n) if c.len() < 5 => matches!(n & 0xff, 5 | 6),
            _ => c.starts_with("08") || c.starts_with("53") || c.starts_with("57P") || c == "40001" || c == "40P01",
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_tells_its_id_and_class_never_its_text() {
        let io = std::io::Error::other("secret: UNIQUE constraint failed: readings.sensor_id");
        let i = Incident::log("storing readings", &io);
        assert!(i.id.len() == 8 && i.id.chars().all(|c| c.is_ascii_hexdigit()), "{}", i.id);
        assert!(i.unavailable, "an I/O error is the database out of reach");
        let told = i.to_string();
        assert!(told.contains(&i.id) && !told.contains("UNIQUE") && !told.contains("secret"), "{told}");
        let other = Incident::record("x", &"y", false);
        assert_ne!(other.id, i.id);
        assert_eq!(other.public(), "internal error");
        assert!(unreachable(&sqlx::Error::PoolTimedOut) && unreachable(&sqlx::Error::PoolClosed));
        assert!(!unreachable(&sqlx::Error::RowNotFound));
    }
}
