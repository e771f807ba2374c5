//! Offscreen renders of a demo district, checked for real properties of the image (on lavapipe in CI).

use pingan_core::District;
use pingan_demo::{DemoSpec, generate};
use pingan_render::{Camera, FillLevel, Flight, FrameInput, Headless, Marker, Scene, SceneRenderer};
use std::sync::OnceLock;

const RISK: [[u8; 3]; 5] = [[229, 57, 53], [251, 140, 0], [253, 216, 53], [30, 136, 229], [67, 160, 71]];
const SIZE: [u32; 2] = [800, 600];

fn district() -> &'static District {
    static D: OnceLock<District> = OnceLock::new();
    D.get_or_init(|| generate(&DemoSpec::small(7)))
}

struct Fixture {
    gpu: Headless,
    scene: Scene,
    renderer: SceneRenderer,
}

fn fixture() -> Fixture {
    let gpu = Headless::new().expect("a GPU adapter (lavapipe in CI: apt-get install mesa-vulkan-drivers)");
    eprintln!("adapter: {} ({:?})", gpu.info.name, gpu.info.backend);
    let scene = Scene::from_district(district());
    let renderer = SceneRenderer::new(&gpu.device, &gpu.adapter, &scene);
    Fixture { gpu, scene, renderer }
}

impl Fixture {
    fn render(&mut self, input: &FrameInput<'_>) -> Vec<u8> {
        let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
        self.renderer.render(&self.gpu.device, &self.gpu.queue, &mut encoder, input);
        self.gpu.queue.submit([encoder.finish()]);
        let (px, size) = self.renderer.read_pixels(&self.gpu.device, &self.gpu.queue).expect("readback");
        assert_eq!(size, SIZE);
        px
    }
}

fn frame(camera: Camera, fill: Option<FillLevel>, markers: &[Marker]) -> FrameInput<'_> {
    FrameInput {
        camera,
        size_px: SIZE,
        fill_level: fill,
        fill_opacity: 1.0,
        highlight_building: None,
        highlight_unit: None,
        time_s: 0.0,
        markers,
        min_building_px: 0.0,
    }
}

fn pixel(img: &[u8], p: [f32; 2]) -> [u8; 3] {
    let (x, y) = (p[0].round() as usize, p[1].round() as usize);
    let i = (y * SIZE[0] as usize + x) * 4;
    [img[i], img[i + 1], img[i + 2]]
}

fn close(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter().zip(b.iter()).all(|(x, y)| (*x as i32 - *y as i32).abs() <= tol)
}

/// Flat surfaces facing up are shaded by this factor (see scene.wgsl: 0.5 + 0.5 · max(n·l, 0)).
fn up_shade(c: [u8; 3]) -> [u8; 3] {
    let l = [0.35f32, -0.5, 0.8];
    let len = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
    let s = 0.5 + 0.5 * (l[2] / len);
    c.map(|v| (v as f32 * s).round() as u8)
}

#[test]
fn five_risk_colours_fill_their_towns() {
    let mut f = fixture();
    let d = district();
    let colors: Vec<[f32; 4]> = (0..f.scene.unit_slots)
        .map(|i| {
            let c = RISK[i % 5];
            [c[0] as f32 / 255.0, c[1] as f32 / 255.0, c[2] as f32 / 255.0, 1.0]
        })
        .collect();
    f.renderer.set_unit_colors(&f.gpu.queue, &colors);
    let camera = Camera::fit(f.scene.bounds.0, f.scene.bounds.1, [SIZE[0] as f32, SIZE[1] as f32]);
    let img = f.render(&frame(camera, Some(FillLevel::Town), &[]));
    let mut matched = 0;
    let mut seen = [false; 5];
    for (i, t) in d.towns.iter().enumerate() {
        let c = f.scene.frame.local_from_lonlat(t.label_at);
        let px = camera.project([c[0], c[1], 0.0], [SIZE[0] as f32, SIZE[1] as f32]).unwrap();
        let (o, dir) = camera.ray(px, [SIZE[0] as f32, SIZE[1] as f32]);
        if f.scene.pick_building(o, dir).is_some() {
            continue; // a roof, not the fill
        }
        let got = pixel(&img, px);
        let want = up_shade(RISK[i % 5]);
        if close(got, want, 8) {
            matched += 1;
            seen[i % 5] = true;
        } else {
            eprintln!("town {} at {px:?}: got {got:?}, want {want:?}", t.name);
        }
    }
    assert!(matched >= 10, "{matched} of 12 towns show their risk colour");
    assert!(seen.iter().all(|s| *s), "all five colours appear: {seen:?}");
}

#[test]
fn a_building_hides_the_ground_behind_it_and_picking_finds_it() {
    let mut f = fixture();
    let d = district();
    let tallest = d.buildings.iter().max_by(|a, b| a.height_m.total_cmp(&b.height_m)).unwrap();
    let roof = f.scene.roof_centre(tallest.id).unwrap();
    let size = [SIZE[0] as f32, SIZE[1] as f32];
    let camera =
        Camera { target: [roof[0], roof[1]], distance_m: 500.0, pitch_deg: 60.0, bearing_deg: 20.0, fov_y_deg: 35.0 };
    let img = f.render(&frame(camera, None, &[]));
    let px = camera.project(roof, size).unwrap();
    // The ray through the roof's pixel continues to the ground behind the building…
    let behind = camera.ground_at(px, size).unwrap();
    let dist_behind = ((behind[0] - roof[0]).powi(2) + (behind[1] - roof[1]).powi(2)).sqrt();
    assert!(dist_behind > 20.0, "the ground point is well behind the building ({dist_behind} m)");
    let behind_px = camera.project([behind[0], behind[1], 0.0], size).unwrap();
    assert!((behind_px[0] - px[0]).abs() < 0.5 && (behind_px[1] - px[1]).abs() < 0.5);
    // …but the pixel shows the roof, not the ground.
    let roof_color = up_shade({
        let c = pingan_render::scene::building_color(tallest.kind, tallest.height_m);
        [c[0], c[1], c[2]]
    });
    let got = pixel(&img, px);
    assert!(close(got, roof_color, 10), "roof pixel {got:?}, expected {roof_color:?}");
    assert!(!close(got, up_shade([22, 36, 56]), 10), "ground must be hidden");
    // Picking that pixel returns that building.
    let (o, dir) = camera.ray(px, size);
    let (hit, at) = f.scene.pick_building(o, dir).expect("a building under the cursor");
    assert_eq!(hit, tallest.id);
    assert!((at.z - roof[2]).abs() < 0.5, "hit the roof at {at:?}");
    // Off to the side, at a spot with no building, the pick finds nothing and the ground shows.
    let mut found_ground = false;
    for x in (20..780).step_by(37) {
        for y in (20..580).step_by(41) {
            let p = [x as f32, y as f32];
            let (o, dir) = camera.ray(p, size);
            if f.scene.pick_building(o, dir).is_none() && pixel(&img, p) == pixel(&img, [p[0] + 1.0, p[1]]) {
                found_ground = true;
            }
        }
    }
    assert!(found_ground);
}

#[test]
fn fly_to_ends_with_the_target_at_the_centre() {
    let mut f = fixture();
    let d = district();
    let b = &d.buildings[d.buildings.len() / 2];
    let c = f.scene.frame.local_from_lonlat(b.footprint.centroid());
    let size = [SIZE[0] as f32, SIZE[1] as f32];
    let start = Camera::fit(f.scene.bounds.0, f.scene.bounds.1, size);
    let dest = Camera { target: c, distance_m: 800.0, pitch_deg: 45.0, bearing_deg: 30.0, fov_y_deg: 35.0 };
    let mut flight = Flight::new(start, dest, 0.8);
    let mut steps = 0;
    let cam = loop {
        let (now, done) = flight.step(1.0 / 60.0);
        steps += 1;
        if done {
            break now;
        }
        assert!(steps < 200);
    };
    let p = cam.project([c[0], c[1], 0.0], size).unwrap();
    assert!((p[0] - 400.0).abs() < 0.5 && (p[1] - 300.0).abs() < 0.5, "{p:?}");
    // A marker at the target is drawn at the centre of the frame.
    let marker = [Marker::worker([c[0] as f32, c[1] as f32, 0.0], [0.22, 1.0, 0.53, 1.0], 10.0)];
    let img = f.render(&frame(cam, None, &marker));
    assert!(close(pixel(&img, [400.0, 300.0]), [56, 255, 135], 3), "{:?}", pixel(&img, [400.0, 300.0]));
}

#[test]
fn chunks_out_of_view_are_culled_and_the_close_view_still_draws_its_buildings() {
    let mut f = fixture();
    let size = [SIZE[0] as f32, SIZE[1] as f32];
    let whole = Camera::fit(f.scene.bounds.0, f.scene.bounds.1, size);
    f.render(&frame(whole, None, &[]));
    assert_eq!(f.renderer.visible_chunks(), f.renderer.chunk_count(), "the whole district shows every chunk");
    let d = district();
    let tallest = d.buildings.iter().max_by(|a, b| a.height_m.total_cmp(&b.height_m)).unwrap();
    let roof = f.scene.roof_centre(tallest.id).unwrap();
    let near =
        Camera { target: [roof[0], roof[1]], distance_m: 400.0, pitch_deg: 50.0, bearing_deg: 0.0, fov_y_deg: 35.0 };
    let img = f.render(&frame(near, None, &[]));
    assert!(
        f.renderer.visible_chunks() < f.renderer.chunk_count() / 4,
        "{} of {}",
        f.renderer.visible_chunks(),
        f.renderer.chunk_count()
    );
    let px = near.project(roof, size).unwrap();
    let c = pingan_render::scene::building_color(tallest.kind, tallest.height_m);
    assert!(
        close(pixel(&img, px), up_shade([c[0], c[1], c[2]]), 10),
        "the culled view still draws the building in front"
    );
}

#[test]
fn a_courtyard_keeps_its_hole_in_3d() {
    // One building in the district: a 60 m square block, 30 m high, around a 30 m square courtyard.
    let mut d = district().clone();
    let first = Scene::from_district(&d);
    let frame_of = first.frame;
    let centre = d.towns[0].label_at;
    let c = frame_of.local_from_lonlat(centre);
    let square = |half: f64, ccw: bool| -> Vec<pingan_core::LonLat> {
        let mut r: Vec<[f64; 2]> = vec![[-half, -half], [half, -half], [half, half], [-half, half]];
        if !ccw {
            r.reverse();
        }
        r.iter().map(|p| frame_of.lonlat_from_local([c[0] + p[0], c[1] + p[1]])).collect()
    };
    let mut b = d.buildings[0].clone();
    b.footprint = pingan_core::Polygon { exterior: square(30.0, true), holes: vec![square(15.0, false)] };
    b.height_m = 30.0;
    d.buildings = vec![b.clone()];
    let gpu = Headless::new().expect("a GPU adapter (lavapipe in CI: apt-get install mesa-vulkan-drivers)");
    let scene = Scene::from_district(&d);
    assert_eq!(scene.frame.local_from_lonlat(centre), c, "the same local frame");
    let renderer = SceneRenderer::new(&gpu.device, &gpu.adapter, &scene);
    let mut f = Fixture { gpu, scene, renderer };
    // From straight above, 400 m up.
    let camera = Camera { target: c, distance_m: 400.0, pitch_deg: 0.0, bearing_deg: 0.0, fov_y_deg: 35.0 };
    let img = f.render(&frame(camera, None, &[]));
    let size = [SIZE[0] as f32, SIZE[1] as f32];
    let roof_color = up_shade({
        let k = pingan_render::scene::building_color(b.kind, b.height_m);
        [k[0], k[1], k[2]]
    });
    let at = |dx: f64, dy: f64, z: f64| camera.project([c[0] + dx, c[1] + dy, z], size).unwrap();
    // The block itself is roof…
    for (dx, dy) in [(22.0, 0.0), (-22.0, 5.0), (0.0, 22.0), (3.0, -22.0)] {
        let got = pixel(&img, at(dx, dy, 30.0));
        assert!(close(got, roof_color, 10), "roof at ({dx}, {dy}): {got:?}, expected {roof_color:?}");
    }
    // …the courtyard is open to the ground: no roof over it, and a pick through it finds no building.
    let ground = pixel(&img, at(0.0, 0.0, 0.0));
    assert!(!close(ground, roof_color, 10), "the courtyard shows the ground, not a roof: {ground:?}");
    let outside = pixel(&img, at(60.0, 60.0, 0.0));
    assert!(close(ground, outside, 6), "the courtyard's ground {ground:?} is the ground outside {outside:?}");
    let (o, dir) = camera.ray(at(0.0, 0.0, 0.0), size);
    assert!(f.scene.pick_building(o, dir).is_none(), "nothing to pick in the courtyard");
    let (o, dir) = camera.ray(at(22.0, 0.0, 30.0), size);
    assert_eq!(f.scene.pick_building(o, dir).map(|h| h.0), Some(b.id), "the block is picked");
}

#[test]
fn level_of_detail_leaves_out_only_what_is_too_small_to_see() {
    let mut f = fixture();
    let size = [SIZE[0] as f32, SIZE[1] as f32];
    let (min, max) = f.scene.bounds;
    let mut far = Camera::fit(min, max, size);
    far.pitch_deg = 45.0;
    far.bearing_deg = 20.0;
    let drawn = |f: &mut Fixture, camera: Camera, px: f32| {
        let mut input = frame(camera, None, &[]);
        input.min_building_px = px;
        let img = f.render(&input);
        (f.renderer.drawn_triangles(), img)
    };
    // The whole district: most buildings are under a pixel and a half, and are left out.
    let (all, _) = drawn(&mut f, far, 0.0);
    let (lod, _) = drawn(&mut f, far, pingan_render::gpu::DEFAULT_MIN_BUILDING_PX);
    assert!(lod * 2 < all, "zoomed out, the level of detail draws {lod} of {all} triangles");
    // Close up on the largest building: everything in view is drawn, and the building is there.
    let d = district();
    let big = d
        .buildings
        .iter()
        .max_by(|a, b| {
            let s = |x: &pingan_core::Building| {
                x.footprint.bbox().map_or(0.0, |b| (b.max.lon - b.min.lon).max(b.max.lat - b.min.lat))
            };
            s(a).total_cmp(&s(b))
        })
        .unwrap();
    let roof = f.scene.roof_centre(big.id).unwrap();
    let near =
        Camera { target: [roof[0], roof[1]], distance_m: 400.0, pitch_deg: 30.0, bearing_deg: 0.0, fov_y_deg: 35.0 };
    let (all_near, _) = drawn(&mut f, near, 0.0);
    let (lod_near, img) = drawn(&mut f, near, pingan_render::gpu::DEFAULT_MIN_BUILDING_PX);
    assert_eq!(lod_near, all_near, "close up, nothing in view is left out");
    let roof_color = up_shade({
        let c = pingan_render::scene::building_color(big.kind, big.height_m);
        [c[0], c[1], c[2]]
    });
    let px = near.project(roof, size).unwrap();
    assert!(close(pixel(&img, px), roof_color, 10), "the big building's roof: {:?}", pixel(&img, px));
    // And from far away the biggest building is still drawn (it does not pop out).
    let (_, img) = drawn(&mut f, Camera { distance_m: 6_000.0, ..near }, pingan_render::gpu::DEFAULT_MIN_BUILDING_PX);
    let px = Camera { distance_m: 6_000.0, ..near }.project(roof, size).unwrap();
    assert!(close(pixel(&img, px), roof_color, 12), "from 6 km the big roof is there: {:?}", pixel(&img, px));
}
