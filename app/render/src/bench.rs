//! The headless render benchmark: one scene, offscreen, the camera fitted to the data like a web map's `fitBounds`,
//! redrawn every frame for a while. Used by `pingan bench-render FILE` and the `bench_render` example.

use crate::{Camera, FillLevel, FrameInput, Headless, Marker, RenderError, Scene, SceneRenderer};
use std::time::Instant;

/// How to run it.
#[derive(Clone, Copy, Debug)]
pub struct BenchOptions {
    /// Frame size in pixels.
    pub size: [u32; 2],
    /// How long to redraw, seconds (at least 3 frames).
    pub seconds: f64,
    /// Where the camera looks from.
    pub camera: BenchCamera,
    /// Event and worker markers drawn over the scene (0 for buildings only).
    pub markers: u32,
    /// Level of detail: buildings under this many pixels are not drawn (0: every building).
    pub min_building_px: f32,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            size: [1920, 1080],
            seconds: 5.0,
            camera: BenchCamera::default(),
            markers: 0,
            min_building_px: crate::gpu::DEFAULT_MIN_BUILDING_PX,
        }
    }
}

/// The camera: fitted to the scene's bounds, then tilted, turned and brought closer.
#[derive(Clone, Copy, Debug)]
pub struct BenchCamera {
    /// Pitch, degrees from straight down.
    pub pitch_deg: f64,
    /// Bearing, degrees clockwise from north.
    pub bearing_deg: f64,
    /// Distance as a share of the fitted one (1: the whole scene; 0.25: its middle, a district of a city).
    pub zoom: f64,
}

impl Default for BenchCamera {
    fn default() -> Self {
        Self { pitch_deg: 45.0, bearing_deg: 20.0, zoom: 1.0 }
    }
}

/// What it measured.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// Buildings in the scene.
    pub buildings: usize,
    /// Triangles in the scene.
    pub triangles: usize,
    /// Time to build the scene and upload it (the caller adds its own loading time).
    pub upload_ms: f64,
    /// The first frame, including pipeline warm-up.
    pub first_frame_ms: f64,
    /// Frames drawn after the first.
    pub frames: u32,
    /// Average time per frame, submission to completion.
    pub ms_per_frame: f64,
    /// GPU memory held by the renderer (scene, targets and the marker buffer).
    pub gpu_bytes: u64,
    /// The part that grows with the scene (vertices, indices, per-building and per-chunk data, unit colours).
    pub scene_bytes: u64,
    /// The render targets, fixed by the output size.
    pub target_bytes: u64,
    /// Building triangles the last frame drew (after culling and the level of detail).
    pub drawn_triangles: usize,
    /// The adapter, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)".
    pub adapter: String,
}

/// Render `scene` headlessly as `options` say.
pub fn run(scene: &Scene, options: BenchOptions) -> Result<BenchReport, RenderError> {
    run_on(Headless::new()?, scene, options)
}

/// Draw one frame of a one-building scene at `size` on `gpu`: the device's first frame pays for compiling its
/// shaders (on a software rasteriser, tens of milliseconds), as the app's device has long paid when a file is opened.
/// `bench-render` runs it while the file is read, so "first frame" is the scene's, not the device's.
pub fn warm_up(gpu: &Headless, size: [u32; 2]) {
    use pingan_core::{LonLat, import::ImportedBuilding};
    let (lon, lat, d) = (120.3, 30.4, 0.0003);
    let ring = [(0.0, 0.0), (d, 0.0), (d, d), (0.0, d), (0.0, 0.0)]
        .map(|(x, y)| LonLat { lon: lon + x, lat: lat + y })
        .to_vec();
    let one = ImportedBuilding { feature: 0, name: String::new(), height: 20.0, polygons: vec![vec![ring]] };
    let Some(district) = pingan_core::import::district_of_buildings("warm-up", vec![one]) else { return };
    let scene = Scene::from_district(&district);
    let mut renderer = SceneRenderer::new(&gpu.device, &gpu.adapter, &scene);
    let (min, max) = scene.bounds;
    let mut camera = Camera::fit(min, max, [size[0] as f32, size[1] as f32]);
    camera.pitch_deg = 45.0;
    let markers = [Marker::worker([0.0; 3], [0.2, 1.0, 0.5, 1.0], 4.0)];
    draw(gpu, &mut renderer, camera, size, &markers, crate::gpu::DEFAULT_MIN_BUILDING_PX, 0.0);
}

/// Draw one frame and wait for it.
fn draw(
    gpu: &Headless,
    renderer: &mut SceneRenderer,
    camera: Camera,
    size: [u32; 2],
    markers: &[Marker],
    min_building_px: f32,
    time_s: f32,
) {
    let input = FrameInput {
        camera,
        size_px: size,
        fill_level: Some(FillLevel::Community),
        fill_opacity: 0.35,
        highlight_building: None,
        highlight_unit: None,
        time_s,
        markers,
        min_building_px,
    };
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    renderer.render(&gpu.device, &gpu.queue, &mut encoder, &input);
    gpu.queue.submit([encoder.finish()]);
    gpu.device.poll(wgpu::PollType::wait_indefinitely()).ok();
}

/// [`run`] on a device made beforehand (a caller can bring the GPU up while it reads the file, as the app has its
/// device before any file is opened); `upload_ms` then counts from the scene's upload.
pub fn run_on(gpu: Headless, scene: &Scene, options: BenchOptions) -> Result<BenchReport, RenderError> {
    let t0 = Instant::now();
    let mut renderer = SceneRenderer::new(&gpu.device, &gpu.adapter, scene);
    let colors: Vec<[f32; 4]> = (0..scene.unit_slots).map(|i| [0.2 + (i % 5) as f32 * 0.15, 0.5, 0.4, 1.0]).collect();
    renderer.set_unit_colors(&gpu.queue, &colors);
    let (min, max) = scene.bounds;
    let markers: Vec<Marker> = (0..options.markers)
        .map(|i| {
            let fx = ((i as f64 * 0.618_034) % 1.0, (i as f64 * 0.754_877) % 1.0);
            let p = [(min[0] + (max[0] - min[0]) * fx.0) as f32, (min[1] + (max[1] - min[1]) * fx.1) as f32, 0.0];
            if i % 6 == 5 {
                Marker::worker(p, [0.22, 1.0, 0.53, 1.0], 4.0)
            } else {
                Marker::event(p, [1.0, 0.54, 0.17, 1.0], 6.0, 150.0, i % 20 == 0)
            }
        })
        .collect();
    let [w, h] = options.size;
    let mut camera = Camera::fit(min, max, [w as f32, h as f32]);
    camera.pitch_deg = options.camera.pitch_deg;
    camera.bearing_deg = options.camera.bearing_deg;
    camera.distance_m *= options.camera.zoom.clamp(0.001, 10.0);
    let upload_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let mut frame = |t: f32| draw(&gpu, &mut renderer, camera, [w, h], &markers, options.min_building_px, t);
    let t1 = Instant::now();
    frame(0.0);
    let first_frame_ms = t1.elapsed().as_secs_f64() * 1000.0;
    let t2 = Instant::now();
    let mut frames = 0u32;
    while t2.elapsed().as_secs_f64() < options.seconds || frames < 3 {
        frame(frames as f32 / 60.0);
        frames += 1;
    }
    let ms_per_frame = t2.elapsed().as_secs_f64() * 1000.0 / frames as f64;
    Ok(BenchReport {
        buildings: scene.buildings,
        triangles: scene.triangles(),
        upload_ms,
        first_frame_ms,
        frames,
        ms_per_frame,
        gpu_bytes: renderer.gpu_bytes(),
        scene_bytes: renderer.scene_bytes(),
        target_bytes: renderer.target_bytes(),
        drawn_triangles: renderer.drawn_triangles(),
        adapter: format!("{} ({:?})", gpu.info.name, gpu.info.backend),
    })
}
