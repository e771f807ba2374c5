//! Drill-through on screen: [`number_ui`], a number that lists the events behind it when clicked; the breadcrumb of
//! the drill in force with its count and one click to clear it; and [`Numbers`], for panels that may be drawn
//! without a command list. The drilled feed itself is drawn by the feed panel.

use crate::i18n::Lang;
use crate::state::{AppState, Command, Drill, Drilled};
use crate::theme;
use egui::RichText;

/// A number that drills through: drawn as `text`, a pointing hand and a hint on hover, and clicking it pushes
/// [`Command::Drill`]. Its accessible name is `name` (e.g. `刑事案件 本月 52`), so that tests and screen readers
/// tell equal numbers apart.
pub fn number_ui(
    ui: &mut egui::Ui,
    text: RichText,
    name: String,
    drill: Drill,
    lang: Lang,
    commands: &mut Vec<Command>,
) -> egui::Response {
    // A number never breaks across lines (a wrapped one would also miss clicks between its rows).
    let r = ui.add(egui::Label::new(text).extend().sense(egui::Sense::click()).selectable(false));
    clickable(r, name, drill, lang, commands)
}

/// Make `r` (e.g. a card's whole frame, sensing clicks) drill through when clicked, with `name` as its accessible
/// name; returns it.
pub fn clickable(
    r: egui::Response,
    name: String,
    drill: Drill,
    lang: Lang,
    commands: &mut Vec<Command>,
) -> egui::Response {
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    let r = r
        .on_hover_cursor(egui::CursorIcon::PointingHand)
        .on_hover_text(lang.tr("点击查看这些事件（地图与列表）", "Click to list these events (map and feed)"));
    if r.clicked() {
        commands.push(Command::Drill(drill));
    }
    r
}

/// The breadcrumb of the drill in force: `筛选：刑事案件 · 本月 (52)` and a `× 清除` button.
pub fn breadcrumb_ui(ui: &mut egui::Ui, state: &AppState, drilled: &Drilled<'_>, commands: &mut Vec<Command>) {
    let Some(drill) = state.drill else { return };
    let lang = state.lang;
    egui::Frame::new().fill(theme::CARD).corner_radius(6.0).inner_margin(egui::Margin::symmetric(8, 4)).show(
        ui,
        |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(format!(
                        "{}{} ({})",
                        lang.tr("筛选：", "Filter: "),
                        drill.label(&state.district, lang),
                        drilled.total()
                    ))
                    .strong()
                    .color(theme::ACCENT),
                );
                if ui
                    .button(lang.tr("× 清除", "× Clear"))
                    .on_hover_text(lang.tr("回到全部事件", "Back to the feed"))
                    .clicked()
                {
                    commands.push(Command::ClearDrill);
                }
            });
        },
    );
    let text = if state.drill_match().is_some_and(|m| m.counts_history()) {
        format!(
            "{} {} · {} {} · {} {}",
            drilled.total(),
            lang.tr("条", "events"),
            lang.tr("实时", "live"),
            drilled.live.len(),
            lang.tr("历史", "history"),
            drilled.history.len()
        )
    } else {
        format!("{} {}", drilled.total(), lang.tr("条", "events"))
    };
    ui.label(RichText::new(text).color(theme::DIM));
}

/// Numbers that drill through when the panel can push commands, plain labels when it cannot (a panel drawn without
/// a command list).
pub struct Numbers<'a> {
    lang: Lang,
    commands: Option<&'a mut Vec<Command>>,
}

impl<'a> Numbers<'a> {
    /// Numbers in `lang`, pushing to `commands` (`None`: not clickable).
    pub fn new(lang: Lang, commands: Option<&'a mut Vec<Command>>) -> Self {
        Self { lang, commands }
    }

    /// Draw `text`; clickable (see [`number_ui`]) when there is a command list.
    pub fn show(&mut self, ui: &mut egui::Ui, text: RichText, name: String, drill: Drill) -> egui::Response {
        match self.commands.as_deref_mut() {
            Some(commands) => number_ui(ui, text, name, drill, self.lang, commands),
            None => ui.label(text),
        }
    }

    /// The language the numbers are drawn in.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Push `drill` as clicked (e.g. a bar of a chart), when there is a command list.
    pub fn push(&mut self, drill: Drill) {
        if let Some(c) = self.commands.as_deref_mut() {
            c.push(Command::Drill(drill));
        }
    }

    /// Push `Command::SelectUnit(unit)` (a league row's name clicked), when there is a command list.
    pub fn select(&mut self, unit: pingan_core::UnitRef) {
        if let Some(c) = self.commands.as_deref_mut() {
            c.push(Command::SelectUnit(unit));
        }
    }
}
