//! The eframe application: lays out the panels, runs the clock, applies commands.

use crate::assessment::{LevelChoice, RiskView};
use crate::dashboard::{LeagueSort, dashboard_ui};
use crate::export::{FolderDialog, RfdDialog};
use crate::state::{AppOptions, AppState, Clock, Command, MapMode};
use crate::view3d::{View3d, view3d_ui};
use crate::{detail, feed, header, map_view, theme};
use egui::RichText;
use pingan_core::EventCategory;
use pingan_core::assess::PeriodKind;

/// The command-room app.
pub struct PinganApp {
    /// Everything shown.
    pub state: AppState,
    /// The 3D view (camera, scene; GPU resources live in egui_wgpu's callback resources).
    pub view3d: View3d,
    /// League table order on the dashboard.
    pub league_sort: LeagueSort,
    /// Where export asks for a folder (replaced in tests).
    pub dialog: Box<dyn FolderDialog>,
    tiles: Option<walkers::HttpTiles>,
    render_state: Option<eframe::egui_wgpu::RenderState>,
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
        let mut view3d = View3d::new(&state, cc.wgpu_render_state.as_ref());
        view3d.pending_sync = options.initial_view;
        Self {
            state,
            view3d,
            league_sort: LeagueSort::default(),
            dialog: Box::new(RfdDialog),
            tiles,
            render_state: cc.wgpu_render_state.clone(),
        }
    }

    /// After an import replaced the district (or the demo came back): tessellate and upload the new one.
    fn follow_district(&mut self) {
        if self.view3d.district_ptr != std::sync::Arc::as_ptr(&self.state.district) as usize {
            let size = self.view3d.last_size;
            self.view3d = View3d::new(&self.state, self.render_state.as_ref());
            self.state.scene = None;
            self.view3d.last_size = size;
            let (min, max) = self.view3d.scene.bounds;
            self.view3d.camera = pingan_render::Camera {
                pitch_deg: 35.0,
                bearing_deg: 10.0,
                ..pingan_render::Camera::fit(min, max, [size.x, size.y])
            };
        }
    }

    /// Ask for a file, then show the import dialog with a guess of its datum.
    fn open_import(&mut self) {
        let lang = self.state.lang;
        let Some(path) = self.dialog.pick_file(lang.tr("选择要导入的 GeoJSON 文件", "Choose a GeoJSON file to import"))
        else {
            return;
        };
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let crs = if name.contains("gcj") || name.contains("datav") || name.contains("amap") {
            pingan_core::import::Crs::Gcj02
        } else {
            pingan_core::import::Crs::Wgs84
        };
        let mode = if self.state.link.is_some() {
            crate::scenario::ImportMode::Overlay
        } else {
            crate::scenario::ImportMode::Replace
        };
        self.state.apply(Command::ImportDialog(crate::scenario::ImportRequest {
            path,
            crs,
            as_: pingan_core::import::ImportAs::Auto,
            mode,
        }));
    }

    /// Apply a command (also used by tests).
    pub fn apply(&mut self, cmd: Command) {
        let height = self.view3d.last_size.y;
        match &cmd {
            Command::SetMapMode(MapMode::Map3d) if self.state.map_mode == MapMode::Map2d => {
                let home = self.state.district.bbox().centre();
                let centre = self.state.map_memory.detached().map_or(home, |p| pingan_core::LonLat::new(p.x(), p.y()));
                self.view3d.sync_from_2d(centre, self.state.map_memory.zoom(), height);
            }
            Command::SetMapMode(MapMode::Map2d) if self.state.map_mode == MapMode::Map3d => {
                let (c, zoom) = self.view3d.to_2d(height);
                self.state.fly_to = None;
                self.state.fit_pending = false;
                self.state.map_memory.center_at(walkers::lon_lat(c.lon, c.lat));
                self.state.map_memory.set_zoom(zoom).ok();
            }
            Command::SelectEvent(id) if self.state.map_mode == MapMode::Map3d => {
                if let Some(e) = self.state.situation.event(*id) {
                    self.view3d.fly_to(e.position, 900.0);
                }
            }
            Command::ShowWholeDistrict if self.state.map_mode == MapMode::Map3d => {
                let (min, max) = self.view3d.scene.bounds;
                let s = self.view3d.last_size;
                let to = pingan_render::Camera::fit(min, max, [s.x, s.y]);
                self.view3d.flight = Some(pingan_render::Flight::new(self.view3d.camera, to, 0.8));
            }
            Command::ExportReport => self.export(),
            Command::OpenImport => self.open_import(),
            _ => {}
        }
        self.state.apply(cmd);
    }

    /// Ask for a folder and write the current report there; the outcome goes to the status bar.
    fn export(&mut self) {
        let lang = self.state.lang;
        let Some(data) = self.state.assessment.latest.clone() else {
            self.state.tell(
                lang.tr("报表尚未计算完成，请稍后再导出", "The report is still being computed; try again").into(),
            );
            return;
        };
        let Some(dir) = self.dialog.pick_folder(lang.tr("选择导出文件夹", "Choose a folder for the report"))
        else {
            return;
        };
        let towns: Vec<String> = self.state.district.towns.iter().map(|t| t.name.clone()).collect();
        match crate::export::export_report(&dir, &data, &towns, lang) {
            Ok(files) => {
                tracing::info!("report exported: {} files in {}", files.len(), dir.display());
                let msg = format!("{} {} → {}", lang.tr("已导出", "Exported"), files.len(), dir.display());
                self.state.messages.push_back((self.state.now, msg));
            }
            Err(e) => self.state.tell(format!("{}: {e}", lang.tr("导出失败", "Export failed"))),
        }
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
        egui::Panel::top("toolbar")
            .exact_size(46.0)
            .frame(egui::Frame::new().fill(theme::BG).inner_margin(egui::Margin::symmetric(10, 6)))
            .show(ui, |ui| toolbar_ui(ui, state, &mut commands));
        egui::Panel::left("feed")
            .default_size(480.0)
            .min_size(360.0)
            .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(10))
            .show(ui, |ui| feed::event_feed_ui(ui, state, &mut commands));
        if state.selected.is_some() || state.unit_detail.is_some() {
            egui::Panel::right("detail")
                .default_size(460.0)
                .min_size(380.0)
                .frame(egui::Frame::new().fill(theme::PANEL).inner_margin(10))
                .show(ui, |ui| {
                    if state.selected.is_some() {
                        detail::event_detail_ui(ui, state, &mut commands)
                    } else {
                        detail::unit_detail_ui(ui, state, &mut commands)
                    }
                });
        }
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let rect = ui.available_rect_before_wrap();
            // Both maps share this size for converting between 2D zoom and 3D distance.
            self.view3d.last_size = rect.size();
            match self.state.map_mode {
                MapMode::Map2d => map_view::map_ui(ui, &mut self.state, self.tiles.as_mut(), &mut commands),
                MapMode::Map3d => view3d_ui(ui, &self.state, &mut self.view3d, &mut commands),
                MapMode::Dashboard => dashboard_ui(ui, &self.state, &mut self.league_sort, &mut commands),
            }
            let _ = rect;
        });
        crate::import_ui::import_windows(ui.ctx(), &self.state, &mut commands);
        for c in commands {
            self.apply(c);
        }
        self.follow_district();
        if self.state.clock == Clock::Live {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
        }
    }
}

/// The toolbar: the five-colour view (period, categories, level) on the left, the views on the right.
fn toolbar_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let mut v = state.risk_view;
    ui.horizontal_centered(|ui| {
        crate::import_ui::file_menu_ui(ui, state, commands);
        ui.separator();
        ui.label(RichText::new(lang.tr("五色研判", "Five-colour map")).font(theme::bold(20.0)).color(theme::ACCENT));
        egui::ComboBox::new("risk-period", lang.tr("周期", "Period"))
            .selected_text(RiskView::period_label(v.period, lang))
            .show_ui(ui, |ui| {
                for k in [PeriodKind::Day, PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year] {
                    ui.selectable_value(&mut v.period, k, RiskView::period_label(k, lang));
                }
            });
        egui::ComboBox::new("risk-category", lang.tr("研判类别", "Categories"))
            .selected_text(RiskView::category_label(v.category, lang))
            .height(520.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut v.category, None, RiskView::category_label(None, lang));
                for c in EventCategory::KEY {
                    ui.selectable_value(&mut v.category, Some(c), RiskView::category_label(Some(c), lang));
                }
            });
        egui::ComboBox::new("risk-level", lang.tr("层级", "Level")).selected_text(v.level.label(lang)).show_ui(
            ui,
            |ui| {
                for l in LevelChoice::ALL {
                    ui.selectable_value(&mut v.level, l, l.label(lang));
                }
            },
        );
        if let Some(d) = &state.assessment.latest {
            ui.label(
                RichText::new(format!("{} · {:.0} ms", d.period.label(), d.compute_ms)).color(theme::DIM).size(15.0),
            );
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(RichText::new(lang.tr("全区", "Whole district")).size(18.0)).clicked() {
                commands.push(Command::ShowWholeDistrict);
            }
            for (mode, label) in [
                (MapMode::Dashboard, lang.tr("驾驶舱", "Dashboard")),
                (MapMode::Map3d, lang.tr("3D 实景", "3D")),
                (MapMode::Map2d, lang.tr("2D 地图", "2D map")),
            ] {
                if ui.add(egui::Button::selectable(state.map_mode == mode, RichText::new(label).size(18.0))).clicked() {
                    commands.push(Command::SetMapMode(mode));
                }
            }
            crate::import_ui::scenario_chip_ui(ui, state, commands);
        });
    });
    if v != state.risk_view {
        commands.push(Command::SetRiskView(v));
    }
}

fn status_ui(ui: &mut egui::Ui, state: &AppState) {
    let lang = state.lang;
    ui.horizontal_centered(|ui| {
        let source = match &state.link {
            Some(link) => {
                let s = link.status();
                format!(
                    "{} · {} {} · {} {}",
                    lang.tr("同步服务器", "Sync server"),
                    lang.tr("变更序号", "change"),
                    s.seq,
                    lang.tr("被拒操作", "refused actions"),
                    s.refused
                )
            }
            None => format!(
                "{} · {} {:.0} {}",
                match &state.scenario {
                    Some(s) if s.meta.mode == crate::scenario::ImportMode::Replace => {
                        format!(
                            "{}: {}",
                            lang.tr("离线演示：导入的辖区", "Offline demo: imported district"),
                            s.meta.name
                        )
                    }
                    _ => lang.tr("离线演示：内置余杭演示区", "Offline demo: built-in Yuhang district").to_string(),
                },
                lang.tr("模拟", "simulating"),
                state.sim.config().events_per_hour,
                lang.tr("起/小时", "events/h")
            ),
        };
        ui.label(RichText::new(source).size(15.0).color(theme::DIM));
        if let Some(held) = state.link.as_ref().and_then(|l| crate::header::held_text(&l.status().held, lang)) {
            ui.separator();
            ui.label(RichText::new(held).size(15.0).color(theme::WARN));
        }
        if let Some((at, msg)) = state.messages.back() {
            ui.separator();
            ui.label(
                RichText::new(format!("{} {msg}", crate::format::short_time(*at))).size(15.0).color(theme::OVERDUE),
            );
        }
    });
}
