// markers.wgsl — instanced live markers: event beacons (a pulsing disc with a light beam) and grid workers (dots).
//
// In (per instance): anchor position in `local` metres, size in pixels, colour, kind (0 = worker dot,
//                    1 = event beacon, 2 = overdue event beacon: pulses), beam height in metres.
// In (uniform):      the same `Globals` as scene.wgsl (params.zw: the viewport size in pixels).
// Out:               colour with alpha; markers are screen-sized so they stay visible from the whole district.
// Vertices 0..6 of each instance are the disc quad, 6..12 the beam quad (empty for workers).

struct Globals {
    clip_from_local: mat4x4<f32>,
    light_dir: vec4<f32>,
    highlight: vec4<u32>,
    params: vec4<f32>,
};

@group(0) @binding(0) var<uniform> globals: Globals;

struct InstanceIn {
    @location(0) position: vec3<f32>,
    @location(1) size_px: f32,
    @location(2) color: vec4<f32>,
    @location(3) kind: u32,
    @location(4) beam_m: f32,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) uv: vec2<f32>,
    @location(2) disc: f32,
};

fn corner(i: u32) -> vec2<f32> {
    var c = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0),
    );
    return c[i];
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, inst: InstanceIn) -> VertexOut {
    var out: VertexOut;
    let t = globals.params.y;
    var pulse = 1.0;
    if (inst.kind == 2u) {
        pulse = 1.0 + 0.35 * sin(t * 6.0);
    }
    let px_to_ndc = 2.0 / globals.params.zw;
    let c = corner(vi % 6u);
    if (vi < 6u) {
        // Disc: a screen-aligned quad around the anchor (lifted a little above it for beacons).
        var anchor = inst.position;
        if (inst.kind != 0u) {
            anchor.z = anchor.z + inst.beam_m;
        }
        let clip = globals.clip_from_local * vec4<f32>(anchor, 1.0);
        let r = inst.size_px * pulse;
        out.clip = clip + vec4<f32>(c * r * px_to_ndc * clip.w, 0.0, 0.0);
        out.disc = 1.0;
    } else {
        // Beam: from the ground to the disc, a few pixels wide.
        let bottom = globals.clip_from_local * vec4<f32>(inst.position, 1.0);
        let top = globals.clip_from_local * vec4<f32>(inst.position + vec3<f32>(0.0, 0.0, inst.beam_m), 1.0);
        let up = (top.xy / top.w - bottom.xy / bottom.w) / px_to_ndc;
        var side = vec2<f32>(1.0, 0.0);
        if (length(up) > 0.001) {
            side = normalize(vec2<f32>(-up.y, up.x));
        }
        var p = bottom;
        if (c.y > 0.0) {
            p = top;
        }
        let half_w = max(inst.size_px * 0.22, 1.5);
        if (inst.kind == 0u) {
            p = vec4<f32>(0.0, 0.0, -2.0, 1.0);
        }
        out.clip = p + vec4<f32>(side * c.x * half_w * px_to_ndc * p.w, 0.0, 0.0);
        out.disc = 0.0;
    }
    out.color = inst.color;
    out.uv = c;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    if (in.disc > 0.5) {
        let d = length(in.uv);
        if (d > 1.0) {
            discard;
        }
        // A dark rim keeps markers readable on any fill.
        if (d > 0.78) {
            return vec4<f32>(0.04, 0.06, 0.1, 1.0);
        }
        return vec4<f32>(in.color.rgb, 1.0);
    }
    let fade = 1.0 - abs(in.uv.x);
    return vec4<f32>(in.color.rgb, 0.75 * fade);
}
