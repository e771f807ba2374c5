//! Where the monitors are: asked of the X server (RandR 1.5 monitors, else the root window's size) before the wall's
//! windows open, so that [`crate::wall::WallLayout::place`] can put each screen's window at its monitor's place and
//! size itself. A kiosk PC that runs `xinit` and one program has no window manager, and without one a fullscreen
//! request does nothing.
//!
//! Under Wayland (which winit prefers when `WAYLAND_DISPLAY` is set) windows cannot place themselves; the probe says
//! so and the wall asks the compositor for fullscreen on each monitor instead.

use crate::wall::Monitor;

/// Why the monitors are not known.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The session is Wayland: the compositor places windows.
    #[error("a Wayland session: the compositor places the windows")]
    Wayland,
    /// No X server could be reached.
    #[error("no X server: {0}")]
    Connect(String),
    /// The X server answered nothing usable.
    #[error("the X server reports no screen")]
    NoScreen,
    /// Not a platform the probe knows.
    #[error("monitor geometry is not probed on this platform")]
    Unsupported,
}

/// The monitors, left to right (then top to bottom), in desktop pixels.
#[cfg(target_os = "linux")]
pub fn probe() -> Result<Vec<Monitor>, ProbeError> {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::randr::ConnectionExt as _;
    let x11_forced = std::env::var("WINIT_UNIX_BACKEND").is_ok_and(|b| b.eq_ignore_ascii_case("x11"));
    if std::env::var_os("WAYLAND_DISPLAY").is_some() && !x11_forced {
        return Err(ProbeError::Wayland);
    }
    let (conn, screen_num) = x11rb::connect(None).map_err(|e| ProbeError::Connect(e.to_string()))?;
    let screen = conn.setup().roots.get(screen_num).ok_or(ProbeError::NoScreen)?;
    let whole = Monitor { x: 0, y: 0, w: u32::from(screen.width_in_pixels), h: u32::from(screen.height_in_pixels) };
    // RandR 1.5's monitors (what a desktop calls its monitors); an X server without it has one: the root window.
    let randr = conn
        .randr_get_monitors(screen.root, true)
        .ok()
        .and_then(|cookie| cookie.reply().ok())
        .map(|reply| {
            reply
                .monitors
                .iter()
                .filter(|m| m.width > 0 && m.height > 0)
                .map(|m| Monitor {
                    x: i32::from(m.x),
                    y: i32::from(m.y),
                    w: u32::from(m.width),
                    h: u32::from(m.height),
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut monitors = if randr.is_empty() { vec![whole] } else { randr };
    if monitors.iter().all(|m| m.w == 0 || m.h == 0) {
        return Err(ProbeError::NoScreen);
    }
    monitors.sort_by_key(|m| (m.x, m.y));
    Ok(monitors)
}

/// The monitors, left to right (then top to bottom), in desktop pixels.
#[cfg(not(target_os = "linux"))]
pub fn probe() -> Result<Vec<Monitor>, ProbeError> {
    Err(ProbeError::Unsupported)
}
