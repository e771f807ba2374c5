//! The 3D map panel: `pingan-render`'s offscreen frame composited into egui through a paint callback, with
//! camera controls, picking, and labels drawn by egui on top.
//!
//! Controls: drag to pan, right-drag (or Shift+drag) to rotate and tilt, scroll to zoom, arrow keys to pan,
//! `Q`/`E` to rotate, `PageUp`/`PageDown` to tilt, `N` or the 北 button to face north.

mod card;
mod gpu;

pub use gpu::{Map3dPanel, upload};

use crate::i18n::{Lang, Named};
use crate::panels::labels::Labels;
use crate::services::assessment::LevelChoice;
use crate::state::view::View3d;
use crate::state::{AppState, Command, Picked};
use crate::theme;
use eframe::egui_wgpu;
use egui::{Color32, FontId, Pos2, Rect, Sense, vec2};
use gpu::Frame3d;
use pingan_core::{EventId, WorkerStatus};
use pingan_render::{Camera, FillLevel, Flight, Marker};

fn srgb(c: Color32) -> [f32; 4] {
    [c.r() as f32 / 255.0, c.g() as f32 / 255.0, c.b() as f32 / 255.0, 1.0]
}

/// Draw the 3D view; clicks on events become commands, clicks on buildings open their card.
pub fn view3d_ui(ui: &mut egui::Ui, state: &AppState, view: &mut View3d, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    view.last_size = rect.size();
    view.last_rect = rect;
    if let Some((at, zoom)) = view.pending_sync.take() {
        let pitch = view.camera.pitch_deg;
        view.sync_from_2d(at, zoom, rect.height());
        view.camera.pitch_deg = pitch.max(45.0);
    }
    let painter = ui.painter().with_clip_rect(rect);
    if !view.gpu {
        painter.rect_filled(rect, 0.0, theme::BG);
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            lang.tr("3D 视图需要 GPU 渲染器（wgpu）", "The 3D view needs the wgpu renderer"),
            FontId::proportional(22.0),
            theme::DIM,
        );
        return;
    }
    let ppp = ui.ctx().pixels_per_point();
    let size_px = [(rect.width() * ppp).round().max(1.0) as u32, (rect.height() * ppp).round().max(1.0) as u32];
    let size = [rect.width(), rect.height()];
    controls(ui, &response, rect, view);
    advance_flight(ui, view);
    let camera = view.camera;
    let (unit_colors, fill_level) = unit_fill(state, view, &camera);
    let mut shown = markers_of(state, view, &camera, rect);
    let hovered_building = response.hover_pos().and_then(|p| {
        let local = [p.x - rect.min.x, p.y - rect.min.y];
        let (o, dir) = camera.ray(local, size);
        view.scene.pick_building(o, dir).map(|(b, _)| b)
    });
    painter.add(egui_wgpu::Callback::new_paint_callback(
        rect,
        Frame3d {
            camera,
            size_px,
            fill_level: (!unit_colors.is_empty()).then_some(fill_level),
            highlight_building: match view.card {
                Some(Picked::Building(b)) => Some(b),
                _ => hovered_building,
            },
            time_s: ui.input(|i| i.time) as f32,
            markers: std::mem::take(&mut shown.markers),
            unit_colors,
        },
    ));
    if shown.pulsing {
        // Overdue beacons pulse (in the shader, by time): frames at the capped animation rate while one is on screen.
        ui.ctx().request_repaint_after(theme::ANIMATION_FRAME);
    }
    labels_3d(&painter, state, view, rect, &shown.worker_px);
    // Picking: events first (screen distance to the beacon's disc), then buildings (exact ray test).
    if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        commands.extend(pick(state, view, rect, p, &shown, hovered_building));
    }
    if let Some(picked) = view.card {
        card::card_ui(&painter, rect, state, picked, lang);
    } else if let (Some(b), Some(p)) =
        (hovered_building.and_then(|b| state.district.buildings.get(b.index())), response.hover_pos())
    {
        painter.text(
            p + vec2(16.0, 16.0),
            egui::Align2::LEFT_TOP,
            format!("{} · {}", b.name, b.kind.name_in(lang)),
            FontId::proportional(16.0),
            theme::TEXT,
        );
    }
    compass_ui(ui, rect, view, lang);
}

/// Move the camera along a flight in progress (asking for the next frame until it lands).
fn advance_flight(ui: &egui::Ui, view: &mut View3d) {
    let dt = ui.input(|i| i.stable_dt).clamp(0.0, 0.25) as f64;
    if let Some(f) = view.flight.as_mut() {
        let (cam, done) = f.step(dt);
        view.camera = cam;
        if done {
            view.flight = None;
        } else {
            ui.ctx().request_repaint();
        }
    }
}

/// The five-colour fill from the assessment (towns', communities' and grids' colours; none before the first
/// assessment) and the level it shows: the chosen one, or by the camera's distance.
fn unit_fill(state: &AppState, view: &View3d, camera: &Camera) -> (Vec<[f32; 4]>, FillLevel) {
    let latest = state.assessment.latest.clone();
    let mut unit_colors = Vec::with_capacity(view.scene.unit_slots);
    if let Some(a) = latest.as_ref().map(|l| &l.assessment) {
        unit_colors.extend(a.towns.iter().map(|s| srgb(theme::RISK[s.grade.index()])));
        unit_colors.extend(a.communities.iter().map(|s| srgb(theme::RISK[s.grade.index()])));
        unit_colors.extend(a.grids.iter().map(|s| srgb(theme::RISK[s.grade.index()])));
    }
    let fill_level = match state.risk_view.level {
        LevelChoice::Town => FillLevel::Town,
        LevelChoice::Community => FillLevel::Community,
        LevelChoice::Grid => FillLevel::Grid,
        LevelChoice::Auto => match camera.distance_m {
            x if x > 25_000.0 => FillLevel::Town,
            x if x > 6_000.0 => FillLevel::Community,
            _ => FillLevel::Grid,
        },
    };
    (unit_colors, fill_level)
}

/// The markers of a frame and where they are on screen.
struct Shown {
    /// For the renderer: events' beacons, workers' and points of interest's dots.
    markers: Vec<Marker>,
    /// Each beacon's top on screen, for clicks.
    event_hits: Vec<(Pos2, EventId)>,
    /// On-duty workers on screen (close up only), as indices into the situation's workers.
    worker_px: Vec<(Pos2, usize)>,
    /// Whether a pulsing beacon is on screen.
    pulsing: bool,
}

/// Markers: open events as beacons, on-duty workers as dots, an imported scenario's points of interest.
fn markers_of(state: &AppState, view: &View3d, camera: &Camera, rect: Rect) -> Shown {
    let size = [rect.width(), rect.height()];
    let close = camera.distance_m < 4_000.0;
    let mut shown = Shown { markers: Vec::new(), event_hits: Vec::new(), worker_px: Vec::new(), pulsing: false };
    event_markers(state, view, camera, rect, &mut shown);
    for (i, w) in state.situation.workers.iter().enumerate().filter(|(_, w)| w.status.on_duty()) {
        let p = view.local(w.position);
        let color =
            if matches!(w.status, WorkerStatus::Handling(_)) { Color32::from_rgb(150, 255, 90) } else { theme::WORKER };
        shown.markers.push(Marker::worker([p[0] as f32, p[1] as f32, 0.0], srgb(color), if close { 6.0 } else { 3.0 }));
        if close && let Some(s) = camera.project([p[0], p[1], 0.0], size) {
            shown.worker_px.push((rect.min + vec2(s[0], s[1]), i));
        }
    }
    // The imported scenario's points of interest, in the overlay colour of the 2D map.
    if let Some(sc) = &state.scenario {
        for poi in &sc.imported.pois {
            let p = view.local(poi.position);
            shown.markers.push(Marker::worker(
                [p[0] as f32, p[1] as f32, 0.0],
                [0.93, 0.43, 1.0, 1.0],
                if close { 8.0 } else { 5.0 },
            ));
        }
    }
    shown
}

/// The beacons of the events on the map (the selection ringed, long-overdue ones haloed, new overdue ones
/// pulsing), with where each is on screen.
fn event_markers(state: &AppState, view: &View3d, camera: &Camera, rect: Rect, shown: &mut Shown) {
    let size = [rect.width(), rect.height()];
    let close = camera.distance_m < 4_000.0;
    let drill = state.drill_match();
    for e in state.situation.events.iter().filter(|e| crate::state::on_map(drill.as_ref(), e, state.selected)) {
        let p = view.local(e.position);
        let beam = (60.0 + 40.0 * e.severity as u8 as f64) * (camera.distance_m / 3000.0).clamp(0.3, 8.0);
        if state.selected == Some(e.id) {
            // The selection: a white ring around the beacon's disc.
            shown.markers.push(Marker::event(
                [p[0] as f32, p[1] as f32, 0.0],
                [1.0, 1.0, 1.0, 1.0],
                16.0,
                beam as f32,
                false,
            ));
        }
        let overdue = e.is_overdue(state.now);
        let pulse = crate::panels::pulsing(e, state.now);
        if overdue && !pulse {
            // Overdue for a while: a steady red halo instead of the pulse (which needs animation frames).
            let red = srgb(theme::OVERDUE);
            shown.markers.push(Marker::event(
                [p[0] as f32, p[1] as f32, 0.0],
                red,
                if close { 13.0 } else { 8.5 },
                0.0,
                false,
            ));
        }
        shown.markers.push(Marker::event(
            [p[0] as f32, p[1] as f32, 0.0],
            srgb(theme::severity_color(e.severity)),
            if close { 9.0 } else { 5.5 },
            beam as f32,
            pulse,
        ));
        if let Some(s) = camera.project([p[0], p[1], beam], size) {
            let at = rect.min + vec2(s[0], s[1]);
            shown.event_hits.push((at, e.id));
            // Its disc on the ground or the top of its beam on screen: the pulse shows.
            let ground = camera.project([p[0], p[1], 0.0], size).map(|s| rect.min + vec2(s[0], s[1]));
            shown.pulsing |=
                pulse && (rect.expand(40.0).contains(at) || ground.is_some_and(|g| rect.expand(40.0).contains(g)));
        }
    }
}

/// Labels by egui on top, decluttered: towns far away, workers close up; kept off the corner buttons.
fn labels_3d(painter: &egui::Painter, state: &AppState, view: &View3d, rect: Rect, worker_px: &[(Pos2, usize)]) {
    let camera = view.camera;
    let size = [rect.width(), rect.height()];
    let mut labels = Labels {
        taken: vec![
            Rect::from_min_size(rect.right_top() + vec2(-430.0, 0.0), vec2(430.0, 56.0)),
            Rect::from_min_size(rect.right_bottom() + vec2(-340.0, -60.0), vec2(340.0, 60.0)),
        ],
    };
    let mut label = |at: Pos2, text: &str, font: FontId, color: Color32| {
        labels.place(painter, at, text, font, color, true);
    };
    if camera.distance_m > 8_000.0 {
        for t in &state.district.towns {
            let p = view.local(t.label_at);
            if let Some(s) = camera.project([p[0], p[1], 0.0], size) {
                label(rect.min + vec2(s[0], s[1]), &t.name, theme::bold(24.0), theme::TEXT);
            }
        }
    }
    for (p, w) in worker_px.iter().filter_map(|(p, i)| Some((p, state.situation.workers.get(*i)?))) {
        label(*p + vec2(0.0, -16.0), &w.name, FontId::proportional(15.0), theme::WORKER);
    }
}

/// What a click at `p` picks: the nearest event's beacon, else a worker, else the building under it, else the grid
/// of the ground there (selected too), else nothing (the card closes).
fn pick(
    state: &AppState,
    view: &View3d,
    rect: Rect,
    p: Pos2,
    shown: &Shown,
    hovered_building: Option<pingan_core::BuildingId>,
) -> Vec<Command> {
    let hit = shown
        .event_hits
        .iter()
        .filter(|(q, _)| q.distance(p) < 14.0)
        .min_by(|a, b| a.0.distance(p).total_cmp(&b.0.distance(p)));
    let worker = shown
        .worker_px
        .iter()
        .filter(|(q, _)| q.distance(p) < 9.0)
        .min_by(|a, b| a.0.distance(p).total_cmp(&b.0.distance(p)));
    if let Some((_, id)) = hit {
        vec![Command::SelectEvent(*id)]
    } else if let Some(w) = worker.and_then(|(_, i)| state.situation.workers.get(*i)) {
        vec![Command::Pick(Picked::Worker(w.id))]
    } else if let Some(b) = hovered_building {
        vec![Command::Pick(Picked::Building(b))]
    } else {
        let local = [p.x - rect.min.x, p.y - rect.min.y];
        let size = [rect.width(), rect.height()];
        let ground = view.camera.ground_at(local, size).map(|g| view.scene.frame.lonlat_from_local(g));
        match ground.and_then(|g| state.index.grid_at(&state.district, g)) {
            Some(g) => vec![Command::Pick(Picked::Grid(g)), Command::SelectUnit(pingan_core::UnitRef::Grid(g))],
            None => vec![Command::ClearPick],
        }
    }
}

fn controls(ui: &egui::Ui, response: &egui::Response, rect: Rect, view: &mut View3d) {
    let size = [rect.width(), rect.height()];
    let shift = ui.input(|i| i.modifiers.shift);
    let delta = response.drag_delta();
    if delta != egui::Vec2::ZERO {
        view.flight = None;
        if response.dragged_by(egui::PointerButton::Secondary)
            || (shift && response.dragged_by(egui::PointerButton::Primary))
        {
            view.camera.bearing_deg -= delta.x as f64 * 0.3;
            view.camera.pitch_deg += delta.y as f64 * 0.25;
        } else if response.dragged_by(egui::PointerButton::Primary)
            && let Some(p) = response.interact_pointer_pos()
        {
            let now = [p.x - rect.min.x, p.y - rect.min.y];
            let before = [now[0] - delta.x, now[1] - delta.y];
            if let (Some(a), Some(b)) = (view.camera.ground_at(before, size), view.camera.ground_at(now, size)) {
                view.camera.target[0] += a[0] - b[0];
                view.camera.target[1] += a[1] - b[1];
            }
        }
    }
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            view.flight = None;
            view.camera.distance_m *= (-scroll as f64 * 0.003).exp();
        }
    }
    let step = view.camera.distance_m * 0.02;
    let f = view.camera.forward_ground();
    ui.input(|i| {
        let k = |key| i.key_down(key);
        let mut moved = [0.0, 0.0];
        if k(egui::Key::ArrowUp) {
            moved = [moved[0] + f[0] * step, moved[1] + f[1] * step];
        }
        if k(egui::Key::ArrowDown) {
            moved = [moved[0] - f[0] * step, moved[1] - f[1] * step];
        }
        if k(egui::Key::ArrowRight) {
            moved = [moved[0] + f[1] * step, moved[1] - f[0] * step];
        }
        if k(egui::Key::ArrowLeft) {
            moved = [moved[0] - f[1] * step, moved[1] + f[0] * step];
        }
        view.camera.target[0] += moved[0];
        view.camera.target[1] += moved[1];
        if k(egui::Key::Q) {
            view.camera.bearing_deg -= 1.5;
        }
        if k(egui::Key::E) {
            view.camera.bearing_deg += 1.5;
        }
        if k(egui::Key::PageUp) {
            view.camera.pitch_deg += 1.0;
        }
        if k(egui::Key::PageDown) {
            view.camera.pitch_deg -= 1.0;
        }
        if i.key_pressed(egui::Key::N) {
            view.camera.bearing_deg = 0.0;
        }
        if k(egui::Key::Plus) || k(egui::Key::Equals) {
            view.camera.distance_m *= 0.97;
        }
        if k(egui::Key::Minus) {
            view.camera.distance_m *= 1.03;
        }
    });
    view.camera = view.camera.clamped();
}

fn compass_ui(ui: &mut egui::Ui, rect: Rect, view: &mut View3d, lang: Lang) {
    let area = Rect::from_min_size(rect.right_bottom() + vec2(-330.0, -52.0), vec2(320.0, 42.0));
    let mut child =
        ui.new_child(egui::UiBuilder::new().max_rect(area).layout(egui::Layout::right_to_left(egui::Align::Center)));
    if child.button(egui::RichText::new(lang.tr("北 ↑ 复位", "Reset north")).size(18.0)).clicked() {
        view.flight = Some(Flight::new(view.camera, Camera { bearing_deg: 0.0, ..view.camera }, 0.5));
    }
    child.label(
        egui::RichText::new(format!(
            "{} {:.0}°  {} {:.0}°",
            lang.tr("倾角", "tilt"),
            view.camera.pitch_deg,
            lang.tr("方位", "bearing"),
            view.camera.bearing_deg
        ))
        .size(16.0)
        .color(theme::DIM),
    );
}
