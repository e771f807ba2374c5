//! The SLA sweeper: every `--sla-every` it looks at the open events, and escalates each one overdue past the grace one
//! level up ([`RoutingConfig::sla_due`]) — an `Escalate` command through the same writer and checks as any client's,
//! sent as the system user [`SLA_USER`], recorded in the log as `EventActed` with its reason and `by = "sla"`.
//!
//! Once per breach, also with several instances on one PostgreSQL database: the command's idempotency key names the
//! breach (event and deadline) and its time is the moment the breach fell due, so the same breach noticed by two
//! instances is the same command. The writers take the advisory lock before they look up keys, so the second one to
//! commit finds the first one's answer and gets it back as a duplicate — no second change, no error.

use crate::db::{Db, DbError, User};
use crate::error::Chain;
use crate::writer::{SubmitError, Writer};
use pingan_core::routing::RoutingConfig;
use pingan_core::sync::{ClientCommand, CommandBody, Outcome, Role};
use pingan_core::{Event, EventAction, Timestamp};
use sqlx::Row as _;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// The user automatic escalations are made by (an admin without tokens, created at start).
pub const SLA_USER: &str = "sla";

/// The default sweep interval.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(15);

/// Most breach keys remembered between sweeps (a breach already answered is not sent again).
const MAX_REMEMBERED: usize = 100_000;

/// Why the sweeper cannot start or sweep.
#[derive(Debug, thiserror::Error)]
pub enum SlaError {
    /// The users table failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Reading the open events failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// The user `sla` exists with another role.
    #[error(
        "the SLA sweeper acts as the user {SLA_USER:?}, but that user is a {0}: rename that user (or start with \
         --sla-every 0 to turn automatic escalation off)"
    )]
    NotAdmin(&'static str),
}

/// The system user the sweeper acts as: created as an admin when missing; an existing `sla` user of another role
/// stops the start (its escalations would be refused).
pub async fn user(db: &Db) -> Result<User, SlaError> {
    let user = db.system_user(SLA_USER, Role::Admin).await?;
    if user.role != Role::Admin {
        return Err(SlaError::NotAdmin(user.role.name()));
    }
    Ok(user)
}

/// The escalation command for `e` at `now`, when one is due: its key names the breach, its time is when the breach
/// fell due (deadline + grace, and never before the event's last step), so every instance makes the same command.
pub fn command(routing: &RoutingConfig, e: &Event, now: Timestamp) -> Option<ClientCommand> {
    let (key, reason) = routing.sla_due(e, now)?;
    let at = routing.breach_at(e);
    Some(ClientCommand { key, at, body: CommandBody::Act { event: e.id, action: EventAction::Escalate { reason } } })
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Escalations applied by this instance.
    pub escalated: usize,
    /// Breaches another instance (or an earlier sweep) had already answered.
    pub duplicates: usize,
    /// Escalations refused (say why in the log).
    pub refused: usize,
}

/// One sweep: read the open events, send the due escalations (one job each, so one odd breach cannot hold up the
/// others), and remember the keys answered.
pub async fn sweep(
    db: &Db,
    writer: &Writer,
    user: &User,
    routing: &RoutingConfig,
    seen: &mut HashSet<String>,
) -> Result<Swept, SlaError> {
    let now = chrono::Utc::now();
    let rows = sqlx::query("SELECT body FROM events WHERE state <> 'closed'").fetch_all(&db.pool).await?;
    let mut due = Vec::new();
    for r in rows {
        let body: String = r.try_get(0)?;
        let e: Event = match serde_json::from_str(&body) {
            Ok(e) => e,
            Err(err) => {
                tracing::warn!("sla: an event record does not parse: {err}");
                continue;
            }
        };
        if let Some(c) = command(routing, &e, now)
            && !seen.contains(&c.key)
        {
            due.push((e.number.clone(), c));
        }
    }
    let mut out = Swept::default();
    if due.is_empty() {
        return Ok(out);
    }
    if seen.len() + due.len() > MAX_REMEMBERED {
        seen.clear();
    }
    let sends = due.into_iter().map(|(number, c)| {
        let key = c.key.clone();
        async move { (number, key, writer.submit(user.clone(), vec![c]).await) }
    });
    for (number, key, r) in futures_util::future::join_all(sends).await {
        match r {
            Ok(results) => {
                for res in results {
                    match res.outcome {
                        _ if res.duplicate => out.duplicates += 1,
                        Outcome::Applied { seq, .. } => {
                            out.escalated += 1;
                            tracing::info!("sla: event {number} overdue: escalated (change {seq})");
                        }
                        Outcome::Rejected { reason } => {
                            out.refused += 1;
                            tracing::warn!("sla: event {number} overdue, but its escalation was refused: {reason}");
                        }
                    }
                }
                seen.insert(key);
            }
            // The same breach with another time: answered already (the event took a step meanwhile).
            Err(SubmitError::KeyReused { .. }) => {
                out.duplicates += 1;
                seen.insert(key);
            }
            Err(e) => tracing::warn!("sla: could not escalate event {number}: {e}"),
        }
    }
    Ok(out)
}

/// Sweep every `every` until the process ends.
pub async fn run(db: Db, writer: Writer, user: User, routing: Arc<RoutingConfig>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = HashSet::new();
    loop {
        tick.tick().await;
        match sweep(&db, &writer, &user, &routing, &mut seen).await {
            Ok(s) if s != Swept::default() => tracing::debug!("sla sweep: {s:?}"),
            Ok(_) => {}
            Err(e) => tracing::warn!("sla: could not read the open events: {}", Chain(&e)),
        }
    }
}
