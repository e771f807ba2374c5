//! The link's track step: pull the server's thinned tracks into the cache for replays and hand them on.

use super::{End, Update, Worker};
use crate::api::{Api, ApiError};
use pingan_core::sync::Change;
use std::time::Duration;

/// How often a connected link pulls the server's thinned tracks.
pub(super) const TRACKS_EVERY: Duration = Duration::from_secs(300);

impl Worker {
    /// [`Worker::pull_tracks`], whose failure (a slow or refusing server) is logged and left for the next pull:
    /// the replay's past never holds up the live stream. Only a stop ends the session.
    pub(super) async fn pull_tracks_or_tell(&mut self, api: &Api) -> Result<(), End> {
        match self.pull_tracks(api).await {
            Err(End::Stopped) => Err(End::Stopped),
            Err(e) => {
                tracing::warn!("link to {}: tracks not pulled (tried again in 5 minutes): {e}", self.config.url);
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    /// Pull the server's thinned tracks newer than the cache's, keep them there and hand them on (nothing when
    /// [`LinkConfig::track_days`](super::LinkConfig::track_days) is 0). A server that has no `/v1/tracks` (older
    /// than this client) ends it quietly.
    async fn pull_tracks(&mut self, api: &Api) -> Result<(), End> {
        if self.config.track_days == 0 {
            return Ok(());
        }
        let from = self.config.tracks_from();
        let limit = self.config.page.max(1);
        loop {
            if self.stopped() {
                return Err(End::Stopped);
            }
            let after = self.cache.tracks_seq()?;
            let page = match api.tracks(from, after, limit).await {
                Ok(p) => p,
                Err(ApiError::Rejected(404, _)) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let n = page.changes.len();
            let last = page.changes.last().map_or(after, |c| c.seq.max(after));
            // Checked like any change: a worker the situation knows, at a position in the worker's grids.
            let mut left_out = Vec::new();
            let fitting: Vec<Change> = page
                .changes
                .into_iter()
                .filter(|c| {
                    matches!(c.body, pingan_core::sync::ChangeBody::WorkerMoved { .. })
                        && self.config.district.as_ref().is_none_or(|d| {
                            pingan_core::validate::check_change(&c.body, d, &self.mirror)
                                .map_err(|why| left_out.push(format!("track point {}: {why}", c.seq)))
                                .is_ok()
                        })
                })
                .collect();
            self.report_skipped(left_out);
            self.cache.add_tracks(&fitting, last, from)?;
            if !fitting.is_empty() {
                self.send(Update::Tracks(fitting));
            }
            if n < limit {
                return Ok(());
            }
        }
    }
}
