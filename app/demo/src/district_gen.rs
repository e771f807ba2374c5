//! The static demo district: outline, towns, communities, grids, buildings, roads and water, placed on Yuhang.
//!
//! Everything is built in `local` metres around [`ORIGIN`] and converted to lonlat at the end. Units are clipped
//! Voronoi cells nested in each other (towns tile the district, communities tile their town, grids tile their
//! community), denser where the district is more urban. Unit boundaries double as the road network (arterials
//! between towns, secondary roads between communities, local roads between grids), so buildings stand back from
//! every boundary. Inside a grid, land is cut into ~300 m superblocks, each a high-rise compound, mid-rise
//! estate, public site, industrial park, village cluster or open land, depending on how urban the place is.

use crate::geometry::{self as g, P};
use crate::names;
use pingan_core::{
    AddressCode, Building, BuildingId, BuildingKind, Community, CommunityId, CommunityKind, District, Grid, GridId,
    LocalFrame, LonLat, Polygon, Road, RoadClass, Town, TownId, UnitStats, WaterBody,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Where the demo district sits: the middle of Yuhang.
pub const ORIGIN: LonLat = LonLat::new(120.30, 30.42);
/// GB/T 2260 code of 余杭区.
pub const COUNTY_CODE: u32 = 330_110;
/// Half-axes of the district's ellipse in metres (east–west, north–south): about 1,200 km².
const SEMI_AXES: P = [22_500.0, 17_500.0];

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoSpec {
    /// Seed: the same seed gives the same district, bit for bit.
    pub seed: u64,
    /// Target number of villages/communities.
    pub communities: usize,
    /// Target number of grids.
    pub grids: usize,
    /// Scales how many buildings stand on built land (1.0 gives a little over 50,000).
    pub building_density: f64,
}

impl Default for DemoSpec {
    fn default() -> Self {
        Self { seed: 2026, communities: 300, grids: 1500, building_density: 1.0 }
    }
}

impl DemoSpec {
    /// A small district for fast tests and the UI test harness (same structure, fewer units).
    pub fn small(seed: u64) -> Self {
        Self { seed, communities: 36, grids: 120, building_density: 0.15 }
    }
}

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// Generate the district described by `spec`.
pub fn generate(spec: &DemoSpec) -> District {
    let frame = LocalFrame::new(ORIGIN);
    let mut rng = rng_for(spec.seed, 1);
    let outline_local = district_outline(&mut rng);
    let at_uv = |u: f64, v: f64| -> P { [u * SEMI_AXES[0], v * SEMI_AXES[1]] };

    // Urban cores: every town's seat, weighted by how urban the town is, plus Hangzhou's city edge to the east.
    let mut town_seeds: Vec<P> = names::TOWNS
        .iter()
        .map(|(_, u, v, _)| {
            let p = at_uv(*u * 0.9, *v * 0.9);
            [p[0] + rng.random_range(-800.0..800.0), p[1] + rng.random_range(-800.0..800.0)]
        })
        .collect();
    let cores: Vec<(P, f64)> = town_seeds
        .iter()
        .zip(names::TOWNS.iter())
        .map(|(p, t)| (*p, t.3))
        .chain(std::iter::once((at_uv(1.05, -0.15), 1.0)))
        .collect();
    let urban = |p: P| -> f64 {
        cores
            .iter()
            .map(|(c, u)| {
                let d = ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt();
                u * (-d / (1800.0 + 4000.0 * u)).exp()
            })
            .fold(0.0, f64::max)
    };

    let town_cells = g::relaxed_cells(&outline_local, &mut town_seeds, 1, Some(&[0.3; 12]));
    let county = AddressCode::county(COUNTY_CODE).expect("330110 is a valid county code");
    let place = Place { frame: &frame, urban: &urban };
    let (mut towns, mut communities, community_cells, community_town) =
        towns_and_communities(spec, &town_cells, county, &place, &mut rng);
    let corridors = Corridors::new(spec.seed, &at_uv);
    let built = grids_and_buildings(spec, &community_cells, &mut communities, &place, &corridors, &mut rng);

    // Roll statistics up the hierarchy.
    for grid in &built.grids {
        communities[grid.community.index()].stats += grid.stats;
    }
    let mut stats = UnitStats::default();
    for c in &communities {
        towns[c.town.index()].stats += c.stats;
        stats += c.stats;
    }

    let units = Cells {
        outline: &outline_local,
        towns: &town_cells,
        communities: &community_cells,
        community_town: &community_town,
        grids: &built.grid_cells,
        grid_community: &built.grid_community,
    };
    let roads = build_roads(&units, &corridors, &frame);
    let water = corridors.water(&frame);

    District {
        name: "余杭区".to_string(),
        code: county,
        outline: Polygon::from_exterior(to_lonlat(&frame, &outline_local)),
        stats,
        towns,
        communities,
        grids: built.grids,
        buildings: built.buildings,
        roads,
        water,
    }
}

/// `ring` in lonlat.
fn to_lonlat(frame: &LocalFrame, ring: &[P]) -> Vec<LonLat> {
    ring.iter().map(|p| frame.lonlat_from_local(*p)).collect()
}

/// Where the units are placed: the local frame, and how urban each place is (0: open country, 1: a town's core).
struct Place<'a> {
    frame: &'a LocalFrame,
    urban: &'a dyn Fn(P) -> f64,
}

/// The district's outline: a jittered ellipse, made convex.
fn district_outline(rng: &mut ChaCha8Rng) -> Vec<P> {
    let n = 28;
    let pts = (0..n)
        .map(|i| {
            let a = (i as f64 + rng.random_range(-0.3..0.3)) / n as f64 * std::f64::consts::TAU;
            let r = rng.random_range(0.94..1.04);
            [a.cos() * SEMI_AXES[0] * r, a.sin() * SEMI_AXES[1] * r]
        })
        .collect();
    g::convex_hull(pts)
}

/// The towns (one per cell) and their communities (how many by area × urbanity), with each community's cell and
/// the index of its town.
fn towns_and_communities(
    spec: &DemoSpec,
    town_cells: &[Vec<P>],
    county: AddressCode,
    place: &Place<'_>,
    rng: &mut ChaCha8Rng,
) -> (Vec<Town>, Vec<Community>, Vec<Vec<P>>, Vec<usize>) {
    let (frame, urban) = (place.frame, place.urban);
    let mut towns = Vec::new();
    let mut communities = Vec::new();
    let mut community_cells: Vec<Vec<P>> = Vec::new();
    let mut community_town: Vec<usize> = Vec::new();
    // Community counts per town: area × urbanity.
    let town_weight: Vec<f64> =
        town_cells.iter().zip(names::TOWNS.iter()).map(|(c, t)| g::area(c) / 1e6 * (0.1 + t.3)).collect();
    let total_w: f64 = town_weight.iter().sum();
    let mut used_names = std::collections::HashSet::new();
    for (ti, cell) in town_cells.iter().enumerate() {
        let town_id = TownId(ti as u16);
        let town_code = county.child(ti as u32 + 1).expect("town number fits");
        let n_comm = ((spec.communities as f64 * town_weight[ti] / total_w).round() as usize).max(4);
        let mut seeds = sample_in(cell, n_comm, rng, &urban);
        let comm_cells = g::relaxed_cells(cell, &mut seeds, 2, None);
        let mut town = Town {
            id: town_id,
            name: names::TOWNS[ti].0.to_string(),
            code: town_code,
            outline: Polygon::from_exterior(to_lonlat(frame, cell)),
            label_at: frame.lonlat_from_local(g::centroid(cell)),
            stats: UnitStats::default(),
            communities: Vec::new(),
        };
        for (ci, ccell) in comm_cells.into_iter().enumerate() {
            if ccell.len() < 3 || g::area(&ccell) < 1000.0 {
                continue;
            }
            let cid = CommunityId(communities.len() as u32);
            let centre = g::centroid(&ccell);
            let urb = urban(centre);
            let kind = if urb > 0.33 { CommunityKind::Community } else { CommunityKind::Village };
            let name = loop {
                let n = format!(
                    "{}{}",
                    names::two_syllables(rng),
                    if kind == CommunityKind::Community { "社区" } else { "村" }
                );
                if used_names.insert(n.clone()) {
                    break n;
                }
            };
            town.communities.push(cid);
            communities.push(Community {
                id: cid,
                town: town_id,
                name,
                kind,
                code: town_code.child(ci as u32 + 1).expect("community number fits"),
                outline: Polygon::from_exterior(to_lonlat(frame, &ccell)),
                label_at: frame.lonlat_from_local(centre),
                stats: UnitStats::default(),
                grids: Vec::new(),
            });
            community_cells.push(ccell);
            community_town.push(ti);
        }
        towns.push(town);
    }
    (towns, communities, community_cells, community_town)
}

/// The grids and their buildings, with each grid's cell and the index of its community.
struct Built {
    grids: Vec<Grid>,
    buildings: Vec<Building>,
    grid_cells: Vec<Vec<P>>,
    grid_community: Vec<usize>,
}

/// The grids of every community (how many by area × urbanity, normalised to the target) and their buildings.
fn grids_and_buildings(
    spec: &DemoSpec,
    community_cells: &[Vec<P>],
    communities: &mut [Community],
    place: &Place<'_>,
    corridors: &Corridors,
    rng: &mut ChaCha8Rng,
) -> Built {
    let (frame, urban) = (place.frame, place.urban);
    let mut built =
        Built { grids: Vec::new(), buildings: Vec::new(), grid_cells: Vec::new(), grid_community: Vec::new() };
    let comm_weight: Vec<f64> =
        community_cells.iter().map(|c| (g::area(c) / 1e6).sqrt() * (0.15 + urban(g::centroid(c))).powf(1.2)).collect();
    let total_cw: f64 = comm_weight.iter().sum();
    let industrial_communities: Vec<bool> = community_cells
        .iter()
        .map(|c| {
            let u = urban(g::centroid(c));
            (0.12..0.7).contains(&u) && rng.random_bool(0.22)
        })
        .collect();
    for (ci, ccell) in community_cells.iter().enumerate() {
        let n_grids = ((spec.grids as f64 * comm_weight[ci] / total_cw).round() as usize).clamp(2, 16);
        let mut seeds = sample_in(ccell, n_grids, rng, &urban);
        let cells = g::relaxed_cells(ccell, &mut seeds, 2, None);
        let angle = rng.random_range(0.0..std::f64::consts::FRAC_PI_2);
        let mut grid_no = 0;
        for gcell in cells {
            if gcell.len() < 3 || g::area(&gcell) < 500.0 {
                continue;
            }
            grid_no += 1;
            let gid = GridId(built.grids.len() as u32);
            let community = &mut communities[ci];
            community.grids.push(gid);
            let code = community.code.child(grid_no).expect("grid number fits");
            let mut grid = Grid {
                id: gid,
                community: community.id,
                town: community.town,
                name: format!("{}第{}网格", community.name, grid_no),
                code,
                outline: Polygon::from_exterior(to_lonlat(frame, &gcell)),
                label_at: frame.lonlat_from_local(g::centroid(&gcell)),
                stats: UnitStats::default(),
                buildings: Vec::new(),
            };
            let land = LandUse::of(urban(g::centroid(&gcell)), industrial_communities[ci]);
            let site = GridSite { cell: &gcell, angle, land, community: &community.name };
            populate_grid(&mut grid, &site, spec, corridors, frame, &mut built.buildings);
            built.grid_cells.push(gcell);
            built.grid_community.push(ci);
            built.grids.push(grid);
        }
    }
    built
}

/// Where a grid's buildings go: its cell, the angle its blocks are laid out at, its land use, and its community's
/// name (village houses are numbered by it).
struct GridSite<'a> {
    cell: &'a [P],
    angle: f64,
    land: LandUse,
    community: &'a str,
}

/// Place `grid`'s buildings (appended to `buildings`) and count its people, houses and enterprises — the floating
/// population too: renters near factories and on the urban fringe; shops scale with people.
fn populate_grid(
    grid: &mut Grid,
    site: &GridSite<'_>,
    spec: &DemoSpec,
    corridors: &Corridors,
    frame: &LocalFrame,
    buildings: &mut Vec<Building>,
) {
    let (gid, code) = (grid.id, grid.code);
    let mut grng = rng_for(spec.seed, 1000 + gid.0 as u64);
    let placed = place_buildings(site.cell, site.angle, site.land, spec, corridors, &mut grng);
    let mut compound = names::compound(&mut grng);
    for (n, pb) in placed.into_iter().enumerate() {
        let bid = BuildingId(buildings.len() as u32);
        let number = n as u32 + 1;
        let Ok(bcode) = code.child(number) else { break };
        let households = match pb.kind {
            BuildingKind::HighRise => pb.floors as u32 * 4,
            BuildingKind::MidRise => pb.floors as u32 * 4,
            BuildingKind::VillageHouse => grng.random_range(1..=2),
            BuildingKind::Industrial | BuildingKind::Public => 0,
        };
        let population = (households as f64 * grng.random_range(2.2..3.1)).round() as u32;
        if n % 24 == 0 {
            compound = names::compound(&mut grng);
        }
        let name = match pb.kind {
            BuildingKind::HighRise | BuildingKind::MidRise => {
                format!("{compound}{}幢", n % 24 + 1)
            }
            BuildingKind::VillageHouse => format!("{}{}号", site.community, number),
            BuildingKind::Industrial => format!("{}厂房", names::company(&mut grng)),
            BuildingKind::Public => names::public_building(&mut grng),
        };
        grid.stats.population += population;
        grid.stats.houses += households;
        grid.stats.enterprises += match pb.kind {
            BuildingKind::Industrial => grng.random_range(1..=3),
            BuildingKind::Public => grng.random_range(2..=8),
            _ => 0,
        };
        grid.buildings.push(bid);
        buildings.push(Building {
            id: bid,
            grid: gid,
            name,
            code: bcode,
            kind: pb.kind,
            footprint: Polygon::from_exterior(to_lonlat(frame, &pb.footprint)),
            height_m: pb.height_m,
            floors: pb.floors,
            households,
            population,
        });
    }
    let industrial_jobs: u32 = grid
        .buildings
        .iter()
        .map(|b| &buildings[b.index()])
        .filter(|b| b.kind == BuildingKind::Industrial)
        .map(|b| (b.footprint.area_m2(frame) / 40.0) as u32)
        .sum();
    let ratio = match site.land {
        LandUse::UrbanHigh => 0.25,
        LandUse::UrbanMid => 0.45,
        LandUse::Industrial => 1.2,
        LandUse::Suburban => 0.7,
        LandUse::Rural => 0.08,
    };
    grid.stats.floating_population =
        (grid.stats.population as f64 * ratio * grng.random_range(0.7..1.3)) as u32 + industrial_jobs / 2;
    grid.stats.enterprises += grid.stats.population / 150;
}

/// `n` seeds inside a convex cell, more where it is urban.
fn sample_in(cell: &[P], n: usize, rng: &mut ChaCha8Rng, urban: &impl Fn(P) -> f64) -> Vec<P> {
    let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in cell {
        for k in 0..2 {
            min[k] = min[k].min(p[k]);
            max[k] = max[k].max(p[k]);
        }
    }
    let mut out = Vec::with_capacity(n);
    let mut tries = 0;
    while out.len() < n && tries < n * 400 {
        tries += 1;
        let p = [rng.random_range(min[0]..=max[0]), rng.random_range(min[1]..=max[1])];
        if g::inset_distance(cell, p) <= 1.0 {
            continue;
        }
        if rng.random::<f64>() < (0.25 + urban(p)) / 1.25 {
            out.push(p);
        }
    }
    if out.is_empty() {
        out.push(g::centroid(cell));
    }
    out
}

/// How a grid's land is used, from how urban it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LandUse {
    UrbanHigh,
    UrbanMid,
    Industrial,
    Suburban,
    Rural,
}

impl LandUse {
    fn of(urban: f64, industrial_community: bool) -> Self {
        if industrial_community {
            Self::Industrial
        } else if urban > 0.55 {
            Self::UrbanHigh
        } else if urban > 0.33 {
            Self::UrbanMid
        } else if urban > 0.12 {
            Self::Suburban
        } else {
            Self::Rural
        }
    }

    /// What a superblock becomes: probabilities for high-rise, mid-rise, public, industrial, village (rest: open).
    fn mix(self) -> [f64; 5] {
        match self {
            Self::UrbanHigh => [0.30, 0.22, 0.12, 0.0, 0.0],
            Self::UrbanMid => [0.08, 0.22, 0.06, 0.05, 0.2],
            Self::Industrial => [0.0, 0.03, 0.05, 0.72, 0.08],
            Self::Suburban => [0.0, 0.03, 0.02, 0.10, 0.5],
            Self::Rural => [0.0, 0.0, 0.01, 0.01, 0.45],
        }
    }
}

struct Placed {
    footprint: Vec<P>,
    kind: BuildingKind,
    floors: u16,
    height_m: f32,
}

const SUPERBLOCK_M: f64 = 300.0;

fn place_buildings(
    cell: &[P],
    angle: f64,
    land: LandUse,
    spec: &DemoSpec,
    corridors: &Corridors,
    rng: &mut ChaCha8Rng,
) -> Vec<Placed> {
    let (s, c) = angle.sin_cos();
    // `block` space: local metres rotated by -angle, so superblocks are axis-aligned.
    let block_from_local = |p: P| [p[0] * c + p[1] * s, -p[0] * s + p[1] * c];
    let local_from_block = |p: P| [p[0] * c - p[1] * s, p[0] * s + p[1] * c];
    let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in cell.iter().map(|p| block_from_local(*p)) {
        for k in 0..2 {
            min[k] = min[k].min(p[k]);
            max[k] = max[k].max(p[k]);
        }
    }
    let nearby = corridors.near(cell);
    let mix = land.mix();
    let density = spec.building_density;
    let mut out = Vec::new();
    let (bx0, by0) = ((min[0] / SUPERBLOCK_M).floor() as i64, (min[1] / SUPERBLOCK_M).floor() as i64);
    let (bx1, by1) = ((max[0] / SUPERBLOCK_M).ceil() as i64, (max[1] / SUPERBLOCK_M).ceil() as i64);
    for by in by0..by1 {
        for bx in bx0..bx1 {
            let roll: f64 = rng.random();
            let mut acc = 0.0;
            let mut kind = None;
            for (k, p) in mix.iter().enumerate() {
                acc += p;
                if roll < acc {
                    kind = Some(k);
                    break;
                }
            }
            let Some(kind) = kind else { continue };
            let origin = [bx as f64 * SUPERBLOCK_M, by as f64 * SUPERBLOCK_M];
            // Lattice inside the superblock, keeping a 14 m internal street along its edges.
            let (w, h, sx, sy, margin) = match kind {
                0 => (rng.random_range(18.0..26.0), rng.random_range(28.0..42.0), 62.0, 78.0, 16.0),
                1 => (rng.random_range(48.0..60.0), rng.random_range(11.0..14.0), 72.0, 34.0, 12.0),
                2 => (rng.random_range(40.0..80.0), rng.random_range(30.0..60.0), 120.0, 120.0, 20.0),
                3 => (rng.random_range(40.0..110.0), rng.random_range(28.0..60.0), 130.0, 85.0, 16.0),
                _ => (11.0, 13.0, 20.0, 23.0, 10.0),
            };
            let mut y = origin[1] + 14.0 + sy / 2.0;
            while y < origin[1] + SUPERBLOCK_M - 14.0 {
                let mut x = origin[0] + 14.0 + sx / 2.0;
                while x < origin[0] + SUPERBLOCK_M - 14.0 {
                    let here = [x, y];
                    x += sx;
                    let (mut cx, mut cy, mut rot, mut bw, mut bh) = (here[0], here[1], 0.0, w, h);
                    let keep = match kind {
                        4 => {
                            // Villages grow in clusters along a noise field, houses slightly askew.
                            let n = g::fbm(spec.seed, local_from_block(here), 420.0);
                            cx += rng.random_range(-3.0..3.0);
                            cy += rng.random_range(-3.0..3.0);
                            rot = rng.random_range(-0.12..0.12);
                            bw = rng.random_range(9.0..13.0);
                            bh = rng.random_range(10.0..15.0);
                            n > 0.68 && rng.random::<f64>() < 0.5 * density
                        }
                        3 => rng.random::<f64>() < 0.85 * density.sqrt(),
                        _ => rng.random::<f64>() < 0.92 * density.sqrt(),
                    };
                    if !keep {
                        continue;
                    }
                    let centre = local_from_block([cx, cy]);
                    let fp: Vec<P> = g::rect(centre, bw, bh, angle + rot).to_vec();
                    if fp.iter().any(|p| g::inset_distance(cell, *p) < margin) {
                        continue;
                    }
                    if corridors.blocked(&nearby, centre, bw.max(bh) / 2.0) {
                        continue;
                    }
                    let (kind, floors, storey) = match kind {
                        0 => (BuildingKind::HighRise, rng.random_range(18..=33), 3.0),
                        1 => (BuildingKind::MidRise, rng.random_range(5..=7), 3.0),
                        2 => (BuildingKind::Public, rng.random_range(3..=12), 3.8),
                        3 => (BuildingKind::Industrial, rng.random_range(1..=4), 6.0),
                        _ => (BuildingKind::VillageHouse, rng.random_range(2..=4), 3.2),
                    };
                    out.push(Placed {
                        footprint: fp,
                        kind,
                        floors,
                        height_m: (floors as f64 * storey + rng.random_range(0.0..2.0)) as f32,
                    });
                }
                y += sy;
            }
        }
    }
    out
}

/// Rivers, canals, lakes and expressways: linear features that cut across units and keep buildings away.
struct Corridors {
    /// (name, centreline in local, half-width + clearance in metres, is water, width)
    lines: Vec<(&'static str, Vec<P>, f64, bool, f64)>,
    /// (name, polygon in local)
    lakes: Vec<(&'static str, Vec<P>)>,
}

/// Indices of the corridors near a cell.
struct Nearby {
    segments: Vec<(P, P, f64)>,
    lakes: Vec<usize>,
}

impl Corridors {
    fn new(seed: u64, at_uv: &impl Fn(f64, f64) -> P) -> Self {
        let meander = |pts: &[(f64, f64)], amp: f64, wave: f64, salt: u64| -> Vec<P> {
            let ctrl: Vec<P> = pts.iter().map(|(u, v)| at_uv(*u, *v)).collect();
            let mut out = Vec::new();
            for w in ctrl.windows(2) {
                let (a, b) = (w[0], w[1]);
                let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
                let steps = (len / 150.0).ceil().max(1.0) as usize;
                let nrm = [-(b[1] - a[1]) / len, (b[0] - a[0]) / len];
                for i in 0..steps {
                    let t = i as f64 / steps as f64;
                    let p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
                    let off = ((t * len / wave + salt as f64).sin() * 0.6
                        + (g::value_noise(seed ^ salt, p, 900.0) - 0.5) * 1.6)
                        * amp
                        * (t * std::f64::consts::PI).sin().max(0.3);
                    out.push([p[0] + nrm[0] * off, p[1] + nrm[1] * off]);
                }
            }
            if let Some(l) = ctrl.last() {
                out.push(*l);
            }
            out
        };
        let lines = vec![
            (
                "东苕溪",
                meander(
                    &[(-0.75, -0.95), (-0.45, -0.45), (-0.2, -0.2), (0.0, 0.1), (0.15, 0.5), (0.3, 1.0)],
                    350.0,
                    700.0,
                    3,
                ),
                55.0,
                true,
                80.0,
            ),
            (
                "余杭塘河",
                meander(&[(-0.15, -0.22), (0.3, -0.2), (0.7, -0.1), (1.05, -0.05)], 120.0, 500.0, 5),
                35.0,
                true,
                36.0,
            ),
            (
                "杭长高速",
                meander(&[(1.05, 0.05), (0.45, 0.32), (0.05, 0.25), (-0.45, 0.45), (-1.05, 0.55)], 200.0, 3000.0, 7),
                40.0,
                false,
                32.0,
            ),
            (
                "杭徽高速",
                meander(&[(1.05, -0.45), (0.4, -0.42), (-0.1, -0.5), (-0.6, -0.55), (-1.05, -0.4)], 200.0, 3000.0, 9),
                40.0,
                false,
                32.0,
            ),
            (
                "绕城高速",
                meander(&[(0.82, -1.05), (0.88, -0.3), (0.8, 0.4), (0.7, 1.05)], 250.0, 3000.0, 11),
                40.0,
                false,
                32.0,
            ),
        ];
        let ellipse = |c: P, rx: f64, ry: f64, rot: f64| -> Vec<P> {
            (0..24)
                .map(|i| {
                    let a = i as f64 / 24.0 * std::f64::consts::TAU;
                    let (x, y) = (a.cos() * rx, a.sin() * ry);
                    [c[0] + x * rot.cos() - y * rot.sin(), c[1] + x * rot.sin() + y * rot.cos()]
                })
                .collect()
        };
        let lakes = vec![
            ("南湖", ellipse(at_uv(-0.05, -0.40), 1300.0, 700.0, 0.3)),
            ("北湖", ellipse(at_uv(0.12, 0.34), 1100.0, 550.0, -0.4)),
            ("四岭水库", ellipse(at_uv(-0.25, 0.78), 1400.0, 450.0, 0.8)),
        ];
        Self { lines, lakes }
    }

    fn near(&self, cell: &[P]) -> Nearby {
        let pad = 200.0;
        let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
        for p in cell {
            for k in 0..2 {
                min[k] = min[k].min(p[k] - pad);
                max[k] = max[k].max(p[k] + pad);
            }
        }
        let inside = |p: P| p[0] >= min[0] && p[0] <= max[0] && p[1] >= min[1] && p[1] <= max[1];
        let mut segments = Vec::new();
        for (_, line, clear, _, _) in &self.lines {
            for w in line.windows(2) {
                let (a, b) = (w[0], w[1]);
                let seg_min = [a[0].min(b[0]), a[1].min(b[1])];
                let seg_max = [a[0].max(b[0]), a[1].max(b[1])];
                if seg_max[0] >= min[0] && seg_min[0] <= max[0] && seg_max[1] >= min[1] && seg_min[1] <= max[1] {
                    segments.push((a, b, *clear));
                }
            }
        }
        let lakes = self
            .lakes
            .iter()
            .enumerate()
            .filter(|(_, (_, poly))| {
                poly.iter().any(|p| inside(*p)) || cell.iter().any(|p| g::inset_distance(poly, *p) > 0.0)
            })
            .map(|(i, _)| i)
            .collect();
        Nearby { segments, lakes }
    }

    fn blocked(&self, nearby: &Nearby, p: P, radius: f64) -> bool {
        nearby.segments.iter().any(|(a, b, clear)| g::segment_distance(p, *a, *b) < clear + radius)
            || nearby.lakes.iter().any(|i| g::inset_distance(&self.lakes[*i].1, p) > -(radius + 25.0))
    }

    fn water(&self, frame: &LocalFrame) -> Vec<WaterBody> {
        let ll = |ps: &[P]| -> Vec<LonLat> { ps.iter().map(|p| frame.lonlat_from_local(*p)).collect() };
        let mut out = Vec::new();
        for (name, line, _, is_water, width) in &self.lines {
            if !is_water {
                continue;
            }
            out.push(WaterBody {
                name: name.to_string(),
                area: Polygon::from_exterior(ll(&strip(line, width / 2.0))),
                centreline: ll(line),
                width_m: *width as f32,
            });
        }
        for (name, poly) in &self.lakes {
            out.push(WaterBody {
                name: name.to_string(),
                area: Polygon::from_exterior(ll(poly)),
                centreline: vec![],
                width_m: 0.0,
            });
        }
        out
    }
}

/// The outline of a polyline buffered by `half` metres on each side (left side forward, right side back).
fn strip(line: &[P], half: f64) -> Vec<P> {
    let n = line.len();
    let normal = |i: usize| {
        let (a, b) = (line[i.saturating_sub(1)], line[(i + 1).min(n - 1)]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let l = (dx * dx + dy * dy).sqrt().max(1e-9);
        [-dy / l, dx / l]
    };
    let mut left = Vec::with_capacity(n);
    let mut right = Vec::with_capacity(n);
    for (i, p) in line.iter().enumerate() {
        let nm = normal(i);
        left.push([p[0] + nm[0] * half, p[1] + nm[1] * half]);
        right.push([p[0] - nm[0] * half, p[1] - nm[1] * half]);
    }
    right.reverse();
    left.extend(right);
    left
}

/// Unit cells in local metres with their parents, for deriving the road network.
struct Cells<'a> {
    outline: &'a [P],
    towns: &'a [Vec<P>],
    communities: &'a [Vec<P>],
    community_town: &'a [usize],
    grids: &'a [Vec<P>],
    grid_community: &'a [usize],
}

/// Roads along unit boundaries (each edge once, classed by the highest level whose boundary it is), plus the
/// expressways.
fn build_roads(cells: &Cells<'_>, corridors: &Corridors, frame: &LocalFrame) -> Vec<Road> {
    let outline = cells.outline;
    let mut seen = std::collections::HashSet::new();
    let mut roads = Vec::new();
    let key = |p: P| ((p[0] * 2.0).round() as i64, (p[1] * 2.0).round() as i64);
    let mut add_edges = |cell: &[P], parent: Option<&[P]>, class: RoadClass, roads: &mut Vec<Road>| {
        for i in 0..cell.len() {
            let (a, b) = (cell[i], cell[(i + 1) % cell.len()]);
            let (ka, kb) = (key(a), key(b));
            if !seen.insert(if ka < kb { (ka, kb) } else { (kb, ka) }) {
                continue;
            }
            let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
            // The district boundary is not a road; an edge on the parent's boundary belongs to the parent's class.
            if g::inset_distance(outline, mid).abs() < 1.0
                || parent.is_some_and(|p| g::inset_distance(p, mid).abs() < 1.0)
            {
                continue;
            }
            roads.push(Road { name: None, class, line: vec![frame.lonlat_from_local(a), frame.lonlat_from_local(b)] });
        }
    };
    for t in cells.towns {
        add_edges(t, None, RoadClass::Arterial, &mut roads);
    }
    for (c, t) in cells.communities.iter().zip(cells.community_town) {
        add_edges(c, Some(&cells.towns[*t]), RoadClass::Secondary, &mut roads);
    }
    for (gc, c) in cells.grids.iter().zip(cells.grid_community) {
        add_edges(gc, Some(&cells.communities[*c]), RoadClass::Local, &mut roads);
    }
    for (name, line, _, is_water, _) in &corridors.lines {
        if *is_water {
            continue;
        }
        let inside: Vec<LonLat> = line
            .iter()
            .filter(|p| g::inset_distance(outline, **p) > 0.0)
            .map(|p| frame.lonlat_from_local(*p))
            .collect();
        if inside.len() >= 2 {
            roads.push(Road { name: Some(name.to_string()), class: RoadClass::Expressway, line: inside });
        }
    }
    roads
}
