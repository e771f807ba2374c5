//! The governance hierarchy: district → town/street (镇街) → village/community (村社) → grid (网格) → building (楼幢).
//! Rooms are addressed by [`AddressCode::room`] rather than stored one by one.
//!
//! Ids are dense indices into the [`District`]'s vectors, so lookups are O(1) and ids are stable for a given
//! district.

use crate::geom::BBox;
use crate::{AddressCode, LonLat, Polygon};
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident($t:ty)) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub $t);
        impl $name {
            /// The index into the district's vector.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// A town/street, index into [`District::towns`].
    TownId(u16)
);
id_type!(
    /// A village/community, index into [`District::communities`].
    CommunityId(u32)
);
id_type!(
    /// A grid, index into [`District::grids`].
    GridId(u32)
);
id_type!(
    /// A building, index into [`District::buildings`].
    BuildingId(u32)
);

/// The size of a unit's population and economy: what makes it complex to govern.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitStats {
    /// Registered residents (户籍人口 and long-term residents).
    pub population: u32,
    /// Floating population (流动人口).
    pub floating_population: u32,
    /// Enterprises and shops (企业).
    pub enterprises: u32,
    /// Dwellings (房屋).
    pub houses: u32,
}

impl std::ops::AddAssign for UnitStats {
    fn add_assign(&mut self, o: Self) {
        self.population += o.population;
        self.floating_population += o.floating_population;
        self.enterprises += o.enterprises;
        self.houses += o.houses;
    }
}

/// Whether a 村社 is an urban community or a rural village.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CommunityKind {
    /// 社区 — urban community.
    Community,
    /// 村 — rural village.
    Village,
}

/// What a building is used for and how it is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BuildingKind {
    /// High-rise residential tower in a compound (高层住宅).
    HighRise,
    /// Mid-rise residential block (多层住宅).
    MidRise,
    /// Village house (农居).
    VillageHouse,
    /// Factory or warehouse (厂房).
    Industrial,
    /// Office, shop, school, hospital (公建).
    Public,
}

impl BuildingKind {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::HighRise => "高层住宅",
            Self::MidRise => "多层住宅",
            Self::VillageHouse => "农居",
            Self::Industrial => "厂房",
            Self::Public => "公建",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::HighRise => "High-rise",
            Self::MidRise => "Mid-rise",
            Self::VillageHouse => "Village house",
            Self::Industrial => "Industrial",
            Self::Public => "Public building",
        }
    }
}

/// A town or street (镇街).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Town {
    /// Identifier.
    pub id: TownId,
    /// Name, e.g. 良渚街道.
    pub name: String,
    /// Address code at town level.
    pub code: AddressCode,
    /// Boundary.
    pub outline: Polygon,
    /// Where its label goes.
    pub label_at: LonLat,
    /// Totals of its communities.
    pub stats: UnitStats,
    /// Its communities.
    pub communities: Vec<CommunityId>,
}

/// A village or community (村社).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Community {
    /// Identifier.
    pub id: CommunityId,
    /// Town it belongs to.
    pub town: TownId,
    /// Name, e.g. 玉鸟社区.
    pub name: String,
    /// Urban community or village.
    pub kind: CommunityKind,
    /// Address code at community level.
    pub code: AddressCode,
    /// Boundary.
    pub outline: Polygon,
    /// Where its label goes.
    pub label_at: LonLat,
    /// Totals of its grids.
    pub stats: UnitStats,
    /// Its grids.
    pub grids: Vec<GridId>,
}

/// A grid (网格): the patch one or two grid workers walk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Identifier.
    pub id: GridId,
    /// Community it belongs to.
    pub community: CommunityId,
    /// Town it belongs to.
    pub town: TownId,
    /// Name, e.g. 玉鸟社区第3网格.
    pub name: String,
    /// Address code at grid level.
    pub code: AddressCode,
    /// Boundary.
    pub outline: Polygon,
    /// Where its label goes.
    pub label_at: LonLat,
    /// Totals of its buildings plus enterprises.
    pub stats: UnitStats,
    /// Its buildings.
    pub buildings: Vec<BuildingId>,
}

/// A building (楼幢).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Building {
    /// Identifier.
    pub id: BuildingId,
    /// Grid it stands in.
    pub grid: GridId,
    /// Name, e.g. 12幢.
    pub name: String,
    /// Address code at building level.
    pub code: AddressCode,
    /// Use and form.
    pub kind: BuildingKind,
    /// Footprint.
    pub footprint: Polygon,
    /// Height in metres.
    pub height_m: f32,
    /// Number of floors above ground.
    pub floors: u16,
    /// Dwellings in it.
    pub households: u32,
    /// People living in it.
    pub population: u32,
}

/// Road classes, widest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RoadClass {
    /// 高速/快速路.
    Expressway,
    /// 主干道.
    Arterial,
    /// 次干道.
    Secondary,
    /// 支路.
    Local,
}

impl RoadClass {
    /// Typical carriageway width in metres.
    pub fn width_m(self) -> f32 {
        match self {
            Self::Expressway => 32.0,
            Self::Arterial => 24.0,
            Self::Secondary => 14.0,
            Self::Local => 7.0,
        }
    }
}

/// A road centreline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Road {
    /// Name, if it has one.
    pub name: Option<String>,
    /// Class.
    pub class: RoadClass,
    /// Centreline.
    pub line: Vec<LonLat>,
}

/// A river or lake.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaterBody {
    /// Name.
    pub name: String,
    /// Water surface.
    pub area: Polygon,
    /// For rivers and canals: the centreline (empty for lakes).
    #[serde(default)]
    pub centreline: Vec<LonLat>,
    /// For rivers and canals: width in metres (0 for lakes).
    #[serde(default)]
    pub width_m: f32,
}

/// A reference to any governance unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnitRef {
    /// The whole district.
    District,
    /// A town.
    Town(TownId),
    /// A community.
    Community(CommunityId),
    /// A grid.
    Grid(GridId),
    /// A building.
    Building(BuildingId),
}

/// A county-level district and everything in it: the static map of governance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct District {
    /// Name, e.g. 余杭区.
    pub name: String,
    /// County-level address code.
    pub code: AddressCode,
    /// Outer boundary.
    pub outline: Polygon,
    /// Totals of all towns.
    pub stats: UnitStats,
    /// Towns/streets.
    pub towns: Vec<Town>,
    /// Villages/communities.
    pub communities: Vec<Community>,
    /// Grids.
    pub grids: Vec<Grid>,
    /// Buildings.
    pub buildings: Vec<Building>,
    /// Roads.
    pub roads: Vec<Road>,
    /// Rivers and lakes.
    pub water: Vec<WaterBody>,
}

impl District {
    /// The district's local time, in which its case numbers are dated and its days and months counted: China
    /// Standard Time.
    pub fn local_offset(&self) -> chrono::FixedOffset {
        crate::time::china_offset()
    }

    /// A town by id.
    pub fn town(&self, id: TownId) -> &Town {
        &self.towns[id.index()]
    }

    /// A community by id.
    pub fn community(&self, id: CommunityId) -> &Community {
        &self.communities[id.index()]
    }

    /// A grid by id.
    pub fn grid(&self, id: GridId) -> &Grid {
        &self.grids[id.index()]
    }

    /// A building by id.
    pub fn building(&self, id: BuildingId) -> &Building {
        &self.buildings[id.index()]
    }

    /// Bounding box of the district.
    pub fn bbox(&self) -> BBox {
        self.outline.bbox().unwrap_or(BBox { min: LonLat::default(), max: LonLat::default() })
    }

    /// Full place name of a grid: town · community · grid.
    pub fn grid_place(&self, id: GridId) -> String {
        let g = self.grid(id);
        let c = self.community(g.community);
        let t = self.town(g.town);
        format!("{} {} {}", t.name, c.name, g.name)
    }

    /// Check that the district hangs together, so that the lookups by id above cannot fail: every unit's and
    /// building's id equals its place in its list, every parent and child it names exists, and a child names its
    /// parent back. Data read from a file or the network goes through this before anything indexes it.
    pub fn check_references(&self) -> Result<(), ReferenceError> {
        fn ok(what: &'static str, index: usize, id: usize) -> Result<(), ReferenceError> {
            if id == index { Ok(()) } else { Err(ReferenceError::WrongId { what, index, id }) }
        }
        let (nt, ng) = (self.towns.len(), self.grids.len());
        for (i, t) in self.towns.iter().enumerate() {
            ok("town", i, t.id.index())?;
            for c in &t.communities {
                if self.communities.get(c.index()).is_none_or(|c| c.town != t.id) {
                    return Err(ReferenceError::ForeignCommunity { town: t.name.clone(), community: c.0 });
                }
            }
        }
        for (i, c) in self.communities.iter().enumerate() {
            ok("community", i, c.id.index())?;
            if c.town.index() >= nt {
                return Err(ReferenceError::MissingTown { community: c.name.clone(), town: c.town.0 });
            }
            for g in &c.grids {
                if self.grids.get(g.index()).is_none_or(|g| g.community != c.id) {
                    return Err(ReferenceError::ForeignGrid { community: c.name.clone(), grid: g.0 });
                }
            }
        }
        for (i, g) in self.grids.iter().enumerate() {
            ok("grid", i, g.id.index())?;
            if self.communities.get(g.community.index()).is_none_or(|c| c.town != g.town) {
                return Err(ReferenceError::MismatchedParents {
                    grid: g.name.clone(),
                    community: g.community.0,
                    town: g.town.0,
                });
            }
            for b in &g.buildings {
                if self.buildings.get(b.index()).is_none_or(|b| b.grid != g.id) {
                    return Err(ReferenceError::ForeignBuilding { grid: g.name.clone(), building: b.0 });
                }
            }
        }
        for (i, b) in self.buildings.iter().enumerate() {
            ok("building", i, b.id.index())?;
            if b.grid.index() >= ng {
                return Err(ReferenceError::MissingGrid { building: b.name.clone(), grid: b.grid.0 });
            }
        }
        Ok(())
    }

    /// Name of any unit.
    pub fn unit_name(&self, unit: UnitRef) -> &str {
        match unit {
            UnitRef::District => &self.name,
            UnitRef::Town(id) => &self.town(id).name,
            UnitRef::Community(id) => &self.community(id).name,
            UnitRef::Grid(id) => &self.grid(id).name,
            UnitRef::Building(id) => &self.building(id).name,
        }
    }
}

/// Why a district does not hang together ([`District::check_references`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// A unit or building whose id is not its place in its list.
    #[error("{what} #{index} says it is #{id}")]
    WrongId {
        /// Which list: `town`, `community`, `grid` or `building`.
        what: &'static str,
        /// Its place in the list.
        index: usize,
        /// The id it carries.
        id: usize,
    },
    /// A town names a community that does not exist or belongs to another town.
    #[error("town {town} names community #{community}, which is not one of its own")]
    ForeignCommunity {
        /// The town's name.
        town: String,
        /// The community's id.
        community: u32,
    },
    /// A community belongs to a town that does not exist.
    #[error("community {community} belongs to town #{town}, which does not exist")]
    MissingTown {
        /// The community's name.
        community: String,
        /// The town's id.
        town: u16,
    },
    /// A community names a grid that does not exist or belongs to another community.
    #[error("community {community} names grid #{grid}, which is not one of its own")]
    ForeignGrid {
        /// The community's name.
        community: String,
        /// The grid's id.
        grid: u32,
    },
    /// A grid's community is missing or lies in another town than the grid says.
    #[error("grid {grid} names community #{community} in town #{town}, which do not match")]
    MismatchedParents {
        /// The grid's name.
        grid: String,
        /// The community's id.
        community: u32,
        /// The town's id.
        town: u16,
    },
    /// A grid names a building that does not exist or stands in another grid.
    #[error("grid {grid} names building #{building}, which is not one of its own")]
    ForeignBuilding {
        /// The grid's name.
        grid: String,
        /// The building's id.
        building: u32,
    },
    /// A building stands in a grid that does not exist.
    #[error("building {building} stands in grid #{grid}, which does not exist")]
    MissingGrid {
        /// The building's name.
        building: String,
        /// The grid's id.
        grid: u32,
    },
}
