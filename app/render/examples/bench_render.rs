//! Renders the demo district offscreen and reports frame time and GPU memory as one line of JSON.
//!
//! `cargo run --release -p pingan-render --example bench_render -- [--density D] [--size WxH] [--seconds S]
//!  [--buildings N] [--pitch DEG] [--markers N] [--distance M] [--png out.png]`. `--density` scales the demo's buildings (1.0 ≈ 76k, 0.13 ≈ 10k, 2.9 ≈ 200k).

use pingan_demo::{DemoSpec, generate};
use pingan_render::{Camera, FillLevel, FrameInput, Headless, Marker, Scene, SceneRenderer};
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let density: f64 = arg("--density").map_or(Ok(1.0), |s| s.parse())?;
    let seconds: f64 = arg("--seconds").map_or(Ok(5.0), |s| s.parse())?;
    let pitch: f64 = arg("--pitch").map_or(Ok(45.0), |s| s.parse())?;
    let (w, h) = match arg("--size") {
        Some(s) => {
            let (a, b) = s.split_once('x').ok_or("--size WxH")?;
            (a.parse()?, b.parse()?)
        }
        None => (1920u32, 1080u32),
    };
    let t0 = Instant::now();
    let mut district = generate(&DemoSpec { building_density: density, ..DemoSpec::default() });
    // `--buildings N`: exactly N buildings — truncate, or add copies of the district's buildings shifted
    // ~180 m east and north (a heavier load of the same kind, since the generator saturates near 130k).
    if let Some(n) = arg("--buildings") {
        let n: usize = n.parse()?;
        let base = district.buildings.len();
        let mut copy = 0;
        while district.buildings.len() < n {
            copy += 1;
            for i in 0..base {
                if district.buildings.len() >= n {
                    break;
                }
                let mut b = district.buildings[i].clone();
                b.id = pingan_core::BuildingId(district.buildings.len() as u32);
                for p in &mut b.footprint.exterior {
                    p.lon += 0.0019 * copy as f64;
                    p.lat += 0.0016 * copy as f64;
                }
                district.buildings.push(b);
            }
        }
        district.buildings.truncate(n);
    }
    let scene = Scene::from_district(&district);
    let load_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let gpu = Headless::new()?;
    let mut renderer = SceneRenderer::new(&gpu.device, &gpu.adapter, &scene);
    let colors: Vec<[f32; 4]> = (0..scene.unit_slots).map(|i| [0.2 + (i % 5) as f32 * 0.15, 0.5, 0.4, 1.0]).collect();
    renderer.set_unit_colors(&gpu.queue, &colors);
    // 10,000 events and 2,000 workers, spread over the district.
    let (min, max) = scene.bounds;
    let mut markers = Vec::new();
    let n_markers: u32 = arg("--markers").map_or(Ok(12_000), |s| s.parse())?;
    for i in 0..n_markers {
        let fx = ((i as f64 * 0.618_034) % 1.0, (i as f64 * 0.754_877) % 1.0);
        let p = [(min[0] + (max[0] - min[0]) * fx.0) as f32, (min[1] + (max[1] - min[1]) * fx.1) as f32, 0.0];
        markers.push(if i < 10_000 {
            Marker::event(p, [1.0, 0.54, 0.17, 1.0], 6.0, 150.0, i % 20 == 0)
        } else {
            Marker::worker(p, [0.22, 1.0, 0.53, 1.0], 4.0)
        });
    }
    let mut camera = Camera::fit(min, max, [w as f32, h as f32]);
    camera.pitch_deg = pitch;
    if let Some(d) = arg("--distance") {
        camera.distance_m = d.parse()?;
        // Look at the densest part of the demo (Wuchang/Cangqian, south-east).
        camera.target = [min[0] + (max[0] - min[0]) * 0.78, min[1] + (max[1] - min[1]) * 0.38];
    }
    camera.bearing_deg = 20.0;
    let frame = |t: f32, renderer: &mut SceneRenderer| {
        let input = FrameInput {
            camera,
            size_px: [w, h],
            fill_level: Some(FillLevel::Community),
            fill_opacity: 0.35,
            highlight_building: None,
            highlight_unit: None,
            time_s: t,
            markers: &markers,
            min_building_px: pingan_render::gpu::DEFAULT_MIN_BUILDING_PX,
        };
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        renderer.render(&gpu.device, &gpu.queue, &mut encoder, &input);
        gpu.queue.submit([encoder.finish()]);
        gpu.device.poll(wgpu::PollType::wait_indefinitely()).ok();
    };
    let t1 = Instant::now();
    frame(0.0, &mut renderer);
    let first_frame_ms = t1.elapsed().as_secs_f64() * 1000.0;
    if let Some(path) = arg("--png") {
        let (px, [pw, ph]) = renderer.read_pixels(&gpu.device, &gpu.queue)?;
        image::save_buffer(&path, &px, pw, ph, image::ExtendedColorType::Rgba8)?;
    }
    let t2 = Instant::now();
    let mut frames = 0u32;
    while t2.elapsed().as_secs_f64() < seconds || frames < 3 {
        frame(frames as f32 / 60.0, &mut renderer);
        frames += 1;
    }
    let ms_per_frame = t2.elapsed().as_secs_f64() * 1000.0 / frames as f64;
    println!(
        "{{\"buildings\":{},\"chunks_drawn\":\"{}/{}\",\"triangles\":{},\"markers\":{},\"load_ms\":{:.0},\"first_frame_ms\":{:.1},\"frames\":{},\"ms_per_frame\":{:.2},\"gpu_bytes\":{},\"msaa\":{},\"size\":\"{}x{}\",\"adapter\":\"{} ({:?})\"}}",
        scene.buildings,
        renderer.visible_chunks(),
        renderer.chunk_count(),
        scene.triangles(),
        markers.len(),
        load_ms,
        first_frame_ms,
        frames,
        ms_per_frame,
        renderer.gpu_bytes(),
        renderer.sample_count(),
        w,
        h,
        gpu.info.name,
        gpu.info.backend
    );
    Ok(())
}
