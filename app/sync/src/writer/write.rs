//! Persisting an applied batch: the new changes, the kept track points, the answers, and the projection (events,
//! workers, task books) with a few multi-row statements; on PostgreSQL a `NOTIFY` for the other instances.

use super::apply::{Applying, Ctx};
use super::{NewChange, ROWS_PER_STATEMENT, WriteError, tuples};
use crate::db::{Backend, placeholders};
use pingan_core::EventState;
use pingan_core::sync::ChangeBody;
use sqlx::AnyConnection;
use std::collections::HashSet;

/// Store what `applying` produced and the records `ctx` changed, in the batch's transaction.
pub(super) async fn write(
    tx: &mut AnyConnection,
    backend: Backend,
    applying: &Applying,
    ctx: Ctx<'_>,
) -> Result<(), WriteError> {
    insert_changes(&mut *tx, &applying.changes).await?;
    insert_tracks(&mut *tx, &applying.changes).await?;
    insert_answers(&mut *tx, &applying.answers).await?;
    let mut dirty_events: HashSet<i64> = applying.dirty_events.clone();
    dirty_events.extend(&ctx.also_dirty);
    upsert_events(&mut *tx, &ctx, dirty_events).await?;
    upsert_workers(&mut *tx, &ctx).await?;
    upsert_books(&mut *tx, &ctx).await?;
    if backend == Backend::Postgres && !applying.changes.is_empty() {
        // Delivered to the other instances when (and only if) the transaction commits.
        sqlx::query("SELECT pg_notify('pingan_changes', $1)")
            .bind(format!("{}:{}", crate::hub::instance_id(), applying.head))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

async fn insert_changes(tx: &mut AnyConnection, changes: &[NewChange]) -> Result<(), WriteError> {
    for chunk in changes.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO changes (seq, kind, event_id, worker_id, user_id, body, created_at, audience) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(&placeholders(i * 8 + 1, 8));
            sql.push(')');
        }
        let now = chrono::Utc::now().to_rfc3339();
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(c.seq)
                .bind(c.kind)
                .bind(c.event)
                .bind(c.worker)
                .bind(c.user)
                .bind(&c.body)
                .bind(now.clone())
                .bind(&c.audience_json);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn insert_tracks(tx: &mut AnyConnection, changes: &[NewChange]) -> Result<(), WriteError> {
    let tracks: Vec<&NewChange> = changes.iter().filter(|c| c.track.is_some()).collect();
    for chunk in tracks.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("INSERT INTO tracks (seq, worker_id, at_ms, body) VALUES {}", tuples(chunk.len(), 4));
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(c.seq).bind(c.worker).bind(c.track).bind(&c.body);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn insert_answers(tx: &mut AnyConnection, answers: &[(i64, String, String, String)]) -> Result<(), WriteError> {
    for chunk in answers.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("INSERT INTO applied (user_id, key, result, body_hash) VALUES {}", tuples(chunk.len(), 4));
        let mut q = sqlx::query(&sql);
        for (user, key, result, hash) in chunk {
            q = q.bind(*user).bind(key.as_str()).bind(result.as_str()).bind(hash.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn upsert_events(tx: &mut AnyConnection, ctx: &Ctx<'_>, dirty: HashSet<i64>) -> Result<(), WriteError> {
    let dirty: Vec<(i64, String, String)> = dirty
        .into_iter()
        .filter_map(|id| ctx.events.get(&id).map(|e| (id, e)))
        .map(|(id, e)| Ok((id, state_name(e.state).to_string(), serde_json::to_string(e)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    for chunk in dirty.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO events (id, state, body) VALUES {} \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
            tuples(chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (id, state, body) in chunk {
            q = q.bind(*id).bind(state.as_str()).bind(body.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn upsert_workers(tx: &mut AnyConnection, ctx: &Ctx<'_>) -> Result<(), WriteError> {
    let dirty: Vec<(i64, String)> = ctx
        .dirty_workers
        .iter()
        .filter_map(|id| ctx.workers.get(id).map(|w| (*id, w)))
        .map(|(id, w)| Ok((id, serde_json::to_string(w)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    for chunk in dirty.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO workers (id, body) VALUES {} ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            tuples(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (id, body) in chunk {
            q = q.bind(*id).bind(body.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn upsert_books(tx: &mut AnyConnection, ctx: &Ctx<'_>) -> Result<(), WriteError> {
    let dirty: Vec<(i64, &'static str, i64, String, String)> = ctx
        .dirty_books
        .iter()
        .filter_map(|id| ctx.books.get(id).map(|b| (*id, b)))
        .map(|(id, b)| {
            let state = if b.is_closed() { "closed" } else { "open" };
            Ok((id, state, b.grid.0 as i64, b.issued_at.to_rfc3339(), serde_json::to_string(b)?))
        })
        .collect::<Result<_, serde_json::Error>>()?;
    for chunk in dirty.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO task_books (id, state, grid_id, issued_at, body) VALUES {} \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
            tuples(chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (id, state, grid, issued, body) in chunk {
            q = q.bind(*id).bind(*state).bind(*grid).bind(issued.as_str()).bind(body.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The `kind` column of a change.
pub(super) fn kind_of(body: &ChangeBody) -> &'static str {
    match body {
        ChangeBody::EventReported { .. } => "event_reported",
        ChangeBody::EventActed { .. } => "event_acted",
        ChangeBody::WorkerMoved { .. } => "worker_moved",
        ChangeBody::WorkerJoined { .. } => "worker_joined",
        ChangeBody::ReportLinked { .. } => "report_linked",
        ChangeBody::TaskBookIssued { .. } => "task_book_issued",
        ChangeBody::CheckReported { .. } => "check_reported",
        ChangeBody::ReportSplit { .. } => "report_split",
        ChangeBody::Acknowledged { .. } => "acknowledged",
        ChangeBody::EventShown { .. } => "event_shown",
        ChangeBody::Withdrawn { .. } => "withdrawn",
        ChangeBody::Resync => "resync",
    }
}

/// The `state` column of an event.
pub(super) fn state_name(s: EventState) -> &'static str {
    match s {
        EventState::Reported => "reported",
        EventState::Accepted => "accepted",
        EventState::Assigned => "assigned",
        EventState::InDisposal => "in_disposal",
        EventState::Feedback => "feedback",
        EventState::Closed => "closed",
        EventState::Escalated => "escalated",
        EventState::Reopened => "reopened",
    }
}
