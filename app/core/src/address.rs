//! The unified address code (统一地址编码): 27 decimal digits that name any place in the governance hierarchy.
//!
//! Layout, most significant first:
//!
//! | digits | width | segment | meaning |
//! |---|---|---|---|
//! | 1–6   | 6 | county    | GB/T 2260 county-level division code, e.g. `330110` 余杭区 |
//! | 7–9   | 3 | town      | town/street (镇街), `001`–`999` (the township part of the statistical code) |
//! | 10–12 | 3 | community | village/community (村社), `001`–`999` |
//! | 13–15 | 3 | grid      | grid (网格), `001`–`999` |
//! | 16–19 | 4 | building  | building (楼幢), `0001`–`9999` |
//! | 20–21 | 2 | unit      | stairwell unit (单元), `01`–`99` |
//! | 22–24 | 3 | floor     | floor (楼层), `001`–`999` |
//! | 25–27 | 3 | room      | room (室), `001`–`999` |
//!
//! A code names the level of its last non-zero segment: `330110 001 000 000 0000 00 000 000` is a town. Zero
//! segments may only trail (a grid code cannot have a zero community), and unit, floor and room are set together
//! (a room needs all three). Parse once at the edge with [`AddressCode::parse`]; a value of this type is always
//! valid.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Total number of digits in a unified address code.
pub const ADDRESS_CODE_LEN: usize = 27;

/// Segment widths in order: county, town, community, grid, building, unit, floor, room.
const WIDTHS: [usize; 8] = [6, 3, 3, 3, 4, 2, 3, 3];
const SEGMENT_NAMES: [&str; 8] = ["county", "town", "community", "grid", "building", "unit", "floor", "room"];

/// The level of the hierarchy an address code names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AddressLevel {
    /// A county-level district (区/县).
    County,
    /// A town or street (镇街).
    Town,
    /// A village or community (村社).
    Community,
    /// A grid (网格).
    Grid,
    /// A building (楼幢).
    Building,
    /// A room (室) in a unit and floor of a building.
    Room,
}

/// What is wrong with a would-be address code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressCodeError {
    /// Not 27 digits long.
    #[error("an address code has 27 digits, this one has {len}")]
    WrongLength {
        /// Number of characters found (after removing separators).
        len: usize,
    },
    /// A character that is not a decimal digit.
    #[error("character {found:?} at position {position} is not a digit")]
    NotADigit {
        /// 1-based position in the code.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The first six digits are not a plausible GB/T 2260 county code.
    #[error("{county} is not a GB/T 2260 county code (province 11–82, city and county parts non-zero)")]
    BadCounty {
        /// The six digits found.
        county: String,
    },
    /// A lower segment is set while a higher one is zero.
    #[error("the {segment} segment is set but the {missing} segment above it is zero")]
    Gap {
        /// Name of the segment that is set.
        segment: &'static str,
        /// Name of the zero segment above it.
        missing: &'static str,
    },
    /// Only some of unit, floor and room are set.
    #[error("unit, floor and room must be set together (found unit {unit}, floor {floor}, room {room})")]
    PartialRoom {
        /// Unit digits found.
        unit: u32,
        /// Floor digits found.
        floor: u32,
        /// Room digits found.
        room: u32,
    },
    /// A segment value too large for its width (only from [`AddressCode::from_parts`]).
    #[error("the {segment} segment {value} does not fit in {width} digits")]
    Overflow {
        /// Name of the segment.
        segment: &'static str,
        /// Value given.
        value: u32,
        /// Digits available.
        width: usize,
    },
}

/// A valid 27-digit unified address code. See the module docs for the layout.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddressCode {
    /// Segments: county, town, community, grid, building, unit, floor, room.
    parts: [u32; 8],
}

impl AddressCode {
    /// Parse a code. ASCII spaces and `-` between digits are ignored, so the segmented form round-trips too.
    pub fn parse(s: &str) -> Result<Self, AddressCodeError> {
        let mut digits = Vec::with_capacity(ADDRESS_CODE_LEN);
        let mut count = 0usize;
        for c in s.trim().chars() {
            if c == '-' || c == ' ' {
                continue;
            }
            count += 1;
            match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => digits.push(d),
                _ => {
                    return Err(AddressCodeError::NotADigit { position: count, found: c });
                }
            }
        }
        if digits.len() != ADDRESS_CODE_LEN {
            return Err(AddressCodeError::WrongLength { len: digits.len() });
        }
        let mut parts = [0u32; 8];
        let mut at = 0;
        for (i, w) in WIDTHS.iter().enumerate() {
            parts[i] = digits[at..at + w].iter().fold(0, |acc, d| acc * 10 + d);
            at += w;
        }
        Self::validate(parts)
    }

    /// Build a code from segment values: county, town, community, grid, building, unit, floor, room.
    pub fn from_parts(parts: [u32; 8]) -> Result<Self, AddressCodeError> {
        for (i, (&v, &w)) in parts.iter().zip(WIDTHS.iter()).enumerate() {
            if v >= 10u32.pow(w as u32) {
                return Err(AddressCodeError::Overflow { segment: SEGMENT_NAMES[i], value: v, width: w });
            }
        }
        Self::validate(parts)
    }

    fn validate(parts: [u32; 8]) -> Result<Self, AddressCodeError> {
        let county = parts[0];
        let (province, city, county_part) = (county / 10_000, county / 100 % 100, county % 100);
        if !(11..=82).contains(&province) || city == 0 || county_part == 0 {
            return Err(AddressCodeError::BadCounty { county: format!("{county:06}") });
        }
        // Hierarchical segments county..building: zeros only trail.
        for i in 1..5 {
            if parts[i] != 0 && parts[i - 1] == 0 {
                return Err(AddressCodeError::Gap { segment: SEGMENT_NAMES[i], missing: SEGMENT_NAMES[i - 1] });
            }
        }
        let (unit, floor, room) = (parts[5], parts[6], parts[7]);
        let set = [unit, floor, room].iter().filter(|v| **v != 0).count();
        if set != 0 && set != 3 {
            return Err(AddressCodeError::PartialRoom { unit, floor, room });
        }
        if set == 3 && parts[4] == 0 {
            return Err(AddressCodeError::Gap { segment: "room", missing: "building" });
        }
        Ok(Self { parts })
    }

    /// All segments zero: no place at all (the code of an empty district, before its data arrives).
    pub const NONE: Self = Self { parts: [0; 8] };

    /// A county code, e.g. `330110`.
    pub fn county(county: u32) -> Result<Self, AddressCodeError> {
        Self::from_parts([county, 0, 0, 0, 0, 0, 0, 0])
    }

    /// The code one level down: `n` is the 1-based number of the child (town, community, grid or building).
    pub fn child(&self, n: u32) -> Result<Self, AddressCodeError> {
        let mut parts = self.parts;
        let idx = match self.level() {
            AddressLevel::County => 1,
            AddressLevel::Town => 2,
            AddressLevel::Community => 3,
            AddressLevel::Grid => 4,
            AddressLevel::Building | AddressLevel::Room => {
                return Err(AddressCodeError::Gap { segment: "child", missing: "building-level parent" });
            }
        };
        parts[idx] = n;
        Self::from_parts(parts)
    }

    /// The code of a room in this building.
    pub fn room(&self, unit: u32, floor: u32, room: u32) -> Result<Self, AddressCodeError> {
        let mut parts = self.parts;
        parts[5] = unit;
        parts[6] = floor;
        parts[7] = room;
        if self.level() != AddressLevel::Building {
            return Err(AddressCodeError::Gap { segment: "room", missing: "building" });
        }
        Self::from_parts(parts)
    }

    /// Which level this code names.
    pub fn level(&self) -> AddressLevel {
        if self.parts[7] != 0 {
            AddressLevel::Room
        } else if self.parts[4] != 0 {
            AddressLevel::Building
        } else if self.parts[3] != 0 {
            AddressLevel::Grid
        } else if self.parts[2] != 0 {
            AddressLevel::Community
        } else if self.parts[1] != 0 {
            AddressLevel::Town
        } else {
            AddressLevel::County
        }
    }

    /// Segment values: county, town, community, grid, building, unit, floor, room.
    pub fn parts(&self) -> [u32; 8] {
        self.parts
    }

    /// Whether `self` is `other` or lies inside it (a building code lies inside its grid's code).
    pub fn is_within(&self, other: &AddressCode) -> bool {
        let depth = match other.level() {
            AddressLevel::County => 1,
            AddressLevel::Town => 2,
            AddressLevel::Community => 3,
            AddressLevel::Grid => 4,
            AddressLevel::Building => 5,
            AddressLevel::Room => 8,
        };
        self.parts[..depth] == other.parts[..depth]
    }

    /// The code with separators between segments, for people: `330110-001-002-003-0004-01-005-006`.
    pub fn segmented(&self) -> String {
        let mut s = String::with_capacity(ADDRESS_CODE_LEN + 7);
        for (i, (v, w)) in self.parts.iter().zip(WIDTHS.iter()).enumerate() {
            if i > 0 {
                s.push('-');
            }
            s.push_str(&format!("{v:0w$}", w = *w));
        }
        s
    }
}

impl fmt::Display for AddressCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (v, w) in self.parts.iter().zip(WIDTHS.iter()) {
            write!(f, "{v:0w$}", w = *w)?;
        }
        Ok(())
    }
}

impl fmt::Debug for AddressCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AddressCode({})", self.segmented())
    }
}

impl FromStr for AddressCode {
    type Err = AddressCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for AddressCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AddressCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AddressCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: &str = "330110001002003000401005006";

    #[test]
    fn round_trips_every_level() {
        let county = AddressCode::county(330110).unwrap();
        let town = county.child(1).unwrap();
        let community = town.child(2).unwrap();
        let grid = community.child(3).unwrap();
        let building = grid.child(4).unwrap();
        let room = building.room(1, 5, 6).unwrap();
        let levels = [
            (county, AddressLevel::County),
            (town, AddressLevel::Town),
            (community, AddressLevel::Community),
            (grid, AddressLevel::Grid),
            (building, AddressLevel::Building),
            (room, AddressLevel::Room),
        ];
        for (code, level) in levels {
            assert_eq!(code.level(), level);
            let s = code.to_string();
            assert_eq!(s.len(), ADDRESS_CODE_LEN);
            assert_eq!(AddressCode::parse(&s).unwrap(), code);
            assert_eq!(AddressCode::parse(&code.segmented()).unwrap(), code);
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(serde_json::from_str::<AddressCode>(&json).unwrap(), code);
        }
        assert_eq!(room.to_string(), ROOM);
        assert_eq!(room.segmented(), "330110-001-002-003-0004-01-005-006");
        assert!(room.is_within(&grid) && room.is_within(&town) && !town.is_within(&room));
        assert!(!county.child(2).unwrap().child(2).unwrap().is_within(&community));
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(
            AddressCode::parse("33011000100200300040100500").unwrap_err(),
            AddressCodeError::WrongLength { len: 26 }
        );
        assert_eq!(AddressCode::parse(&format!("{ROOM}7")).unwrap_err(), AddressCodeError::WrongLength { len: 28 });
        assert_eq!(AddressCode::parse("").unwrap_err(), AddressCodeError::WrongLength { len: 0 });
    }

    #[test]
    fn rejects_non_digits_with_position() {
        let bad = "33011000100200300040100500x";
        assert_eq!(AddressCode::parse(bad).unwrap_err(), AddressCodeError::NotADigit { position: 27, found: 'x' });
        // Full-width digits look like digits but are not ASCII.
        let fw = "３30110001002003000401005006";
        assert!(matches!(AddressCode::parse(fw).unwrap_err(), AddressCodeError::NotADigit { position: 1, .. }));
    }

    #[test]
    fn rejects_bad_county() {
        for county in ["000000", "990110", "330010", "330100"] {
            let s = format!("{county}001002003000401005006");
            assert!(matches!(AddressCode::parse(&s).unwrap_err(), AddressCodeError::BadCounty { .. }), "{s}");
        }
    }

    #[test]
    fn rejects_gaps_and_partial_rooms() {
        // community set, town zero
        let e = AddressCode::parse("330110000002000000000000000000").unwrap_err();
        assert_eq!(e, AddressCodeError::WrongLength { len: 30 });
        let e = AddressCode::parse("330110000002000000000000000").unwrap_err();
        assert_eq!(e, AddressCodeError::Gap { segment: "community", missing: "town" });
        let e = AddressCode::parse("330110001002000000400000000").unwrap_err();
        assert_eq!(e, AddressCodeError::Gap { segment: "building", missing: "grid" });
        let e = AddressCode::parse("330110001002003000401000006").unwrap_err();
        assert_eq!(e, AddressCodeError::PartialRoom { unit: 1, floor: 0, room: 6 });
        let e = AddressCode::parse("330110001002003000001005006").unwrap_err();
        assert_eq!(e, AddressCodeError::Gap { segment: "room", missing: "building" });
        // Errors read well.
        assert_eq!(e.to_string(), "the room segment is set but the building segment above it is zero");
    }

    #[test]
    fn from_parts_checks_widths() {
        let e = AddressCode::from_parts([330110, 1000, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(e, AddressCodeError::Overflow { segment: "town", value: 1000, width: 3 });
        assert!(serde_json::from_str::<AddressCode>("\"12345\"").is_err());
    }
}
