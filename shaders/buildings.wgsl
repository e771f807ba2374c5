// buildings.wgsl — the extruded buildings, from compact data (see app/render/src/buildings.rs).
//
// In (per vertex):  x, y, z as 16-bit integers — 5 cm steps east and north of the chunk's origin, 10 cm steps up —
//                   and the building's index inside its chunk (the fourth value, reinterpreted as unsigned).
// In (uniform):     the scene's globals (clip_from_local, light, highlight); per chunk (dynamic offset): its origin
//                   and the index of its first building.
// In (storage):     per building: sRGB colour (unorm8x4 packed) and pick id (building id + 1).
// Out:              flat-shaded colour: the face's normal comes from the derivatives of the position, so no normal
//                   is stored and a roof corner shares its vertex with the walls below it.

struct Globals {
    clip_from_local: mat4x4<f32>,
    light_dir: vec4<f32>,
    highlight: vec4<u32>,
    params: vec4<f32>,
};

struct ChunkUniform {
    // xy: origin in local metres
    origin: vec4<f32>,
    // x: first building's index in `buildings`
    base: vec4<u32>,
};

@group(0) @binding(0) var<uniform> globals: Globals;
@group(0) @binding(2) var<storage, read> buildings: array<vec2<u32>>;
@group(1) @binding(0) var<uniform> chunk: ChunkUniform;

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world: vec3<f32>,
    @location(1) @interpolate(flat) color: vec4<f32>,
};

@vertex
fn vs_main(@location(0) q: vec4<i32>) -> VertexOut {
    let p = vec3<f32>(chunk.origin.xy + vec2<f32>(f32(q.x), f32(q.y)) * 0.05, f32(q.z) * 0.1);
    let b = buildings[chunk.base.x + (u32(q.w) & 0xffffu)];
    var color = unpack4x8unorm(b.x);
    if (b.y == globals.highlight.x) {
        color = vec4<f32>(mix(color.rgb, vec3<f32>(1.0, 0.86, 0.3), 0.65), color.a);
    }
    var out: VertexOut;
    out.clip = globals.clip_from_local * vec4<f32>(p, 1.0);
    out.world = p;
    out.color = color;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    // The face's normal, turned towards the camera (a face seen is a face facing it).
    var n = normalize(cross(dpdx(in.world), dpdy(in.world)));
    n = -n;
    let diffuse = max(dot(n, normalize(globals.light_dir.xyz)), 0.0);
    return vec4<f32>(in.color.rgb * (0.5 + 0.5 * diffuse), in.color.a);
}
