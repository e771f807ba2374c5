//! A district made of nothing but imported buildings, for rendering a building file on its own.

use super::ImportedBuilding;
use crate::geom::LonLat;

/// A district holding just `buildings` (one town and community; grids of at most 9,999 buildings each, as the
/// address code allows), for rendering a building file on its own — the render benchmark, or a quick look at an
/// import. Its outline is the buildings' bounding box plus 100 m. `None` when there are no buildings.
pub fn district_from_buildings(name: &str, buildings: &[ImportedBuilding]) -> Option<crate::District> {
    district_of_buildings(name, buildings.to_vec())
}

/// [`district_from_buildings`] taking the buildings (their rings move into the district instead of being copied:
/// at a million buildings that is a few hundred megabytes less at the peak).
pub fn district_of_buildings(name: &str, buildings: Vec<ImportedBuilding>) -> Option<crate::District> {
    use crate::geom::{BBox, Polygon};
    use crate::units::*;
    let all = buildings.iter().flat_map(|b| b.polygons.iter().flat_map(|p| p.iter().take(1).flatten().copied()));
    let bb = BBox::of(all)?;
    let pad_lat = 100.0 / 111_320.0;
    let pad_lon = pad_lat / bb.centre().lat.to_radians().cos().max(0.1);
    let (w, s, e, n) = (bb.min.lon - pad_lon, bb.min.lat - pad_lat, bb.max.lon + pad_lon, bb.max.lat + pad_lat);
    let rect = Polygon {
        exterior: vec![
            LonLat { lon: w, lat: s },
            LonLat { lon: e, lat: s },
            LonLat { lon: e, lat: n },
            LonLat { lon: w, lat: n },
            LonLat { lon: w, lat: s },
        ],
        holes: Vec::new(),
    };
    let centre = bb.centre();
    let county = crate::AddressCode::county(crate::import::FALLBACK_COUNTY).ok()?;
    let town_code = county.child(1).ok()?;
    let comm_code = town_code.child(1).ok()?;
    let mut grids: Vec<Grid> = Vec::new();
    let mut out: Vec<Building> = Vec::with_capacity(buildings.iter().map(|b| b.polygons.len()).sum());
    for b in buildings {
        for mut poly in b.polygons {
            if poly.is_empty() {
                continue;
            }
            let i = out.len();
            let (g, k) = (i / 9_999, (i % 9_999) as u32 + 1);
            if g >= 999 {
                return None;
            }
            if g == grids.len() {
                grids.push(Grid {
                    id: GridId(g as u32),
                    community: CommunityId(0),
                    town: TownId(0),
                    name: format!("导入网格{}", g + 1),
                    code: comm_code.child(g as u32 + 1).ok()?,
                    outline: rect.clone(),
                    label_at: centre,
                    stats: UnitStats::default(),
                    buildings: Vec::new(),
                });
            }
            let floors = (b.height / 3.0).round().clamp(1.0, 200.0) as u16;
            grids[g].buildings.push(BuildingId(i as u32));
            out.push(Building {
                id: BuildingId(i as u32),
                grid: GridId(g as u32),
                name: b.name.clone(),
                code: grids[g].code.child(k).ok()?,
                kind: if floors >= 10 { BuildingKind::HighRise } else { BuildingKind::MidRise },
                // The parser's rings carry a growing vector's slack (8 places for a box's 5 positions).
                footprint: Polygon {
                    exterior: {
                        let mut r = poly.remove(0);
                        r.shrink_to_fit();
                        r
                    },
                    holes: poly,
                },
                height_m: b.height as f32,
                floors,
                households: 0,
                population: 0,
            });
        }
    }
    Some(crate::District {
        name: name.to_string(),
        code: county,
        outline: rect.clone(),
        stats: UnitStats::default(),
        towns: vec![Town {
            id: TownId(0),
            name: name.to_string(),
            code: town_code,
            outline: rect.clone(),
            label_at: centre,
            stats: UnitStats::default(),
            communities: vec![CommunityId(0)],
        }],
        communities: vec![Community {
            id: CommunityId(0),
            town: TownId(0),
            name: name.to_string(),
            kind: CommunityKind::Community,
            code: comm_code,
            outline: rect,
            label_at: centre,
            stats: UnitStats::default(),
            grids: grids.iter().map(|g| g.id).collect(),
        }],
        grids,
        buildings: out,
        roads: Vec::new(),
        water: Vec::new(),
    })
}
