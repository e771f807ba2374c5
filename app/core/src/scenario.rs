//! An imported GeoJSON file turned into a [`District`] the whole app can run on (the "replace the demo" choice).
//!
//! The imported units may cover any part of the hierarchy: a district outline, towns, communities, grids, or only
//! buildings. Missing levels are filled in one-for-one (a town with no imported communities gets one community with
//! its outline, and so on); lower units are attached to the upper unit that contains their centroid; buildings to the
//! grid that contains theirs. What cannot be placed is counted in [`Built::left_out`], never silently dropped.

use crate::geom::{BBox, Polygon};
use crate::import::{Imported, ImportedUnit, Rings, UnitLevel, district_from_buildings};
use crate::units::*;
use crate::{AddressCode, LonLat};
use geo::{ConvexHull, Intersects};

/// Residents per km² assumed where a file gives no population (the demo district's density).
pub const DEFAULT_DENSITY_PER_KM2: f64 = 1_674.0;
/// Floating residents, enterprises and dwellings per resident, where a file gives none (the demo district's ratios).
const PER_RESIDENT: (f64, f64, f64) = (0.591, 0.016_46, 0.376_6);

/// The district built from an import, and what did not fit in it.
#[derive(Clone, Debug)]
pub struct Built {
    /// The district.
    pub district: District,
    /// Human-readable notes on what was left out or filled in (e.g. "3 buildings lie outside every grid").
    pub left_out: Vec<String>,
}

/// Build a district named `name` from `imported`. `None` when the file holds neither polygons of units nor buildings.
pub fn district_from_import(name: &str, imported: &Imported) -> Option<Built> {
    let by = |level: UnitLevel| imported.units.iter().filter(move |u| u.level == level).collect::<Vec<_>>();
    let (districts, mut towns, communities, grids) =
        (by(UnitLevel::District), by(UnitLevel::Town), by(UnitLevel::Community), by(UnitLevel::Grid));
    let mut left_out = Vec::new();
    // Several districts and nothing finer (a city's districts): they play the towns' part.
    let mut outline_unit = None;
    match (districts.len(), towns.is_empty()) {
        (1, _) => outline_unit = Some(districts[0]),
        (n, true) if n > 1 => towns = districts.clone(),
        (n, false) if n > 1 => left_out.push(format!("{n} district outlines: the towns' hull is used as the outline")),
        _ => {}
    }
    // With only finer levels, the finest present still becomes grids and the coarser levels are filled in.
    if towns.is_empty() && communities.is_empty() && grids.is_empty() {
        if let Some(d) = outline_unit {
            towns = vec![d];
        } else {
            let mut b = district_from_buildings(name, &imported.buildings)?;
            b.roads = roads(imported);
            estimate_from_buildings(&mut b, &mut left_out);
            return Some(Built { district: b, left_out });
        }
    }
    let county_code = outline_unit
        .and_then(|u| u.code.as_deref())
        .or_else(|| towns.iter().chain(&communities).find_map(|u| u.code.as_deref()))
        .and_then(|c| c.get(..6)?.parse::<u32>().ok())
        .and_then(|c| AddressCode::county(c).ok())
        .or_else(|| AddressCode::county(crate::import::FALLBACK_COUNTY).ok())?;

    // Towns (from town units, or one per top-level community/grid when there are none).
    let top: Vec<&ImportedUnit> = if !towns.is_empty() {
        towns
    } else if !communities.is_empty() {
        communities.clone()
    } else {
        grids.clone()
    };
    let mut d = District {
        name: outline_unit.map(|u| u.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| name.to_string()),
        code: county_code,
        outline: Polygon::default(),
        stats: UnitStats::default(),
        towns: Vec::new(),
        communities: Vec::new(),
        grids: Vec::new(),
        buildings: Vec::new(),
        roads: roads(imported),
        water: Vec::new(),
    };
    add_towns(&mut d, &top, &mut left_out)?;
    add_communities(&mut d, &top, &communities, &mut left_out)?;
    add_grids(&mut d, &top, &grids, &mut left_out)?;
    add_buildings(&mut d, imported, &mut left_out)?;
    d.outline = match outline_unit {
        Some(u) => largest(&u.polygons),
        None => union_outline(&d.towns)
            .unwrap_or_else(|| hull(d.towns.iter().flat_map(|t| t.outline.exterior.iter().copied()))),
    };
    let populations: Vec<Option<f64>> = top.iter().map(|u| u.population).collect();
    estimate_stats(&mut d, &populations, &mut left_out);
    Some(Built { district: d, left_out })
}

/// One town per unit of `top` (at most the 999 an address code allows; the rest are noted in `left_out`).
fn add_towns(d: &mut District, top: &[&ImportedUnit], left_out: &mut Vec<String>) -> Option<()> {
    for (i, u) in top.iter().take(999).enumerate() {
        let outline = largest(&u.polygons);
        d.towns.push(Town {
            id: TownId(i as u16),
            name: label(u, "镇街", i),
            code: d.code.child(i as u32 + 1).ok()?,
            label_at: outline.centroid(),
            outline,
            stats: UnitStats::default(),
            communities: Vec::new(),
        });
    }
    if top.len() > 999 {
        left_out.push(format!("{} towns beyond the 999 an address code allows", top.len() - 999));
    }
    Some(())
}

/// Communities: attached by centroid to a town (unless they already became the towns), then one for each town
/// that has none.
fn add_communities(
    d: &mut District,
    top: &[&ImportedUnit],
    communities: &[&ImportedUnit],
    left_out: &mut Vec<String>,
) -> Option<()> {
    let community_units: &[&ImportedUnit] = if !towns_are(top, communities) { communities } else { &[] };
    let mut unplaced = 0;
    for u in community_units {
        let outline = largest(&u.polygons);
        let Some(t) = find(&d.towns.iter().map(|t| &t.outline).collect::<Vec<_>>(), outline.centroid()) else {
            unplaced += 1;
            continue;
        };
        let name = label(u, "村社", d.communities.len());
        push_community(d, t, name, outline)?;
    }
    if unplaced > 0 {
        left_out.push(format!("{unplaced} communities lie outside every town"));
    }
    for t in 0..d.towns.len() {
        if d.towns[t].communities.is_empty() {
            let (n, o) = (d.towns[t].name.clone(), d.towns[t].outline.clone());
            push_community(d, t, n, o)?;
        }
    }
    Some(())
}

/// Grids: attached by centroid to a community (unless they already became the towns), then one for each
/// community that has none.
fn add_grids(
    d: &mut District,
    top: &[&ImportedUnit],
    grids: &[&ImportedUnit],
    left_out: &mut Vec<String>,
) -> Option<()> {
    let grid_units: &[&ImportedUnit] = if !towns_are(top, grids) { grids } else { &[] };
    let mut unplaced = 0;
    for u in grid_units {
        let outline = largest(&u.polygons);
        let Some(c) = find(&d.communities.iter().map(|c| &c.outline).collect::<Vec<_>>(), outline.centroid()) else {
            unplaced += 1;
            continue;
        };
        let name = label(u, "网格", d.grids.len());
        push_grid(d, c, name, outline)?;
    }
    if unplaced > 0 {
        left_out.push(format!("{unplaced} grids lie outside every community"));
    }
    for c in 0..d.communities.len() {
        if d.communities[c].grids.is_empty() {
            let (n, o) = (d.communities[c].name.clone(), d.communities[c].outline.clone());
            push_grid(d, c, n, o)?;
        }
    }
    Some(())
}

/// Buildings: into the grid that holds their centroid (at most 9,999 a grid); the others are counted in `left_out`.
fn add_buildings(d: &mut District, imported: &Imported, left_out: &mut Vec<String>) -> Option<()> {
    // Each grid's box and shape (geo's, converted once here rather than once per building).
    let grid_boxes: Vec<(BBox, geo::Polygon<f64>, usize)> =
        d.grids.iter().enumerate().filter_map(|(i, g)| Some((g.outline.bbox()?, g.outline.to_geo(), i))).collect();
    let mut outside = 0;
    for b in &imported.buildings {
        for rings in &b.polygons {
            let footprint = Polygon { exterior: rings[0].clone(), holes: rings[1..].to_vec() };
            let c = footprint.centroid();
            let Some(g) = grid_boxes
                .iter()
                .find(|(bb, shape, _)| bb.contains(c) && shape.intersects(&geo::Coord::from(c)))
                .map(|(_, _, i)| *i)
            else {
                outside += 1;
                continue;
            };
            if d.grids[g].buildings.len() >= 9_999 {
                outside += 1;
                continue;
            }
            let id = BuildingId(d.buildings.len() as u32);
            let k = d.grids[g].buildings.len() as u32 + 1;
            let floors = (b.height / 3.0).round().clamp(1.0, 200.0) as u16;
            d.grids[g].buildings.push(id);
            d.buildings.push(Building {
                id,
                grid: GridId(g as u32),
                name: if b.name.is_empty() { format!("{k}幢") } else { b.name.clone() },
                code: d.grids[g].code.child(k).ok()?,
                kind: if floors >= 10 { BuildingKind::HighRise } else { BuildingKind::MidRise },
                footprint,
                height_m: b.height as f32,
                floors,
                households: 0,
                population: 0,
            });
        }
    }
    if outside > 0 {
        left_out.push(format!("{outside} building footprints lie outside every grid (or in a full grid)"));
    }
    Some(())
}

/// Statistics: the five-colour score divides by a unit's complexity (people, enterprises, dwellings). A file rarely
/// has them; where a town gives its population (`populations`, by town) it is spread over its grids by area,
/// otherwise it is estimated from area at the demo district's density, and the user is told.
fn estimate_stats(d: &mut District, populations: &[Option<f64>], notes: &mut Vec<String>) {
    let frame = crate::geom::LocalFrame::new(d.outline.centroid());
    let mut estimated = 0;
    for ti in 0..d.towns.len() {
        let town_area = d.towns[ti].outline.area_m2(&frame).max(1.0);
        let density = match populations.get(ti).copied().flatten() {
            Some(p) => p / town_area,
            None => {
                estimated += 1;
                DEFAULT_DENSITY_PER_KM2 / 1e6
            }
        };
        for ci in d.towns[ti].communities.clone() {
            for gi in d.communities[ci.index()].grids.clone() {
                let g = &mut d.grids[gi.index()];
                let people = g.outline.area_m2(&frame) * density;
                let (fl, en, ho) = PER_RESIDENT;
                g.stats = UnitStats {
                    population: people.round() as u32,
                    floating_population: (people * fl).round() as u32,
                    enterprises: (people * en).round() as u32,
                    houses: (people * ho).round() as u32,
                };
            }
        }
    }
    roll_up(d);
    if estimated > 0 {
        notes.push(format!(
            "{estimated} of {} towns give no population: estimated from area at {DEFAULT_DENSITY_PER_KM2} residents/km² (and the demo district's ratios of floating residents, enterprises and dwellings) for the five-colour scores",
            d.towns.len()
        ));
    }
}

/// Statistics of a buildings-only district (whose outline is just their bounding box): dwellings from floor area
/// (footprint × floors, 75 % of it homes of 90 m²), 2.6 residents each, and the demo's ratios for the rest.
fn estimate_from_buildings(d: &mut District, notes: &mut Vec<String>) {
    let frame = crate::geom::LocalFrame::new(d.outline.centroid());
    for gi in 0..d.grids.len() {
        let mut homes = 0.0;
        for b in &d.grids[gi].buildings {
            let b = &d.buildings[b.index()];
            homes += b.footprint.area_m2(&frame) * b.floors as f64 * 0.75 / 90.0;
        }
        let people = homes * 2.6;
        let (fl, en, _) = PER_RESIDENT;
        d.grids[gi].stats = UnitStats {
            population: people.round() as u32,
            floating_population: (people * fl).round() as u32,
            enterprises: (people * en).round() as u32,
            houses: homes.round() as u32,
        };
    }
    roll_up(d);
    notes.push(format!(
        "no population in the file: {} residents estimated from the buildings' floor area (90 m² homes, 2.6 people each)",
        d.stats.population
    ));
}

/// Communities, towns and the district as the sums of their grids.
fn roll_up(d: &mut District) {
    for c in 0..d.communities.len() {
        let mut s = UnitStats::default();
        for g in &d.communities[c].grids {
            s += d.grids[g.index()].stats;
        }
        d.communities[c].stats = s;
    }
    d.stats = UnitStats::default();
    for t in 0..d.towns.len() {
        let mut s = UnitStats::default();
        for c in &d.towns[t].communities {
            s += d.communities[c.index()].stats;
        }
        d.towns[t].stats = s;
        d.stats += s;
    }
}

/// Whether `units` is the same list as `top` (the level that already became towns).
fn towns_are(top: &[&ImportedUnit], units: &[&ImportedUnit]) -> bool {
    !units.is_empty() && top.len() == units.len() && std::ptr::eq(top[0], units[0])
}

fn push_community(d: &mut District, town: usize, name: String, outline: Polygon) -> Option<()> {
    let n = d.towns[town].communities.len() as u32 + 1;
    if n > 999 {
        return Some(());
    }
    let id = CommunityId(d.communities.len() as u32);
    d.communities.push(Community {
        id,
        town: TownId(town as u16),
        name,
        kind: CommunityKind::Community,
        code: d.towns[town].code.child(n).ok()?,
        label_at: outline.centroid(),
        outline,
        stats: UnitStats::default(),
        grids: Vec::new(),
    });
    d.towns[town].communities.push(id);
    Some(())
}

fn push_grid(d: &mut District, community: usize, name: String, outline: Polygon) -> Option<()> {
    let n = d.communities[community].grids.len() as u32 + 1;
    if n > 999 {
        return Some(());
    }
    let id = GridId(d.grids.len() as u32);
    d.grids.push(Grid {
        id,
        community: CommunityId(community as u32),
        town: d.communities[community].town,
        name,
        code: d.communities[community].code.child(n).ok()?,
        label_at: outline.centroid(),
        outline,
        stats: UnitStats::default(),
        buildings: Vec::new(),
    });
    d.communities[community].grids.push(id);
    Some(())
}

fn label(u: &ImportedUnit, what: &str, i: usize) -> String {
    if u.name.is_empty() { format!("{what}{}", i + 1) } else { u.name.clone() }
}

fn find(outlines: &[&Polygon], p: LonLat) -> Option<usize> {
    outlines.iter().position(|o| o.bbox().is_some_and(|b| b.contains(p)) && o.contains(p))
}

/// The largest polygon of a multipolygon (a unit has one outline; islands beyond the main one are dropped).
fn largest(polys: &[Rings]) -> Polygon {
    let best = polys
        .iter()
        .max_by(|a, b| crate::import::polygon_area_m2(a).total_cmp(&crate::import::polygon_area_m2(b)))
        .cloned()
        .unwrap_or_default();
    let mut it = best.into_iter();
    Polygon { exterior: it.next().unwrap_or_default(), holes: it.collect() }
}

fn roads(imported: &Imported) -> Vec<Road> {
    imported
        .roads
        .iter()
        .flat_map(|r| {
            r.lines.iter().map(|l| Road {
                name: (!r.name.is_empty()).then(|| r.name.clone()),
                class: RoadClass::Secondary,
                line: l.clone(),
            })
        })
        .collect()
}

/// The towns' union (geo's boolean ops), when it is one piece (slivers between towns are dropped with the holes).
fn union_outline(towns: &[Town]) -> Option<Polygon> {
    use geo::{Area, Coord, LineString, unary_union};
    let polys: Vec<geo::Polygon<f64>> = towns
        .iter()
        .map(|t| {
            let ring: Vec<Coord<f64>> = t.outline.exterior.iter().map(|p| Coord { x: p.lon, y: p.lat }).collect();
            geo::Polygon::new(LineString::from(ring), Vec::new())
        })
        .collect();
    let union = unary_union(&polys);
    let total: f64 = union.0.iter().map(|p| p.unsigned_area()).sum();
    let best = union.0.into_iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    // Several real pieces (towns that do not touch): no single outline; the caller takes the hull.
    if best.unsigned_area() < 0.95 * total {
        return None;
    }
    Some(Polygon::from_exterior(best.exterior().coords().map(|c| LonLat::new(c.x, c.y)).collect()))
}

/// Convex hull (geo's `ConvexHull`), closed, counter-clockwise; fewer than 3 distinct points give an empty polygon.
fn hull(points: impl Iterator<Item = LonLat>) -> Polygon {
    let points: geo::MultiPoint<f64> = points.map(geo::Point::from).collect();
    let hull = points.convex_hull();
    if hull.exterior().0.len() < 4 {
        return Polygon::default();
    }
    Polygon::from_exterior(hull.exterior().coords().map(|c| LonLat::from(*c)).collect())
}
