//! The eframe shell: lays the panels out, applies their commands, keeps the 3D scene in step with the district, and
//! decides when the next frame is needed.
//!
//! Repainting is on change only. egui repaints by itself on input (pointer, keys, window); on top of that the app
//! asks for a frame when
//! - the clock shown in the header turns to the next second (a live clock only),
//! - background work has news (the link, the assessment, an import: they call the waker, `request_repaint`),
//! - a camera moves by itself (a fly-to, a 3D flight), every display frame until it lands,
//! - something on screen animates (overdue markers pulse, the dashboard's ticker scrolls), at most
//!   [`crate::theme::ANIMATION_FPS`] frames a second, and only while it is on screen.

use crate::panels::map3d::{self, Map3dPanel};
use crate::panels::{
    attention, books, coverage, dashboard, detail, feed, header, import, map2d, search, status, toolbar,
};
use crate::services::export::{FolderDialog, RfdDialog};
use crate::services::import_job::ImportRequest;
use crate::state::view::Map2dView;
use crate::state::{AppOptions, AppState, Clock, Command, FeedTab, MapMode, ViewState};
use crate::theme;
use crate::wall::{self, WallLayout, WallPanel, WallScreen};
use std::sync::Arc;

/// The command-room app.
pub struct PinganApp {
    /// Everything shown.
    pub state: AppState,
    /// The maps' cameras and drawing caches (no domain data).
    pub view: ViewState,
    /// League table order on the dashboard.
    pub league_sort: dashboard::LeagueSort,
    /// Where export asks for a folder (replaced in tests).
    pub dialog: Box<dyn FolderDialog>,
    /// Frames drawn since the start (the repaint-on-change tests read it).
    pub frames: u64,
    /// Online raster tiles (`--online-tiles`).
    online_tiles: Option<walkers::HttpTiles>,
    /// The district's offline basemap (from its package), with the file it reads; drawn instead of online tiles.
    basemap: Option<(std::path::PathBuf, walkers::PmTiles)>,
    map3d: Map3dPanel,
    /// When the app began loading (the first frame's log line says how long it took to get there).
    started: std::time::Instant,
    /// The banner the map last flew to.
    banner_seen: Option<crate::state::AttentionItem>,
    /// The attention chime (played for a new banner when [`AppState::sound`] is on).
    pub sound: crate::services::sound::Sound,
    /// Whether the status bar has said why the chime cannot be heard.
    sound_problem_told: bool,
    /// Kiosk mode: the wall's layout (`pingan --wall`).
    pub wall: Option<WallLayout>,
    /// Where the wall's screens go (`main` probes the monitors before the window opens and sets it; without it each
    /// extra screen asks for fullscreen on its monitor).
    pub placement: Option<wall::Placed>,
    /// The wall's auto-tour, when its layout has one.
    pub tour: Option<crate::tour::Tour>,
    /// When the operator last touched anything (UI seconds; `None`: not yet), for pausing the tour.
    last_input: Option<f64>,
    /// Whether this frame drew a map (only a drawn map's camera moves, so only then does a flight need frames).
    map_drawn: bool,
}

impl PinganApp {
    /// Build the app: fonts, theme, the district from its source, optional online tiles.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        theme::install_fonts(&cc.egui_ctx);
        theme::apply_style(&cc.egui_ctx);
        let started = std::time::Instant::now();
        let ctx = cc.egui_ctx.clone();
        let waker = pingan_store::Waker(Arc::new(move || ctx.request_repaint()));
        let mut state = AppState::with_waker(&options, Some(waker));
        let wall = options.wall.as_ref().map(|(layout, problem)| {
            if let Some(p) = problem {
                state.tell(p.clone());
            }
            layout.clone()
        });
        tracing::info!(
            "district {}: {} towns, {} communities, {} grids, {} buildings, {} events, {} workers ({} ms)",
            state.district.name,
            state.district.towns.len(),
            state.district.communities.len(),
            state.district.grids.len(),
            state.district.buildings.len(),
            state.situation.events.len(),
            state.situation.workers.len(),
            started.elapsed().as_millis()
        );
        let online_tiles = options.online_tiles.then(|| {
            let cache = options.cache_dir.clone().or_else(crate::tile_cache_dir);
            tracing::info!("online tiles on, cache {:?}", cache);
            walkers::HttpTiles::with_options(
                walkers::sources::OpenStreetMap,
                walkers::HttpOptions { cache, ..Default::default() },
                cc.egui_ctx.clone(),
            )
        });
        cc.egui_ctx.send_viewport_cmd(egui::ViewportCommand::Title(crate::format::window_title(
            &state.district.name,
            state.lang,
        )));
        let map3d = Map3dPanel::new(cc.wgpu_render_state.clone());
        let mut view3d = map3d.view_of(&state);
        view3d.pending_sync = options.initial_view;
        let view = ViewState { map2d: Map2dView::new(&state.district, options.initial_view), map3d: view3d };
        Self {
            state,
            view,
            league_sort: dashboard::LeagueSort::default(),
            dialog: Box::new(RfdDialog),
            frames: 0,
            online_tiles,
            basemap: None,
            map3d,
            started,
            banner_seen: None,
            sound: Default::default(),
            sound_problem_told: false,
            tour: wall.as_ref().and_then(|w| w.tour.clone()).map(crate::tour::Tour::new),
            placement: wall.as_ref().map(|w| w.place(None)),
            wall,
            last_input: None,
            map_drawn: false,
        }
    }

    /// After an import replaced the district (or the demo came back): tessellate and upload the new one, fit both
    /// maps to it.
    fn follow_district(&mut self, ctx: &egui::Context) {
        if self.view.map3d.district_ptr != Arc::as_ptr(&self.state.district) as usize {
            let title = crate::format::window_title(&self.state.district.name, self.state.lang);
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title));
            let size = self.view.map3d.last_size;
            let mut v = self.map3d.view_of(&self.state);
            v.fit(size);
            self.view.map3d = v;
            self.view.district_replaced();
        }
    }

    /// Ask for a file, then show the import dialog with a guess of its datum.
    fn open_import(&mut self) {
        let lang = self.state.lang;
        let Some(path) = self.dialog.pick_file(lang.tr("选择要导入的 GeoJSON 文件", "Choose a GeoJSON file to import"))
        else {
            return;
        };
        let request = ImportRequest::guess(path, self.state.link().is_some());
        self.state.apply(Command::ImportDialog(request));
    }

    /// Apply a command (also used by tests): the cameras follow it, then the state carries it out.
    pub fn apply(&mut self, cmd: Command) {
        self.view.follow(&cmd, &self.state);
        match &cmd {
            Command::ExportReport => self.export(),
            Command::ExportSearch => self.export_search(),
            Command::OpenImport => self.open_import(),
            _ => {}
        }
        self.state.apply(cmd);
    }

    /// Ask for a folder and write the search's matches there (CSV and GeoJSON); the outcome goes to the status bar.
    fn export_search(&mut self) {
        let lang = self.state.lang;
        let Some(m) = self.state.search_matches().cloned() else {
            self.state.apply(Command::Note(lang.tr("没有可导出的搜索结果", "No search results to export").into()));
            return;
        };
        let Some(dir) = self.dialog.pick_folder(lang.tr("选择导出文件夹", "Choose a folder for the results"))
        else {
            return;
        };
        let s = &self.state;
        let written = crate::services::search_export::export_search(
            &dir,
            &m,
            &s.district,
            &s.history,
            &s.history_text,
            &s.situation.events,
            lang,
        );
        let msg = match written {
            Ok(files) => format!(
                "{} {} {} → {}",
                lang.tr("已导出", "Exported"),
                m.total(),
                lang.tr("条", "matches"),
                files.len()
            ),
            Err(e) => format!("{}: {e}", lang.tr("导出失败", "Export failed")),
        };
        self.state.apply(Command::Note(format!("{msg} ({})", dir.display())));
    }

    /// Ask for a folder and write the current report there; the outcome goes to the status bar.
    fn export(&mut self) {
        let lang = self.state.lang;
        let Some(data) = self.state.assessment.latest.clone() else {
            let msg = lang.tr("报表尚未计算完成，请稍后再导出", "The report is still being computed; try again");
            self.state.apply(Command::Note(msg.into()));
            return;
        };
        let Some(dir) = self.dialog.pick_folder(lang.tr("选择导出文件夹", "Choose a folder for the report"))
        else {
            return;
        };
        match crate::services::pdf::export_report_and_pdf(&dir, &data, &self.state.district, lang) {
            Ok(files) => {
                tracing::info!("report exported: {} files in {}", files.len(), dir.display());
                let msg = format!("{} {} → {}", lang.tr("已导出", "Exported"), files.len(), dir.display());
                self.state.apply(Command::Note(msg));
            }
            Err(e) => {
                tracing::error!("export to {} failed: {e}", dir.display());
                self.state.apply(Command::Note(format!("{}: {e}", lang.tr("导出失败", "Export failed"))));
            }
        }
    }
}

impl eframe::App for PinganApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frames += 1;
        tracing::trace!(frame = self.frames, "frame");
        if self.frames == 1 {
            tracing::info!("first frame {} ms after loading began", self.started.elapsed().as_millis());
        }
        self.state.tick();
        let mut commands = Vec::new();
        self.map_drawn = true;
        if self.wall.is_some() {
            self.wall_ui(ui, &mut commands);
            self.after_commands(ui.ctx(), commands);
            return;
        }
        let state = &self.state;
        egui::Panel::top("header")
            .exact_size(84.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(egui::Margin::symmetric(8, 6)))
            .show(ui, |ui| header::header_ui(ui, state, &mut commands));
        egui::Panel::bottom("status")
            .exact_size(30.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(egui::Margin::symmetric(10, 4)))
            .show(ui, |ui| status::status_ui(ui, state));
        egui::Panel::top("toolbar")
            .exact_size(46.0)
            .frame(egui::Frame::new().fill(theme::BG).inner_margin(egui::Margin::symmetric(10, 6)))
            .show(ui, |ui| toolbar::toolbar_ui(ui, state, false, &mut commands));
        egui::Panel::left("feed")
            .default_size(480.0)
            .min_size(360.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(10))
            .show(ui, |ui| feed_panel_ui(ui, state, &mut commands));
        if has_detail(state) {
            egui::Panel::right("detail")
                .default_size(460.0)
                .min_size(380.0)
                .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(10))
                .show(ui, |ui| detail_panel_ui(ui, state, &mut commands));
        }
        if self.basemap.as_ref().map(|(p, _)| p) != state.basemap.as_ref() {
            self.basemap = state.basemap.as_ref().map(|p| (p.clone(), crate::services::basemap::open(p, ui.ctx())));
        }
        let view = &mut self.view;
        let tiles: Option<&mut dyn walkers::Tiles> = match (&mut self.basemap, &mut self.online_tiles) {
            (Some((_, offline)), _) => Some(offline),
            (None, Some(online)) => Some(online),
            (None, None) => None,
        };
        let league_sort = &mut self.league_sort;
        let mut map_rect = egui::Rect::NOTHING;
        egui::CentralPanel::no_frame().show(ui, |ui| {
            // The maps have the replay timeline under them.
            let (rect, mut ui) = with_timeline(ui, state, false, &mut commands);
            let ui = &mut ui;
            // Both maps share this size for converting between 2D zoom and 3D distance.
            map_rect = rect;
            view.map3d.last_size = map_rect.size();
            match state.map_mode {
                _ if state.district.towns.is_empty() => status::waiting_ui(ui, state),
                MapMode::Map2d => map2d::map_ui(ui, state, &mut view.map2d, tiles, &mut commands),
                MapMode::Map3d => map3d::view3d_ui(ui, state, &mut view.map3d, &mut commands),
                MapMode::Dashboard => dashboard::dashboard_ui(ui, state, league_sort, &mut commands),
            }
        });
        attention::banner_ui(ui.ctx(), map_rect, state, &mut commands);
        crate::panels::interrupted::interrupted_ui(ui.ctx(), map_rect, 0, state);
        import::import_windows(ui.ctx(), state, &mut commands);
        crate::panels::report::report_window(ui.ctx(), state, &mut commands);
        self.after_commands(ui.ctx(), commands);
    }
}

impl PinganApp {
    /// Carry out the frame's commands, follow the district and a new banner, and ask for the next frame when
    /// something moves by itself.
    fn after_commands(&mut self, ctx: &egui::Context, commands: Vec<Command>) {
        for c in commands {
            self.apply(c);
        }
        // Operator input pauses the auto-tour.
        let t = ctx.input(|i| i.time);
        let touched = ctx.input(|i| {
            i.events.iter().any(|e| {
                matches!(
                    e,
                    egui::Event::PointerButton { .. }
                        | egui::Event::PointerMoved(_)
                        | egui::Event::MouseWheel { .. }
                        | egui::Event::Key { .. }
                        | egui::Event::Text(_)
                        | egui::Event::Zoom(_)
                        | egui::Event::Touch { .. }
                )
            })
        });
        if touched {
            self.last_input = Some(t);
        }
        // A new banner flies the map to its item (and holds the tour there).
        let banner = self.state.attention.banner.map(|(id, _)| id);
        if banner != self.banner_seen {
            self.banner_seen = banner;
            // Chimed for the live item even while a replay shows a moment before it (and then nothing to fly to).
            if banner.is_some() && self.state.sound {
                self.sound.chime();
            }
            if let Some(at) = self.state.banner_place() {
                // An event close up; a void grid a little wider, so the grid shows whole.
                let zoom = match banner {
                    Some(crate::state::AttentionItem::Void(..)) => 15.0,
                    _ => 16.0,
                };
                self.last_input = Some(t);
                self.apply(Command::FlyTo(at, zoom));
            }
        }
        if let Some(mut tour) = self.tour.take() {
            let stops = tour.stops(&self.state);
            let idle = self.last_input.map_or(f64::INFINITY, |l| t - l);
            if let Some(i) = tour.step(t, idle, stops.len()) {
                tracing::debug!("tour: stop {i} of {}", stops.len());
                let stop = stops[i];
                self.apply(Command::FlyTo(stop.at, stop.zoom));
            }
            // The next stop, or the end of the pause, needs a frame even if nothing else happens.
            let wait = match (tour.due_in(t), tour.paused) {
                (Some(d), _) => d,
                (None, true) => self.last_input.map_or(0.0, |l| (l + tour.config.resume_after_s - t).max(0.0)),
                (None, false) => tour.config.dwell_s,
            };
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(wait + 0.05));
            self.tour = Some(tour);
        }
        if !self.sound_problem_told
            && let Some(why) = self.sound.problem()
        {
            self.sound_problem_told = true;
            let msg = self.state.lang.tr("提示音无法播放", "The chime cannot be heard");
            self.state.tell(format!("{msg}: {why}"));
            ctx.request_repaint();
        }
        self.follow_district(ctx);
        // A map not drawn (no district yet; a wall whose layout leaves it out of this frame) has no camera to move.
        if self.map_drawn && !self.state.district.towns.is_empty() && self.view.animating(self.state.map_mode) {
            ctx.request_repaint();
        }
        // A playing replay moves the moment with the clock: 10 frames a second (each rebuilds the moment shown), once
        // a second at 1×.
        if let Some(r) = self.state.replay().filter(|r| r.playing) {
            ctx.request_repaint_after(std::time::Duration::from_millis(if r.speed <= 1 { 1000 } else { 100 }));
        }
        if self.state.clock == Clock::Live {
            // The header's clock shows seconds: the next frame is due when it turns over (the simulator advances
            // then too).
            let ms_into_second = self.state.clock.now().timestamp_subsec_millis() as u64;
            ctx.request_repaint_after(std::time::Duration::from_millis(1000 - ms_into_second.min(999)));
        }
    }
}

/// Split off the replay timeline at the bottom of a map's area (not under the dashboard, nor before a district is
/// there; on the wall's map screen `always`) and draw it; returns the map's rect and a child `Ui` for the map in it.
fn with_timeline(
    ui: &mut egui::Ui,
    state: &AppState,
    always: bool,
    commands: &mut Vec<Command>,
) -> (egui::Rect, egui::Ui) {
    let full = ui.available_rect_before_wrap();
    let shown = (always || state.map_mode != MapMode::Dashboard) && !state.district.towns.is_empty();
    let map = if shown { full.with_max_y(full.bottom() - crate::panels::timeline::HEIGHT) } else { full };
    if shown {
        let strip = egui::Rect::from_min_max(egui::pos2(full.left(), map.bottom()), full.max);
        ui.painter().rect_filled(strip, 0.0, theme::PANEL);
        let mut bar =
            ui.new_child(egui::UiBuilder::new().max_rect(strip.shrink2(egui::vec2(10.0, 4.0))).id_salt("timeline"));
        crate::panels::timeline::timeline_ui(&mut bar, state, commands);
    }
    let child = ui.new_child(egui::UiBuilder::new().max_rect(map).id_salt("map-area"));
    ui.advance_cursor_after_rect(full);
    (map, child)
}

/// Whether the right-hand detail has something to show (an event, a task book or a unit).
fn has_detail(state: &AppState) -> bool {
    state.selected.is_some()
        || state.unit_detail.is_some()
        || state.selected_book.is_some()
        || state.search.record.is_some()
}

/// The left panel: events, task books, coverage or acknowledgements, by its tab.
fn feed_panel_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    match state.feed_tab {
        FeedTab::Events => feed::event_feed_ui(ui, state, commands),
        FeedTab::TaskBooks => books::book_list_ui(ui, state, commands),
        FeedTab::Coverage => coverage::coverage_ui(ui, state, commands),
        FeedTab::Attention => attention::attention_ui(ui, state, commands),
        FeedTab::Search => search::results_ui(ui, state, commands),
    }
}

/// The detail: the selected event, else the selected task book, else the selected unit.
fn detail_panel_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    if state.selected.is_some() {
        detail::event_detail_ui(ui, state, commands)
    } else if state.selected_book.is_some() {
        books::book_detail_ui(ui, state, commands)
    } else if state.unit_detail.is_some() {
        detail::unit_detail_ui(ui, state, commands)
    } else if state.search.record.is_some() {
        search::record_card_ui(ui, state, commands)
    } else {
        let lang = state.lang;
        ui.label(
            egui::RichText::new(lang.tr(
                "点选事件、任务书或地图上的单元查看详情",
                "Select an event, a task book or a unit on the map to see it here",
            ))
            .size(20.0)
            .color(theme::DIM),
        );
    }
}

/// The viewport of a wall screen: borderless, at its place and size (placed by the app, so that it comes up right
/// with no window manager), or fullscreen on its monitor where only the compositor can place it (Wayland).
///
/// `zoom` is the egui zoom factor in force when the window is made: egui-winit multiplies a builder's sizes by it,
/// and these are the screen's pixels.
pub fn screen_viewport(place: &wall::Placement, zoom: f32, builder: egui::ViewportBuilder) -> egui::ViewportBuilder {
    let builder = builder.with_decorations(false).with_title("平安 Pingan");
    match *place {
        wall::Placement::At { pos, size, fullscreen } => {
            let z = zoom.max(0.1);
            let builder = builder
                .with_position([pos[0] / z, pos[1] / z])
                .with_inner_size([size[0] / z, size[1] / z])
                .with_min_inner_size([100.0 / z, 100.0 / z]);
            if fullscreen { builder.with_fullscreen(true) } else { builder }
        }
        wall::Placement::Monitor(m) => builder.with_monitor(m).with_fullscreen(true),
    }
}

/// What a wall screen draws with.
struct Parts<'a> {
    state: &'a AppState,
    view: &'a mut ViewState,
    tiles: Option<&'a mut dyn walkers::Tiles>,
    league_sort: &'a mut dashboard::LeagueSort,
    /// Where the map was drawn (the banner goes over it).
    map_rect: Option<egui::Rect>,
}

impl PinganApp {
    /// The wall: the first screen in the main window, each other one in its own borderless viewport (so no surface
    /// is wider than a screen); text sized from the screen height.
    fn wall_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        // Taken out for the frame and put back (a clone a frame of a layout that may list 500 tour stops is waste).
        let Some(layout) = self.wall.take() else { return };
        let ctx = ui.ctx().clone();
        // Sizes are made for a 1080-pixel-high screen; a taller one (or a far wall's font scale) zooms.
        let physical = ctx.content_rect().height() * ctx.pixels_per_point();
        let native = ctx.native_pixels_per_point().unwrap_or(1.0);
        let zoom = layout.zoom_for(physical / native);
        if (ctx.zoom_factor() - zoom).abs() > 0.01 {
            ctx.set_zoom_factor(zoom);
        }
        if self.basemap.as_ref().map(|(p, _)| p) != self.state.basemap.as_ref() {
            self.basemap = self.state.basemap.as_ref().map(|p| (p.clone(), crate::services::basemap::open(p, &ctx)));
        }
        let tiles: Option<&mut dyn walkers::Tiles> = match (&mut self.basemap, &mut self.online_tiles) {
            (Some((_, offline)), _) => Some(offline),
            (None, Some(online)) => Some(online),
            (None, None) => None,
        };
        let mut parts = Parts {
            state: &self.state,
            view: &mut self.view,
            tiles,
            league_sort: &mut self.league_sort,
            map_rect: None,
        };
        screen_ui(ui, &layout.screens[0], 0, &mut parts, commands);
        let zoom_now = ctx.zoom_factor();
        for (i, screen) in layout.screens.iter().enumerate().skip(1) {
            let id = egui::ViewportId::from_hash_of(("pingan-wall", i));
            let place = self.placement.as_ref().and_then(|p| p.screens.get(i).copied());
            let place = place.unwrap_or(wall::Placement::Monitor(screen.monitor.unwrap_or(i)));
            let builder = screen_viewport(&place, zoom_now, egui::ViewportBuilder::default());
            ctx.show_viewport_immediate(id, builder, |ui, _class| screen_ui(ui, screen, i, &mut parts, commands));
        }
        let state = parts.state;
        self.map_drawn = parts.map_rect.is_some();
        if let Some(rect) = parts.map_rect {
            attention::banner_ui(&ctx, rect, state, commands);
        }
        import::import_windows(&ctx, state, commands);
        crate::panels::report::report_window(&ctx, state, commands);
        self.wall = Some(layout);
    }
}

/// One wall screen: the header if it has one, the status bar on the first, its panels top to bottom by weight.
fn screen_ui(ui: &mut egui::Ui, screen: &WallScreen, index: usize, parts: &mut Parts<'_>, commands: &mut Vec<Command>) {
    let state = parts.state;
    // Every screen says when the live data has stopped: a person may be looking at any of them.
    crate::panels::interrupted::interrupted_ui(ui.ctx(), ui.max_rect(), index, state);
    if screen.header {
        egui::Panel::top(("wall-header", index))
            .exact_size(84.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(egui::Margin::symmetric(8, 6)))
            .show(ui, |ui| header::header_ui(ui, state, commands));
    }
    if index == 0 {
        egui::Panel::bottom("status")
            .exact_size(30.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(egui::Margin::symmetric(10, 4)))
            .show(ui, |ui| status::status_ui(ui, state));
    }
    egui::CentralPanel::no_frame().show(ui, |ui| {
        let full = ui.available_rect_before_wrap();
        let mut top = full.top();
        // The detail shows only while something is selected; until then the panel above it has its height.
        let detail = has_detail(state);
        for (panel, share) in screen.panels.iter().zip(wall::shares(screen, |p| p != WallPanel::Detail || detail)) {
            if share <= 0.0 {
                continue;
            }
            let rect = egui::Rect::from_min_size(
                egui::pos2(full.left(), top),
                egui::vec2(full.width(), full.height() * share),
            );
            top = rect.bottom();
            let mut child = ui.new_child(egui::UiBuilder::new().max_rect(rect).id_salt(("wall-panel", index, *panel)));
            child.set_clip_rect(rect);
            wall_panel_ui(&mut child, *panel, parts, commands);
        }
    });
}

/// One panel of a wall screen.
fn wall_panel_ui(ui: &mut egui::Ui, panel: WallPanel, parts: &mut Parts<'_>, commands: &mut Vec<Command>) {
    let state = parts.state;
    let framed = |ui: &mut egui::Ui, f: &mut dyn FnMut(&mut egui::Ui)| {
        egui::Frame::new().fill(theme::PANEL).inner_margin(10).show(ui, |ui| {
            ui.set_min_size(ui.available_size());
            f(ui)
        });
    };
    match panel {
        WallPanel::Map => {
            // The toolbar in a strip of its own height (it centres itself in whatever height it is given).
            let full = ui.available_rect_before_wrap();
            let strip = egui::Rect::from_min_size(full.min, egui::vec2(full.width(), 46.0));
            ui.painter().rect_filled(strip, 0.0, theme::BG);
            let mut bar = ui.new_child(egui::UiBuilder::new().max_rect(strip.shrink2(egui::vec2(10.0, 6.0))));
            toolbar::toolbar_ui(&mut bar, state, true, commands);
            ui.advance_cursor_after_rect(strip);
            let (rect, mut map_ui) = with_timeline(ui, state, true, commands);
            let ui = &mut map_ui;
            parts.map_rect = Some(rect);
            parts.view.map3d.last_size = rect.size();
            match state.map_mode {
                _ if state.district.towns.is_empty() => status::waiting_ui(ui, state),
                MapMode::Map3d => map3d::view3d_ui(ui, state, &mut parts.view.map3d, commands),
                // The report has its own panels on the wall: the map stays a map.
                MapMode::Map2d | MapMode::Dashboard => {
                    // A reborrow with a shorter object lifetime; `as_deref_mut` keeps the parts' lifetime and does
                    // not borrow-check here.
                    #[allow(clippy::option_as_ref_deref)]
                    let tiles = parts.tiles.as_mut().map(|t| -> &mut dyn walkers::Tiles { &mut **t });
                    map2d::map_ui(ui, state, &mut parts.view.map2d, tiles, commands)
                }
            }
        }
        WallPanel::Feed => framed(ui, &mut |ui| feed_panel_ui(ui, state, commands)),
        WallPanel::Detail => framed(ui, &mut |ui| {
            egui::ScrollArea::vertical().id_salt("wall-detail").show(ui, |ui| detail_panel_ui(ui, state, commands));
        }),
        WallPanel::Report => dashboard::report_ui(ui, state, commands),
        WallPanel::Tables => dashboard::tables_ui(ui, state, parts.league_sort, commands),
    }
}
