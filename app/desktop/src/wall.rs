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

/// Each panel's height share on `screen` (normalised weights; equal without weights), counting only the panels for
/// which `shown` is true (a hidden one gets 0: the wall's detail gives its height away while nothing is selected).
pub fn shares(screen: &WallScreen, shown: impl Fn(WallPanel) -> bool) -> Vec<f32> {
    let w: Vec<f32> = if screen.weights.is_empty() { vec![1.0; screen.panels.len()] } else { screen.weights.clone() };
    let w: Vec<f32> = w.into_iter().zip(&screen.panels).map(|(x, p)| if shown(*p) { x } else { 0.0 }).collect();
    let total: f32 = w.iter().sum();
    if total <= 0.0 {
        return vec![1.0 / screen.panels.len().max(1) as f32; screen.panels.len()];
    }
    w.into_iter().map(|x| x / total).collect()
}

/// A monitor's rectangle on the desktop, in pixels (from [`crate::services::monitors::probe`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Monitor {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// Where one screen's window goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placement {
    /// At this place and size, in desktop pixels, placed by the app itself (works with no window manager);
    /// `fullscreen` also asks a window manager, if there is one, to cover the monitor (its panels included).
    At {
        /// Top-left corner.
        pos: [f32; 2],
        /// Width and height.
        size: [f32; 2],
        /// Whether the window is its monitor's alone (ask for fullscreen too).
        fullscreen: bool,
    },
    /// Fullscreen on this monitor as the windowing system numbers them (its geometry unknown: Wayland places
    /// windows itself).
    Monitor(usize),
}

/// The whole wall's placement: one per screen, and what the operator should be told.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// One per screen, in the layout's order.
    pub screens: Vec<Placement>,
    /// One line per screen saying where it went, and first, if the layout had to be adapted, why.
    pub notes: Vec<String>,
    /// When the screens were laid side by side because the system reports fewer monitors: how many it reports.
    pub side_by_side: Option<usize>,
}

impl WallLayout {
    /// Place every screen: a `position` as written; a `monitor` on that monitor's rectangle (from `monitors`, left to
    /// right). When the system reports fewer monitors than the layout's monitor screens (one wide X screen of
    /// 5760×1080 for three 1920×1080 panels, a monitor unplugged), those screens are laid side by side across the
    /// desktop instead, in monitor order, each an equal share of its width — so no screen is dropped. With no
    /// geometry known (`None`: Wayland), each screen asks for fullscreen on its monitor.
    pub fn place(&self, monitors: Option<&[Monitor]>) -> Placed {
        let mut notes = Vec::new();
        let wanted: Vec<usize> = self.screens.iter().filter_map(|s| s.monitor).collect();
        let side_by_side = match monitors {
            Some(m) if !m.is_empty() => wanted.iter().any(|&i| i >= m.len()),
            _ => false,
        };
        let desktop = monitors.filter(|m| !m.is_empty()).map(|m| {
            let x0 = m.iter().map(|r| r.x).min().unwrap_or(0);
            let y0 = m.iter().map(|r| r.y).min().unwrap_or(0);
            let x1 = m.iter().map(|r| r.x + r.w as i32).max().unwrap_or(0);
            let y1 = m.iter().map(|r| r.y + r.h as i32).max().unwrap_or(0);
            Monitor { x: x0, y: y0, w: (x1 - x0) as u32, h: (y1 - y0) as u32 }
        });
        if side_by_side && let (Some(m), Some(d)) = (monitors, desktop) {
            notes.push(format!(
                "the system reports {} monitor(s) for {} screens: laid side by side across the {}×{} desktop",
                m.len(),
                wanted.len(),
                d.w,
                d.h
            ));
        }
        // A screen's rank among the monitor screens, by monitor number (ties in layout order).
        let mut order: Vec<(usize, usize)> =
            self.screens.iter().enumerate().filter_map(|(i, s)| s.monitor.map(|m| (m, i))).collect();
        order.sort();
        let rank = |screen: usize| order.iter().position(|&(_, i)| i == screen).unwrap_or(0);
        let screens: Vec<Placement> = self
            .screens
            .iter()
            .enumerate()
            .map(|(i, s)| match (s.position, s.monitor, monitors.filter(|m| !m.is_empty()), desktop) {
                (Some(pos), _, _, _) => {
                    Placement::At { pos, size: s.size.unwrap_or([1920.0, 1080.0]), fullscreen: false }
                }
                (None, Some(_), Some(_), Some(d)) if side_by_side => {
                    let k = wanted.len().max(1) as f32;
                    let w = (d.w as f32 / k).floor().min(MAX_SURFACE_PX);
                    let x = d.x as f32 + rank(i) as f32 * (d.w as f32 / k).floor();
                    Placement::At {
                        pos: [x, d.y as f32],
                        size: [w, (d.h as f32).min(MAX_SURFACE_PX)],
                        fullscreen: false,
                    }
                }
                (None, Some(n), Some(m), _) => {
                    let r = m[n];
                    let size = [(r.w as f32).min(MAX_SURFACE_PX), (r.h as f32).min(MAX_SURFACE_PX)];
                    Placement::At { pos: [r.x as f32, r.y as f32], size, fullscreen: true }
                }
                (None, n, _, _) => Placement::Monitor(n.unwrap_or(0)),
            })
            .collect();
        for (i, p) in screens.iter().enumerate() {
            notes.push(match p {
                Placement::At { pos, size, .. } => {
                    format!("screen {}: {}×{} at {},{}", i + 1, size[0], size[1], pos[0], pos[1])
                }
                Placement::Monitor(n) => format!("screen {}: fullscreen on monitor {n}", i + 1),
            });
        }
        Placed { screens, notes, side_by_side: side_by_side.then(|| monitors.map_or(0, <[Monitor]>::len)) }
    }
}

impl Placed {
    /// One line for the status bar: where each screen went, and why if the layout was adapted.
    pub fn summary(&self, lang: crate::Lang) -> String {
        let screens: Vec<String> = self
            .screens
            .iter()
            .enumerate()
            .map(|(i, p)| match p {
                Placement::At { pos, size, .. } => {
                    format!("{} {}: {}×{} @ {},{}", lang.tr("屏", "screen"), i + 1, size[0], size[1], pos[0], pos[1])
                }
                Placement::Monitor(n) => {
                    format!(
                        "{} {}: {} {n}",
                        lang.tr("屏", "screen"),
                        i + 1,
                        lang.tr("全屏于显示器", "fullscreen on monitor")
                    )
                }
            })
            .collect();
        let why = match self.side_by_side {
            Some(n) => format!(
                " — {} {n} {}",
                lang.tr("系统只报告", "the system reports only"),
                lang.tr("个显示器，各屏并排铺开", "monitor(s): the screens are laid side by side")
            ),
            None => String::new(),
        };
        format!("{}: {}{why}", lang.tr("墙屏", "Wall"), screens.join(" · "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mon(x: i32, w: u32) -> Monitor {
        Monitor { x, y: 0, w, h: 1080 }
    }

    #[test]
    fn three_monitors_take_one_screen_each() {
        let wall = WallLayout::default();
        let m = [mon(0, 1920), mon(1920, 1920), mon(3840, 1920)];
        let placed = wall.place(Some(&m));
        for (i, p) in placed.screens.iter().enumerate() {
            assert_eq!(*p, Placement::At { pos: [1920.0 * i as f32, 0.0], size: [1920.0, 1080.0], fullscreen: true });
        }
        assert_eq!(placed.notes.len(), 3, "one line per screen, nothing adapted: {:?}", placed.notes);
    }

    #[test]
    fn one_wide_screen_is_cut_into_the_layouts_screens() {
        let wall = WallLayout::default();
        let placed = wall.place(Some(&[mon(0, 5760)]));
        let xs: Vec<_> = placed
            .screens
            .iter()
            .map(|p| match p {
                Placement::At { pos, size, fullscreen } => {
                    assert_eq!(*size, [1920.0, 1080.0]);
                    assert!(!fullscreen, "fullscreen would cover the whole wide monitor");
                    pos[0]
                }
                Placement::Monitor(_) => panic!("placed by the app"),
            })
            .collect();
        assert_eq!(xs, [0.0, 1920.0, 3840.0]);
        assert!(placed.notes[0].contains("1 monitor(s) for 3 screens"), "{:?}", placed.notes);
        assert!(placed.notes.iter().any(|n| n.contains("screen 2: 1920×1080 at 1920,0")), "{:?}", placed.notes);
    }

    #[test]
    fn monitors_out_of_order_in_the_layout_keep_their_order_and_positions_stay() {
        let text = r#"
            [[screen]]
            monitor = 2
            panels = ["map"]
            [[screen]]
            monitor = 0
            panels = ["feed"]
            [[screen]]
            position = [100, 50]
            size = [800, 600]
            panels = ["report"]
        "#;
        let wall = WallLayout::from_toml(text).unwrap();
        let placed = wall.place(Some(&[mon(0, 3840)]));
        assert_eq!(placed.screens[1], Placement::At { pos: [0.0, 0.0], size: [1920.0, 1080.0], fullscreen: false });
        assert_eq!(placed.screens[0], Placement::At { pos: [1920.0, 0.0], size: [1920.0, 1080.0], fullscreen: false });
        assert_eq!(placed.screens[2], Placement::At { pos: [100.0, 50.0], size: [800.0, 600.0], fullscreen: false });
        // Geometry unknown (Wayland): fullscreen on each monitor.
        let placed = wall.place(None);
        assert_eq!(placed.screens[0], Placement::Monitor(2));
        assert_eq!(placed.screens[1], Placement::Monitor(0));
    }
}
