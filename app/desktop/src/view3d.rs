//! The 3D map panel: `pingan-render`'s offscreen frame composited into egui through a paint callback, with
//! camera controls, picking, and labels drawn by egui on top.
//!
//! Controls: drag to pan, right-drag (or Shift+drag) to rotate and tilt, scroll to zoom, arrow keys to pan,
//! `Q`/`E` to rotate, `PageUp`/`PageDown` to tilt, `N` or the 北 button to face north.

use crate::assessment::LevelChoice;
use crate::i18n::{Lang, Named};
use crate::state::{AppState, Command};
use crate::theme;
use eframe::egui_wgpu::{self, wgpu};
use egui::{Color32, FontId, Pos2, Rect, Sense, Stroke, pos2, vec2};
use pingan_core::{BuildingId, EventId, GridId, LonLat, WorkerId, WorkerStatus};
use pingan_render::{Camera, FillLevel, Flight, FrameInput, Marker, Scene, SceneRenderer};
use std::sync::Arc;

/// The 3D view's state that lives with the app (not on the GPU).
pub struct View3d {
    /// Tessellated district (shared with the GPU resources).
    pub scene: Arc<Scene>,
    /// Current camera.
    pub camera: Camera,
    /// Camera flight in progress.
    pub flight: Option<Flight>,
    /// What the card in the corner shows (a building, a grid or a worker picked in 3D).
    pub card: Option<Picked>,
    /// Whether a GPU renderer is available (false under a non-wgpu test harness).
    pub gpu: bool,
    /// Size of the panel in points at the last frame.
    pub last_size: egui::Vec2,
    /// Where the panel was at the last frame (points).
    pub last_rect: Rect,
    /// A 2D place (centre, zoom) to adopt once the panel's size is known.
    pub pending_sync: Option<(LonLat, f64)>,
    /// The district the scene was built from (compared by address to notice a replaced district).
    pub district_ptr: usize,
}

/// Something picked in the 3D view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picked {
    /// A building.
    Building(BuildingId),
    /// A grid (clicked on open ground).
    Grid(GridId),
    /// A grid worker (index into the situation's workers).
    Worker(WorkerId),
}

/// GPU resources stored in egui_wgpu's callback resources.
struct Gpu3d {
    renderer: SceneRenderer,
    composite: wgpu::RenderPipeline,
    composite_layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    bind_group: Option<(wgpu::BindGroup, [u32; 2])>,
}

impl View3d {
    /// Tessellate the district and, when a wgpu render state exists, upload it and build the composite pipeline.
    pub fn new(state: &AppState, render_state: Option<&egui_wgpu::RenderState>) -> Self {
        let scene = match &state.scene {
            // Tessellated off the UI thread by an import job, for exactly this district.
            Some((ptr, scene)) if *ptr == Arc::as_ptr(&state.district) as usize => scene.clone(),
            _ => Arc::new(Scene::from_district(&state.district)),
        };
        Self::with_scene(state, scene, render_state)
    }

    /// Upload an already tessellated scene of `state.district`.
    pub fn with_scene(state: &AppState, scene: Arc<Scene>, render_state: Option<&egui_wgpu::RenderState>) -> Self {
        let started = std::time::Instant::now();
        let gpu = if let Some(rs) = render_state {
            let renderer = SceneRenderer::new(&rs.device, &rs.adapter, &scene);
            let (composite, composite_layout, sampler) = composite_pipeline(&rs.device, rs.target_format);
            tracing::info!(
                "3D scene: {} buildings, {} triangles, {:.1} MB on the GPU, MSAA {}x, {} ms",
                scene.buildings,
                scene.triangles(),
                renderer.gpu_bytes() as f64 / 1e6,
                renderer.sample_count(),
                started.elapsed().as_millis()
            );
            rs.renderer.write().callback_resources.insert(Gpu3d {
                renderer,
                composite,
                composite_layout,
                sampler,
                bind_group: None,
            });
            true
        } else {
            tracing::warn!("no wgpu render state: the 3D view is unavailable");
            false
        };
        let camera = Camera {
            pitch_deg: 35.0,
            bearing_deg: 10.0,
            ..Camera::fit(scene.bounds.0, scene.bounds.1, [1600.0, 900.0])
        };
        Self {
            scene,
            camera,
            flight: None,
            card: None,
            gpu,
            last_size: vec2(1600.0, 900.0),
            last_rect: Rect::NOTHING,
            pending_sync: None,
            district_ptr: Arc::as_ptr(&state.district) as usize,
        }
    }

    /// Local position of a lonlat on the ground.
    pub fn local(&self, p: LonLat) -> [f64; 2] {
        self.scene.frame.local_from_lonlat(p)
    }

    /// Put the 3D camera where the 2D map is (same centre, same ground scale), keeping tilt and rotation.
    pub fn sync_from_2d(&mut self, centre: LonLat, zoom: f64, height_px: f32) {
        self.camera.target = self.local(centre);
        self.camera.set_zoom(zoom, centre.lat, height_px);
        self.flight = None;
    }

    /// The 2D map's centre and zoom for the current camera.
    pub fn to_2d(&self, height_px: f32) -> (LonLat, f64) {
        let c = self.scene.frame.lonlat_from_local(self.camera.target);
        (c, self.camera.zoom(c.lat, height_px))
    }

    /// Fly to a place, ending at `distance_m` with a 50° tilt.
    pub fn fly_to(&mut self, p: LonLat, distance_m: f64) {
        let to =
            Camera { target: self.local(p), distance_m, pitch_deg: self.camera.pitch_deg.max(50.0), ..self.camera };
        self.flight = Some(Flight::new(self.camera, to.clamped(), 0.8));
    }
}

fn composite_pipeline(
    device: &wgpu::Device,
    format: wgpu::TextureFormat,
) -> (wgpu::RenderPipeline, wgpu::BindGroupLayout, wgpu::Sampler) {
    let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("composite.wgsl"),
        source: wgpu::ShaderSource::Wgsl(include_str!("../../../shaders/composite.wgsl").into()),
    });
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("composite"),
        entries: &[
            wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: true },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            },
            wgpu::BindGroupLayoutEntry {
                binding: 1,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                count: None,
            },
        ],
    });
    let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("composite"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("composite"),
        layout: Some(&pl),
        vertex: wgpu::VertexState {
            module: &shader,
            entry_point: Some("vs_main"),
            buffers: &[],
            compilation_options: Default::default(),
        },
        fragment: Some(wgpu::FragmentState {
            module: &shader,
            entry_point: Some("fs_main"),
            targets: &[Some(wgpu::ColorTargetState { format, blend: None, write_mask: wgpu::ColorWrites::ALL })],
            compilation_options: Default::default(),
        }),
        primitive: Default::default(),
        depth_stencil: None,
        multisample: Default::default(),
        multiview_mask: None,
        cache: None,
    });
    let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
        label: Some("composite"),
        mag_filter: wgpu::FilterMode::Linear,
        min_filter: wgpu::FilterMode::Linear,
        ..Default::default()
    });
    (pipeline, layout, sampler)
}

/// One frame's worth of 3D drawing, handed to egui_wgpu.
struct Frame3d {
    camera: Camera,
    size_px: [u32; 2],
    fill_level: Option<FillLevel>,
    highlight_building: Option<BuildingId>,
    time_s: f32,
    markers: Vec<Marker>,
    unit_colors: Vec<[f32; 4]>,
}

impl egui_wgpu::CallbackTrait for Frame3d {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(gpu) = resources.get_mut::<Gpu3d>() else { return Vec::new() };
        if !self.unit_colors.is_empty() {
            gpu.renderer.set_unit_colors(queue, &self.unit_colors);
        }
        let input = FrameInput {
            camera: self.camera,
            size_px: self.size_px,
            fill_level: self.fill_level,
            fill_opacity: 0.38,
            highlight_building: self.highlight_building,
            highlight_unit: None,
            time_s: self.time_s,
            markers: &self.markers,
        };
        gpu.renderer.render(device, queue, encoder, &input);
        if gpu.bind_group.as_ref().is_none_or(|(_, s)| *s != self.size_px)
            && let Some(view) = gpu.renderer.output_view()
        {
            let bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("composite"),
                layout: &gpu.composite_layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(view) },
                    wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(&gpu.sampler) },
                ],
            });
            gpu.bind_group = Some((bg, self.size_px));
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        let Some(gpu) = resources.get::<Gpu3d>() else { return };
        let Some((bg, _)) = &gpu.bind_group else { return };
        pass.set_pipeline(&gpu.composite);
        pass.set_bind_group(0, bg, &[]);
        pass.draw(0..3, 0..1);
    }
}

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
    let camera = view.camera;
    let d = &state.district;
    // Five-colour fill from the assessment, at the chosen level (or by distance).
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
    // Markers: open events as beacons, on-duty workers as dots.
    let close = camera.distance_m < 4_000.0;
    let mut markers = Vec::new();
    let mut event_hits: Vec<(Pos2, EventId)> = Vec::new();
    for e in state.situation.events.iter().filter(|e| e.state.is_open() || state.selected == Some(e.id)) {
        let p = view.local(e.position);
        let beam = (60.0 + 40.0 * e.severity as u8 as f64) * (camera.distance_m / 3000.0).clamp(0.3, 8.0);
        if state.selected == Some(e.id) {
            // The selection: a white ring around the beacon's disc.
            markers.push(Marker::event(
                [p[0] as f32, p[1] as f32, 0.0],
                [1.0, 1.0, 1.0, 1.0],
                16.0,
                beam as f32,
                false,
            ));
        }
        markers.push(Marker::event(
            [p[0] as f32, p[1] as f32, 0.0],
            srgb(theme::severity_color(e.severity)),
            if close { 9.0 } else { 5.5 },
            beam as f32,
            e.is_overdue(state.now),
        ));
        if let Some(s) = camera.project([p[0], p[1], beam], size) {
            event_hits.push((rect.min + vec2(s[0], s[1]), e.id));
        }
    }
    let mut worker_px: Vec<(Pos2, usize)> = Vec::new();
    for (i, w) in state.situation.workers.iter().enumerate().filter(|(_, w)| w.status.on_duty()) {
        let p = view.local(w.position);
        let color =
            if matches!(w.status, WorkerStatus::Handling(_)) { Color32::from_rgb(150, 255, 90) } else { theme::WORKER };
        markers.push(Marker::worker([p[0] as f32, p[1] as f32, 0.0], srgb(color), if close { 6.0 } else { 3.0 }));
        if close && let Some(s) = camera.project([p[0], p[1], 0.0], size) {
            worker_px.push((rect.min + vec2(s[0], s[1]), i));
        }
    }
    // The imported scenario's points of interest, in the overlay colour of the 2D map.
    if let Some(sc) = &state.scenario {
        for poi in &sc.imported.pois {
            let p = view.local(poi.position);
            markers.push(Marker::worker(
                [p[0] as f32, p[1] as f32, 0.0],
                [0.93, 0.43, 1.0, 1.0],
                if close { 8.0 } else { 5.0 },
            ));
        }
    }
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
            markers,
            unit_colors,
        },
    ));
    if state.situation.events.iter().any(|e| e.is_overdue(state.now)) {
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
    }
    // Labels by egui on top, decluttered: towns far away, workers close up.
    // Keep labels off the corner buttons.
    let mut labels = crate::map_view::Labels {
        taken: vec![
            Rect::from_min_size(rect.right_top() + vec2(-430.0, 0.0), vec2(430.0, 56.0)),
            Rect::from_min_size(rect.right_bottom() + vec2(-340.0, -60.0), vec2(340.0, 60.0)),
        ],
    };
    let mut label = |at: Pos2, text: &str, font: FontId, color: Color32| {
        labels.place(&painter, at, text, font, color, true);
    };
    if camera.distance_m > 8_000.0 {
        for t in &d.towns {
            let p = view.local(t.label_at);
            if let Some(s) = camera.project([p[0], p[1], 0.0], size) {
                label(rect.min + vec2(s[0], s[1]), &t.name, theme::bold(24.0), theme::TEXT);
            }
        }
    }
    for (p, w) in worker_px.iter().filter_map(|(p, i)| Some((p, state.situation.workers.get(*i)?))) {
        label(*p + vec2(0.0, -16.0), &w.name, FontId::proportional(15.0), theme::WORKER);
    }
    // Picking: events first (screen distance to the beacon's disc), then buildings (exact ray test).
    if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        let hit = event_hits
            .iter()
            .filter(|(q, _)| q.distance(p) < 14.0)
            .min_by(|a, b| a.0.distance(p).total_cmp(&b.0.distance(p)));
        let worker = worker_px
            .iter()
            .filter(|(q, _)| q.distance(p) < 9.0)
            .min_by(|a, b| a.0.distance(p).total_cmp(&b.0.distance(p)));
        if let Some((_, id)) = hit {
            commands.push(Command::SelectEvent(*id));
        } else if let Some(w) = worker.and_then(|(_, i)| state.situation.workers.get(*i)) {
            view.card = Some(Picked::Worker(w.id));
            view.fly_to(w.position, camera.distance_m.min(600.0));
        } else if let Some(b) = hovered_building {
            view.card = Some(Picked::Building(b));
        } else {
            let local = [p.x - rect.min.x, p.y - rect.min.y];
            let ground = camera.ground_at(local, size).map(|g| view.scene.frame.lonlat_from_local(g));
            view.card = ground.and_then(|g| state.index.grid_at(d, g)).map(Picked::Grid);
            if let Some(Picked::Grid(g)) = view.card {
                commands.push(Command::SelectUnit(pingan_core::UnitRef::Grid(g)));
            }
        }
    }
    if let Some(picked) = view.card {
        card_ui(&painter, rect, state, picked, lang);
    } else if let (Some(b), Some(p)) = (hovered_building.and_then(|b| d.buildings.get(b.index())), response.hover_pos())
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

fn card_ui(painter: &egui::Painter, rect: Rect, state: &AppState, picked: Picked, lang: Lang) {
    let d = &state.district;
    let events_where = |f: &dyn Fn(&pingan_core::Event) -> bool| {
        let all: Vec<_> = state.situation.events.iter().filter(|e| f(e)).collect();
        let open = all.iter().filter(|e| e.state.is_open()).count();
        (
            format!("{} {} · {} {}", lang.tr("历史事件", "events"), all.len(), lang.tr("未办结", "open"), open),
            if open > 0 { theme::OVERDUE } else { theme::DIM },
            16.0,
        )
    };
    let lines: Vec<(String, Color32, f32)> = match picked {
        Picked::Building(id) => {
            let Some(b) = d.buildings.get(id.index()) else { return };
            vec![
                (format!("{} · {}", b.name, b.kind.name_in(lang)), theme::TEXT, 20.0),
                (b.code.segmented(), theme::ACCENT, 16.0),
                (crate::format::grid_place(d, b.grid), theme::DIM, 16.0),
                (
                    format!(
                        "{} {} · {:.0} m · {} {} · {} {}",
                        b.floors,
                        lang.tr("层", "floors"),
                        b.height_m,
                        b.households,
                        lang.tr("户", "households"),
                        b.population,
                        lang.tr("人", "people")
                    ),
                    theme::TEXT,
                    16.0,
                ),
                events_where(&|e| e.building == Some(id)),
            ]
        }
        Picked::Grid(id) => {
            let Some(g) = d.grids.get(id.index()) else { return };
            vec![
                (crate::format::grid_place(d, id), theme::TEXT, 20.0),
                (g.code.segmented(), theme::ACCENT, 16.0),
                (crate::format::unit_stats(g.stats, lang), theme::TEXT, 16.0),
                (
                    format!(
                        "{} {} · {} {}",
                        g.buildings.len(),
                        lang.tr("幢楼", "buildings"),
                        g.stats.houses,
                        lang.tr("户", "dwellings")
                    ),
                    theme::DIM,
                    16.0,
                ),
                events_where(&|e| e.grid == id),
            ]
        }
        Picked::Worker(id) => {
            let Some(w) = state.situation.worker(id) else { return };
            vec![
                (
                    format!("{} · {}{}", w.name, w.kind.name_in(lang), lang.tr("网格员", " grid worker")),
                    theme::WORKER,
                    20.0,
                ),
                (w.status.name_in(lang).to_string(), theme::TEXT, 16.0),
                (crate::format::worker_place(d, w), theme::DIM, 16.0),
                (
                    format!("{} {}", lang.tr("定位时间", "seen at"), crate::format::full_time(w.seen_at)),
                    theme::DIM,
                    16.0,
                ),
                events_where(&|e| e.assignee == Some(id)),
            ]
        }
    };
    let card = Rect::from_min_size(rect.right_top() + vec2(-470.0, 60.0), vec2(460.0, 156.0));
    painter.rect(
        card,
        6.0,
        theme::PANEL.gamma_multiply(0.95),
        Stroke::new(1.0, theme::ACCENT),
        egui::StrokeKind::Inside,
    );
    let mut y = card.top() + 10.0;
    for (text, color, size) in lines {
        painter.text(pos2(card.left() + 12.0, y), egui::Align2::LEFT_TOP, text, FontId::proportional(size), color);
        y += size + 9.0;
    }
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
