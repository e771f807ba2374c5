//! The read rule ([`pingan_core::scope`]) applied to everything the server hands out: the snapshot, a page of the
//! log and the live stream, the tracks, one event, and the district package's roster.
//!
//! A request's [`Scope`] is everything (an administrator, a district room) or one [`Reader`] over the district held
//! now. Everything-readers get the stored JSON as it is, never parsed. A scoped reader gets the snapshot's items
//! that [`Reader::sees`] (colleagues without phone numbers), and each change of the log as
//! [`Reader::delivery`] says from the audience written with it: as it is, the whole event it brought into view, a
//! withdrawal of what it took out of view, or nothing. A change left out leaves a gap in the reader's seqs; the
//! next one they get says which one it follows (`"after"`, [`pingan_core::sync::Change::after`]), and a page or a
//! stream that ends on left-out changes ends with an empty withdrawal at the last seq read, so the reader's cursor
//! moves on and resuming from it (`after=`, `Last-Event-ID`) delivers each change in scope exactly once.

use crate::db::{Db, User};
use pingan_core::patrol::TaskBook;
use pingan_core::scope::{Audience, Delivery, Reader};
use pingan_core::sync::{ChangeBody, Seq};
use pingan_core::{District, Event, GridWorker, Role, WorkerId};
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::Arc;

/// Why a scope or a scoped answer could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    /// The user's room is not in the district held now (403).
    #[error("{0}")]
    RoomGone(String),
    /// No district is held, and the user reads only part of one (404).
    #[error("{}", crate::error::NO_DISTRICT)]
    NoDistrict,
    /// The database failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// The stored package does not read back or encode.
    #[error("the stored package: {0}")]
    Package(String),
}

type Result<T> = std::result::Result<T, ScopeError>;

impl From<crate::scoped::ScopeError> for crate::answer::ApiError {
    fn from(e: crate::scoped::ScopeError) -> Self {
        use crate::scoped::ScopeError as E;
        match e {
            E::RoomGone(m) => crate::answer::ApiError::new(axum::http::StatusCode::FORBIDDEN, m),
            E::NoDistrict => crate::answer::ApiError::new(axum::http::StatusCode::NOT_FOUND, crate::error::NO_DISTRICT),
            E::Sql(e) => crate::answer::storage(e),
            other => crate::answer::ApiError::internal("scoping an answer", &other),
        }
    }
}

/// What one request may read.
#[derive(Clone, Debug)]
pub enum Scope {
    /// Everything: an administrator, or a command room of the whole district.
    All,
    /// One reader's view of the district held now.
    Reader {
        /// Who.
        reader: Reader,
        /// The district their room and grids are looked up in.
        district: Arc<District>,
    },
}

/// A reader's empty withdrawal: "nothing for you up to here" (moves their cursor past changes left out).
pub const NOTHING: &str = r#"{"type":"withdrawn","items":[]}"#;

/// "Take a fresh snapshot": the last thing a page or a stream sends a reader whose view changed.
const RESYNC: &str = r#"{"type":"resync"}"#;

impl Scope {
    /// The scope of `user` now: their role, their room's unit in the district held now, and for a grid worker the
    /// grids of their own worker (from the roster). 403 when their room is no longer in the district; 404 when no
    /// district is held and they are not a reader of everything.
    pub async fn of(db: &Db, district: Option<Arc<District>>, user: &User) -> Result<Scope> {
        if user.role == Role::Admin || (user.unit.is_none() && matches!(user.role, Role::Operator | Role::Supervisor)) {
            return Ok(Scope::All);
        }
        let district = district.ok_or(ScopeError::NoDistrict)?;
        let actor = crate::units::actor(&district, user).map_err(|e| ScopeError::RoomGone(e.to_string()))?;
        let roster: Vec<GridWorker> = match (user.role, user.worker) {
            (Role::GridWorker, Some(w)) => db
                .worker_json(i64::from(w.0))
                .await?
                .and_then(|body| serde_json::from_str(&body).ok())
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        let reader = Reader::new(actor, &roster);
        Ok(if reader.sees_all() { Scope::All } else { Scope::Reader { reader, district } })
    }

    /// Whether this scope is everything.
    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// A change's body as this scope gets it, from the body and the audience stored with it; `None` when it is left
    /// out. A scoped reader gets `resync` for a change written before audiences were kept (`None`) and for one that
    /// changed their own view.
    pub fn deliver<'a>(&self, body: &'a str, audience: Option<&Audience>) -> Option<Cow<'a, str>> {
        let Scope::Reader { reader, .. } = self else { return Some(Cow::Borrowed(body)) };
        // A change written before audiences were kept cannot be scoped: the reader's copy needs a fresh snapshot.
        let Some(audience) = audience else { return Some(Cow::Borrowed(RESYNC)) };
        let out = match reader.delivery(audience) {
            Delivery::Resync => return Some(Cow::Borrowed(RESYNC)),
            Delivery::Skip => return None,
            Delivery::AsIs { strip_phones: false } => return Some(Cow::Borrowed(body)),
            Delivery::AsIs { strip_phones: true } => match serde_json::from_str::<ChangeBody>(body).ok()? {
                ChangeBody::WorkerJoined { mut worker } => {
                    worker.phone.clear();
                    ChangeBody::WorkerJoined { worker }
                }
                other => other,
            },
            Delivery::Show(event) => ChangeBody::EventShown { event },
            Delivery::Withdraw(items) => ChangeBody::Withdrawn { items },
        };
        serde_json::to_string(&out).ok().map(Cow::Owned)
    }

    /// The snapshot as this scope may see it (see [`Db::snapshot_parts`]).
    pub async fn snapshot(&self, db: &Db) -> Result<String> {
        let parts = db.snapshot_parts().await?;
        let Scope::Reader { reader, district } = self else {
            return Ok(parts.join(|_| true, |w| Some(Cow::Borrowed(w)), |_| true));
        };
        let d = district.as_ref();
        Ok(parts.join(
            |e| serde_json::from_str::<Event>(e).is_ok_and(|e| reader.sees_event(&e)),
            |w| {
                let worker = serde_json::from_str::<GridWorker>(w).ok()?;
                match reader.worker_view(d, &worker)? {
                    seen if seen == worker => Some(Cow::Borrowed(w)),
                    seen => serde_json::to_string(&seen).ok().map(Cow::Owned),
                }
            },
            |b| serde_json::from_str::<TaskBook>(b).is_ok_and(|b| reader.sees_book(d, &b)),
        ))
    }

    /// Whether this scope sees the event stored as `body`.
    pub fn sees_event(&self, body: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Reader { reader, .. } => serde_json::from_str::<Event>(body).is_ok_and(|e| reader.sees_event(&e)),
        }
    }

    /// The workers whose tracks this scope sees (`None`: all), from the roster held in `db`.
    pub async fn track_workers(&self, db: &Db) -> Result<Option<std::collections::HashSet<WorkerId>>> {
        let Scope::Reader { reader, district } = self else { return Ok(None) };
        let rows = db.worker_bodies().await?;
        Ok(Some(
            rows.iter()
                .filter_map(|b| serde_json::from_str::<GridWorker>(b).ok())
                .filter(|w| reader.worker_view(district, w).is_some())
                .map(|w| w.id)
                .collect(),
        ))
    }

    /// A key that names this scope's view of the roster (for the per-scope package cache).
    pub fn roster_key(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Reader { reader, .. } => format!("{:?}", reader),
        }
    }

    /// `workers` as this scope may see them (colleagues without phone numbers), in id order.
    pub fn roster(&self, workers: &[GridWorker]) -> Vec<GridWorker> {
        match self {
            Scope::All => workers.to_vec(),
            Scope::Reader { reader, district } => {
                workers.iter().filter_map(|w| reader.worker_view(district, w)).collect()
            }
        }
    }
}

/// Formats a scoped run of the log: each change this scope gets as `{"seq","after"?,"body"}`, with `after` where
/// changes before it were left out.
pub struct Pager {
    scope: Arc<Scope>,
    /// The last seq the reader got (or asked to start after).
    sent: Seq,
    /// The last seq read.
    read: Seq,
    /// A `resync` was sent: the run ends there.
    ended: bool,
}

impl Pager {
    /// A run that goes on from `after`.
    pub fn new(scope: Arc<Scope>, after: Seq) -> Pager {
        Pager { scope, sent: after, read: after, ended: false }
    }

    /// The last seq the reader got.
    pub fn sent(&self) -> Seq {
        self.sent
    }

    /// Change `seq` as this reader gets it (`None`: left out, or the run has ended).
    pub fn next(&mut self, seq: Seq, body: &str, audience: Option<&Audience>) -> Option<String> {
        if self.ended {
            return None;
        }
        self.read = self.read.max(seq);
        let body = self.scope.deliver(body, audience)?;
        self.ended = body == RESYNC;
        Some(self.emit(seq, &body))
    }

    /// Whether a `resync` was sent: nothing follows it (the reader takes a fresh snapshot).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// An empty withdrawal at the last seq read when changes were left out since the last one sent, so the
    /// reader's cursor moves on (`None`: nothing was left out).
    pub fn close(&mut self) -> Option<(Seq, String)> {
        (!self.ended && self.read > self.sent).then(|| {
            let seq = self.read;
            (seq, self.emit(seq, NOTHING))
        })
    }

    fn emit(&mut self, seq: Seq, body: &str) -> String {
        let out = if self.sent == seq - 1 {
            format!("{{\"seq\":{seq},\"body\":{body}}}")
        } else {
            format!("{{\"seq\":{seq},\"after\":{},\"body\":{body}}}", self.sent)
        };
        self.sent = seq;
        out
    }
}

/// A stored audience, read back (`None`: none stored, or unreadable).
pub fn audience(json: Option<&str>) -> Option<Audience> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

/// The worker a stored `worker_moved` body names.
pub fn moved_worker(body: &str) -> Option<WorkerId> {
    #[derive(Deserialize)]
    struct Moved {
        worker: WorkerId,
    }
    serde_json::from_str::<Moved>(body).ok().map(|m| m.worker)
}

/// The district package with the roster as `scope` may see it: the shared bytes for everything-readers, otherwise
/// encoded once per scope and version and kept (a few dozen rooms share a server).
pub struct Packages {
    cache: std::sync::Mutex<(i64, std::collections::HashMap<String, Arc<crate::reference::Served>>)>,
}

/// Most scoped packages kept at once (each is the district's size).
const MAX_SCOPED_PACKAGES: usize = 32;

impl Default for Packages {
    fn default() -> Self {
        Packages { cache: std::sync::Mutex::new((0, Default::default())) }
    }
}

impl Packages {
    /// The package `served` as `scope` may see it.
    pub fn for_scope(
        &self,
        served: &Arc<crate::reference::Served>,
        scope: &Scope,
    ) -> Result<Arc<crate::reference::Served>> {
        if scope.is_all() {
            return Ok(served.clone());
        }
        let key = scope.roster_key();
        let mut guard = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if guard.0 != served.version {
            *guard = (served.version, Default::default());
        }
        if let Some(p) = guard.1.get(&key) {
            return Ok(p.clone());
        }
        let mut package = pingan_package::decode(&served.bytes).map_err(|e| ScopeError::Package(e.to_string()))?;
        package.workers = scope.roster(&package.workers);
        package.meta.workers = package.workers.len();
        let bytes = pingan_package::encode(&package).map_err(|e| ScopeError::Package(e.to_string()))?;
        let p = Arc::new(crate::reference::Served {
            version: served.version,
            etag: pingan_package::etag(&bytes),
            name: served.name.clone(),
            bytes: bytes.into(),
        });
        if guard.1.len() >= MAX_SCOPED_PACKAGES {
            guard.1.clear();
        }
        guard.1.insert(key, p.clone());
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pager_says_what_each_change_follows_and_closes_on_left_out_changes() {
        let mut p = Pager::new(Arc::new(Scope::All), 10);
        assert_eq!(p.next(11, "{}", None).unwrap(), r#"{"seq":11,"body":{}}"#);
        assert_eq!(p.close(), None);
        // A scoped reader with no audience stored gets nothing of it; the next one sent says what it follows.
        let d = Arc::new(pingan_demo::district_gen::generate(&pingan_demo::district_gen::DemoSpec::small(1)));
        let reader = Reader::new(
            pingan_core::Actor {
                role: Role::GridWorker,
                unit: pingan_core::UnitRef::District,
                worker: Some(WorkerId(0)),
            },
            &[],
        );
        let scoped = Scope::Reader { reader, district: d };
        let scoped = Arc::new(scoped);
        // A change it may not see is left out; the run closes with an empty withdrawal at the last seq read.
        let elsewhere = Audience { before: None, after: vec![], whole: None };
        let mut p = Pager::new(scoped.clone(), 10);
        assert_eq!(p.next(11, "{}", Some(&elsewhere)), None);
        assert_eq!(p.next(12, "{}", Some(&elsewhere)), None);
        assert_eq!(p.close(), Some((12, format!(r#"{{"seq":12,"after":10,"body":{NOTHING}}}"#))));
        assert_eq!(p.sent(), 12);
        // A change written without an audience cannot be scoped: resync, and nothing after it.
        let mut p = Pager::new(scoped, 10);
        assert_eq!(p.next(11, "{}", None).unwrap(), format!(r#"{{"seq":11,"body":{RESYNC}}}"#));
        assert!(p.ended());
        assert_eq!(p.next(12, "{}", Some(&elsewhere)), None);
        assert_eq!(p.close(), None);
    }
}
