//! The 3D camera: an orbit around a target on the ground, with tilt (pitch) and rotation (bearing).
//!
//! Spaces: `local` metres (x east, y north, z up) → `view` → `clip` (reversed-Z, infinite far plane) → `px`
//! (physical pixels of the viewport, origin top-left). All math in f64; matrices go to the GPU as f32.

use glam::{DMat4, DVec3, DVec4, Mat4};

/// Metres per pixel at zoom 0 on the equator with 256-px tiles (Web Mercator), as the slippy map uses.
pub const M_PER_PX_Z0: f64 = 156_543.033_928;

/// An orbit camera.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    /// The ground point looked at, in local metres.
    pub target: [f64; 2],
    /// Distance from the eye to the target in metres.
    pub distance_m: f64,
    /// Tilt from straight down: 0° is top-down, 70° looks towards the horizon.
    pub pitch_deg: f64,
    /// Rotation: the compass direction the camera faces, degrees clockwise from north.
    pub bearing_deg: f64,
    /// Vertical field of view in degrees.
    pub fov_y_deg: f64,
}

/// Limits on what the operator can do with the camera.
pub const MAX_PITCH_DEG: f64 = 70.0;
/// Closest approach (a single building fills the view).
pub const MIN_DISTANCE_M: f64 = 60.0;
/// Farthest (a whole city).
pub const MAX_DISTANCE_M: f64 = 400_000.0;

impl Default for Camera {
    fn default() -> Self {
        Self { target: [0.0, 0.0], distance_m: 50_000.0, pitch_deg: 0.0, bearing_deg: 0.0, fov_y_deg: 35.0 }
    }
}

impl Camera {
    /// Keep pitch and distance within limits, bearing in [0, 360).
    pub fn clamped(mut self) -> Self {
        self.pitch_deg = self.pitch_deg.clamp(0.0, MAX_PITCH_DEG);
        self.distance_m = self.distance_m.clamp(MIN_DISTANCE_M, MAX_DISTANCE_M);
        self.bearing_deg = self.bearing_deg.rem_euclid(360.0);
        self
    }

    /// Unit vector on the ground pointing where the camera faces.
    pub fn forward_ground(&self) -> [f64; 2] {
        let b = self.bearing_deg.to_radians();
        [b.sin(), b.cos()]
    }

    /// Eye position in local metres.
    pub fn eye(&self) -> DVec3 {
        let p = self.pitch_deg.to_radians();
        let f = self.forward_ground();
        let t = DVec3::new(self.target[0], self.target[1], 0.0);
        t + DVec3::new(-f[0] * p.sin(), -f[1] * p.sin(), p.cos()) * self.distance_m
    }

    /// `view_from_local`.
    pub fn view_from_local(&self) -> DMat4 {
        let f = self.forward_ground();
        let up = DVec3::new(f[0], f[1], 0.0);
        DMat4::look_at_rh(self.eye(), DVec3::new(self.target[0], self.target[1], 0.0), up)
    }

    /// `clip_from_view`: perspective with reversed Z and no far plane (depth 1 at the near plane, 0 at infinity).
    pub fn clip_from_view(&self, aspect: f64) -> DMat4 {
        let near = (self.distance_m * 0.002).max(0.5);
        DMat4::perspective_infinite_reverse_rh(self.fov_y_deg.to_radians(), aspect.max(1e-3), near)
    }

    /// `clip_from_local` for a viewport of `size_px`, as f32 for the GPU.
    pub fn clip_from_local(&self, size_px: [f32; 2]) -> Mat4 {
        let aspect = size_px[0] as f64 / size_px[1].max(1.0) as f64;
        (self.clip_from_view(aspect) * self.view_from_local()).as_mat4()
    }

    /// `px_from_local`: where a local point lands in the viewport, or `None` behind the camera.
    pub fn project(&self, p_local: [f64; 3], size_px: [f32; 2]) -> Option<[f32; 2]> {
        let aspect = size_px[0] as f64 / size_px[1].max(1.0) as f64;
        let clip =
            self.clip_from_view(aspect) * self.view_from_local() * DVec4::new(p_local[0], p_local[1], p_local[2], 1.0);
        if clip.w <= 1e-9 {
            return None;
        }
        let ndc = [clip.x / clip.w, clip.y / clip.w];
        Some([((ndc[0] + 1.0) * 0.5 * size_px[0] as f64) as f32, ((1.0 - ndc[1]) * 0.5 * size_px[1] as f64) as f32])
    }

    /// The ray through pixel `px`: origin (the eye) and unit direction, in local metres.
    pub fn ray(&self, px: [f32; 2], size_px: [f32; 2]) -> (DVec3, DVec3) {
        let aspect = size_px[0] as f64 / size_px[1].max(1.0) as f64;
        let ndc_x = px[0] as f64 / size_px[0] as f64 * 2.0 - 1.0;
        let ndc_y = 1.0 - px[1] as f64 / size_px[1] as f64 * 2.0;
        let local_from_clip = (self.clip_from_view(aspect) * self.view_from_local()).inverse();
        // Reversed Z: the near plane is at depth 1.
        let near = local_from_clip * DVec4::new(ndc_x, ndc_y, 1.0, 1.0);
        let near = near.truncate() / near.w;
        let eye = self.eye();
        (eye, (near - eye).normalize())
    }

    /// Where the ray through `px` meets the ground (z = 0), if it does.
    pub fn ground_at(&self, px: [f32; 2], size_px: [f32; 2]) -> Option<[f64; 2]> {
        let (o, d) = self.ray(px, size_px);
        if d.z >= -1e-9 {
            return None;
        }
        let t = -o.z / d.z;
        Some([o.x + d.x * t, o.y + d.y * t])
    }

    /// Slippy-map zoom level with the same ground scale at the target (top-down equivalent) for a viewport
    /// `height_px` tall at latitude `lat_deg`.
    pub fn zoom(&self, lat_deg: f64, height_px: f32) -> f64 {
        let m_per_px = 2.0 * self.distance_m * (self.fov_y_deg.to_radians() / 2.0).tan() / height_px.max(1.0) as f64;
        (M_PER_PX_Z0 * lat_deg.to_radians().cos() / m_per_px).log2()
    }

    /// Set the distance so the ground scale matches slippy-map `zoom` (the inverse of [`Camera::zoom`]).
    pub fn set_zoom(&mut self, zoom: f64, lat_deg: f64, height_px: f32) {
        let m_per_px = M_PER_PX_Z0 * lat_deg.to_radians().cos() / 2f64.powf(zoom);
        self.distance_m = (m_per_px * height_px.max(1.0) as f64 / (2.0 * (self.fov_y_deg.to_radians() / 2.0).tan()))
            .clamp(MIN_DISTANCE_M, MAX_DISTANCE_M);
    }

    /// Top-down camera that shows the box `min..max` (local metres) whole in a viewport of `size_px`.
    pub fn fit(min: [f64; 2], max: [f64; 2], size_px: [f32; 2]) -> Self {
        let mut c = Camera { target: [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0], ..Default::default() };
        let aspect = size_px[0] as f64 / size_px[1].max(1.0) as f64;
        let half_h = (max[1] - min[1]) / 2.0;
        let half_w = (max[0] - min[0]) / 2.0;
        let half = half_h.max(half_w / aspect) * 1.06;
        c.distance_m = half / (c.fov_y_deg.to_radians() / 2.0).tan();
        c.clamped()
    }

    /// Interpolate towards `to` by `t` in 0..=1 (bearing the short way round).
    pub fn lerp(&self, to: &Camera, t: f64) -> Camera {
        let l = |a: f64, b: f64| a + (b - a) * t;
        let mut db = (to.bearing_deg - self.bearing_deg).rem_euclid(360.0);
        if db > 180.0 {
            db -= 360.0;
        }
        Camera {
            target: [l(self.target[0], to.target[0]), l(self.target[1], to.target[1])],
            // Distance interpolates geometrically so zooming feels even.
            distance_m: (self.distance_m.ln() + (to.distance_m.ln() - self.distance_m.ln()) * t).exp(),
            pitch_deg: l(self.pitch_deg, to.pitch_deg),
            bearing_deg: (self.bearing_deg + db * t).rem_euclid(360.0),
            fov_y_deg: l(self.fov_y_deg, to.fov_y_deg),
        }
    }
}

/// A smooth camera flight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flight {
    from: Camera,
    to: Camera,
    elapsed_s: f64,
    duration_s: f64,
}

impl Flight {
    /// Fly from `from` to `to` in `duration_s` seconds.
    pub fn new(from: Camera, to: Camera, duration_s: f64) -> Self {
        Self { from, to, elapsed_s: 0.0, duration_s: duration_s.max(1e-3) }
    }

    /// Advance by `dt_s`; returns the camera now and whether the flight has ended.
    pub fn step(&mut self, dt_s: f64) -> (Camera, bool) {
        self.elapsed_s = (self.elapsed_s + dt_s.max(0.0)).min(self.duration_s);
        let x = self.elapsed_s / self.duration_s;
        let eased = x * x * (3.0 - 2.0 * x);
        let done = self.elapsed_s >= self.duration_s;
        (if done { self.to } else { self.from.lerp(&self.to, eased) }, done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_projects_to_centre_at_any_tilt_and_bearing() {
        for (pitch, bearing) in [(0.0, 0.0), (45.0, 20.0), (70.0, 300.0)] {
            let c = Camera {
                target: [500.0, -200.0],
                distance_m: 2000.0,
                pitch_deg: pitch,
                bearing_deg: bearing,
                fov_y_deg: 35.0,
            };
            let p = c.project([500.0, -200.0, 0.0], [1920.0, 1080.0]).unwrap();
            assert!((p[0] - 960.0).abs() < 0.01 && (p[1] - 540.0).abs() < 0.01, "{p:?}");
            let g = c.ground_at([960.0, 540.0], [1920.0, 1080.0]).unwrap();
            assert!((g[0] - 500.0).abs() < 1e-6 && (g[1] + 200.0).abs() < 1e-6, "{g:?}");
        }
    }

    #[test]
    fn top_down_north_is_up_and_east_is_right() {
        let c = Camera { distance_m: 1000.0, ..Default::default() };
        let north = c.project([0.0, 100.0, 0.0], [800.0, 800.0]).unwrap();
        let east = c.project([100.0, 0.0, 0.0], [800.0, 800.0]).unwrap();
        assert!(north[1] < 400.0 && (north[0] - 400.0).abs() < 0.01);
        assert!(east[0] > 400.0 && (east[1] - 400.0).abs() < 0.01);
    }

    #[test]
    fn zoom_round_trips() {
        let mut c = Camera::default();
        c.set_zoom(15.3, 30.4, 1000.0);
        assert!((c.zoom(30.4, 1000.0) - 15.3).abs() < 1e-9);
    }

    #[test]
    fn flight_ends_exactly_at_destination() {
        let a = Camera::default();
        let b = Camera {
            target: [1234.0, -987.0],
            distance_m: 300.0,
            pitch_deg: 60.0,
            bearing_deg: 350.0,
            fov_y_deg: 35.0,
        };
        let mut f = Flight::new(a, b, 0.8);
        let mut cam = a;
        for _ in 0..100 {
            let (c, done) = f.step(1.0 / 60.0);
            cam = c;
            if done {
                break;
            }
        }
        assert_eq!(cam, b);
        // The short way round: 0° → 350° passes through 355°, not 180°.
        let mid = a.lerp(&b, 0.5);
        assert!((mid.bearing_deg - 355.0).abs() < 1e-9, "{}", mid.bearing_deg);
    }
}
