//! The wall layout (`pingan --wall [LAYOUT.toml]`): which panels go on which screen, read from a documented TOML
//! file (`assets/config/wall.toml` is the default, compiled in). Plain data, so tests check the choice of panels
//! without windows; the app opens one borderless fullscreen viewport per screen.

use serde::Deserialize;

/// The shipped layout (documented in the file): left the report and tables, centre the map, right feed and detail.
pub const DEFAULT_WALL_TOML: &str = include_str!("../../../assets/config/wall.toml");

/// The widest surface egui-wgpu's default device can draw (its `max_texture_dimension_2d`).
pub const MAX_SURFACE_PX: f32 = 8192.0;

/// What a screen region shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WallPanel {
    /// The 2D or 3D map.
    Map,
    /// The left panel: events, task books, coverage, acknowledgements.
    Feed,
    /// The selected event, task book or unit.
    Detail,
    /// KPI tiles, trends, key categories.
    Report,
    /// League table, command loop, task books by town, warning precision.
    Tables,
}

/// One screen of the wall.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallScreen {
    /// The monitor it goes on (fullscreen there).
    #[serde(default)]
    pub monitor: Option<usize>,
    /// Top-left corner in desktop pixels (when there is no `monitor`).
    #[serde(default)]
    pub position: Option<[f32; 2]>,
    /// Window size in pixels (with `position`).
    #[serde(default)]
    pub size: Option<[f32; 2]>,
    /// Whether the header bar is on this screen.
    #[serde(default = "yes")]
    pub header: bool,
    /// The panels, top to bottom.
    pub panels: Vec<WallPanel>,
    /// Each panel's share of the height.
    #[serde(default)]
    pub weights: Vec<f32>,
}

fn yes() -> bool {
    true
}

/// Which units the auto-tour visits.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum TourStops {
    /// `"towns"` (every town) or `"red"` (the communities graded red in the five-colour view).
    Kind(TourKind),
    /// Units by name (towns, communities or grids), in order.
    Names(Vec<String>),
}

/// A kind of tour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TourKind {
    /// Every town, in district order.
    Towns,
    /// The red communities of the five-colour view, reddest first.
    Red,
}

/// The auto-tour: the map cycles through units, pausing on any operator input and resuming after an idle time.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TourConfig {
    /// What it visits.
    pub stops: TourStops,
    /// Seconds at each stop.
    #[serde(default = "dwell")]
    pub dwell_s: f64,
    /// Seconds without input before it resumes.
    #[serde(default = "resume")]
    pub resume_after_s: f64,
}

fn dwell() -> f64 {
    20.0
}

fn resume() -> f64 {
    60.0
}

/// A whole wall.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallLayout {
    /// Multiplies every size.
    #[serde(default = "one")]
    pub font_scale: f32,
    /// The auto-tour (none: the map stays where the operator leaves it).
    #[serde(default)]
    pub tour: Option<TourConfig>,
    /// The screens, the main window first.
    #[serde(rename = "screen")]
    pub screens: Vec<WallScreen>,
}

fn one() -> f32 {
    1.0
}

impl Default for WallLayout {
    fn default() -> Self {
        Self::from_toml(DEFAULT_WALL_TOML).expect("the shipped wall.toml is valid (tested)")
    }
}

/// What is wrong with a wall layout (each message starts `wall layout:`).
#[derive(Debug, thiserror::Error)]
pub enum WallError {
    /// Not TOML of the layout's shape.
    #[error("wall layout: {0}")]
    Toml(#[from] toml::de::Error),
    /// The font scale is out of range.
    #[error("wall layout: font_scale must be 0.5 to 4, got {0}")]
    FontScale(f32),
    /// Too few or too many screens.
    #[error("wall layout: 1 to 16 [[screen]] entries, got {0}")]
    Screens(usize),
    /// A screen (numbered from 1) shows nothing.
    #[error("wall layout: screen {0} shows no panels")]
    NoPanels(usize),
    /// A screen's weights do not match its panels.
    #[error("wall layout: screen {0} needs one positive weight per panel")]
    Weights(usize),
    /// A screen names both or neither of a monitor and a position.
    #[error("wall layout: screen {0} names either a monitor or a position")]
    Placement(usize),
    /// A screen's window is too small or too big.
    #[error(
        "wall layout: screen {screen} is {w}×{h}: a screen's window is 100 to {MAX_SURFACE_PX} px each way \
         (split a wider wall into one screen per display)"
    )]
    Size {
        /// The screen, from 1.
        screen: usize,
        /// Its width, px.
        w: f32,
        /// Its height, px.
        h: f32,
    },
    /// The tour's times are out of range.
    #[error("wall layout: [tour] dwell_s must be 3 to 3600 s, resume_after_s 5 to 86400 s")]
    TourTimes,
    /// The tour's list of stops is empty or too long.
    #[error("wall layout: [tour] stops lists 1 to 500 unit names")]
    TourStops,
    /// A panel is on two screens (or twice on one).
    #[error("wall layout: the {0:?} panel is on the wall twice")]
    Twice(WallPanel),
    /// No screen shows the map.
    #[error("wall layout: no screen shows the map")]
    NoMap,
}

impl WallLayout {
    /// Parse and check a layout; the error says what is wrong and where.
    pub fn from_toml(text: &str) -> Result<Self, WallError> {
        let w: WallLayout = toml::from_str(text)?;
        if !(0.5..=4.0).contains(&w.font_scale) {
            return Err(WallError::FontScale(w.font_scale));
        }
        if w.screens.is_empty() || w.screens.len() > 16 {
            return Err(WallError::Screens(w.screens.len()));
        }
        for (i, s) in w.screens.iter().enumerate() {
            let n = i + 1;
            if s.panels.is_empty() {
                return Err(WallError::NoPanels(n));
            }
            if !s.weights.is_empty()
                && (s.weights.len() != s.panels.len() || s.weights.iter().any(|w| !w.is_finite() || *w <= 0.0))
            {
                return Err(WallError::Weights(n));
            }
            if s.monitor.is_some() == s.position.is_some() {
                return Err(WallError::Placement(n));
            }
            if let Some([w, h]) = s.size
                && (!(100.0..=MAX_SURFACE_PX).contains(&w) || !(100.0..=MAX_SURFACE_PX).contains(&h))
            {
                return Err(WallError::Size { screen: n, w, h });
            }
        }
        if let Some(t) = &w.tour {
            if !(3.0..=3600.0).contains(&t.dwell_s) || !(5.0..=86_400.0).contains(&t.resume_after_s) {
                return Err(WallError::TourTimes);
            }
            if let TourStops::Names(n) = &t.stops
                && (n.is_empty() || n.len() > 500)
            {
                return Err(WallError::TourStops);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for p in w.screens.iter().flat_map(|s| &s.panels) {
            if !seen.insert(*p) {
                return Err(WallError::Twice(*p));
            }
        }
        if !seen.contains(&WallPanel::Map) {
            return Err(WallError::NoMap);
        }
        Ok(w)
    }

    /// Read a layout file; a file that cannot be read or is wrong gives the default layout and the reason, for the
    /// operator.
    pub fn load(path: &std::path::Path) -> (Self, Option<String>) {
        match std::fs::read_to_string(path) {
            Ok(text) => match Self::from_toml(&text) {
                Ok(w) => (w, None),
                Err(e) => (Self::default(), Some(format!("{}: {e} — using the default layout", path.display()))),
            },
            Err(e) => (Self::default(), Some(format!("{}: {e} — using the default layout", path.display()))),
        }
    }

    /// The zoom for a screen `height_px` tall: sizes are made for 1080 px, times the font scale.
    pub fn zoom_for(&self, height_px: f32) -> f32 {
        (height_px / 1080.0).clamp(0.5, 4.0) * self.font_scale
    }
}

/// Each panel's height share on `screen` (normalised weights; equal without weights).
pub fn shares(screen: &WallScreen) -> Vec<f32> {
    let w: Vec<f32> = if screen.weights.is_empty() { vec![1.0; screen.panels.len()] } else { screen.weights.clone() };
    let total: f32 = w.iter().sum();
    w.into_iter().map(|x| x / total).collect()
}
