//! The link's district step: keep the server's district package current (see the district rule in [`super`]).

use super::{End, Update, Worker, wake};
use crate::api::{Api, ApiError};
use pingan_core::Situation;
use std::sync::Arc;

impl Worker {
    /// Ask for the server's district package unless the kept one is current; keep, use and hand up a new one.
    pub(super) async fn sync_district(&mut self, api: &Api) -> Result<(), End> {
        let status = self.status.clone();
        let waker = self.waker.clone();
        let mut shown = u64::MAX;
        let got = api
            .district(self.package_etag.as_deref(), |received, total| {
                // Tell the UI at most every 1 % (or every 256 KiB when the size is unknown).
                let step = total.map_or(received >> 18, |t| received * 100 / t.max(1));
                if step != shown {
                    shown = step;
                    if let Ok(mut s) = status.lock() {
                        s.download = Some((received, total));
                    }
                    wake(&waker);
                }
            })
            .await;
        self.set(|s| s.download = None);
        let (tag, bytes) = match got {
            Ok(Some(got)) => got,
            Ok(None) => return Ok(()),
            // A server with no district yet: nothing can be checked or shown; ask again after the back-off.
            Err(ApiError::Rejected(404, msg)) => return Err(End::Package(msg)),
            Err(e) => return Err(e.into()),
        };
        let package = pingan_package::decode(&bytes).map_err(|e| End::Package(e.to_string()))?;
        let tag = if tag.is_empty() { pingan_package::etag(&bytes) } else { tag };
        self.cache.set_package(&tag, &bytes)?;
        let changed = self.config.district.as_deref() != Some(&package.district);
        tracing::info!(
            "link to {}: district package version {} ({} bytes){}",
            self.config.url,
            package.meta.version,
            bytes.len(),
            if changed { ", a new district" } else { "" }
        );
        self.config.district = Some(Arc::new(package.district.clone()));
        self.package_etag = Some(tag);
        if changed && self.seq > 0 {
            // What the cache holds was checked against the old district: start again from a snapshot.
            self.cache.forget_situation()?;
            self.seq = 0;
            self.mirror = Situation::default();
        }
        let version = package.meta.version;
        self.set(|s| s.district_version = Some(version));
        self.send(Update::District(Box::new(package)));
        Ok(())
    }
}
