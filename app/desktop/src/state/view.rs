//! The view state: where the 2D and 3D maps look, and what is cached for drawing them. It holds no domain data —
//! nothing here is an event, a worker or a score — so it may be changed by the map panels' own input handling (a
//! drag moves the camera) as well as by [`ViewState::follow`], which moves the cameras for the commands that ask
//! for it (select an event, fly to a place, show the whole district, switch 2D ⇄ 3D). Everything else the user
//! does changes [`crate::AppState`] through `AppState::apply` only.

use crate::services::fills::Fills;
use crate::state::{AppState, Command, MapMode};
use pingan_core::{BuildingId, GridId, LonLat, WorkerId};
use pingan_render::{Camera, Flight, Scene};
use std::sync::Arc;

/// Both maps' cameras and caches.
pub struct ViewState {
    /// The 2D map.
    pub map2d: Map2dView,
    /// The 3D map.
    pub map3d: View3d,
}

/// A fly-to in progress on the 2D map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlyTo {
    /// Where to.
    pub target: LonLat,
    /// Final zoom.
    pub zoom: f64,
}

/// The 2D map's camera (walkers' memory) and its fills.
pub struct Map2dView {
    /// Map position and zoom (walkers).
    pub memory: walkers::MapMemory,
    /// Pending map movement.
    pub fly_to: Option<FlyTo>,
    /// Whether the map should be fitted to the district on the next frame.
    pub fit_pending: bool,
    /// The units' triangulated fills (rebuilt when the district changes).
    pub fills: Fills,
    /// The static layers (base, five-colour fills and boundaries, buildings) tessellated once for the current
    /// camera, district and assessment, keyed by a hash of those: a frame that only animates a marker or ticks the
    /// clock reuses the mesh instead of projecting and tessellating the district again.
    pub static_layer: Option<(u64, std::sync::Arc<egui::Mesh>)>,
    /// What the event markers drawn in the last frame carried (tests read it).
    pub marks: Marks,
}

/// Counts of the marks on the event markers of the last 2D frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// Amber timer rings (near the deadline).
    pub near: usize,
    /// Overdue markers (red rings, pulsing while newly overdue).
    pub overdue: usize,
    /// Level badges of escalated events.
    pub escalated: usize,
}

/// Something picked in the 3D view, shown on its card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picked {
    /// A building.
    Building(BuildingId),
    /// A grid (clicked on open ground).
    Grid(GridId),
    /// A grid worker.
    Worker(WorkerId),
}

/// The 3D view's state that lives with the app (GPU resources live in egui_wgpu's callback resources).
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
    pub last_rect: egui::Rect,
    /// A 2D place (centre, zoom) to adopt once the panel's size is known.
    pub pending_sync: Option<(LonLat, f64)>,
    /// The district the scene was built from (compared by address to notice a replaced district).
    pub district_ptr: usize,
}

impl View3d {
    /// A view of `scene` (the tessellated `district`), camera fitted to it; `gpu`: whether it was uploaded.
    pub fn new(scene: Arc<Scene>, district: &Arc<pingan_core::District>, gpu: bool) -> Self {
        let mut view = Self {
            scene,
            camera: Camera::default(),
            flight: None,
            card: None,
            gpu,
            last_size: egui::vec2(1600.0, 900.0),
            last_rect: egui::Rect::NOTHING,
            pending_sync: None,
            district_ptr: Arc::as_ptr(district) as usize,
        };
        view.fit(egui::vec2(1600.0, 900.0));
        view
    }

    /// Look at the whole scene from the usual angle (35° tilt, 10° bearing) in a panel of `size` points.
    pub fn fit(&mut self, size: egui::Vec2) {
        let (min, max) = self.scene.bounds;
        self.camera = Camera { pitch_deg: 35.0, bearing_deg: 10.0, ..Camera::fit(min, max, [size.x, size.y]) };
        self.last_size = size;
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

    /// Fly back to the whole scene.
    pub fn fly_home(&mut self) {
        let (min, max) = self.scene.bounds;
        let s = self.last_size;
        let to = Camera::fit(min, max, [s.x, s.y]);
        self.flight = Some(Flight::new(self.camera, to, 0.8));
    }

    /// Whether the camera is moving by itself (a flight), so that the panel repaints until it lands (never without
    /// a GPU: the panel then draws no scene and steps no flight).
    pub fn animating(&self) -> bool {
        self.gpu && self.flight.is_some()
    }
}

impl Map2dView {
    /// The 2D camera at the start: `initial` (lonlat, zoom), or the whole district on the first frame.
    pub fn new(district: &pingan_core::District, initial: Option<(LonLat, f64)>) -> Self {
        let mut memory = walkers::MapMemory::default();
        let c = district.bbox().centre();
        memory.center_at(walkers::lon_lat(c.lon, c.lat));
        memory.set_zoom(11.0).ok();
        if let Some((at, zoom)) = initial {
            memory.center_at(walkers::lon_lat(at.lon, at.lat));
            memory.set_zoom(zoom).ok();
        }
        Self {
            memory,
            fly_to: None,
            fit_pending: initial.is_none(),
            fills: Fills::default(),
            static_layer: None,
            marks: Marks::default(),
        }
    }

    /// The centre the map shows (`home` while it follows its default position).
    pub fn centre(&self, home: LonLat) -> LonLat {
        self.memory.detached().map_or(home, |p| LonLat::new(p.x(), p.y()))
    }

    /// Whether the camera is moving by itself (a fly-to or a pending fit).
    pub fn animating(&self) -> bool {
        self.fly_to.is_some() || self.fit_pending
    }
}

impl ViewState {
    /// Move the cameras for `cmd`, as the state is *before* it is applied (so a mode switch knows where it came
    /// from). Commands that do not move a camera change nothing here.
    pub fn follow(&mut self, cmd: &Command, state: &AppState) {
        let height = self.map3d.last_size.y;
        match cmd {
            Command::SetMapMode(MapMode::Map3d) if state.map_mode == MapMode::Map2d => {
                let centre = self.map2d.centre(state.district.bbox().centre());
                self.map3d.sync_from_2d(centre, self.map2d.memory.zoom(), height);
            }
            Command::SetMapMode(MapMode::Map2d) if state.map_mode == MapMode::Map3d => {
                let (c, zoom) = self.map3d.to_2d(height);
                self.map2d.fly_to = None;
                self.map2d.fit_pending = false;
                self.map2d.memory.center_at(walkers::lon_lat(c.lon, c.lat));
                self.map2d.memory.set_zoom(zoom).ok();
            }
            Command::SelectEvent(id) => {
                if let Some(e) = state.situation.event(*id) {
                    self.map2d.fly_to = Some(FlyTo { target: e.position, zoom: 16.0 });
                    if state.map_mode == MapMode::Map3d {
                        self.map3d.fly_to(e.position, 900.0);
                    }
                }
            }
            Command::SelectBook(id) => {
                // The middle of its stops (its grid's label when it has no building).
                let d = &state.district;
                let target = state.situation.task_book(*id).and_then(|b| {
                    let stops: Vec<LonLat> = b
                        .checks
                        .iter()
                        .filter_map(|c| c.building.and_then(|x| d.buildings.get(x.index())))
                        .map(|x| x.footprint.centroid())
                        .collect();
                    if stops.is_empty() {
                        return d.grids.get(b.grid.index()).map(|g| g.label_at);
                    }
                    let n = stops.len() as f64;
                    Some(LonLat::new(
                        stops.iter().map(|p| p.lon).sum::<f64>() / n,
                        stops.iter().map(|p| p.lat).sum::<f64>() / n,
                    ))
                });
                if let Some(target) = target {
                    self.map2d.fly_to = Some(FlyTo { target, zoom: 15.5 });
                    if state.map_mode == MapMode::Map3d {
                        self.map3d.fly_to(target, 1400.0);
                    }
                }
            }
            Command::SelectRecord(i) => {
                if let Some(target) = state.record_place(*i) {
                    self.map2d.fly_to = Some(FlyTo { target, zoom: 16.0 });
                    if state.map_mode == MapMode::Map3d {
                        self.map3d.fly_to(target, 900.0);
                    }
                }
            }
            Command::FlyTo(target, zoom) => self.map2d.fly_to = Some(FlyTo { target: *target, zoom: *zoom }),
            Command::ShowWholeDistrict => {
                self.map2d.fly_to = None;
                self.map2d.fit_pending = true;
                if state.map_mode == MapMode::Map3d {
                    self.map3d.fly_home();
                }
            }
            Command::ClearPick => self.map3d.card = None,
            Command::Pick(picked) => {
                self.map3d.card = Some(*picked);
                if let Picked::Worker(w) = picked
                    && let Some(w) = state.situation.worker(*w)
                {
                    let d = self.map3d.camera.distance_m.min(600.0);
                    self.map3d.fly_to(w.position, d);
                }
            }
            _ => {}
        }
    }

    /// After the district was replaced (an import, or the demo back): fit the 2D map to it. The 3D scene is rebuilt
    /// by the app, which owns the GPU.
    pub fn district_replaced(&mut self) {
        self.map2d.fly_to = None;
        self.map2d.fit_pending = true;
    }

    /// Whether either camera is moving by itself.
    pub fn animating(&self, mode: MapMode) -> bool {
        match mode {
            MapMode::Map2d => self.map2d.animating(),
            MapMode::Map3d => self.map3d.animating(),
            MapMode::Dashboard => false,
        }
    }
}
