//! The 3D street map inside the app, rendered for real through wgpu (lavapipe in CI) by egui_kittest.

use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use pingan_core::LonLat;
use pingan_desktop::state::Picked;
use pingan_desktop::{AppOptions, PinganApp};
use pingan_tests::test_options;

fn harness(options: AppOptions) -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .with_options(SnapshotOptions::new().threshold(2.0).max_failed_pixels(4000))
        .wgpu()
        .build_eframe(move |cc| PinganApp::new(cc, options))
}

#[test]
fn switching_to_3d_keeps_the_place_and_renders_the_district() {
    let d = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
    let town = &d.towns[9];
    let at = town.label_at;
    let mut h = harness(AppOptions { initial_view: Some((at, 14.0)), ..test_options() });
    h.run_steps(3);
    assert!(h.state().view.map3d.gpu, "the harness gives the app a wgpu render state");
    // Let the first assessment arrive and the layout settle before clicking, so the click lands on the button.
    h.state_mut().state.assessment.wait();
    h.run_steps(4);
    h.get_by_label("3D 实景").click();
    h.run_steps(3);
    assert_eq!(h.state().state.map_mode, pingan_desktop::MapMode::Map3d, "the 3D button switched the view");
    let height = h.state().view.map3d.last_size.y;
    let (centre, zoom) = h.state().view.map3d.to_2d(height);
    assert!(centre.distance_m(at) < 1.0, "3D looks where 2D looked: {centre:?} vs {at:?}");
    assert!((zoom - 14.0).abs() < 1e-6, "same ground scale: zoom {zoom}");
    // Tilt and rotate, then look.
    {
        let v = &mut h.state_mut().view.map3d;
        v.camera.pitch_deg = 55.0;
        v.camera.bearing_deg = 25.0;
    }
    // The five-colour fill comes from the assessment worker: wait for it so the image is stable.
    h.state_mut().state.assessment.wait();
    h.run_steps(3);
    h.snapshot("view3d_tilted");
    // Click a building: find a pixel whose ray hits one (exact CPU picking), click there, its card opens.
    // (Beacons are picked before buildings; take the events away so none sits on the chosen pixel.)
    h.state_mut().state.situation.events.clear();
    h.run_steps(1);
    let rect = h.state().view.map3d.last_rect;
    let cam = h.state().view.map3d.camera;
    let scene = h.state().view.map3d.scene.clone();
    let size = [rect.width(), rect.height()];
    let mut target = None;
    'search: for y in (120..(size[1] as i32 - 120)).step_by(9) {
        for x in (100..(size[0] as i32 - 300)).step_by(9) {
            let (o, dir) = cam.ray([x as f32, y as f32], size);
            if let Some((b, _)) = scene.pick_building(o, dir) {
                target = Some((b, rect.min + egui::vec2(x as f32, y as f32)));
                break 'search;
            }
        }
    }
    let (building, pos) = target.expect("buildings are on screen at zoom 14");
    h.hover_at(pos);
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        });
        h.run_steps(1);
    }
    assert_eq!(h.state().view.map3d.card, Some(Picked::Building(building)));
    h.run_steps(2);
    // Back to 2D: the map is where the 3D camera was.
    h.get_by_label("2D 地图").click();
    h.run_steps(3);
    let m = h.state().view.map2d.memory.detached().expect("map centred");
    assert!(LonLat::new(m.x(), m.y()).distance_m(at) < 1.0);
}
