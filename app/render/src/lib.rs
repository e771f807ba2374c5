//! `pingan-render`: the wgpu 3D street map.
//!
//! What it is for: taking scene data (a [`pingan_core::District`], tessellated once into a [`Scene`]) and a
//! [`Camera`], and producing pixels — extruded buildings with shaded walls and roofs, ground, water, roads, the
//! five-colour governance-unit fills and outlines, event beacons and grid-worker dots — into its own offscreen
//! colour + depth (+ MSAA) target; and answering picking questions exactly on the CPU.
//!
//! What it is not for: it knows nothing of egui panels, of the sync server or of files. The desktop composites
//! [`SceneRenderer::output_view`] into its panel and draws labels with egui on top.

pub mod bench;
pub mod buildings;
pub mod camera;
pub mod gpu;
pub mod scene;

pub use camera::{Camera, Flight};
pub use gpu::{FrameInput, Headless, Marker, RenderError, SceneRenderer};
pub use scene::{FillLevel, Scene};
