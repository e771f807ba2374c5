//! `pingan-render`: the wgpu 3D street map.
//!
//! What it is for: taking scene data (a [`pingan_core::District`], tessellated once into a [`Scene`]) and a
//! [`Camera`], and producing pixels — extruded buildings with shaded walls and roofs, ground, water, roads, the
//! five-colour governance-unit fills and outlines, event beacons and grid-worker dots — into its own offscreen
//! colour + depth (+ MSAA) target; and answering picking questions exactly on the CPU.
//!
//! What it is not for: it knows nothing of egui panels, of the sync server or of files. The desktop composites
//! [`SceneRenderer::output_view`] into its panel and draws labels with egui on top.
//!
//! ## The frame
//!
//! `shaders/scene.wgsl` draws the static map in one vertex format (position in `local` metres, normal, colour, unit
//! slot): opaque ground, water, roads and outlines first, then the translucent fills of the chosen level, whose colour
//! comes from a storage buffer indexed by unit slot — recolouring the five-colour map rewrites ~30 KB and never
//! touches geometry. `shaders/buildings.wgsl` draws the buildings from compact data ([`buildings`]): 8-byte vertices
//! quantised around their 1.5 km chunk, 16-bit indices per chunk, colour and pick id once per building in a storage
//! buffer, normals from the position's derivatives. Each chunk's box is tested against the frustum on the CPU, and a
//! chunk draws only its buildings at least ~1.5 px across at its nearest point (they are sorted largest first, so the
//! big ones never drop out). `shaders/markers.wgsl` draws events and workers instanced (12 vertices per instance: a
//! screen-sized disc and a beam); `shaders/composite.wgsl` puts the offscreen image into egui's pass. Depth is
//! reversed-Z with an infinite far plane (Depth32Float cleared to 0), so the flat layers 0.4–1.6 m apart never fight
//! even from 60 km away.
//!
//! Picking never touches the GPU: the ray through the pixel is tested against the roofs and walls of the buildings
//! whose boxes the ray's ground shadow crosses — found through the chunks' boxes, then the boxes of the chunk's
//! buildings (an R-tree over a million footprints took longer to build than the whole tessellation) — with
//! `pingan_core::planar`'s even–odd test for the roof, so a courtyard has none; the nearest hit wins, so a tall
//! building hides the ones behind it exactly as in the image.

pub mod bench;
pub mod buildings;
pub mod camera;
pub mod gpu;
pub mod scene;

pub use camera::{Camera, Flight};
pub use gpu::{FrameInput, Headless, Marker, RenderError, SceneRenderer};
pub use scene::{FillLevel, Scene};
