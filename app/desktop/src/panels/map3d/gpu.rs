//! The 3D view's GPU side: the scene uploaded once per district into egui_wgpu's callback resources, the pipeline
//! that composites the renderer's offscreen frame into egui, and the per-frame paint callback.

use crate::state::AppState;
use crate::state::view::View3d;
use eframe::egui_wgpu::{self, wgpu};
use pingan_core::BuildingId;
use pingan_render::{Camera, FillLevel, FrameInput, Marker, Scene, SceneRenderer};
use std::sync::Arc;

/// The 3D panel's hold on the GPU (none under a harness without wgpu).
pub struct Map3dPanel {
    render_state: Option<egui_wgpu::RenderState>,
}

impl Map3dPanel {
    /// The panel over `render_state` (eframe's, when it runs on wgpu).
    pub fn new(render_state: Option<egui_wgpu::RenderState>) -> Self {
        Self { render_state }
    }

    /// A 3D view of `state.district`: its scene (tessellated off the UI thread by an import job for exactly this
    /// district, or here), uploaded to the GPU when there is one.
    pub fn view_of(&self, state: &AppState) -> View3d {
        let scene = match &state.scene {
            Some((ptr, scene)) if *ptr == Arc::as_ptr(&state.district) as usize => scene.clone(),
            _ => Arc::new(Scene::from_district(&state.district)),
        };
        let gpu = upload(&scene, self.render_state.as_ref());
        View3d::new(scene, &state.district, gpu)
    }
}

/// Upload `scene` and build the composite pipeline, when a wgpu render state exists; returns whether it did.
pub fn upload(scene: &Scene, render_state: Option<&egui_wgpu::RenderState>) -> bool {
    let started = std::time::Instant::now();
    let Some(rs) = render_state else {
        tracing::warn!("no wgpu render state: the 3D view is unavailable");
        return false;
    };
    let renderer = SceneRenderer::new(&rs.device, &rs.adapter, scene);
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
}

/// GPU resources stored in egui_wgpu's callback resources.
struct Gpu3d {
    renderer: SceneRenderer,
    composite: wgpu::RenderPipeline,
    composite_layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    bind_group: Option<(wgpu::BindGroup, [u32; 2])>,
}

fn composite_pipeline(
    device: &wgpu::Device,
    format: wgpu::TextureFormat,
) -> (wgpu::RenderPipeline, wgpu::BindGroupLayout, wgpu::Sampler) {
    let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("composite.wgsl"),
        source: wgpu::ShaderSource::Wgsl(include_str!("../../../../../shaders/composite.wgsl").into()),
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
pub(super) struct Frame3d {
    pub(super) camera: Camera,
    pub(super) size_px: [u32; 2],
    pub(super) fill_level: Option<FillLevel>,
    pub(super) highlight_building: Option<BuildingId>,
    pub(super) time_s: f32,
    pub(super) markers: Vec<Marker>,
    pub(super) unit_colors: Vec<[f32; 4]>,
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
            min_building_px: pingan_render::gpu::DEFAULT_MIN_BUILDING_PX,
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
