//! The wgpu side: pipelines, buffers uploaded once, and an offscreen colour + depth (+ MSAA) target per size.
//!
//! A frame writes one uniform block and one instance buffer (events and workers), then draws: opaque geometry
//! (ground, water, roads, outlines, buildings) with depth, translucent unit fills blended over it, then markers.
//! The resolved colour texture is what the app composites into its panel, and what tests and benchmarks read back.

use crate::camera::Camera;
use crate::scene::{FillLevel, Scene, Vertex};
use bytemuck::{Pod, Zeroable};
use pingan_core::BuildingId;
use wgpu::util::DeviceExt;

/// Format of the offscreen colour target (values are sRGB-encoded already, like egui's).
pub const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// Depth format (reversed Z: cleared to 0, nearer is greater).
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// What can go wrong with the GPU.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No adapter (no GPU and no software Vulkan/GL either).
    #[error("no GPU adapter found ({0}); install Mesa's lavapipe (mesa-vulkan-drivers) or set WGPU_BACKEND=gl")]
    NoAdapter(String),
    /// The adapter refused to give a device.
    #[error("could not open the GPU device: {0}")]
    Device(String),
    /// Reading pixels back failed.
    #[error("could not read the frame back: {0}")]
    Readback(String),
}

/// A device and queue with no window (tests, benchmarks, headless rendering).
pub struct Headless {
    /// Device.
    pub device: wgpu::Device,
    /// Queue.
    pub queue: wgpu::Queue,
    /// The adapter.
    pub adapter: wgpu::Adapter,
    /// Which adapter it is.
    pub info: wgpu::AdapterInfo,
}

impl Headless {
    /// Open the first adapter allowed by `WGPU_BACKEND` (default: any), preferring a real GPU.
    pub fn new() -> Result<Self, RenderError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        }))
        .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("pingan-render headless"),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device(e.to_string()))?;
        Ok(Self { device, queue, adapter, info })
    }
}

/// Uniform block shared by the shaders (see `shaders/scene.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Globals {
    clip_from_local: [[f32; 4]; 4],
    light_dir: [f32; 4],
    highlight: [u32; 4],
    params: [f32; 4],
}

/// One live marker: an event beacon or a grid worker (48 bytes, see `shaders/markers.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct Marker {
    /// Anchor on the ground, local metres.
    pub position: [f32; 3],
    /// Disc radius in pixels.
    pub size_px: f32,
    /// Colour (sRGB values, 0..1).
    pub color: [f32; 4],
    /// 0 worker, 1 event, 2 overdue event (pulses).
    pub kind: u32,
    /// Beam height in metres (events).
    pub beam_m: f32,
    _pad: [f32; 2],
}

impl Marker {
    /// A grid worker's dot.
    pub fn worker(position: [f32; 3], color: [f32; 4], size_px: f32) -> Self {
        Self { position, size_px, color, kind: 0, beam_m: 0.0, _pad: [0.0; 2] }
    }

    /// An event beacon: a disc on a beam of light.
    pub fn event(position: [f32; 3], color: [f32; 4], size_px: f32, beam_m: f32, overdue: bool) -> Self {
        Self { position, size_px, color, kind: if overdue { 2 } else { 1 }, beam_m, _pad: [0.0; 2] }
    }
}

/// What to draw this frame.
#[derive(Clone, Copy, Debug)]
pub struct FrameInput<'a> {
    /// Camera.
    pub camera: Camera,
    /// Output size in physical pixels.
    pub size_px: [u32; 2],
    /// Which unit level gets the five-colour fill (`None`: no fill).
    pub fill_level: Option<FillLevel>,
    /// Fill opacity, 0..1.
    pub fill_opacity: f32,
    /// Building to highlight.
    pub highlight_building: Option<BuildingId>,
    /// Unit slot to highlight.
    pub highlight_unit: Option<u32>,
    /// Seconds, for pulsing.
    pub time_s: f32,
    /// Events and workers.
    pub markers: &'a [Marker],
    /// Level of detail: buildings smaller than this many pixels (at their chunk's nearest point) are not drawn;
    /// 0 draws every building. [`DEFAULT_MIN_BUILDING_PX`] is what the app uses.
    pub min_building_px: f32,
}

/// The app's level of detail: a building under a pixel and a half across is not drawn.
pub const DEFAULT_MIN_BUILDING_PX: f32 = 1.5;

struct Targets {
    size: [u32; 2],
    msaa: Option<wgpu::TextureView>,
    resolved: wgpu::Texture,
    resolved_view: wgpu::TextureView,
    depth: wgpu::TextureView,
}

/// The 3D map renderer: static scene on the GPU, offscreen targets, per-frame markers.
pub struct SceneRenderer {
    opaque_pipeline: wgpu::RenderPipeline,
    fill_pipeline: wgpu::RenderPipeline,
    marker_pipeline: wgpu::RenderPipeline,
    globals: wgpu::Buffer,
    unit_colors: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    opaque_vb: wgpu::Buffer,
    opaque_ib: wgpu::Buffer,
    opaque_count: u32,
    grid_outlines: std::ops::Range<u32>,
    buildings_pipeline: wgpu::RenderPipeline,
    buildings_vb: wgpu::Buffer,
    buildings_ib: wgpu::Buffer,
    /// One [`ChunkUniform`] per chunk, [`CHUNK_UNIFORM_STRIDE`] apart (bound with a dynamic offset).
    chunk_group: wgpu::BindGroup,
    chunks: Vec<crate::scene::Chunk>,
    visible_chunks: usize,
    drawn_triangles: usize,
    fill_vb: wgpu::Buffer,
    fill_ib: wgpu::Buffer,
    fill_ranges: crate::scene::FillRanges,
    markers: wgpu::Buffer,
    marker_capacity: usize,
    targets: Option<Targets>,
    sample_count: u32,
    static_bytes: u64,
}

/// A chunk's uniform: its origin and its first building (32 bytes, padded to the dynamic-offset alignment).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ChunkUniform {
    origin: [f32; 4],
    base: [u32; 4],
}

/// Distance between chunk uniforms: the largest dynamic uniform offset alignment wgpu allows (256).
const CHUNK_UNIFORM_STRIDE: u64 = 256;

/// A read-only storage buffer at `binding`, for the vertex stage.
fn storage_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only: true },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn building_vertex_layout() -> wgpu::VertexBufferLayout<'static> {
    const ATTRS: [wgpu::VertexAttribute; 1] = wgpu::vertex_attr_array![0 => Sint16x4];
    wgpu::VertexBufferLayout {
        array_stride: std::mem::size_of::<crate::scene::BuildingVertex>() as u64,
        step_mode: wgpu::VertexStepMode::Vertex,
        attributes: &ATTRS,
    }
}

fn vertex_layout() -> wgpu::VertexBufferLayout<'static> {
    const ATTRS: [wgpu::VertexAttribute; 5] =
        wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 2 => Unorm8x4, 3 => Uint32, 4 => Uint32];
    wgpu::VertexBufferLayout {
        array_stride: std::mem::size_of::<Vertex>() as u64,
        step_mode: wgpu::VertexStepMode::Vertex,
        attributes: &ATTRS,
    }
}

fn marker_layout() -> wgpu::VertexBufferLayout<'static> {
    const ATTRS: [wgpu::VertexAttribute; 5] =
        wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32, 2 => Float32x4, 3 => Uint32, 4 => Float32];
    wgpu::VertexBufferLayout {
        array_stride: std::mem::size_of::<Marker>() as u64,
        step_mode: wgpu::VertexStepMode::Instance,
        attributes: &ATTRS,
    }
}

/// The four render pipelines.
struct Pipelines {
    opaque: wgpu::RenderPipeline,
    buildings: wgpu::RenderPipeline,
    fill: wgpu::RenderPipeline,
    marker: wgpu::RenderPipeline,
}

/// The layout of the bind group every pipeline uses: the globals, the unit colours and the buildings' attributes.
fn globals_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("scene globals"),
        entries: &[
            wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            },
            // The unit colours and the buildings' attributes, read by the vertex shaders.
            storage_entry(1),
            storage_entry(2),
        ],
    })
}

/// The layout of a building chunk's bind group: its [`ChunkUniform`], at a dynamic offset.
fn chunk_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("building chunk"),
        entries: &[wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::VERTEX,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: true,
                min_binding_size: wgpu::BufferSize::new(std::mem::size_of::<ChunkUniform>() as u64),
            },
            count: None,
        }],
    })
}

/// Every chunk's [`ChunkUniform`], [`CHUNK_UNIFORM_STRIDE`] apart, in one uniform buffer.
fn chunk_uniforms(device: &wgpu::Device, geo: &crate::buildings::Buildings) -> wgpu::Buffer {
    let mut chunk_bytes = vec![0u8; (geo.chunks.len().max(1) as u64 * CHUNK_UNIFORM_STRIDE) as usize];
    for (i, c) in geo.chunks.iter().enumerate() {
        let u = ChunkUniform { origin: [c.origin[0], c.origin[1], 0.0, 0.0], base: [c.buildings.start, 0, 0, 0] };
        let at = i * CHUNK_UNIFORM_STRIDE as usize;
        chunk_bytes[at..at + std::mem::size_of::<ChunkUniform>()].copy_from_slice(bytemuck::bytes_of(&u));
    }
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("building chunks"),
        contents: &chunk_bytes,
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

/// A buffer holding `data` (4 zero bytes when it is empty: wgpu refuses empty buffers).
fn static_buffer(device: &wgpu::Device, label: &str, data: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: if data.is_empty() { &[0u8; 4] } else { data },
        usage,
    })
}

/// The shaders and the pipelines: opaque geometry and buildings with depth, then fills and markers blended.
fn pipelines(
    device: &wgpu::Device,
    bgl: &wgpu::BindGroupLayout,
    chunk_bgl: &wgpu::BindGroupLayout,
    sample_count: u32,
) -> Pipelines {
    let shader = |label: &str, source: &'static str| {
        device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        })
    };
    let scene_shader = shader("scene.wgsl", include_str!("../../../shaders/scene.wgsl"));
    let marker_shader = shader("markers.wgsl", include_str!("../../../shaders/markers.wgsl"));
    let buildings_shader = shader("buildings.wgsl", include_str!("../../../shaders/buildings.wgsl"));
    let buildings_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("buildings"),
        bind_group_layouts: &[Some(bgl), Some(chunk_bgl)],
        immediate_size: 0,
    });
    let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("scene"),
        bind_group_layouts: &[Some(bgl)],
        immediate_size: 0,
    });
    let pipeline = |label: &str,
                    layout: &wgpu::PipelineLayout,
                    shader: &wgpu::ShaderModule,
                    buffers: &[Option<wgpu::VertexBufferLayout<'_>>],
                    depth_write: bool,
                    compare: wgpu::CompareFunction,
                    blend: Option<wgpu::BlendState>| {
        device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(label),
            layout: Some(layout),
            vertex: wgpu::VertexState {
                module: shader,
                entry_point: Some("vs_main"),
                buffers,
                compilation_options: Default::default(),
            },
            fragment: Some(wgpu::FragmentState {
                module: shader,
                entry_point: Some("fs_main"),
                targets: &[Some(wgpu::ColorTargetState {
                    format: COLOR_FORMAT,
                    blend,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
                compilation_options: Default::default(),
            }),
            primitive: wgpu::PrimitiveState { cull_mode: None, ..Default::default() },
            depth_stencil: Some(wgpu::DepthStencilState {
                format: DEPTH_FORMAT,
                depth_write_enabled: Some(depth_write),
                depth_compare: Some(compare),
                stencil: Default::default(),
                bias: Default::default(),
            }),
            multisample: wgpu::MultisampleState { count: sample_count, ..Default::default() },
            multiview_mask: None,
            cache: None,
        })
    };
    let greater = wgpu::CompareFunction::Greater;
    let blend = Some(wgpu::BlendState::ALPHA_BLENDING);
    Pipelines {
        opaque: pipeline("scene opaque", &layout, &scene_shader, &[Some(vertex_layout())], true, greater, None),
        buildings: pipeline(
            "buildings",
            &buildings_layout,
            &buildings_shader,
            &[Some(building_vertex_layout())],
            true,
            greater,
            None,
        ),
        fill: pipeline(
            "scene fills",
            &layout,
            &scene_shader,
            &[Some(vertex_layout())],
            false,
            wgpu::CompareFunction::GreaterEqual,
            blend,
        ),
        marker: pipeline(
            "markers",
            &layout,
            &marker_shader,
            &[Some(marker_layout())],
            false,
            wgpu::CompareFunction::Always,
            blend,
        ),
    }
}

impl SceneRenderer {
    /// Upload `scene` once and build the pipelines. Uses 4× MSAA when the adapter supports it.
    pub fn new(device: &wgpu::Device, adapter: &wgpu::Adapter, scene: &Scene) -> Self {
        let msaa_ok = [COLOR_FORMAT, DEPTH_FORMAT]
            .iter()
            .all(|f| adapter.get_texture_format_features(*f).flags.sample_count_supported(4));
        let sample_count = if msaa_ok { 4 } else { 1 };
        let bgl = globals_layout(device);
        let chunk_bgl = chunk_layout(device);
        let geo = &scene.buildings_geo;
        let attrs = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("building attributes"),
            contents: if geo.attrs.is_empty() { &[0u8; 8] } else { bytemuck::cast_slice(&geo.attrs) },
            usage: wgpu::BufferUsages::STORAGE,
        });
        let chunk_uniforms = chunk_uniforms(device, geo);
        let chunk_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("building chunk"),
            layout: &chunk_bgl,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &chunk_uniforms,
                    offset: 0,
                    size: wgpu::BufferSize::new(std::mem::size_of::<ChunkUniform>() as u64),
                }),
            }],
        });
        let globals = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("globals"),
            size: std::mem::size_of::<Globals>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let default_colors: Vec<[f32; 4]> = vec![[0.26, 0.63, 0.28, 1.0]; scene.unit_slots.max(1)];
        let unit_colors = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("unit colours"),
            contents: bytemuck::cast_slice(&default_colors),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scene globals"),
            layout: &bgl,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: globals.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: unit_colors.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: attrs.as_entire_binding() },
            ],
        });
        let pipelines = pipelines(device, &bgl, &chunk_bgl, sample_count);
        let buf = |label: &str, data: &[u8], usage: wgpu::BufferUsages| static_buffer(device, label, data, usage);
        let opaque_vb =
            buf("opaque vertices", bytemuck::cast_slice(&scene.opaque.vertices), wgpu::BufferUsages::VERTEX);
        let opaque_ib = buf("opaque indices", bytemuck::cast_slice(&scene.opaque.indices), wgpu::BufferUsages::INDEX);
        let buildings_vb = buf("building vertices", bytemuck::cast_slice(&geo.vertices), wgpu::BufferUsages::VERTEX);
        // 16-bit indices; padded to 4 bytes (a buffer's size is a multiple of 4).
        let mut index_bytes: Vec<u8> = bytemuck::cast_slice(&geo.indices).to_vec();
        index_bytes.resize(index_bytes.len().next_multiple_of(4), 0);
        let buildings_ib = buf("building indices", &index_bytes, wgpu::BufferUsages::INDEX);
        let fill_vb = buf("fill vertices", bytemuck::cast_slice(&scene.fills.vertices), wgpu::BufferUsages::VERTEX);
        let fill_ib = buf("fill indices", bytemuck::cast_slice(&scene.fills.indices), wgpu::BufferUsages::INDEX);
        let marker_capacity = 4096;
        let markers = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("markers"),
            size: (marker_capacity * std::mem::size_of::<Marker>()) as u64,
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let static_bytes = opaque_vb.size()
            + opaque_ib.size()
            + buildings_vb.size()
            + buildings_ib.size()
            + attrs.size()
            + chunk_uniforms.size()
            + fill_vb.size()
            + fill_ib.size()
            + unit_colors.size()
            + globals.size();
        Self {
            opaque_pipeline: pipelines.opaque,
            fill_pipeline: pipelines.fill,
            marker_pipeline: pipelines.marker,
            globals,
            unit_colors,
            bind_group,
            opaque_vb,
            opaque_ib,
            opaque_count: scene.opaque.indices.len() as u32,
            grid_outlines: scene.grid_outlines.clone(),
            buildings_pipeline: pipelines.buildings,
            buildings_vb,
            buildings_ib,
            chunk_group,
            chunks: geo.chunks.clone(),
            visible_chunks: 0,
            drawn_triangles: 0,
            fill_vb,
            fill_ib,
            fill_ranges: scene.fill_ranges.clone(),
            markers,
            marker_capacity,
            targets: None,
            sample_count,
            static_bytes,
        }
    }

    /// Set the colour of every unit slot (sRGB values 0..1): towns, communities, grids in scene order.
    pub fn set_unit_colors(&self, queue: &wgpu::Queue, colors: &[[f32; 4]]) {
        let max = (self.unit_colors.size() / 16) as usize;
        queue.write_buffer(&self.unit_colors, 0, bytemuck::cast_slice(&colors[..colors.len().min(max)]));
    }

    /// MSAA sample count in use.
    pub fn sample_count(&self) -> u32 {
        self.sample_count
    }

    /// GPU memory held: static buffers, marker buffer and the current targets, in bytes.
    pub fn gpu_bytes(&self) -> u64 {
        self.scene_bytes() + self.markers.size() + self.target_bytes()
    }

    /// GPU memory that grows with the scene: every vertex, index, per-building, per-chunk and unit buffer.
    pub fn scene_bytes(&self) -> u64 {
        self.static_bytes
    }

    /// GPU memory of the render targets (colour, MSAA colour and depth), fixed by the output size.
    pub fn target_bytes(&self) -> u64 {
        self.targets.as_ref().map_or(0, |t| {
            let px = t.size[0] as u64 * t.size[1] as u64;
            px * 4 + px * 4 * self.sample_count as u64 * if t.msaa.is_some() { 2 } else { 1 }
        })
    }

    fn ensure_targets(&mut self, device: &wgpu::Device, size: [u32; 2]) {
        if self.targets.as_ref().is_some_and(|t| t.size == size) {
            return;
        }
        let size3 = wgpu::Extent3d { width: size[0].max(1), height: size[1].max(1), depth_or_array_layers: 1 };
        let tex = |label: &str, format, samples, usage| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: size3,
                mip_level_count: 1,
                sample_count: samples,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        let resolved = tex(
            "3d colour",
            COLOR_FORMAT,
            1,
            wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC,
        );
        let msaa = (self.sample_count > 1).then(|| {
            tex("3d colour msaa", COLOR_FORMAT, self.sample_count, wgpu::TextureUsages::RENDER_ATTACHMENT)
                .create_view(&Default::default())
        });
        let depth = tex("3d depth", DEPTH_FORMAT, self.sample_count, wgpu::TextureUsages::RENDER_ATTACHMENT)
            .create_view(&Default::default());
        let resolved_view = resolved.create_view(&Default::default());
        self.targets = Some(Targets { size, msaa, resolved, resolved_view, depth });
    }

    /// Record a frame into `encoder`. Writes the uniforms and markers (one buffer write each).
    pub fn render(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        input: &FrameInput<'_>,
    ) {
        let size = [input.size_px[0].max(1), input.size_px[1].max(1)];
        self.ensure_targets(device, size);
        let globals = Globals {
            clip_from_local: input.camera.clip_from_local([size[0] as f32, size[1] as f32]).to_cols_array_2d(),
            light_dir: [0.35, -0.5, 0.8, 0.0],
            highlight: [
                input.highlight_building.map_or(0, |b| b.0 + 1),
                input.highlight_unit.unwrap_or(u32::MAX),
                0,
                0,
            ],
            params: [input.fill_opacity, input.time_s, size[0] as f32, size[1] as f32],
        };
        queue.write_buffer(&self.globals, 0, bytemuck::bytes_of(&globals));
        if input.markers.len() > self.marker_capacity {
            self.marker_capacity = input.markers.len().next_power_of_two();
            self.markers = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("markers"),
                size: (self.marker_capacity * std::mem::size_of::<Marker>()) as u64,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
        }
        if !input.markers.is_empty() {
            queue.write_buffer(&self.markers, 0, bytemuck::cast_slice(input.markers));
        }
        let Some(t) = self.targets.as_ref() else { return };
        let (view, resolve) = match &t.msaa {
            Some(m) => (m, Some(&t.resolved_view)),
            None => (&t.resolved_view, None),
        };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("3d map"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view,
                depth_slice: None,
                resolve_target: resolve,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color { r: 8.0 / 255.0, g: 16.0 / 255.0, b: 32.0 / 255.0, a: 1.0 }),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &t.depth,
                depth_ops: Some(wgpu::Operations { load: wgpu::LoadOp::Clear(0.0), store: wgpu::StoreOp::Discard }),
                stencil_ops: None,
            }),
            ..Default::default()
        });
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.set_pipeline(&self.opaque_pipeline);
        pass.set_vertex_buffer(0, self.opaque_vb.slice(..));
        pass.set_index_buffer(self.opaque_ib.slice(..), wgpu::IndexFormat::Uint32);
        // Grid outlines (the tail of the opaque mesh) only when grids are what the fill shows.
        if input.fill_level == Some(FillLevel::Grid) {
            pass.draw_indexed(0..self.opaque_count, 0, 0..1);
        } else {
            pass.draw_indexed(0..self.grid_outlines.start, 0, 0..1);
            pass.draw_indexed(self.grid_outlines.end..self.opaque_count, 0, 0..1);
        }
        // Buildings: only chunks inside the view frustum, each with its origin (a dynamic offset) and its vertices.
        let clip_from_local = glam::Mat4::from_cols_array_2d(&globals.clip_from_local);
        pass.set_pipeline(&self.buildings_pipeline);
        pass.set_index_buffer(self.buildings_ib.slice(..), wgpu::IndexFormat::Uint16);
        let vertex_size = std::mem::size_of::<crate::scene::BuildingVertex>() as u64;
        let eye = input.camera.eye();
        // Metres a pixel covers one metre away (vertical field of view over the output's height).
        let px_per_m_at_1 = (2.0 * (input.camera.fov_y_deg.to_radians() / 2.0).tan()) / f64::from(size[1]);
        let mut visible = 0;
        self.drawn_triangles = 0;
        for (i, c) in self.chunks.iter().enumerate() {
            if !chunk_visible(&clip_from_local, c) {
                continue;
            }
            let indices = if input.min_building_px > 0.0 {
                // The chunk's nearest point to the eye: its smallest buildings' size there, in metres.
                let near = [0, 1, 2].map(|k| eye[k].clamp(f64::from(c.min[k]), f64::from(c.max[k])));
                let d = ((near[0] - eye[0]).powi(2) + (near[1] - eye[1]).powi(2) + (near[2] - eye[2]).powi(2)).sqrt();
                c.indices_at_least((d * px_per_m_at_1) as f32 * input.min_building_px)
            } else {
                c.indices.clone()
            };
            if indices.is_empty() {
                continue;
            }
            visible += 1;
            self.drawn_triangles += (indices.end - indices.start) as usize / 3;
            pass.set_bind_group(1, &self.chunk_group, &[(i as u64 * CHUNK_UNIFORM_STRIDE) as u32]);
            let bytes = c.vertices.start as u64 * vertex_size..c.vertices.end as u64 * vertex_size;
            pass.set_vertex_buffer(0, self.buildings_vb.slice(bytes));
            pass.draw_indexed(indices, 0, 0..1);
        }
        if let Some(level) = input.fill_level {
            let range = match level {
                FillLevel::Town => self.fill_ranges.town.clone(),
                FillLevel::Community => self.fill_ranges.community.clone(),
                FillLevel::Grid => self.fill_ranges.grid.clone(),
            };
            if !range.is_empty() {
                pass.set_pipeline(&self.fill_pipeline);
                pass.set_vertex_buffer(0, self.fill_vb.slice(..));
                pass.set_index_buffer(self.fill_ib.slice(..), wgpu::IndexFormat::Uint32);
                pass.draw_indexed(range, 0, 0..1);
            }
        }
        if !input.markers.is_empty() {
            pass.set_pipeline(&self.marker_pipeline);
            pass.set_vertex_buffer(0, self.markers.slice(..));
            pass.draw(0..12, 0..input.markers.len() as u32);
        }
        drop(pass);
        self.visible_chunks = visible;
    }

    /// How many building triangles the last frame drew (after culling and the level of detail).
    pub fn drawn_triangles(&self) -> usize {
        self.drawn_triangles
    }

    /// How many building chunks the last frame drew (of [`SceneRenderer::chunk_count`]).
    pub fn visible_chunks(&self) -> usize {
        self.visible_chunks
    }

    /// Number of building chunks.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// The last frame's resolved colour, for compositing.
    pub fn output_view(&self) -> Option<&wgpu::TextureView> {
        self.targets.as_ref().map(|t| &t.resolved_view)
    }

    /// Read the last frame back as tightly packed RGBA rows (tests, benchmarks, screenshots).
    pub fn read_pixels(&self, device: &wgpu::Device, queue: &wgpu::Queue) -> Result<(Vec<u8>, [u32; 2]), RenderError> {
        let Some(t) = self.targets.as_ref() else { return Err(RenderError::Readback("nothing rendered yet".into())) };
        let [w, h] = t.size;
        let row = (w * 4).div_ceil(256) * 256;
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: row as u64 * h as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut encoder = device.create_command_encoder(&Default::default());
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &t.resolved,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &buffer,
                layout: wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(row), rows_per_image: Some(h) },
            },
            wgpu::Extent3d { width: w, height: h, depth_or_array_layers: 1 },
        );
        queue.submit([encoder.finish()]);
        let slice = buffer.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            tx.send(r).ok();
        });
        device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| RenderError::Readback(e.to_string()))?;
        rx.recv()
            .map_err(|e| RenderError::Readback(e.to_string()))?
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let data = slice.get_mapped_range().map_err(|e| RenderError::Readback(e.to_string()))?;
        let mut out = Vec::with_capacity((w * h * 4) as usize);
        for y in 0..h as usize {
            out.extend_from_slice(&data[y * row as usize..y * row as usize + w as usize * 4]);
        }
        drop(data);
        buffer.unmap();
        Ok((out, [w, h]))
    }
}

/// Whether a chunk's box can be on screen: false only when all eight corners lie outside the same clip plane
/// (left, right, bottom, top) or behind the eye.
fn chunk_visible(clip_from_local: &glam::Mat4, c: &crate::scene::Chunk) -> bool {
    let mut outside = [true; 5];
    for i in 0..8 {
        let p = glam::Vec3::new(
            if i & 1 == 0 { c.min[0] } else { c.max[0] },
            if i & 2 == 0 { c.min[1] } else { c.max[1] },
            if i & 4 == 0 { c.min[2] } else { c.max[2] },
        );
        let q = *clip_from_local * p.extend(1.0);
        let tests = [q.x < -q.w, q.x > q.w, q.y < -q.w, q.y > q.w, q.w <= 0.0];
        for (o, t) in outside.iter_mut().zip(tests) {
            *o &= t;
        }
    }
    !outside.iter().any(|o| *o)
}
