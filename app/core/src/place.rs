//! Where a new report is: from a point on the map, or from a typed unified address code — the building (or the room
//! inside it) when there is one, else the grid — with its town, community, grid, code, position and a readable name.

use crate::{AddressCode, BuildingId, CommunityId, District, GridId, LonLat, SpatialIndex, TownId};
use crate::{Event, EventCategory, EventId, EventSource, EventState, Severity, Timestamp};

/// A place in the district, resolved down to its grid (and building when known).
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// Its town.
    pub town: TownId,
    /// Its community.
    pub community: CommunityId,
    /// Its grid.
    pub grid: GridId,
    /// Its building, when the place is one (or a room in one).
    pub building: Option<BuildingId>,
    /// The most precise address code known (the room's when typed, else the building's, else the grid's).
    pub address: AddressCode,
    /// Where it is drawn.
    pub position: LonLat,
    /// Readable name: grid path and building.
    pub name: String,
}

impl District {
    /// The place at `p`: the building there, or the grid. `None` outside every grid.
    pub fn place_at(&self, index: &SpatialIndex, p: LonLat) -> Option<Place> {
        if let Some(b) = index.building_at(self, p) {
            return Some(self.building_place(b, None, p));
        }
        let g = self.grids.get(index.grid_at(self, p)?.index())?;
        Some(self.grid_place_at(g, p))
    }

    /// The place a typed address code names: a building (or a room in one — the code is kept), or a grid (drawn
    /// at its label). `None` when no building or grid of this district has the code.
    pub fn place_of_code(&self, code: &AddressCode) -> Option<Place> {
        if let Some(b) = self.buildings.iter().find(|b| b.code == *code || code.is_within(&b.code)) {
            return Some(self.building_place(b.id, Some(*code), b.footprint.centroid()));
        }
        let g = self.grids.iter().find(|g| g.code == *code)?;
        Some(self.grid_place_at(g, g.label_at))
    }

    fn grid_place_at(&self, g: &crate::Grid, at: LonLat) -> Place {
        Place {
            town: g.town,
            community: g.community,
            grid: g.id,
            building: None,
            address: g.code,
            position: at,
            name: self.grid_place(g.id),
        }
    }

    fn building_place(&self, b: BuildingId, code: Option<AddressCode>, at: LonLat) -> Place {
        let b = self.building(b);
        let g = self.grid(b.grid);
        Place {
            town: g.town,
            community: g.community,
            grid: g.id,
            building: Some(b.id),
            address: code.unwrap_or(b.code),
            position: at,
            name: format!("{} {}", self.grid_place(g.id), b.name),
        }
    }
}

impl Place {
    /// A new report here, as reported at `at` (state `Reported`, no number, no history; the intake routes it and
    /// sets its level and deadline).
    pub fn report(
        self,
        id: EventId,
        category: EventCategory,
        severity: Severity,
        title: String,
        source: EventSource,
        at: Timestamp,
    ) -> Event {
        Event {
            id,
            number: String::new(),
            category,
            severity,
            title,
            position: self.position,
            address: self.address,
            place: self.name,
            town: self.town,
            community: self.community,
            grid: self.grid,
            building: self.building,
            source,
            reported_at: at,
            deadline: at,
            level: Default::default(),
            state: EventState::Reported,
            assignee: None,
            history: Vec::new(),
            evidence: None,
            linked: Vec::new(),
            acknowledged: None,
        }
    }
}
