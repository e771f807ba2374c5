//! The eframe application: lays out the panels, runs the clock, applies commands.

use crate::state::{AppOptions, AppState, Clock, Command};
use crate::{detail, feed, header, map_view, theme};
use egui::RichText;

/// The command-room app.
pub struct PinganApp {
    /// Everything shown.
    pub state: AppState,
    tiles: Option<walkers::HttpTiles>,
}

impl PinganApp {
    /// Build the app: fonts, theme, demo district, simulator, optional online tiles.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        theme::install_fonts(&cc.egui_ctx);
        theme::apply_style(&cc.egui_ctx);
        let started = std::time::Instant::now();
        let state = AppState::new(&options);
        tracing::info!(
            "demo district {}: {} towns, {} communities, {} grids, {} buildings, {} events, {} workers ({} ms)",
            state.district.name,
            state.district.towns.len(),
            state.district.communities.len(),
            state.district.grids.len(),
            state.district.buildings.len(),
            state.situation.events.len(),
            state.situation.workers.len(),
            started.elapsed().as_millis()
        );
        let tiles = options.online_tiles.then(|| {
            let cache = options.cache_dir.clone().or_else(crate::tile_cache_dir);
            tracing::info!("online tiles on, cache {:?}", cache);
            walkers::HttpTiles::with_options(
                walkers::sources::OpenStreetMap,
                walkers::HttpOptions { cache, ..Default::default() },
                cc.egui_ctx.clone(),
            )
        });
        Self { state, tiles }
    }

    /// Apply a command (also used by tests).
    pub fn apply(&mut self, cmd: Command) {
        self.state.apply(cmd);
    }
}

impl eframe::App for PinganApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.state.tick();
        let mut commands = Vec::new();
        let state = &self.state;
        egui::Panel::top("header")
            .exact_size(84.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(egui::Margin::symmetric(8, 6)))
            .show(ui, |ui| header::header_ui(ui, state, &mut commands));
        egui::Panel::bottom("status")
            .exact_size(30.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(egui::Margin::symmetric(10, 4)))
            .show(ui, |ui| status_ui(ui, state));
        egui::Panel::left("feed")
            .default_size(480.0)
            .min_size(360.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(10))
            .show(ui, |ui| feed::event_feed_ui(ui, state, &mut commands));
        if state.selected.is_some() {
            egui::Panel::right("detail")
                .default_size(460.0)
                .min_size(380.0)
                .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(10))
                .show(ui, |ui| detail::event_detail_ui(ui, state, &mut commands));
        }
        egui::CentralPanel::no_frame().show(ui, |ui| {
            map_view::map_ui(ui, &mut self.state, self.tiles.as_mut(), &mut commands);
        });
        for c in commands {
            self.state.apply(c);
        }
        if self.state.clock == Clock::Live {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
        }
    }
}

fn status_ui(ui: &mut egui::Ui, state: &AppState) {
    let lang = state.lang;
    ui.horizontal_centered(|ui| {
        let cfg = state.sim.config();
        ui.label(
            RichText::new(format!(
                "{} · {} {:.0} {}",
                lang.tr("离线演示：内置余杭演示区", "Offline demo: built-in Yuhang district"),
                lang.tr("模拟", "simulating"),
                cfg.events_per_hour,
                lang.tr("起/小时", "events/h")
            ))
            .size(15.0)
            .color(theme::DIM),
        );
        if let Some((at, msg)) = state.messages.back() {
            ui.separator();
            ui.label(
                RichText::new(format!("{} {msg}", crate::format::short_time(*at))).size(15.0).color(theme::OVERDUE),
            );
        }
    });
}
