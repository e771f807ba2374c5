// scene.wgsl — the static map geometry: ground, water, roads, translucent unit fills and unit outlines (the
// buildings are buildings.wgsl's), all in one vertex format.
//
// In (per vertex):  position in `local` metres (x east, y north, z up), normal, colour (sRGB-encoded, unorm8x4),
//                   pick id (building id + 1; 0 = not a building), unit slot (index into `unit_colors`, or
//                   0xffffffff to use the vertex colour).
// In (uniform):     `clip_from_local` (reversed-Z perspective), light direction, highlighted pick id, fill opacity.
// In (storage):     one RGBA colour per governance unit slot: the five risk colours, rewritten without re-uploading
//                   geometry.
// Out:              shaded colour with straight alpha (fills are blended, everything else is opaque).

struct Globals {
    clip_from_local: mat4x4<f32>,
    light_dir: vec4<f32>,
    // x: highlighted pick id, y: selected unit slot
    highlight: vec4<u32>,
    // x: unit fill opacity, y: time in seconds
    params: vec4<f32>,
};

@group(0) @binding(0) var<uniform> globals: Globals;
@group(0) @binding(1) var<storage, read> unit_colors: array<vec4<f32>>;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) color: vec4<f32>,
    @location(3) pick: u32,
    @location(4) unit: u32,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
};

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    var color = v.color;
    if (v.unit != 0xffffffffu) {
        let u = unit_colors[v.unit];
        // Fills take the unit's colour at the fill opacity; outlines (alpha 1 in the vertex) stay opaque.
        var a = v.color.a;
        if (a < 0.99) {
            a = globals.params.x;
        }
        color = vec4<f32>(u.rgb, a);
        if (v.unit == globals.highlight.y) {
            color = vec4<f32>(mix(u.rgb, vec3<f32>(1.0, 1.0, 1.0), 0.35), min(a + 0.25, 1.0));
        }
    }
    let n = normalize(v.normal);
    let diffuse = max(dot(n, normalize(globals.light_dir.xyz)), 0.0);
    var rgb = color.rgb * (0.5 + 0.5 * diffuse);
    if (v.pick != 0u && v.pick == globals.highlight.x) {
        rgb = mix(rgb, vec3<f32>(1.0, 0.86, 0.3), 0.65);
    }
    var out: VertexOut;
    out.clip = globals.clip_from_local * vec4<f32>(v.position, 1.0);
    out.color = vec4<f32>(rgb, color.a);
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    return in.color;
}
