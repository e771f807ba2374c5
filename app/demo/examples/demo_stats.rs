//! Prints the size of the generated demo district and how long generation takes.
use pingan_core::BuildingKind;
use pingan_demo::{DemoSpec, generate};

fn main() {
    let t = std::time::Instant::now();
    let d = generate(&DemoSpec::default());
    let ms = t.elapsed().as_millis();
    let frame = pingan_core::LocalFrame::new(d.bbox().centre());
    let kinds = [
        BuildingKind::HighRise,
        BuildingKind::MidRise,
        BuildingKind::Public,
        BuildingKind::Industrial,
        BuildingKind::VillageHouse,
    ];
    println!(
        "generated in {ms} ms: {} towns, {} communities, {} grids, {} buildings, {} roads, {} water; area {:.0} km²; population {} floating {} enterprises {}",
        d.towns.len(),
        d.communities.len(),
        d.grids.len(),
        d.buildings.len(),
        d.roads.len(),
        d.water.len(),
        d.outline.area_m2(&frame) / 1e6,
        d.stats.population,
        d.stats.floating_population,
        d.stats.enterprises
    );
    for k in kinds {
        println!("  {:?}: {}", k, d.buildings.iter().filter(|b| b.kind == k).count());
    }
    for t in &d.towns {
        println!(
            "  {} {} communities, {:.0} km², pop {}",
            t.name,
            t.communities.len(),
            t.outline.area_m2(&frame) / 1e6,
            t.stats.population
        );
    }
    let t = std::time::Instant::now();
    let (s, _) = pingan_demo::Simulator::start(&d, 7, Default::default(), chrono::Utc::now());
    println!(
        "situation in {} ms: {} workers, {} events, open {}",
        t.elapsed().as_millis(),
        s.workers.len(),
        s.events.len(),
        s.events.iter().filter(|e| e.state.is_open()).count()
    );
}
