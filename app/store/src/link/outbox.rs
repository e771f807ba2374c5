//! The link's outbox step: send the queued commands in batches, and settle what the server applied or refused.

use super::{End, Update, Worker};
use crate::api::{Api, ApiError};
use crate::cache::Refused;
use pingan_core::sync::{CommandBody, Outcome};
use std::time::Duration;

impl Worker {
    /// Send the outbox, oldest first, until it is empty.
    pub(super) async fn flush(&mut self, api: &Api) -> Result<(), End> {
        let mut batch = self.config.batch.max(1);
        let me = self.me();
        loop {
            let cmds = self.cache.outbox_for(&me, batch)?;
            if cmds.is_empty() {
                self.set(|s| s.outbox = 0);
                return Ok(());
            }
            let results = match api.send(&cmds).await {
                Ok(r) => r,
                // Slow down without dropping the link.
                Err(ApiError::RateLimited(_)) => {
                    if self.stopped() {
                        return Err(End::Stopped);
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
                Err(ApiError::TooLarge(_)) if batch > 1 => {
                    batch /= 2;
                    continue;
                }
                // The server will never take these: show them to the operator instead of retrying for ever.
                Err(e @ (ApiError::Forbidden(_) | ApiError::Rejected(..))) if batch == 1 || cmds.len() == 1 => {
                    let refused = vec![Refused { command: cmds[0].clone(), reason: e.to_string() }];
                    self.settle(api, &[], refused).await?;
                    continue;
                }
                Err(ApiError::Forbidden(_) | ApiError::Rejected(..)) => {
                    // One of them is refused: go one by one to find out which.
                    batch = 1;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let mut done = Vec::new();
            let mut refused = Vec::new();
            for (cmd, r) in cmds.into_iter().zip(results) {
                match r.outcome {
                    Outcome::Applied { .. } => done.push(cmd.key),
                    Outcome::Rejected { reason } => refused.push(Refused { command: cmd, reason }),
                }
            }
            self.settle(api, &done, refused).await?;
        }
    }

    async fn settle(&mut self, api: &Api, done: &[String], refused: Vec<Refused>) -> Result<(), End> {
        self.cache.settle(done, &refused)?;
        let n = self.cache.outbox_len_for(&self.me())?;
        let k = refused.len();
        self.set(|s| {
            s.outbox = n;
            s.refused += k;
        });
        for r in refused {
            // The operator's optimistic copy of the event is now wrong: fetch the server's record.
            if let CommandBody::Act { event, .. } = &r.command.body
                && let Ok(e) = api.event(*event).await
            {
                self.send(Update::Event(Box::new(e)));
            }
            self.send(Update::Refused(r));
        }
        Ok(())
    }
}
