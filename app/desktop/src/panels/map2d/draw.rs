//! Drawing the 2D map's layers through walkers' projector: base (land, water, roads, outline), the five-colour unit
//! fills and boundaries, buildings, an imported scenario, live events and workers, hover card and legend.

use super::{BUILDINGS_ZOOM, COMMUNITIES_ZOOM, GRIDS_ZOOM, View, fill_level};
use crate::i18n::Named;
use crate::panels::labels::Labels;
use crate::services::assessment::{LevelChoice, RiskView};
use crate::services::fills::Tri;
use crate::services::import_job::ImportMode;
use crate::theme;
use egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Shape, Stroke, pos2, vec2};
use pingan_core::routing::Urgency;
use pingan_core::{EventId, LonLat, Polygon, RoadClass, WorkerStatus, geom::BBox};
use walkers::{Projector, lon_lat};

/// Fill triangulated polygons, one colour each, as one mesh.
pub(super) fn fill_all<'t>(
    out: &mut Vec<Shape>,
    projector: &Projector,
    tris: impl Iterator<Item = (&'t Tri, Color32)>,
) {
    let mut mesh = egui::Mesh::default();
    for (t, color) in tris {
        let base = mesh.vertices.len() as u32;
        for p in &t.points {
            mesh.colored_vertex(to_ui(projector, *p), color);
        }
        mesh.indices.extend(t.indices.iter().map(|i| base + i));
    }
    if !mesh.indices.is_empty() {
        out.push(Shape::mesh(mesh));
    }
}

pub(super) fn to_ui(projector: &Projector, p: LonLat) -> Pos2 {
    projector.project(lon_lat(p.lon, p.lat)).to_pos2()
}

pub(super) fn ring_ui(projector: &Projector, ring: &[LonLat]) -> Vec<Pos2> {
    ring.iter().map(|p| to_ui(projector, *p)).collect()
}

/// A ring on screen for stroking: points closer than half a pixel to the last kept one are dropped, and so are
/// vertices where the outline turns back on itself. Real boundaries have both (digitising noise), and egui's miter
/// joins would draw such a turn as a spike across the screen.
pub(super) fn outline_ui(projector: &Projector, ring: &[LonLat]) -> Vec<Pos2> {
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
pub(super) fn view_bbox(projector: &Projector, rect: Rect) -> BBox {
    let a = projector.unproject(rect.left_top().to_vec2());
    let b = projector.unproject(rect.right_bottom().to_vec2());
    BBox { min: LonLat::new(a.x().min(b.x()), a.y().min(b.y())), max: LonLat::new(a.x().max(b.x()), a.y().max(b.y())) }
}

pub(super) fn visible(poly: &Polygon, view: &BBox) -> bool {
    poly.bbox().is_some_and(|b| {
        b.max.lon >= view.min.lon && b.min.lon <= view.max.lon && b.max.lat >= view.min.lat && b.min.lat <= view.max.lat
    })
}

pub(super) fn draw_base(out: &mut Vec<Shape>, view: &View<'_>, projector: &Projector, rect: Rect, online: bool) {
    let d = view.district;
    if online {
        // Dim the raster tiles so the overlay reads on a dark wall.
        out.push(Shape::rect_filled(rect, 0.0, Color32::from_black_alpha(150)));
    } else {
        out.push(Shape::rect_filled(rect, 0.0, theme::BG));
    }
    // Over a basemap the land is only a tint, so its streets and rivers show through.
    let land = if online { theme::LAND.gamma_multiply(0.35) } else { theme::LAND };
    fill_all(out, projector, std::iter::once((&view.fills.outline, land)));
    let ppm = projector.scale_pixel_per_meter(lon_lat(d.bbox().centre().lon, d.bbox().centre().lat));
    for w in &d.water {
        if w.centreline.is_empty() {
            out.push(Shape::convex_polygon(ring_ui(projector, &w.area.exterior), theme::WATER, Stroke::NONE));
        } else {
            let width = (w.width_m * ppm).max(2.0);
            out.push(Shape::line(ring_ui(projector, &w.centreline), Stroke::new(width, theme::WATER)));
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
        out.push(Shape::line(ring_ui(projector, &r.line), Stroke::new(width, color)));
    }
    out.push(Shape::closed_line(outline_ui(projector, &d.outline.exterior), Stroke::new(3.0, theme::ACCENT)));
}

pub(super) fn draw_units(out: &mut Vec<Shape>, view: &View<'_>, projector: &Projector, rect: Rect, zoom: f64) {
    let d = view.district;
    let bbox = view_bbox(projector, rect);
    // The five-colour fill at the chosen level (nothing until the first assessment arrives).
    let fill = |grade: pingan_core::assess::Grade| -> Color32 {
        let c = theme::RISK[grade.index()];
        Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), 96)
    };
    if let Some(heat) = view.heat {
        // The search's matches per grid: the more, the redder and the more opaque (square root: a few hot grids do
        // not wash out the rest).
        let max = heat.iter().copied().max().unwrap_or(0).max(1) as f32;
        fill_all(
            out,
            projector,
            d.grids
                .iter()
                .filter(|g| visible(&g.outline, &bbox))
                .filter_map(|g| {
                    let n = *heat.get(g.id.index())?;
                    (n > 0).then(|| (view.fills.grids.get(g.id.index()), heat_color(n as f32 / max)))
                })
                .filter_map(|(t, c)| Some((t?, c))),
        );
    } else if let Some(a) = view.assessment {
        match fill_level(view.risk_view.level, zoom) {
            LevelChoice::Town | LevelChoice::Auto => fill_all(
                out,
                projector,
                d.towns.iter().filter_map(|t| {
                    Some((view.fills.towns.get(t.id.index())?, fill(a.towns.get(t.id.index())?.grade)))
                }),
            ),
            LevelChoice::Community => fill_all(
                out,
                projector,
                d.communities.iter().filter(|c| visible(&c.outline, &bbox)).filter_map(|c| {
                    let i = c.id.index();
                    Some((view.fills.communities.get(i)?, fill(a.communities.get(i)?.grade)))
                }),
            ),
            LevelChoice::Grid => fill_all(
                out,
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
            out.push(Shape::closed_line(
                outline_ui(projector, &g.outline.exterior),
                Stroke::new(0.8, Color32::from_rgb(70, 96, 130)),
            ));
        }
    }
    if zoom >= COMMUNITIES_ZOOM {
        for c in d.communities.iter().filter(|c| visible(&c.outline, &bbox)) {
            out.push(Shape::closed_line(
                outline_ui(projector, &c.outline.exterior),
                Stroke::new(1.4, Color32::from_rgb(120, 150, 190)),
            ));
        }
    }
    for t in &d.towns {
        out.push(Shape::closed_line(
            outline_ui(projector, &t.outline.exterior),
            Stroke::new(2.5, theme::ACCENT.gamma_multiply(0.85)),
        ));
    }
}

/// The heat map's colour for a share `t` (0..1) of the hottest grid's matches: pale yellow to deep red.
pub(super) fn heat_color(t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0).sqrt();
    let lerp = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    Color32::from_rgba_unmultiplied(255, lerp(230, 30), lerp(90, 20), lerp(110, 225))
}

/// The colour of imported features drawn over the map.
pub(super) const SCENARIO: Color32 = Color32::from_rgb(236, 110, 255);

/// Draw the imported scenario: in overlay mode its units, buildings and roads over the district; in either mode its
/// points of interest. Returns where the visible POIs are, for their labels.
pub(super) fn draw_scenario<'v>(
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
    if s.meta.mode == ImportMode::Overlay {
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
            let mut fills = Vec::new();
            fill_all(
                &mut fills,
                projector,
                shown.iter().map(|(_, t, h)| (t, theme::building_color(pingan_core::BuildingKind::MidRise, *h))),
            );
            painter.extend(fills);
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
    if s.meta.mode == ImportMode::Overlay && zoom < 15.0 {
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

/// Buildings, coloured by kind; from [`super::BUILDING_GRADES_ZOOM`] in, by their own five-colour grade.
pub(super) fn draw_buildings(out: &mut Vec<Shape>, view: &View<'_>, projector: &Projector, rect: Rect, zoom: f64) {
    let d = view.district;
    let bbox = view_bbox(projector, rect);
    let outline = zoom >= 16.0;
    let grades = view.assessment.filter(|_| zoom >= super::BUILDING_GRADES_ZOOM).map(|a| &a.buildings);
    // Courtyards and concave outlines: their triangles (made once per district) gathered into one mesh.
    let (mut triangulated, mut rings) = (Vec::new(), Vec::new());
    let edge = Stroke::new(1.0, Color32::from_rgb(150, 180, 220));
    let stroke = if outline { edge } else { Stroke::NONE };
    for id in view.index.buildings_in(bbox).take(30_000) {
        let Some(b) = d.buildings.get(id.index()) else { continue };
        let fill = match grades.and_then(|g| g.get(id.index())) {
            Some(s) => theme::RISK[s.grade.index()].gamma_multiply(0.8),
            None => theme::building_color(b.kind, b.height_m),
        };
        if let Some(tri) = view.fills.buildings.get(&(id.index() as u32)) {
            triangulated.push((tri, fill));
            if outline {
                rings.extend(std::iter::once(&b.footprint.exterior).chain(&b.footprint.holes));
            }
            continue;
        }
        out.push(Shape::convex_polygon(ring_ui(projector, &b.footprint.exterior), fill, stroke));
    }
    fill_all(out, projector, triangulated.into_iter());
    out.extend(rings.into_iter().map(|ring| Shape::closed_line(ring_ui(projector, ring), edge)));
}

pub(super) fn draw_unit_names(
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
pub(super) struct Hits {
    events: Vec<(Pos2, f32, EventId)>,
    /// Workers on screen (position, index into the situation's workers).
    pub workers: Vec<(Pos2, usize)>,
    /// Whether a pulsing marker is on screen (newly overdue: the map needs animation frames).
    pub pulsing: bool,
    /// What the event markers on screen carry.
    pub marks: crate::state::view::Marks,
}

impl Hits {
    /// The event marker under `p`, the nearest if several.
    pub fn event_at(&self, p: Pos2) -> Option<EventId> {
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

/// Coverage voids: each grid without a worker for the configured minutes, outlined in dashed magenta (from the
/// communities' zoom in; the coverage tab lists them all).
pub(super) fn draw_voids(painter: &Painter, view: &View<'_>, projector: &Projector, rect: Rect, zoom: f64) {
    if zoom < COMMUNITIES_ZOOM {
        return;
    }
    let bbox = view_bbox(projector, rect);
    for v in view.voids {
        let Some(g) = view.district.grids.get(v.grid.index()) else { continue };
        if !visible(&g.outline, &bbox) {
            continue;
        }
        let mut ring = outline_ui(projector, &g.outline.exterior);
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
        let stroke = Stroke::new(2.5, crate::panels::coverage::VOID);
        painter.extend(Shape::dashed_line(&ring, stroke, 10.0, 6.0));
    }
}

pub(super) fn draw_live(
    painter: &Painter,
    view: &View<'_>,
    projector: &Projector,
    rect: Rect,
    zoom: f64,
    pulse: f32,
) -> Hits {
    let mut hits = Hits::default();
    let bbox = view_bbox(projector, rect);
    // Workers: green dots, names when close enough to read without piling up.
    let worker_r = if zoom >= 14.0 { 5.5 } else { 3.0 };
    for (i, w) in view.situation.workers.iter().enumerate() {
        if !w.status.on_duty() || !bbox.contains(w.position) {
            continue;
        }
        let p = to_ui(projector, w.position);
        let color = if view.now - w.seen_at > view.stale_after {
            // Stale (TAK): where they were, greyed; they cover nothing until they report again.
            crate::panels::coverage::STALE
        } else if matches!(w.status, WorkerStatus::Handling(_)) {
            Color32::from_rgb(150, 255, 90)
        } else {
            theme::WORKER
        };
        painter.circle(p, worker_r, color, Stroke::new(1.0, Color32::from_rgb(10, 60, 30)));
        hits.workers.push((p, i));
    }
    // Events: open ones (with a drill, exactly its live events), severity-coloured; overdue ones pulse red.
    let r = if zoom >= 14.0 {
        9.0
    } else if zoom >= 12.0 {
        7.0
    } else {
        5.0
    };
    let mut selected = None;
    for e in view.situation.events.iter().filter(|e| crate::state::on_map(view.drill.as_ref(), e, view.selected)) {
        if !bbox.contains(e.position) {
            continue;
        }
        let p = to_ui(projector, e.position);
        if crate::panels::pulsing(e, view.now) {
            hits.pulsing = true;
            painter.circle_stroke(
                p,
                r + 3.0 + pulse * 5.0,
                Stroke::new(2.0, theme::OVERDUE.gamma_multiply(1.0 - pulse * 0.6)),
            );
        } else if e.is_overdue(view.now) {
            painter.circle_stroke(p, r + 5.0, Stroke::new(2.0, theme::OVERDUE.gamma_multiply(0.8)));
        }
        match view.routing.urgency(e, view.now) {
            Urgency::Overdue => hits.marks.overdue += 1,
            Urgency::Near => {
                // Near its deadline: an amber timer ring, its arc the share of the time limit left.
                hits.marks.near += 1;
                let limit = view.routing.time_limit(e.level, e.severity).num_seconds().max(1) as f32;
                let left = ((e.deadline - view.now).num_seconds() as f32 / limit).clamp(0.0, 1.0);
                timer_ring(painter, p, r + 5.0, left / view.routing.warn_share as f32);
            }
            Urgency::Calm => {}
        }
        painter.circle(p, r, theme::severity_color(e.severity), Stroke::new(1.5, Color32::from_rgb(15, 20, 30)));
        if e.escalated() && e.state.is_open() {
            // Escalated: the level it is at now, in a badge beside the marker.
            hits.marks.escalated += 1;
            let badge = Rect::from_center_size(p + vec2(r + 10.0, -r - 5.0), vec2(22.0, 21.0));
            painter.rect_filled(badge, 4.0, theme::OVERDUE);
            let letter = view.lang.tr(&e.level.zh()[..3], &e.level.en()[..1]);
            painter.text(badge.center(), Align2::CENTER_CENTER, letter, FontId::proportional(15.0), Color32::WHITE);
        }
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

/// An amber ring around a marker, drawn for the share `left` (0..1) of the warning window still to run, from
/// twelve o'clock clockwise, over a faint full ring.
fn timer_ring(painter: &Painter, centre: Pos2, radius: f32, left: f32) {
    painter.circle_stroke(centre, radius, Stroke::new(1.5, theme::AMBER.gamma_multiply(0.35)));
    let n = 32;
    let end = (left.clamp(0.0, 1.0) * n as f32).ceil() as usize;
    let points: Vec<Pos2> = (0..=end)
        .map(|i| {
            let a = -std::f32::consts::FRAC_PI_2 + (i as f32 / n as f32) * std::f32::consts::TAU;
            centre + vec2(a.cos(), a.sin()) * radius
        })
        .collect();
    if points.len() >= 2 {
        painter.add(Shape::line(points, Stroke::new(3.0, theme::AMBER)));
    }
}

pub(super) fn hover_card(
    painter: &Painter,
    view: &View<'_>,
    projector: &Projector,
    response: &egui::Response,
    hits: &Hits,
) {
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

pub(super) fn legend_ui(painter: &Painter, view: &View<'_>, rect: Rect) {
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
    let card = Rect::from_min_size(rect.left_bottom() + vec2(10.0, -150.0), vec2(560.0, 140.0));
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
    // A patrol task book's badge over its grid.
    let badge = Rect::from_min_size(pos2(x, y1 - 10.0), vec2(22.0, 20.0));
    painter.rect_filled(badge, 4.0, theme::ACCENT);
    painter.text(badge.center(), Align2::CENTER_CENTER, lang.tr("巡", "P"), theme::bold(15.0), Color32::WHITE);
    painter.text(
        pos2(x + 28.0, y1),
        Align2::LEFT_CENTER,
        lang.tr("巡查任务书", "task book"),
        font.clone(),
        theme::TEXT,
    );
    let y2 = card.top() + 56.0;
    let mut x = card.left() + 12.0;
    if let Some(heat) = view.heat {
        // While a search is on, the fills are its heat, not the five colours.
        let max = heat.iter().copied().max().unwrap_or(0);
        painter.text(pos2(x, y2), Align2::LEFT_CENTER, lang.tr("搜索热度", "Matches"), font.clone(), theme::DIM);
        x += 80.0;
        for k in 0..=5 {
            let r = Rect::from_min_size(pos2(x + k as f32 * 22.0, y2 - 8.0), vec2(22.0, 16.0));
            painter.rect_filled(r, 0.0, heat_color(k as f32 / 5.0));
        }
        let text = format!("1 → {max} {}", lang.tr("条/网格", "per grid"));
        painter.text(pos2(x + 6.0 * 22.0 + 8.0, y2), Align2::LEFT_CENTER, text, font.clone(), theme::TEXT);
    }
    let risk_names = if view.heat.is_some() { [""; 5] } else { risk_names };
    if view.heat.is_none() {
        painter.text(pos2(x, y2), Align2::LEFT_CENTER, lang.tr("风险", "Risk"), font.clone(), theme::DIM);
    }
    x += 44.0;
    for (c, t) in theme::RISK.iter().zip(risk_names).filter(|(_, t)| !t.is_empty()) {
        painter.rect_filled(Rect::from_min_size(pos2(x, y2 - 8.0), vec2(22.0, 16.0)), 3.0, *c);
        let r = painter.text(pos2(x + 28.0, y2), Align2::LEFT_CENTER, t, font.clone(), theme::TEXT);
        x = r.right() + 14.0;
    }
    // The command loop's marks: timer ring, overdue ring, level badge.
    let y3 = card.top() + 88.0;
    let mut x = card.left() + 12.0;
    painter.text(pos2(x, y3), Align2::LEFT_CENTER, lang.tr("时限", "Deadline"), font.clone(), theme::DIM);
    x += 44.0;
    painter.circle_stroke(pos2(x + 8.0, y3), 7.0, Stroke::new(3.0, theme::AMBER));
    let r =
        painter.text(pos2(x + 20.0, y3), Align2::LEFT_CENTER, lang.tr("临近时限", "near"), font.clone(), theme::TEXT);
    x = r.right() + 14.0;
    painter.circle_stroke(pos2(x + 8.0, y3), 7.0, Stroke::new(2.0, theme::OVERDUE));
    let r =
        painter.text(pos2(x + 20.0, y3), Align2::LEFT_CENTER, lang.tr("已逾期", "overdue"), font.clone(), theme::TEXT);
    x = r.right() + 14.0;
    let badge = Rect::from_min_size(pos2(x, y3 - 10.5), vec2(22.0, 21.0));
    painter.rect_filled(badge, 4.0, theme::OVERDUE);
    painter.text(badge.center(), Align2::CENTER_CENTER, lang.tr("镇", "T"), FontId::proportional(15.0), Color32::WHITE);
    painter.text(
        pos2(x + 26.0, y3),
        Align2::LEFT_CENTER,
        lang.tr("已升级至该层级", "escalated to that level"),
        font.clone(),
        theme::TEXT,
    );
    painter.text(
        pos2(card.left() + 12.0, card.top() + 120.0),
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
