//! Why one feature is left out: [`FeatureError`], whose message is the [`super::Problem`] a person reads.

use super::ImportAs;

/// Which ring of a polygon: the outer ring (`0`) or hole `k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ring(pub usize);

impl std::fmt::Display for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            0 => f.write_str("outer ring"),
            k => write!(f, "hole {k}"),
        }
    }
}

/// What is wrong with a measure (a height, a floor count).
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub(crate) enum MeasureProblem {
    /// Not a number at all.
    #[error("is not a number")]
    NotANumber,
    /// Zero or negative.
    #[error("is not positive")]
    NotPositive,
    /// More than anyone would believe.
    #[error("is absurd: at most {0} is believed")]
    Absurd(f64),
}

/// Why one feature cannot be imported. Its message is what the import shows, unchanged from when the problems were
/// plain text.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(crate) enum FeatureError {
    /// The member is not a GeoJSON Feature.
    #[error("not a Feature")]
    NotAFeature,
    /// A Feature without geometry (or a null one).
    #[error("no geometry")]
    NoGeometry,
    /// A geometry without a `type`.
    #[error("geometry without a type")]
    NoGeometryType,
    /// A geometry without `coordinates`.
    #[error("geometry without coordinates")]
    NoCoordinates,
    /// A part that must be an array is not (`a position`, `a line`).
    #[error("{0} is not an array")]
    NotAnArray(&'static str),
    /// A geometry's coordinates (of a `MultiPolygon`, `polygon`, …) are not an array.
    #[error("{0} coordinates are not an array")]
    CoordinatesNotAnArray(&'static str),
    /// A ring that is not an array.
    #[error("{0} is not an array")]
    RingNotAnArray(Ring),
    /// A multi-part geometry without parts, or a polygon without rings (`a MultiPoint without points`, …).
    #[error("a {0} without {1}")]
    Empty(&'static str, &'static str),
    /// A geometry of a kind that cannot be imported as what was chosen.
    #[error("a {kind} cannot be imported as {as_:?}")]
    CannotImportAs {
        /// The geometry's kind (`Point`, `polygon`, …).
        kind: &'static str,
        /// What the features were to be imported as.
        as_: ImportAs,
    },
    /// A geometry type the import does not read.
    #[error("geometry type {0:?} is not supported")]
    Unsupported(String),
    /// A position with fewer than two numbers.
    #[error("a position needs two numbers")]
    ShortPosition,
    /// A position whose first two members are not numbers (the position as written).
    #[error("a position is not numbers: {0}")]
    NotNumbers(String),
    /// A coordinate that is infinite or not a number.
    #[error("a coordinate is not a finite number")]
    NotFinite,
    /// A coordinate beyond ±180° / ±90°.
    #[error("coordinate out of range: lon {lon}, lat {lat}{}", projected_hint(*lon, *lat))]
    OutOfRange {
        /// The longitude as written.
        lon: f64,
        /// The latitude as written.
        lat: f64,
    },
    /// A line of fewer than two positions.
    #[error("a line needs at least two positions")]
    ShortLine,
    /// A ring of fewer than four positions.
    #[error("{ring} has {positions} positions; a ring needs at least 4")]
    ShortRing {
        /// Which ring.
        ring: Ring,
        /// How many positions it has.
        positions: usize,
    },
    /// A ring whose last position is not its first.
    #[error("{0} is not closed (its last position differs from its first)")]
    OpenRing(Ring),
    /// A ring whose edges `a` and `b` cross.
    #[error("{ring} crosses itself (edges {a} and {b})")]
    SelfCrossing {
        /// Which ring.
        ring: Ring,
        /// The first edge.
        a: usize,
        /// The second edge.
        b: usize,
    },
    /// A problem inside one ring of a polygon.
    #[error("{ring}: {source}")]
    InRing {
        /// Which ring.
        ring: Ring,
        /// What is wrong in it.
        source: Box<FeatureError>,
    },
    /// A problem inside one polygon of a MultiPolygon.
    #[error("polygon {index}: {source}")]
    InPolygon {
        /// Which polygon.
        index: usize,
        /// What is wrong in it.
        source: Box<FeatureError>,
    },
    /// A height or floor count that cannot be believed.
    #[error("{label} {value} {problem}")]
    Measure {
        /// What it is and under which key (`height`, `floor count (层数)`).
        label: String,
        /// The value as written, cut short after 40 characters.
        value: String,
        /// What is wrong with it.
        problem: MeasureProblem,
    },
    /// A `level` property naming no known level.
    #[error("unknown level {0:?}")]
    UnknownLevel(String),
    /// A polygon with nothing that says what it is.
    #[error("cannot tell what this polygon is (no level, adcode or height): choose a level")]
    Unrecognised,
    /// A feature that is not even JSON (the fast path's raw text).
    #[error("not JSON: {0}")]
    NotJson(String),
}

/// A hint after an out-of-range coordinate that looks like projected metres.
fn projected_hint(lon: f64, lat: f64) -> &'static str {
    if lon.abs() > 1000.0 || lat.abs() > 1000.0 {
        " (these look like projected metres, e.g. EPSG:3857; export in WGS84 or GCJ-02 degrees)"
    } else {
        ""
    }
}
