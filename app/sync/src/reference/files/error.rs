//! Why a line of an admin's file is refused: the CSV itself, its header, a grid that cannot be found, or one row's
//! (or JSON line's) field. Each says what is wrong in words; the importers prefix the line.

use pingan_core::{AddressCode, AddressCodeError, Timestamp};

/// CSV text that cannot be split into records.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// A quoted field opened on this line is never closed.
    #[error("line {0}: a quoted field is never closed")]
    Unclosed(usize),
}

/// Why a header row cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A column the file kind does not have.
    #[error("line {line}: unknown column {column:?}; the columns are {}", .known.join(", "))]
    Unknown {
        /// The header's line.
        line: usize,
        /// The column as written (trimmed, lower case).
        column: String,
        /// The columns there are.
        known: Vec<&'static str>,
    },
    /// A column named twice.
    #[error("line {line}: column {column:?} appears twice")]
    Twice {
        /// The header's line.
        line: usize,
        /// The column.
        column: &'static str,
    },
    /// A required column missing.
    #[error("line {line}: no column {column:?}; the header must name {}", .required.join(", "))]
    Missing {
        /// The header's line.
        line: usize,
        /// The first column missing.
        column: String,
        /// The columns required.
        required: Vec<String>,
    },
}

/// Why no grid is found for a text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    /// Nothing was given.
    #[error("the grid is empty")]
    Empty,
    /// A grid name several communities use.
    #[error("grid name {name:?} is used in {count} communities: write 镇街/村社/网格 or the grid's code")]
    SharedName {
        /// The name.
        name: String,
        /// How many grids have it.
        count: usize,
    },
    /// A town/community/grid path that names no grid.
    #[error("there is no grid {0:?} (town/community/grid)")]
    NoPath(String),
    /// Digits that are neither 15 nor 27 long.
    #[error("{0:?} is not a grid code: 15 or 27 digits")]
    NotACode(String),
    /// A code no grid has.
    #[error("no grid of {district} has the code {code}")]
    NoCode {
        /// The district's name.
        district: String,
        /// The code as written.
        code: String,
    },
    /// An id past the last grid.
    #[error("there is no grid #{id} ({count} grids)")]
    NoId {
        /// The id.
        id: u32,
        /// How many grids the district has.
        count: usize,
    },
    /// A text that is no grid's name, path, code or id.
    #[error("there is no grid {name:?} in {district}")]
    NoGrid {
        /// The text.
        name: String,
        /// The district's name.
        district: String,
    },
}

/// Why one row of a roster or a history (or one JSON line) is refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RowError {
    /// Its grid cannot be found.
    #[error(transparent)]
    Grid(#[from] GridError),
    /// A check of `pingan-core` (a text's length and characters, a phone, a case number or title).
    #[error("{0}")]
    Checked(String),
    /// A roster row without a name.
    #[error("the name is empty")]
    EmptyName,
    /// A worker kind that is neither full-time nor part-time.
    #[error("unknown kind {0:?}: 专职 or 兼职 (full-time or part-time)")]
    UnknownKind(String),
    /// Another number of fields than the header has.
    #[error("{got} fields; the header has {header}")]
    Fields {
        /// Fields on the row.
        got: usize,
        /// Fields in the header.
        header: usize,
    },
    /// A time that does not parse.
    #[error("bad time {0:?}: RFC 3339 or YYYY-MM-DD HH:MM[:SS] (China time)")]
    BadTime(String),
    /// A time after now.
    #[error("the time {} lies in the future", .0.to_rfc3339())]
    FutureTime(Timestamp),
    /// A category the server does not know.
    #[error("unknown category {0:?} (e.g. FireAlarm or 火警)")]
    UnknownCategory(String),
    /// A severity the server does not know.
    #[error("unknown severity {0:?} (General, Significant, Major, Critical or 一般…)")]
    UnknownSeverity(String),
    /// A longitude or latitude that is not a number.
    #[error("bad position {lon:?}, {lat:?}: two numbers, degrees WGS84")]
    NotNumbers {
        /// The longitude as written.
        lon: String,
        /// The latitude as written.
        lat: String,
    },
    /// Numbers that are no position.
    #[error("bad position: {0}")]
    BadPosition(String),
    /// A position in no grid of the district.
    #[error("the position ({lon:.5}, {lat:.5}) lies in no grid of {district}")]
    NoGridAt {
        /// Longitude.
        lon: f64,
        /// Latitude.
        lat: f64,
        /// The district's name.
        district: String,
    },
    /// An address code that does not parse.
    #[error("bad address code {address:?}: {reason}")]
    BadAddress {
        /// The code as written.
        address: String,
        /// Why it is not a code.
        reason: AddressCodeError,
    },
    /// An address outside the district.
    #[error("address {code} is not in {district} ({district_code})")]
    OutsideDistrict {
        /// The address.
        code: AddressCode,
        /// The district's name.
        district: String,
        /// The district's code.
        district_code: AddressCode,
    },
    /// An address above the grid level.
    #[error("address {0} names no grid: give a grid, building or room code")]
    AboveGrid(AddressCode),
    /// A building code no building has.
    #[error("no building of {district} has the code {code}")]
    NoBuilding {
        /// The district's name.
        district: String,
        /// The code.
        code: AddressCode,
    },
    /// A history row with no place.
    #[error("no place: give grid, or lon and lat, or address")]
    NoPlace,
    /// A JSON line that is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// A JSON line that is not an object.
    #[error("not a JSON object")]
    NotObject,
    /// A JSON value that is neither a string nor a number.
    #[error("{key} is {value}; a string or number")]
    NotText {
        /// The key.
        key: String,
        /// The value, as JSON.
        value: String,
    },
    /// A JSON key a history line does not have.
    #[error("unknown key {0:?}; the keys are number, title, at, category, severity, grid, lon, lat, address")]
    UnknownKey(String),
}

impl RowError {
    /// A refusal by one of `pingan-core`'s checks, in its words.
    pub fn checked(reason: impl std::fmt::Display) -> RowError {
        RowError::Checked(reason.to_string())
    }
}
