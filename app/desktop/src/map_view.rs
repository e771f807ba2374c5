//! The 2D map: walkers' slippy map with Pingan's own vector overlay drawn through its projector.
//!
//! With no tile server (the normal offline case) the overlay alone shows the district on a dark background:
//! land, water, roads, unit boundaries with names, buildings when zoomed in, event markers and grid workers.
//! Online raster tiles, when enabled, are dimmed underneath.

use crate::assessment::{LevelChoice, RiskView};
use crate::i18n::{Lang, Named};
use crate::state::{AppState, Command, FlyTo};
use crate::theme;
use egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Shape, Stroke, pos2, vec2};
use pingan_core::UnitRef;
use pingan_core::assess::Assessment;
use pingan_core::{
    District, EventId, LonLat, Polygon, RoadClass, Situation, SpatialIndex, Timestamp, WorkerStatus, geom::BBox,
};
use walkers::{Map, Projector, lon_lat};

/// Zoom at which buildings appear.
pub const BUILDINGS_ZOOM: f64 = 14.5;
/// Zoom at which grid boundaries appear.
pub const GRIDS_ZOOM: f64 = 13.0;
/// Zoom at which community boundaries appear.
pub const COMMUNITIES_ZOOM: f64 = 11.8;
/// Seconds a fly-to takes.
const FLIGHT_S: f32 = 0.6;

/// Triangulations of the district's outline and every unit, made once per district: real boundaries are concave,
/// and egui fills only convex polygons by itself.
#[derive(Default)]
pub struct Fills {
    key: usize,
    outline: Tri,
    towns: Vec<Tri>,
    communities: Vec<Tri>,
    grids: Vec<Tri>,
}

/// A polygon's points (exterior, then holes; lonlat) and triangles.
#[derive(Default)]
struct Tri {
    points: Vec<LonLat>,
    indices: Vec<u32>,
    /// How many of `points` are the exterior (the rest are holes).
    outer: usize,
}

impl Tri {
    fn of(poly: &Polygon) -> Self {
        let open = |r: &[LonLat]| -> Vec<LonLat> {
            let mut r = r.to_vec();
            if r.len() > 1 && r.first() == r.last() {
                r.pop();
            }
            r
        };
        let mut points = open(&poly.exterior);
        let outer = points.len();
        let mut holes = Vec::new();
        for h in &poly.holes {
            holes.push(points.len());
            points.extend(open(h));
        }
        let o = points.first().copied().unwrap_or_default();
        let flat: Vec<f64> = points.iter().flat_map(|p| [p.lon - o.lon, p.lat - o.lat]).collect();
        let indices = earcutr::earcut(&flat, &holes, 2).unwrap_or_default().into_iter().map(|i| i as u32).collect();
        Self { points, indices, outer }
    }
}

impl Fills {
    /// Make sure the triangulations are of `district`.
    pub fn update(&mut self, district: &std::sync::Arc<District>) {
        let key = std::sync::Arc::as_ptr(district) as usize;
        if self.key == key {
            return;
        }
        let started = std::time::Instant::now();
        *self = Self {
            key,
            outline: Tri::of(&district.outline),
            towns: district.towns.iter().map(|t| Tri::of(&t.outline)).collect(),
            communities: district.communities.iter().map(|c| Tri::of(&c.outline)).collect(),
            grids: district.grids.iter().map(|g| Tri::of(&g.outline)).collect(),
        };
        tracing::debug!("unit fills triangulated in {} ms", started.elapsed().as_millis());
    }
}

/// Fill triangulated polygons, one colour each, as one mesh.
fn fill_all<'t>(painter: &Painter, projector: &Projector, tris: impl Iterator<Item = (&'t Tri, Color32)>) {
    let mut mesh = egui::Mesh::default();
    for (t, color) in tris {
        let base = mesh.vertices.len() as u32;
        for p in &t.points {
            mesh.colored_vertex(to_ui(projector, *p), color);
        }
        mesh.indices.extend(t.indices.iter().map(|i| base + i));
    }
    if !mesh.indices.is_empty() {
        painter.add(Shape::mesh(mesh));
    }
}

/// An overlaid scenario's building footprints, triangulated once (on the import thread) with their boxes.
#[derive(Default)]
pub struct OverlayFills {
    buildings: Vec<(BBox, Tri, f32)>,
}

impl std::fmt::Debug for OverlayFills {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OverlayFills({} footprints)", self.buildings.len())
    }
}

impl OverlayFills {
    /// Triangulate every building polygon of `imported`.
    pub fn of(imported: &pingan_core::import::Imported) -> Self {
        let buildings = imported
            .buildings
            .iter()
            .flat_map(|b| {
                b.polygons.iter().filter_map(move |p| {
                    let poly = Polygon { exterior: p[0].clone(), holes: p[1..].to_vec() };
                    Some((poly.bbox()?, Tri::of(&poly), b.height as f32))
                })
            })
            .collect();
        Self { buildings }
    }
}

/// What the overlay reads: the parts of [`AppState`] that are not the map memory.
struct View<'a> {
    fills: &'a Fills,
    scenario: Option<&'a crate::scenario::Scenario>,
    district: &'a District,
    index: &'a SpatialIndex,
    situation: &'a Situation,
    selected: Option<EventId>,
    now: Timestamp,
    lang: Lang,
    assessment: Option<&'a Assessment>,
    risk_view: RiskView,
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

/// Draw the map and its overlays; clicks on events become commands.
pub fn map_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tiles: Option<&mut walkers::HttpTiles>,
    commands: &mut Vec<Command>,
) {
    let rect = ui.available_rect_before_wrap();
    if state.fit_pending && rect.width() > 50.0 {
        fit_district(state, rect);
    }
    animate_camera(ui, state);
    let home = state.district.bbox().centre();
    let attribution = tiles.as_ref().map(|t| walkers::Tiles::attribution(&**t));
    let online = tiles.is_some();
    let latest = state.assessment.latest.clone();
    state.map_fills.update(&state.district);
    let AppState {
        map_memory, district, index, situation, selected, now, lang, risk_view, map_fills, scenario, ..
    } = state;
    let view = View {
        fills: map_fills,
        scenario: scenario.as_ref(),
        district,
        index,
        situation,
        selected: *selected,
        now: *now,
        lang: *lang,
        assessment: latest.as_ref().map(|d| &d.assessment),
        risk_view: *risk_view,
    };
    let tiles = tiles.map(|t| t as &mut dyn walkers::Tiles);
    let map = Map::new(tiles, map_memory, lon_lat(home.lon, home.lat)).double_click_to_zoom(true);
    let clicked = map
        .show(ui, |ui, response, projector, _memory| {
            let painter = ui.painter().with_clip_rect(response.rect);
            let zoom = projector.zoom();
            draw_base(&painter, &view, projector, response.rect, online);
            draw_units(&painter, &view, projector, response.rect, zoom);
            if zoom >= BUILDINGS_ZOOM {
                draw_buildings(&painter, &view, projector, response.rect, zoom);
            }
            let poi_spots = draw_scenario(&painter, &view, projector, response.rect, zoom);
            let pulse = (ui.input(|i| i.time) * 3.0).sin() as f32 * 0.5 + 0.5;
            let hits = draw_live(&painter, &view, projector, response.rect, zoom, pulse);
            // Labels last, on top of markers; town names first so they always win a place.
            // Keep labels off the corner buttons and the legend.
            let r = response.rect;
            let mut labels = Labels {
                taken: vec![
                    Rect::from_min_size(r.right_top() + vec2(-430.0, 0.0), vec2(430.0, 56.0)),
                    Rect::from_min_size(r.left_bottom() + vec2(0.0, -130.0), vec2(490.0, 130.0)),
                ],
            };
            draw_unit_names(&painter, &view, projector, response.rect, zoom, &mut labels);
            if zoom >= 12.0 || poi_spots.len() <= 60 {
                for (p, name) in &poi_spots {
                    labels.place(&painter, *p + vec2(0.0, -15.0), name, FontId::proportional(15.0), SCENARIO, true);
                }
            }
            if zoom >= 14.0 {
                for (p, w) in hits.workers.iter().filter_map(|(p, i)| Some((p, view.situation.workers.get(*i)?))) {
                    labels.place(
                        &painter,
                        *p + vec2(0.0, -16.0),
                        &w.name,
                        FontId::proportional(15.0),
                        theme::WORKER,
                        true,
                    );
                }
            }
            legend_ui(&painter, &view, response.rect);
            if let Some(text) = attribution.as_ref().map(|a| a.text) {
                painter.text(
                    response.rect.right_bottom() - vec2(8.0, 6.0),
                    Align2::RIGHT_BOTTOM,
                    format!("© {text}"),
                    FontId::proportional(13.0),
                    theme::DIM,
                );
            }
            hover_card(&painter, &view, projector, response, &hits);
            if response.clicked()
                && let Some(pos) = response.interact_pointer_pos()
            {
                if let Some(id) = hits.event_at(pos) {
                    return Some(Command::SelectEvent(id));
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
                return Some(Command::SelectUnit(unit));
            }
            None
        })
        .inner;
    if let Some(cmd) = clicked {
        commands.push(cmd);
    }
}

/// Set the zoom so the whole district fits `rect`, centred.
pub fn fit_district(state: &mut AppState, rect: Rect) {
    let b = state.district.bbox();
    let frame = pingan_core::LocalFrame::new(b.centre());
    let sw = frame.local_from_lonlat(b.min);
    let ne = frame.local_from_lonlat(b.max);
    let (w_m, h_m) = ((ne[0] - sw[0]).max(1.0), (ne[1] - sw[1]).max(1.0));
    // Web Mercator with 256-px tiles: metres per pixel at zoom z is 156543.03 × cos(lat) / 2^z.
    let m_per_px_z0 = 156_543.03 * b.centre().lat.to_radians().cos();
    let need = (w_m / (rect.width() as f64 * 0.94)).max(h_m / (rect.height() as f64 * 0.94));
    let zoom = (m_per_px_z0 / need).log2().clamp(2.0, 19.0);
    state.map_memory.center_at(lon_lat(b.centre().lon, b.centre().lat));
    state.map_memory.set_zoom(zoom).ok();
    state.fit_pending = false;
}

/// Move the camera along a pending fly-to (eased, [`FLIGHT_S`] seconds).
fn animate_camera(ui: &egui::Ui, state: &mut AppState) {
    let Some(FlyTo { target, zoom }) = state.fly_to else { return };
    let home = state.district.bbox().centre();
    let cur = state.map_memory.detached().map_or(home, |p| LonLat::new(p.x(), p.y()));
    let dt = ui.input(|i| i.stable_dt).clamp(0.0, 0.25);
    let k = (dt / FLIGHT_S * 3.0).clamp(0.0, 1.0) as f64;
    let z = state.map_memory.zoom();
    let mut next = LonLat::new(cur.lon + (target.lon - cur.lon) * k, cur.lat + (target.lat - cur.lat) * k);
    let mut nz = z + (zoom - z) * k;
    if next.distance_m(target) < 2.0 && (nz - zoom).abs() < 0.02 {
        next = target;
        nz = zoom;
        state.fly_to = None;
    } else {
        ui.ctx().request_repaint();
    }
    state.map_memory.center_at(lon_lat(next.lon, next.lat));
    state.map_memory.set_zoom(nz).ok();
}

fn to_ui(projector: &Projector, p: LonLat) -> Pos2 {
    projector.project(lon_lat(p.lon, p.lat)).to_pos2()
}

fn ring_ui(projector: &Projector, ring: &[LonLat]) -> Vec<Pos2> {
    ring.iter().map(|p| to_ui(projector, *p)).collect()
}

/// A ring on screen for stroking: points closer than half a pixel to the last kept one are dropped, and so are
/// vertices where the outline turns back on itself. Real boundaries have both (digitising noise), and egui's miter
/// joins would draw such a turn as a spike across the screen.
fn outline_ui(projector: &Projector, ring: &[LonLat]) -> Vec<Pos2> {
    let mut out: Vec<Pos2> = Vec::with_capacity(ring.len());
    for p in ring {
        let q = to_ui(projector, *p);
        if out.last().is_some_and(|l| l.distance_sq(q) < 0.25) {
            continue;
        }
        // Drop the previous point when the path doubles back through it.
        while out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            let (u, v) = ((b - a).normalized(), (q - b).normalized());
            if u.dot(v) < -0.95 {
                out.pop();
            } else {
                break;
            }
        }
        out.push(q);
    }
    if out.len() > 1 && out.first().zip(out.last()).is_some_and(|(f, l)| f.distance_sq(*l) < 0.25) {
        out.pop();
    }
    out
}

/// The lonlat box the screen shows.
fn view_bbox(projector: &Projector, rect: Rect) -> BBox {
    let a = projector.unproject(rect.left_top().to_vec2());
    let b = projector.unproject(rect.right_bottom().to_vec2());
    BBox { min: LonLat::new(a.x().min(b.x()), a.y().min(b.y())), max: LonLat::new(a.x().max(b.x()), a.y().max(b.y())) }
}

fn visible(poly: &Polygon, view: &BBox) -> bool {
    poly.bbox().is_some_and(|b| {
        b.max.lon >= view.min.lon && b.min.lon <= view.max.lon && b.max.lat >= view.min.lat && b.min.lat <= view.max.lat
    })
}

fn draw_base(painter: &Painter, view: &View<'_>, projector: &Projector, rect: Rect, online: bool) {
    let d = view.district;
    if online {
        // Dim the raster tiles so the overlay reads on a dark wall.
        painter.rect_filled(rect, 0.0, Color32::from_black_alpha(150));
    } else {
        painter.rect_filled(rect, 0.0, theme::BG);
    }
    fill_all(painter, projector, std::iter::once((&view.fills.outline, theme::LAND)));
    let ppm = projector.scale_pixel_per_meter(lon_lat(d.bbox().centre().lon, d.bbox().centre().lat));
    for w in &d.water {
        if w.centreline.is_empty() {
            painter.add(Shape::convex_polygon(ring_ui(projector, &w.area.exterior), theme::WATER, Stroke::NONE));
        } else {
            let width = (w.width_m * ppm).max(2.0);
            painter.add(Shape::line(ring_ui(projector, &w.centreline), Stroke::new(width, theme::WATER)));
        }
    }
    let zoom = projector.zoom();
    let bbox = view_bbox(projector, rect);
    for r in &d.roads {
        let (min_zoom, color, min_px) = match r.class {
            RoadClass::Expressway => (0.0, Color32::from_rgb(168, 120, 52), 2.5),
            RoadClass::Arterial => (10.5, Color32::from_rgb(92, 108, 134), 1.8),
            RoadClass::Secondary => (12.0, Color32::from_rgb(66, 80, 104), 1.2),
            RoadClass::Local => (13.5, Color32::from_rgb(50, 62, 82), 1.0),
        };
        if zoom < min_zoom {
            continue;
        }
        if !r.line.iter().any(|p| bbox.contains(*p)) && r.class != RoadClass::Expressway {
            continue;
        }
        let width = (r.class.width_m() * ppm).max(min_px);
        painter.add(Shape::line(ring_ui(projector, &r.line), Stroke::new(width, color)));
    }
    painter.add(Shape::closed_line(outline_ui(projector, &d.outline.exterior), Stroke::new(3.0, theme::ACCENT)));
}

fn draw_units(painter: &Painter, view: &View<'_>, projector: &Projector, rect: Rect, zoom: f64) {
    let d = view.district;
    let bbox = view_bbox(projector, rect);
    // The five-colour fill at the chosen level (nothing until the first assessment arrives).
    let fill = |grade: pingan_core::assess::Grade| -> Color32 {
        let c = theme::RISK[grade.index()];
        Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), 96)
    };
    if let Some(a) = view.assessment {
        match fill_level(view.risk_view.level, zoom) {
            LevelChoice::Town | LevelChoice::Auto => fill_all(
                painter,
                projector,
                d.towns.iter().filter_map(|t| {
                    Some((view.fills.towns.get(t.id.index())?, fill(a.towns.get(t.id.index())?.grade)))
                }),
            ),
            LevelChoice::Community => fill_all(
                painter,
                projector,
                d.communities.iter().filter(|c| visible(&c.outline, &bbox)).filter_map(|c| {
                    let i = c.id.index();
                    Some((view.fills.communities.get(i)?, fill(a.communities.get(i)?.grade)))
                }),
            ),
            LevelChoice::Grid => fill_all(
                painter,
                projector,
                d.grids.iter().filter(|g| visible(&g.outline, &bbox)).filter_map(|g| {
                    let i = g.id.index();
                    Some((view.fills.grids.get(i)?, fill(a.grids.get(i)?.grade)))
                }),
            ),
        }
    }
    if zoom >= GRIDS_ZOOM {
        for g in d.grids.iter().filter(|g| visible(&g.outline, &bbox)) {
            painter.add(Shape::closed_line(
                outline_ui(projector, &g.outline.exterior),
                Stroke::new(0.8, Color32::from_rgb(70, 96, 130)),
            ));
        }
    }
    if zoom >= COMMUNITIES_ZOOM {
        for c in d.communities.iter().filter(|c| visible(&c.outline, &bbox)) {
            painter.add(Shape::closed_line(
                outline_ui(projector, &c.outline.exterior),
                Stroke::new(1.4, Color32::from_rgb(120, 150, 190)),
            ));
        }
    }
    for t in &d.towns {
        painter.add(Shape::closed_line(
            outline_ui(projector, &t.outline.exterior),
            Stroke::new(2.5, theme::ACCENT.gamma_multiply(0.85)),
        ));
    }
}

/// The colour of imported features drawn over the map.
const SCENARIO: Color32 = Color32::from_rgb(236, 110, 255);

/// Draw the imported scenario: in overlay mode its units, buildings and roads over the district; in either mode its
/// points of interest. Returns where the visible POIs are, for their labels.
fn draw_scenario<'v>(
    painter: &Painter,
    view: &View<'v>,
    projector: &Projector,
    rect: Rect,
    zoom: f64,
) -> Vec<(Pos2, &'v str)> {
    let Some(s) = view.scenario else { return Vec::new() };
    let i = &s.imported;
    let bbox = view_bbox(projector, rect);
    let inside = |ring: &[LonLat]| ring.iter().any(|p| bbox.contains(*p));
    if s.meta.mode == crate::scenario::ImportMode::Overlay {
        for r in &i.roads {
            for l in r.lines.iter().filter(|l| inside(l)) {
                painter.add(Shape::line(ring_ui(projector, l), Stroke::new(2.0, SCENARIO.gamma_multiply(0.8))));
            }
        }
        if zoom >= 13.0 || s.overlay_fills.buildings.len() < 5_000 {
            let overlaps = |b: &BBox| {
                b.max.lon >= bbox.min.lon
                    && b.min.lon <= bbox.max.lon
                    && b.max.lat >= bbox.min.lat
                    && b.min.lat <= bbox.max.lat
            };
            let shown: Vec<&(BBox, Tri, f32)> =
                s.overlay_fills.buildings.iter().filter(|(b, ..)| overlaps(b)).take(20_000).collect();
            fill_all(
                painter,
                projector,
                shown.iter().map(|(_, t, h)| (t, theme::building_color(pingan_core::BuildingKind::MidRise, *h))),
            );
            if zoom >= 15.0 {
                for (_, t, _) in &shown {
                    let n = t.outer;
                    painter.add(Shape::closed_line(outline_ui(projector, &t.points[..n]), Stroke::new(1.0, SCENARIO)));
                }
            }
        }
        for u in &i.units {
            for p in &u.polygons {
                painter.add(Shape::closed_line(outline_ui(projector, &p[0]), Stroke::new(2.5, SCENARIO)));
            }
        }
    }
    let mut spots = Vec::new();
    for p in i.pois.iter().filter(|p| bbox.contains(p.position)) {
        let at = to_ui(projector, p.position);
        painter.circle(at, 5.5, SCENARIO, Stroke::new(1.5, Color32::WHITE));
        if !p.name.is_empty() {
            spots.push((at, p.name.as_str()));
        }
    }
    if s.meta.mode == crate::scenario::ImportMode::Overlay && zoom < 15.0 {
        for u in i.units.iter().filter(|u| !u.name.is_empty()) {
            if let Some(p) = u.polygons.first() {
                let c = Polygon { exterior: p[0].clone(), holes: Vec::new() }.centroid();
                if bbox.contains(c) {
                    spots.push((to_ui(projector, c), u.name.as_str()));
                }
            }
        }
    }
    spots
}

fn draw_buildings(painter: &Painter, view: &View<'_>, projector: &Projector, rect: Rect, zoom: f64) {
    let d = view.district;
    let bbox = view_bbox(projector, rect);
    let outline = zoom >= 16.0;
    for id in view.index.buildings_in(bbox).take(30_000) {
        let Some(b) = d.buildings.get(id.index()) else { continue };
        let pts = ring_ui(projector, &b.footprint.exterior);
        let stroke = if outline { Stroke::new(1.0, Color32::from_rgb(150, 180, 220)) } else { Stroke::NONE };
        painter.add(Shape::convex_polygon(pts, theme::building_color(b.kind, b.height_m), stroke));
    }
}

/// Screen rectangles already taken by labels (decluttering: a label that would overlap is skipped).
/// Shared by the 2D map and the 3D view.
#[derive(Default)]
pub(crate) struct Labels {
    /// Rectangles already used (or reserved for buttons and legends).
    pub taken: Vec<Rect>,
}

impl Labels {
    /// Place text centred at `at` unless it would overlap an earlier label; returns whether it was drawn.
    pub fn place(&mut self, painter: &Painter, at: Pos2, text: &str, font: FontId, color: Color32, halo: bool) -> bool {
        let galley = painter.layout_no_wrap(text.to_string(), font, color);
        let r = Rect::from_center_size(at, galley.size()).expand(2.0);
        if !painter.clip_rect().intersects(r) || self.taken.iter().any(|t| t.intersects(r)) {
            return false;
        }
        self.taken.push(r);
        if halo {
            painter.rect_filled(r, 4.0, Color32::from_black_alpha(140));
        }
        painter.galley(r.min + vec2(2.0, 2.0), galley, color);
        true
    }
}

fn draw_unit_names(
    painter: &Painter,
    view: &View<'_>,
    projector: &Projector,
    rect: Rect,
    zoom: f64,
    labels: &mut Labels,
) {
    let d = view.district;
    let bbox = view_bbox(projector, rect);
    if zoom < 12.2 {
        for t in &d.towns {
            labels.place(painter, to_ui(projector, t.label_at), &t.name, theme::bold(24.0), theme::TEXT, true);
        }
    }
    if (12.2..14.5).contains(&zoom) {
        for c in d.communities.iter().filter(|c| bbox.contains(c.label_at)) {
            labels.place(
                painter,
                to_ui(projector, c.label_at),
                &c.name,
                FontId::proportional(17.0),
                Color32::from_rgb(200, 215, 235),
                false,
            );
        }
    }
    if zoom >= 14.5 {
        for g in d.grids.iter().filter(|g| bbox.contains(g.label_at)) {
            labels.place(
                painter,
                to_ui(projector, g.label_at),
                &g.name,
                FontId::proportional(16.0),
                Color32::from_rgb(190, 205, 230),
                true,
            );
        }
    }
}

/// What is on screen where, for hover and click.
#[derive(Default)]
struct Hits {
    events: Vec<(Pos2, f32, EventId)>,
    workers: Vec<(Pos2, usize)>,
}

impl Hits {
    fn event_at(&self, p: Pos2) -> Option<EventId> {
        self.events
            .iter()
            .filter(|(q, r, _)| q.distance(p) <= r + 4.0)
            .min_by(|a, b| a.0.distance(p).total_cmp(&b.0.distance(p)))
            .map(|(_, _, id)| *id)
    }

    fn worker_at(&self, p: Pos2) -> Option<usize> {
        self.workers
            .iter()
            .filter(|(q, _)| q.distance(p) <= 8.0)
            .min_by(|a, b| a.0.distance(p).total_cmp(&b.0.distance(p)))
            .map(|(_, i)| *i)
    }
}

fn draw_live(painter: &Painter, view: &View<'_>, projector: &Projector, rect: Rect, zoom: f64, pulse: f32) -> Hits {
    let mut hits = Hits::default();
    let bbox = view_bbox(projector, rect);
    // Workers: green dots, names when close enough to read without piling up.
    let worker_r = if zoom >= 14.0 { 5.5 } else { 3.0 };
    for (i, w) in view.situation.workers.iter().enumerate() {
        if !w.status.on_duty() || !bbox.contains(w.position) {
            continue;
        }
        let p = to_ui(projector, w.position);
        let color =
            if matches!(w.status, WorkerStatus::Handling(_)) { Color32::from_rgb(150, 255, 90) } else { theme::WORKER };
        painter.circle(p, worker_r, color, Stroke::new(1.0, Color32::from_rgb(10, 60, 30)));
        hits.workers.push((p, i));
    }
    // Events: open ones, severity-coloured; overdue ones pulse red.
    let r = if zoom >= 14.0 {
        9.0
    } else if zoom >= 12.0 {
        7.0
    } else {
        5.0
    };
    let mut selected = None;
    for e in view.situation.events.iter().filter(|e| e.state.is_open() || Some(e.id) == view.selected) {
        if !bbox.contains(e.position) {
            continue;
        }
        let p = to_ui(projector, e.position);
        if e.is_overdue(view.now) {
            painter.circle_stroke(
                p,
                r + 3.0 + pulse * 5.0,
                Stroke::new(2.0, theme::OVERDUE.gamma_multiply(1.0 - pulse * 0.6)),
            );
        }
        painter.circle(p, r, theme::severity_color(e.severity), Stroke::new(1.5, Color32::from_rgb(15, 20, 30)));
        hits.events.push((p, r, e.id));
        if Some(e.id) == view.selected {
            selected = Some(p);
        }
    }
    if let Some(p) = selected {
        painter.circle_stroke(p, r + 8.0, Stroke::new(3.0, Color32::WHITE));
        painter.circle_stroke(p, r + 14.0, Stroke::new(1.5, Color32::WHITE.gamma_multiply(0.5)));
    }
    hits
}

fn hover_card(painter: &Painter, view: &View<'_>, projector: &Projector, response: &egui::Response, hits: &Hits) {
    let Some(pos) = response.hover_pos() else { return };
    let lang = view.lang;
    let d = view.district;
    let mut lines: Vec<(String, Color32)> = Vec::new();
    if let Some(e) = hits.event_at(pos).and_then(|id| view.situation.event(id)) {
        lines.push((format!("{} · {}", e.category.name_in(lang), e.title), theme::severity_color(e.severity)));
        lines.push((format!("{} · {}", e.number, e.state.name_in(lang)), theme::TEXT));
        lines.push((e.place.clone(), theme::DIM));
    } else if let Some(w) = hits.worker_at(pos).and_then(|i| view.situation.workers.get(i)) {
        lines.push((
            format!("{} · {}{}", w.name, w.kind.name_in(lang), lang.tr("网格员", " grid worker")),
            theme::WORKER,
        ));
        lines.push((w.status.name_in(lang).to_string(), theme::TEXT));
        lines.push((crate::format::worker_place(d, w), theme::DIM));
    } else {
        let p = projector.unproject(pos.to_vec2());
        let p = LonLat::new(p.x(), p.y());
        if projector.zoom() >= BUILDINGS_ZOOM
            && let Some(b) = view.index.building_at(d, p).and_then(|b| d.buildings.get(b.index()))
        {
            lines.push((format!("{} · {}", b.name, b.kind.name_in(lang)), theme::TEXT));
            lines.push((
                format!("{} {:.0} m · {} {}", b.floors, b.height_m, b.population, lang.tr("人", "people")),
                theme::DIM,
            ));
            lines.push((b.code.segmented(), theme::DIM));
        } else if let Some(g) = view.index.grid_at(d, p).and_then(|g| d.grids.get(g.index())) {
            lines.push((crate::format::grid_place(d, g.id), theme::TEXT));
            lines.push((crate::format::unit_stats(g.stats, lang), theme::DIM));
        }
    }
    if lines.is_empty() {
        return;
    }
    let font = FontId::proportional(16.0);
    let galleys: Vec<_> = lines.into_iter().map(|(t, c)| painter.layout_no_wrap(t, font.clone(), c)).collect();
    let w = galleys.iter().map(|g| g.size().x).fold(0.0, f32::max) + 16.0;
    let h = galleys.iter().map(|g| g.size().y).sum::<f32>() + 12.0;
    let mut at = pos + vec2(16.0, 16.0);
    let clip = painter.clip_rect();
    if at.x + w > clip.right() {
        at.x = pos.x - w - 16.0;
    }
    if at.y + h > clip.bottom() {
        at.y = pos.y - h - 16.0;
    }
    let card = Rect::from_min_size(at, vec2(w, h));
    painter.rect(
        card,
        6.0,
        theme::PANEL.gamma_multiply(0.95),
        Stroke::new(1.0, theme::ACCENT),
        egui::StrokeKind::Inside,
    );
    let mut y = at.y + 6.0;
    for g in galleys {
        let gh = g.size().y;
        painter.galley(pos2(at.x + 8.0, y), g, theme::TEXT);
        y += gh;
    }
}

fn legend_ui(painter: &Painter, view: &View<'_>, rect: Rect) {
    let lang = view.lang;
    let font = FontId::proportional(15.0);
    let items: Vec<(Color32, &str)> = vec![
        (theme::severity_color(pingan_core::Severity::Critical), pingan_core::Severity::Critical.name_in(lang)),
        (theme::severity_color(pingan_core::Severity::Major), pingan_core::Severity::Major.name_in(lang)),
        (theme::severity_color(pingan_core::Severity::Significant), pingan_core::Severity::Significant.name_in(lang)),
        (theme::severity_color(pingan_core::Severity::General), pingan_core::Severity::General.name_in(lang)),
        (theme::WORKER, lang.tr("网格员", "Grid worker")),
    ];
    let risk_names = [
        lang.tr("红", "Red"),
        lang.tr("橙", "Orange"),
        lang.tr("黄", "Yellow"),
        lang.tr("蓝", "Blue"),
        lang.tr("绿", "Green"),
    ];
    let card = Rect::from_min_size(rect.left_bottom() + vec2(10.0, -118.0), vec2(470.0, 108.0));
    painter.rect_filled(card, 6.0, theme::PANEL.gamma_multiply(0.92));
    let mut x = card.left() + 12.0;
    let y1 = card.top() + 22.0;
    painter.text(pos2(x, y1), Align2::LEFT_CENTER, lang.tr("事件", "Events"), font.clone(), theme::DIM);
    x += 44.0;
    for (c, t) in items {
        painter.circle_filled(pos2(x + 6.0, y1), 6.0, c);
        let r = painter.text(pos2(x + 16.0, y1), Align2::LEFT_CENTER, t, font.clone(), theme::TEXT);
        x = r.right() + 12.0;
    }
    let y2 = card.top() + 56.0;
    let mut x = card.left() + 12.0;
    painter.text(pos2(x, y2), Align2::LEFT_CENTER, lang.tr("风险", "Risk"), font.clone(), theme::DIM);
    x += 44.0;
    for (c, t) in theme::RISK.iter().zip(risk_names) {
        painter.rect_filled(Rect::from_min_size(pos2(x, y2 - 8.0), vec2(22.0, 16.0)), 3.0, *c);
        let r = painter.text(pos2(x + 28.0, y2), Align2::LEFT_CENTER, t, font.clone(), theme::TEXT);
        x = r.right() + 14.0;
    }
    painter.text(
        pos2(card.left() + 12.0, card.top() + 88.0),
        Align2::LEFT_CENTER,
        format!(
            "{}：{} · {} · {}",
            lang.tr("五色研判", "Five-colour assessment"),
            RiskView::period_label(view.risk_view.period, lang),
            RiskView::category_label(view.risk_view.category, lang),
            lang.tr("按复杂度加权（不唯量）", "weighted by complexity")
        ),
        FontId::proportional(15.0),
        theme::DIM,
    );
}
