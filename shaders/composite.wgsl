// composite.wgsl — copies the 3D view's resolved offscreen colour texture into egui's render pass.
//
// In:  the offscreen colour texture (same size as the callback viewport) and a sampler.
// Out: its colour, into whatever format egui renders to (Bgra8Unorm in a window, Rgba8Unorm in kittest).
// One full-screen triangle; egui has already set the viewport to the 3D panel's rectangle.

@group(0) @binding(0) var color_tex: texture_2d<f32>;
@group(0) @binding(1) var color_sampler: sampler;

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) vi: u32) -> VertexOut {
    let uv = vec2<f32>(f32((vi << 1u) & 2u), f32(vi & 2u));
    var out: VertexOut;
    out.clip = vec4<f32>(uv * vec2<f32>(2.0, -2.0) + vec2<f32>(-1.0, 1.0), 0.0, 1.0);
    out.uv = uv;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    return textureSample(color_tex, color_sampler, in.uv);
}
