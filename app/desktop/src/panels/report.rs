//! The report form (上报事件): an operator types in a phone-in or their own report — category, severity, the place
//! (a click on the map, or a typed unified address code), what happened, who called it in — and sends it. It is
//! routed like every report (level and deadline shown before sending) and goes through the outbox with a server.

use crate::i18n::Named;
use crate::state::{AppState, Command, PhoneIn, ReportDraft};
use crate::theme;
use egui::RichText;
use pingan_core::{Event, EventCategory, Severity};

/// The form's window, while it is open.
pub fn report_window(ctx: &egui::Context, state: &AppState, commands: &mut Vec<Command>) {
    let Some(d) = &state.report else { return };
    let lang = state.lang;
    let mut draft = d.clone();
    let mut open = true;
    let title = if d.check.is_some() {
        lang.tr("巡查发现问题", "Problem found on patrol")
    } else {
        lang.tr("上报事件", "Report an event")
    };
    egui::Window::new(title)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(520.0)
        // Over the map's left side, clear of the event detail on the right; the operator can move it.
        .default_pos(egui::pos2(500.0, 150.0))
        .show(ctx, |ui| {
            fields_ui(ui, state, &mut draft);
            ui.separator();
            let outcome = draft.event(state);
            outcome_ui(ui, state, &outcome);
            ui.horizontal(|ui| {
                let send = ui.add_enabled(
                    outcome.is_ok(),
                    egui::Button::new(RichText::new(lang.tr("提交上报", "Send report")).strong()),
                );
                if let Err(why) = &outcome {
                    send.clone().on_disabled_hover_text(why.to_string());
                }
                if send.clicked() {
                    commands.push(Command::SubmitReport);
                }
                if ui.button(lang.tr("取消", "Cancel")).clicked() {
                    commands.push(Command::CloseReport);
                }
            });
        });
    if !open {
        commands.push(Command::CloseReport);
    } else if draft != *d {
        commands.push(Command::EditReport(draft));
    }
}

/// The form's fields: category, severity, the task book's stop or the source, the address code, the place on the
/// map, what happened.
fn fields_ui(ui: &mut egui::Ui, state: &AppState, draft: &mut ReportDraft) {
    let lang = state.lang;
    egui::Grid::new("report-fields").num_columns(2).spacing([12.0, 10.0]).show(ui, |ui| {
        ui.label("");
        egui::ComboBox::new("report-category", lang.tr("类别", "Category"))
            .selected_text(draft.category.name_in(lang))
            .height(520.0)
            .show_ui(ui, |ui| {
                for c in EventCategory::ALL.into_iter().filter(|c| c.sensor().is_none()) {
                    ui.selectable_value(&mut draft.category, c, c.name_in(lang));
                }
            });
        ui.end_row();
        ui.label(lang.tr("等级", "Severity"));
        ui.horizontal(|ui| {
            for s in Severity::ALL {
                let text = RichText::new(s.name_in(lang)).color(theme::severity_color(s));
                ui.selectable_value(&mut draft.severity, s, text);
            }
        });
        ui.end_row();
        if let Some((book, check)) = draft.check {
            ui.label(lang.tr("任务书", "Task book"));
            let number = state.situation.task_book(book).map_or("?", |b| b.number.as_str());
            ui.label(format!("{number} · {} {}", lang.tr("点位", "stop"), check + 1));
        } else {
            ui.label(lang.tr("来源", "Source"));
            ui.horizontal(|ui| {
                for p in PhoneIn::ALL {
                    ui.selectable_value(&mut draft.source, p, p.label(lang));
                }
            });
        }
        ui.end_row();
        let label = ui.label(lang.tr("地址编码", "Address code"));
        ui.add(
            egui::TextEdit::singleline(&mut draft.code)
                .hint_text(lang.tr("27位统一地址编码", "27-digit unified address code"))
                .desired_width(360.0)
                .id_salt("report-code"),
        )
        .labelled_by(label.id);
        ui.end_row();
        ui.label(lang.tr("地图选点", "On the map"));
        ui.horizontal(|ui| {
            let label = if draft.picking {
                lang.tr("请在地图上点击…", "Click on the map…")
            } else {
                lang.tr("在地图上选点", "Pick on the map")
            };
            if ui.add(egui::Button::selectable(draft.picking, label)).clicked() {
                draft.picking = !draft.picking;
            }
            if let Some(p) = draft.position {
                ui.label(RichText::new(format!("{:.5}°E {:.5}°N", p.lon, p.lat)).monospace());
            }
        });
        ui.end_row();
        ui.label(lang.tr("事件描述", "What happened"));
        ui.add(
            egui::TextEdit::multiline(&mut draft.description)
                .hint_text(lang.tr("如：小区门口两车相撞，有人受伤", "e.g. two cars collided at the gate"))
                .desired_rows(3)
                .desired_width(360.0)
                .id_salt("report-description"),
        );
        ui.end_row();
    });
}

/// What sending would do: the place found and the level it is routed to, or what is missing.
fn outcome_ui(ui: &mut egui::Ui, state: &AppState, outcome: &Result<Event, crate::state::FormProblem>) {
    let lang = state.lang;
    match outcome {
        Ok(e) => {
            ui.label(RichText::new(&e.place).color(theme::TEXT));
            ui.label(
                RichText::new(format!(
                    "{} {} · {} {}",
                    lang.tr("分派至", "Routed to"),
                    lang.tr(e.level.zh(), e.level.en()),
                    lang.tr("办结时限", "deadline"),
                    crate::format::full_time(e.deadline)
                ))
                .color(theme::ACCENT),
            );
        }
        Err(why) => {
            ui.label(RichText::new(why.to_string()).color(theme::DIM));
        }
    }
}
