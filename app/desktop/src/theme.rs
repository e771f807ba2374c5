//! Colours, text sizes and fonts for a dark command-room wall: one place for every visual constant.

use egui::{Color32, FontData, FontDefinitions, FontFamily, FontId, TextStyle};
use pingan_core::{BuildingKind, Severity};
use std::sync::Arc;

/// Amber: attention (reconnecting, queued actions).
pub const WARN: Color32 = Color32::from_rgb(255, 196, 61);
/// The bundled CJK font (a GB2312 subset of Noto Sans CJK SC, OFL; see `assets/fonts/README.md`).
pub const CJK_FONT: &[u8] = include_bytes!("../../../assets/fonts/NotoSansSC-Pingan-Subset.ttf");
/// Bold weight of the same.
pub const CJK_FONT_BOLD: &[u8] = include_bytes!("../../../assets/fonts/NotoSansSC-Pingan-Subset-Bold.ttf");

/// Name of the bold font family.
pub const BOLD: &str = "pingan-bold";

/// Window and map background.
pub const BG: Color32 = Color32::from_rgb(8, 16, 32);
/// Panels.
pub const PANEL: Color32 = Color32::from_rgb(13, 26, 48);
/// Raised cards inside panels.
pub const CARD: Color32 = Color32::from_rgb(20, 38, 66);
/// Accent: headings, town boundaries.
pub const ACCENT: Color32 = Color32::from_rgb(46, 197, 255);
/// Main text.
pub const TEXT: Color32 = Color32::from_rgb(230, 238, 248);
/// Secondary text.
pub const DIM: Color32 = Color32::from_rgb(141, 162, 192);
/// Grid workers on duty.
pub const WORKER: Color32 = Color32::from_rgb(57, 255, 136);
/// Overdue: the colour that makes an operator look.
pub const OVERDUE: Color32 = Color32::from_rgb(255, 59, 59);
/// Timer rings of events near their deadline.
pub const AMBER: Color32 = Color32::from_rgb(255, 176, 32);
/// Water.
pub const WATER: Color32 = Color32::from_rgb(22, 62, 110);
/// Land inside the district.
pub const LAND: Color32 = Color32::from_rgb(14, 27, 44);

/// The five risk colours, 红橙黄蓝绿, highest risk first.
pub const RISK: [Color32; 5] = [
    Color32::from_rgb(229, 57, 53),
    Color32::from_rgb(251, 140, 0),
    Color32::from_rgb(253, 216, 53),
    Color32::from_rgb(30, 136, 229),
    Color32::from_rgb(67, 160, 71),
];

/// Colour of an event of this severity.
pub fn severity_color(s: Severity) -> Color32 {
    match s {
        Severity::General => Color32::from_rgb(61, 139, 255),
        Severity::Significant => Color32::from_rgb(245, 197, 66),
        Severity::Major => Color32::from_rgb(255, 138, 43),
        Severity::Critical => Color32::from_rgb(255, 59, 59),
    }
}

/// Fill colour of a building footprint, brighter with height.
pub fn building_color(kind: BuildingKind, height_m: f32) -> Color32 {
    let t = (height_m / 100.0).clamp(0.0, 1.0);
    let base = match kind {
        BuildingKind::HighRise | BuildingKind::MidRise => [70.0, 100.0, 140.0],
        BuildingKind::VillageHouse => [92.0, 96.0, 110.0],
        BuildingKind::Industrial => [96.0, 88.0, 120.0],
        BuildingKind::Public => [60.0, 120.0, 130.0],
    };
    let c = base.map(|v| (v + (255.0 - v) * t * 0.55) as u8);
    Color32::from_rgb(c[0], c[1], c[2])
}

/// Install the CJK fonts (first choice for proportional text, fallback for monospace) and a `pingan-bold` family.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert("noto-sc".into(), Arc::new(FontData::from_static(CJK_FONT)));
    fonts.font_data.insert("noto-sc-bold".into(), Arc::new(FontData::from_static(CJK_FONT_BOLD)));
    fonts.families.entry(FontFamily::Proportional).or_default().insert(0, "noto-sc".into());
    fonts.families.entry(FontFamily::Monospace).or_default().push("noto-sc".into());
    fonts.families.insert(FontFamily::Name(BOLD.into()), vec!["noto-sc-bold".into(), "noto-sc".into()]);
    ctx.set_fonts(fonts);
}

/// A bold font of `size` points.
pub fn bold(size: f32) -> FontId {
    FontId::new(size, FontFamily::Name(BOLD.into()))
}

/// Dark theme with text sizes readable from across a room.
pub fn apply_style(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Dark);
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (TextStyle::Small, FontId::proportional(15.0)),
            (TextStyle::Body, FontId::proportional(19.0)),
            (TextStyle::Button, FontId::proportional(19.0)),
            (TextStyle::Heading, bold(26.0)),
            (TextStyle::Monospace, FontId::monospace(17.0)),
        ]
        .into();
        let v = &mut style.visuals;
        v.panel_fill = PANEL;
        v.window_fill = PANEL;
        v.extreme_bg_color = BG;
        v.faint_bg_color = CARD;
        v.override_text_color = Some(TEXT);
        v.selection.bg_fill = Color32::from_rgb(24, 90, 140);
        v.selection.stroke.color = ACCENT;
        v.widgets.inactive.weak_bg_fill = CARD;
        v.widgets.inactive.bg_fill = CARD;
        v.hyperlink_color = ACCENT;
        style.spacing.item_spacing = egui::vec2(10.0, 8.0);
        style.spacing.button_padding = egui::vec2(10.0, 5.0);
        style.spacing.interact_size.y = 30.0;
    });
}

/// The most frames a second an animation on screen (pulsing overdue markers, the dashboard's ticker) asks for: the
/// wall runs all day and a demo laptop on battery, so animations run at a capped rate, never every vsync.
pub const ANIMATION_FPS: u32 = 20;

/// The time between two animation frames ([`ANIMATION_FPS`]).
pub const ANIMATION_FRAME: std::time::Duration = std::time::Duration::from_millis(1000 / ANIMATION_FPS as u64);
