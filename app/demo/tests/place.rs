//! `District::place_at` and `District::place_of_code` on a generated district.

use pingan_core::SpatialIndex;

#[test]
fn a_code_or_a_point_finds_the_same_building() {
    let d = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
    let index = SpatialIndex::new(&d);
    let b = &d.buildings[d.buildings.len() / 2];
    let by_code = d.place_of_code(&b.code).unwrap();
    assert_eq!(by_code.building, Some(b.id));
    assert_eq!(by_code.grid, b.grid);
    let by_point = d.place_at(&index, by_code.position).unwrap();
    assert_eq!(by_point.building, Some(b.id));
    let room = b.code.room(1, 3, 2).unwrap();
    let in_room = d.place_of_code(&room).unwrap();
    assert_eq!((in_room.building, in_room.address), (Some(b.id), room));
    let g = &d.grids[0];
    assert_eq!(d.place_of_code(&g.code).unwrap().grid, g.id);
    assert!(d.place_of_code(&pingan_core::AddressCode::NONE).is_none());
    assert!(d.place_at(&index, pingan_core::LonLat::new(0.0, 0.0)).is_none());
}
