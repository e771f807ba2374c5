//! The 2D map: walkers' slippy map with Pingan's own vector overlay drawn through its projector.
//!
//! With no tile server (the normal offline case) the overlay alone shows the district on a dark background:
//! land, water, roads, unit boundaries with names, buildings when zoomed in, event markers and grid workers.
//! Online raster tiles, when enabled, are dimmed underneath.

mod books;
mod draw;

use crate::i18n::Lang;
use crate::panels::labels::Labels;
use crate::services::assessment::{LevelChoice, RiskView};
use crate::services::fills::Fills;
use crate::services::import_job::Scenario;
use crate::state::view::{FlyTo, Map2dView};
use crate::state::{AppState, Command};
use crate::theme;
use draw::*;
use egui::{Align2, FontId, Rect, vec2};
use pingan_core::UnitRef;
use pingan_core::assess::Assessment;
use pingan_core::{District, EventId, LonLat, Situation, SpatialIndex, Timestamp};
use std::sync::Arc;
use walkers::{Map, lon_lat};

/// Zoom at which buildings appear.
pub const BUILDINGS_ZOOM: f64 = 14.5;
/// Zoom from which buildings are filled with their own five-colour grade instead of their kind's colour.
pub const BUILDING_GRADES_ZOOM: f64 = 16.0;
/// Zoom at which grid boundaries appear.
pub const GRIDS_ZOOM: f64 = 13.0;
/// Zoom at which community boundaries appear.
pub const COMMUNITIES_ZOOM: f64 = 11.8;
/// Seconds a fly-to takes.
const FLIGHT_S: f32 = 0.6;

/// What the overlay reads: the parts of [`AppState`] it draws, and the fills.
struct View<'a> {
    fills: &'a Fills,
    scenario: Option<&'a Scenario>,
    district: &'a District,
    index: &'a SpatialIndex,
    situation: &'a Situation,
    selected: Option<EventId>,
    selected_book: Option<pingan_core::patrol::TaskBookId>,
    /// The task books tab is open (their badges show at every zoom, not only close up).
    books_tab: bool,
    /// Grids without cover now.
    voids: &'a [pingan_core::coverage::Void],
    /// A worker position older than this is stale.
    stale_after: chrono::Duration,
    now: Timestamp,
    lang: Lang,
    assessment: Option<&'a Assessment>,
    risk_view: RiskView,
    routing: &'a pingan_core::routing::RoutingConfig,
    /// The drill in force: only its live events are drawn.
    drill: Option<crate::state::DrillMatch>,
    /// The search in force's matches per grid: drawn as a heat map instead of the five colours.
    heat: Option<&'a [u32]>,
}

/// Which level the fill shows at `zoom` for `choice`.
pub fn fill_level(choice: LevelChoice, zoom: f64) -> LevelChoice {
    match choice {
        LevelChoice::Auto if zoom < COMMUNITIES_ZOOM => LevelChoice::Town,
        LevelChoice::Auto if zoom < GRIDS_ZOOM => LevelChoice::Community,
        LevelChoice::Auto => LevelChoice::Grid,
        other => other,
    }
}

/// Draw the map and its overlays; clicks on events and units become commands. The camera (`view`) moves with the
/// user's drags and zooms (walkers) and along a pending fly-to.
pub fn map_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &mut Map2dView,
    tiles: Option<&mut dyn walkers::Tiles>,
    commands: &mut Vec<Command>,
) {
    let rect = ui.available_rect_before_wrap();
    if view.fit_pending && rect.width() > 50.0 {
        fit_district(&state.district, view, rect);
    }
    animate_camera(ui, &state.district, view);
    let home = state.district.bbox().centre();
    let attribution = tiles.as_ref().map(|t| t.attribution());
    let online = tiles.is_some();
    let latest = state.assessment.latest.clone();
    view.fills.update(&state.district);
    let Map2dView { memory, fills, static_layer, marks, .. } = view;
    let view = View {
        fills,
        scenario: state.scenario.as_ref(),
        district: &state.district,
        index: &state.index,
        situation: &state.situation,
        selected: state.selected,
        selected_book: state.selected_book,
        books_tab: state.feed_tab == crate::state::FeedTab::TaskBooks,
        voids: state.voids(),
        stale_after: state.watch.coverage.stale_after(),
        now: state.now,
        lang: state.lang,
        assessment: latest.as_ref().map(|d| &d.assessment),
        risk_view: state.risk_view,
        routing: &state.routing,
        drill: state.drill_match(),
        heat: state.search_matches().filter(|m| m.total() > 0).map(|m| m.by_grid.as_slice()),
    };
    let heat_key = state.search_matches().is_some().then_some(state.search.runs);
    let picking_place = state.report.as_ref().is_some_and(|r| r.picking);
    let drill_note = drill_note(state);
    let map = Map::new(tiles, memory, lon_lat(home.lon, home.lat)).double_click_to_zoom(true);
    let clicked = map
        .show(ui, |ui, response, projector, _memory| {
            let painter = ui.painter().with_clip_rect(response.rect);
            let zoom = projector.zoom();
            // The static layers, tessellated again only when the camera, the district or the assessment changed.
            let level = fill_level(view.risk_view.level, zoom);
            let key = static_key(ui, response, projector, state, (level, online, heat_key));
            if static_layer.as_ref().is_none_or(|(k, _)| *k != key) {
                let mut shapes = Vec::new();
                draw_base(&mut shapes, &view, projector, response.rect, online);
                draw_units(&mut shapes, &view, projector, response.rect, zoom);
                if zoom >= BUILDINGS_ZOOM {
                    draw_buildings(&mut shapes, &view, projector, response.rect, zoom);
                }
                *static_layer = Some((key, Arc::new(tessellate(ui.ctx(), response.rect, shapes))));
            }
            if let Some((_, mesh)) = static_layer.as_ref() {
                painter.add(egui::Shape::Mesh(mesh.clone()));
            }
            let poi_spots = draw_scenario(&painter, &view, projector, response.rect, zoom);
            let pulse = (ui.input(|i| i.time) * 3.0).sin() as f32 * 0.5 + 0.5;
            draw_voids(&painter, &view, projector, response.rect, zoom);
            let book_hits = books::draw_books(&painter, &view, projector, response.rect, zoom);
            let hits = draw_live(&painter, &view, projector, response.rect, zoom, pulse);
            *marks = hits.marks;
            if hits.pulsing {
                // Overdue markers on screen pulse: frames at the capped animation rate, not every vsync.
                ui.ctx().request_repaint_after(theme::ANIMATION_FRAME);
            }
            draw_labels(&painter, &view, projector, response.rect, zoom, &poi_spots, &hits);
            legend_ui(&painter, &view, response.rect);
            draw_notes(&painter, response.rect, drill_note.as_deref(), attribution.as_ref().map(|a| a.text));
            hover_card(&painter, &view, projector, response, &hits);
            if response.clicked()
                && let Some(pos) = response.interact_pointer_pos()
            {
                return click_command(&view, projector, pos, picking_place, zoom, &hits, &book_hits);
            }
            None
        })
        .inner;
    if let Some(cmd) = clicked {
        commands.push(cmd);
    }
}

/// The key of the static layers' mesh: the camera, the map's rect and scale, the district, the assessment, and
/// `(fill level, online, search run)`.
fn static_key(
    ui: &egui::Ui,
    response: &egui::Response,
    projector: &walkers::Projector,
    state: &AppState,
    (level, online, heat_key): (LevelChoice, bool, Option<u64>),
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let c = projector.unproject(response.rect.center().to_vec2());
    (c.x().to_bits(), c.y().to_bits(), projector.zoom().to_bits()).hash(&mut h);
    let r = response.rect;
    (r.min.x.to_bits(), r.min.y.to_bits(), r.max.x.to_bits(), r.max.y.to_bits()).hash(&mut h);
    (ui.ctx().pixels_per_point().to_bits(), Arc::as_ptr(&state.district) as usize, state.assessment.generation)
        .hash(&mut h);
    (level as u8, online, &heat_key).hash(&mut h);
    h.finish()
}

/// The labels, last, on top of the markers: unit names (town names first, so they always win a place), an imported
/// scenario's points of interest, and workers' names close up — kept off the corner buttons and the legend.
fn draw_labels(
    painter: &egui::Painter,
    view: &View<'_>,
    projector: &walkers::Projector,
    r: Rect,
    zoom: f64,
    poi_spots: &[(egui::Pos2, &str)],
    hits: &Hits,
) {
    let mut labels = Labels {
        taken: vec![
            Rect::from_min_size(r.right_top() + vec2(-430.0, 0.0), vec2(430.0, 56.0)),
            Rect::from_min_size(r.left_bottom() + vec2(0.0, -162.0), vec2(580.0, 162.0)),
        ],
    };
    draw_unit_names(painter, view, projector, r, zoom, &mut labels);
    if zoom >= 12.0 || poi_spots.len() <= 60 {
        for (p, name) in poi_spots {
            labels.place(painter, *p + vec2(0.0, -15.0), name, FontId::proportional(15.0), SCENARIO, true);
        }
    }
    if zoom >= 14.0 {
        for (p, w) in hits.workers.iter().filter_map(|(p, i)| Some((p, view.situation.workers.get(*i)?))) {
            labels.place(painter, *p + vec2(0.0, -16.0), &w.name, FontId::proportional(15.0), theme::WORKER, true);
        }
    }
}

/// The drill's note in the top-left corner and the tiles' attribution in the bottom-right one.
fn draw_notes(painter: &egui::Painter, rect: Rect, drill_note: Option<&str>, attribution: Option<&str>) {
    if let Some(note) = drill_note {
        let at = rect.left_top() + vec2(10.0, 10.0);
        let galley = painter.layout_no_wrap(note.to_string(), FontId::proportional(17.0), theme::ACCENT);
        painter.rect_filled(Rect::from_min_size(at, galley.size()).expand(6.0), 6.0, theme::CARD);
        painter.galley(at, galley, theme::ACCENT);
    }
    if let Some(text) = attribution {
        painter.text(
            rect.right_bottom() - vec2(8.0, 6.0),
            Align2::RIGHT_BOTTOM,
            format!("© {text}"),
            FontId::proportional(15.0),
            theme::DIM,
        );
    }
}

/// What a click at `pos` asks for: the report's place while the form waits for one, else the event or task book
/// under it, else the unit under it at the level the fill shows.
fn click_command(
    view: &View<'_>,
    projector: &walkers::Projector,
    pos: egui::Pos2,
    picking_place: bool,
    zoom: f64,
    hits: &Hits,
    book_hits: &[(egui::Pos2, pingan_core::patrol::TaskBookId)],
) -> Option<Command> {
    if picking_place {
        // The report form waits for a place: this click is it.
        let p = projector.unproject(pos.to_vec2());
        return Some(Command::ReportPlace(LonLat::new(p.x(), p.y())));
    }
    if let Some(id) = hits.event_at(pos) {
        return Some(Command::SelectEvent(id));
    }
    if let Some((_, id)) = book_hits.iter().find(|(q, _)| q.distance(pos) <= 14.0) {
        return Some(Command::SelectBook(*id));
    }
    // Open ground: the unit under the cursor at the level the fill shows.
    let p = projector.unproject(pos.to_vec2());
    let grid = view.index.grid_at(view.district, LonLat::new(p.x(), p.y()))?;
    let g = view.district.grids.get(grid.index())?;
    let unit = match fill_level(view.risk_view.level, zoom) {
        LevelChoice::Town => UnitRef::Town(g.town),
        LevelChoice::Community => UnitRef::Community(g.community),
        _ => UnitRef::Grid(grid),
    };
    Some(Command::SelectUnit(unit))
}

/// Tessellate `shapes` into one mesh in ui points, as egui would each frame (same options, clipped to `clip`).
fn tessellate(ctx: &egui::Context, clip: Rect, shapes: Vec<egui::Shape>) -> egui::Mesh {
    let options = ctx.tessellation_options(|o| *o);
    let font_size = ctx.fonts(|f| f.font_image_size());
    let mut tessellator = egui::epaint::Tessellator::new(ctx.pixels_per_point(), options, font_size, Vec::new());
    tessellator.set_clip_rect(clip);
    let mut mesh = egui::Mesh::default();
    for s in shapes {
        tessellator.tessellate_shape(s, &mut mesh);
    }
    mesh
}

/// Set the zoom so the whole district fits `rect`, centred.
pub fn fit_district(district: &District, view: &mut Map2dView, rect: Rect) {
    let b = district.bbox();
    let frame = pingan_core::LocalFrame::new(b.centre());
    let sw = frame.local_from_lonlat(b.min);
    let ne = frame.local_from_lonlat(b.max);
    let (w_m, h_m) = ((ne[0] - sw[0]).max(1.0), (ne[1] - sw[1]).max(1.0));
    // Web Mercator with 256-px tiles: metres per pixel at zoom z is 156543.03 × cos(lat) / 2^z.
    let m_per_px_z0 = 156_543.03 * b.centre().lat.to_radians().cos();
    let need = (w_m / (rect.width() as f64 * 0.94)).max(h_m / (rect.height() as f64 * 0.94));
    let zoom = (m_per_px_z0 / need).log2().clamp(2.0, 19.0);
    view.memory.center_at(lon_lat(b.centre().lon, b.centre().lat));
    view.memory.set_zoom(zoom).ok();
    view.fit_pending = false;
}

/// Move the camera along a pending fly-to (eased, [`FLIGHT_S`] seconds).
fn animate_camera(ui: &egui::Ui, district: &District, view: &mut Map2dView) {
    let Some(FlyTo { target, zoom }) = view.fly_to else { return };
    let cur = view.centre(district.bbox().centre());
    let dt = ui.input(|i| i.stable_dt).clamp(0.0, 0.25);
    let k = (dt / FLIGHT_S * 3.0).clamp(0.0, 1.0) as f64;
    let z = view.memory.zoom();
    let mut next = LonLat::new(cur.lon + (target.lon - cur.lon) * k, cur.lat + (target.lat - cur.lat) * k);
    let mut nz = z + (zoom - z) * k;
    if next.distance_m(target) < 2.0 && (nz - zoom).abs() < 0.02 {
        next = target;
        nz = zoom;
        view.fly_to = None;
    } else {
        ui.ctx().request_repaint();
    }
    view.memory.center_at(lon_lat(next.lon, next.lat));
    view.memory.set_zoom(nz).ok();
}

/// While a drill is in force, what the map shows of it: its live events are drawn, its history records only counted.
fn drill_note(state: &AppState) -> Option<String> {
    let drilled = state.drilled()?;
    let lang = state.lang;
    let label = state.drill.map(|d| d.label(&state.district, lang)).unwrap_or_default();
    let mut note =
        format!("{}{label} · {} {}", lang.tr("筛选：", "Filter: "), lang.tr("图上", "on the map"), drilled.live.len());
    if !drilled.history.is_empty() {
        note.push_str(&format!(
            " · {} {}",
            lang.tr("历史记录（不在图上）", "history records (not mapped)"),
            drilled.history.len()
        ));
    }
    Some(note)
}
