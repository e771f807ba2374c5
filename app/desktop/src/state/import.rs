//! Putting imports in place: start one (from the command line or the kept scenario), take a finished one, apply
//! it (a replaced district comes loaded from [`crate::services::source`]).

use super::{AppState, Command, FeedFilter};
use crate::services::assessment::AssessmentService;
use crate::services::import_job::{self, Finished, ImportJob, ImportMode, ImportRequest};
use crate::services::source::LoadSpec;
use pingan_core::assess::EventRecord;
use pingan_core::{District, SpatialIndex};
use std::sync::Arc;

impl AppState {
    /// Start the import asked for on the command line, or reload the kept scenario.
    pub(super) fn start_import(&mut self, import: Option<ImportRequest>) {
        if let Some(r) = import {
            self.apply(Command::Import(r));
        } else if let Some(mut r) = self.scenario_dir.as_deref().and_then(import_job::saved_request) {
            if self.link().is_some() {
                r.mode = ImportMode::Overlay;
            }
            tracing::info!("reloading the kept scenario {} ({:?})", r.path.display(), r.mode);
            self.import_job = Some(ImportJob::start(r, self.scenario_dir.clone(), self.load_spec(), true));
        }
    }

    /// What loading a source needs from the state (seed, simulator settings, now, language, waker).
    pub(super) fn load_spec(&self) -> LoadSpec {
        LoadSpec {
            seed: self.demo_spec.seed,
            sim: self.sim_config,
            now: self.now,
            lang: self.lang,
            waker: self.waker.clone(),
            replay_days: self.replay_days,
        }
    }

    /// Take a finished import: ask about problems, or apply it.
    pub(super) fn poll_import(&mut self) {
        let Some(job) = &self.import_job else { return };
        let Some(result) = job.poll() else { return };
        self.import_job = None;
        match result {
            Ok(f) if !f.problems.is_empty() && !f.from_saved => self.pending_import = Some(f),
            Ok(f) => self.apply_import(f),
            Err(e) => {
                if let Some(dir) = &self.scenario_dir {
                    import_job::discard(dir);
                }
                let msg =
                    format!("{}: {e}", self.lang.tr("导入失败，现有数据未改动", "Import failed, nothing changed"));
                self.tell(msg);
            }
        }
    }

    /// Put another district in place (an import, the demo again, the server's new district package): its index,
    /// its history, a fresh assessment; the selection and filter are cleared. The situation is the caller's.
    pub(super) fn replace_district(
        &mut self,
        district: Arc<District>,
        index: SpatialIndex,
        history: (Arc<Vec<EventRecord>>, Arc<pingan_core::search::HistoryText>),
        scene: Option<(usize, Arc<pingan_render::Scene>)>,
    ) {
        self.version += 1;
        // Reached with the live situation in place (a command ends a replay first, a tick swaps it in): the
        // replay's copy of the past is of the old district.
        self.replay = None;
        self.scene = scene;
        self.district = district;
        self.index = index;
        (self.history, self.history_text) = history;
        // A standing search stays, answered again by the new history's index.
        self.search_on_new_history();
        self.basemap = None;
        self.assessment = AssessmentService::new(self.assessment.config().clone());
        self.assessment.set_waker(self.waker.clone());
        self.selected = None;
        self.unit_detail = None;
        self.selected_book = None;
        self.filter = FeedFilter::default();
        self.coverage = pingan_core::coverage::Coverage::new(&self.district, self.now);
        self.coverage_seen = None;
        self.voids.clear();
    }

    /// Put a finished import (or demo rebuild) in place.
    pub(super) fn apply_import(&mut self, f: Finished) {
        let lang = self.lang;
        let was_replacing = self.scenario.as_ref().is_some_and(|s| s.meta.mode == ImportMode::Replace);
        if let Some(p) = f.prepared {
            let scene = p.scene.map(|s| (Arc::as_ptr(&p.district) as usize, s));
            self.replace_district(p.district, p.index, (p.history, p.history_text), scene);
            if self.link().is_none() {
                // With a server, the situation stays the server's (an import can only be overlaid then).
                self.situation = p.situation;
                self.live = p.live;
                self.tracks = p.tracks;
            }
            for n in p.notes {
                self.tell(n);
            }
        }
        let Some(scenario) = f.scenario else {
            tracing::info!("back on the built-in demo district {}", self.district.name);
            return;
        };
        if !f.from_saved
            && let Some(dir) = &self.scenario_dir
            && let Err(e) = import_job::commit(dir)
        {
            self.tell(format!("{}: {e}", lang.tr("导入的场景未能保存", "The import could not be kept")));
        }
        let i = &scenario.imported;
        let m = &scenario.meta;
        let crs = match m.crs {
            pingan_core::import::Crs::Wgs84 => "WGS84",
            pingan_core::import::Crs::Gcj02 => lang.tr("GCJ-02 已转 WGS84", "GCJ-02 converted to WGS84"),
        };
        let msg = format!(
            "{} {}: {} {} · {} {} · {} {} · {} {} · {crs}{}",
            lang.tr("已导入", "Imported"),
            m.name,
            i.units.len(),
            lang.tr("区划", "units"),
            i.buildings.len(),
            lang.tr("楼幢", "buildings"),
            i.pois.len(),
            lang.tr("兴趣点", "POIs"),
            i.roads.len(),
            lang.tr("道路", "roads"),
            if m.problems > 0 {
                format!(" · {} {}", m.problems, lang.tr("个要素有问题未导入", "features left out"))
            } else {
                String::new()
            }
        );
        tracing::info!("{msg}");
        self.note(msg);
        let overlay_now = m.mode == ImportMode::Overlay;
        self.scenario = Some(scenario);
        if overlay_now && was_replacing {
            // One scenario at a time: an overlay goes over the built-in demo, which comes back.
            self.import_job = Some(ImportJob::demo(self.demo_spec.clone(), self.load_spec()));
        }
    }
}
