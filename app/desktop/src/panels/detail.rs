//! The event detail card: what, where (with the unified address code), when, who, and the status history,
//! plus the lifecycle actions the operator may take now.

use crate::i18n::{Lang, Named};
use crate::state::{AppState, Command};
use crate::{format, theme};
use egui::RichText;
use pingan_core::{Event, EventSource};

/// Draw the detail of the selected event (nothing if none).
pub fn event_detail_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(e) = state.selected_event() else { return };
    ui.horizontal(|ui| {
        ui.heading(lang.tr("事件详情", "Event detail"));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(lang.tr("关闭详情", "Close detail")).clicked() {
                commands.push(Command::ClearSelection);
            }
        });
    });
    ui.separator();
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        let sev = theme::severity_color(e.severity);
        ui.label(
            RichText::new(format!("{} · {}", e.category.name_in(lang), e.title)).font(theme::bold(24.0)).color(sev),
        );
        // The steps first, where the operator's eye and hand are; the fields and the history below.
        ui.add_space(4.0);
        crate::panels::actions::actions_ui(ui, e, state, commands);
        ui.add_space(8.0);
        event_fields_ui(ui, state, e);
        if let Some(ev) = &e.evidence {
            ui.add_space(8.0);
            evidence_ui(ui, ev, lang);
        }
        if !e.linked.is_empty() {
            ui.add_space(8.0);
            linked_reports_ui(ui, state, e, commands);
        }
        ui.add_space(8.0);
        ui.label(RichText::new(lang.tr("处置流程", "Status history")).font(theme::bold(20.0)));
        history_ui(ui, e, lang);
    });
}

/// The event's fields: number, category, severity, state, place, address code, position, times, level, source
/// and handler.
fn event_fields_ui(ui: &mut egui::Ui, state: &AppState, e: &Event) {
    let lang = state.lang;
    let sev = theme::severity_color(e.severity);
    let overdue = e.is_overdue(state.now);
    egui::Grid::new("event-fields").num_columns(2).spacing([14.0, 8.0]).striped(true).show(ui, |ui| {
        let mut row = |k: &str, v: RichText| {
            ui.label(RichText::new(k).color(theme::DIM));
            ui.label(v);
            ui.end_row();
        };
        row(lang.tr("编号", "Number"), RichText::new(&e.number).monospace());
        row(lang.tr("类别", "Category"), RichText::new(e.category.name_in(lang)));
        row(lang.tr("等级", "Severity"), RichText::new(e.severity.name_in(lang)).color(sev));
        let st = if overdue {
            RichText::new(format!("{} · {}", e.state.name_in(lang), lang.tr("已逾期", "overdue"))).color(theme::OVERDUE)
        } else {
            RichText::new(e.state.name_in(lang)).color(theme::ACCENT)
        };
        row(lang.tr("状态", "State"), st);
        row(lang.tr("地点", "Place"), RichText::new(&e.place));
        row(lang.tr("地址编码", "Address code"), RichText::new(e.address.segmented()).monospace());
        row(
            lang.tr("坐标", "Position"),
            RichText::new(format!("{:.5}°E {:.5}°N", e.position.lon, e.position.lat)).monospace(),
        );
        row(lang.tr("上报时间", "Reported"), RichText::new(format::full_time(e.reported_at)));
        let left = e.deadline - state.now;
        let limit = if e.state.is_open() {
            if left.num_seconds() >= 0 {
                format!(
                    "{} ({}{})",
                    format::full_time(e.deadline),
                    lang.tr("剩余", "left: "),
                    format::duration(left, lang)
                )
            } else {
                format!(
                    "{} ({}{})",
                    format::full_time(e.deadline),
                    lang.tr("超时", "late by "),
                    format::duration(left, lang)
                )
            }
        } else {
            format::full_time(e.deadline)
        };
        row(
            lang.tr("办结时限", "Deadline"),
            RichText::new(limit).color(if overdue { theme::OVERDUE } else { theme::TEXT }),
        );
        let owner = crate::format::unit_name(&state.district, e.owner());
        let level = format!(
            "{} · {owner}{}",
            lang.tr(e.level.zh(), e.level.en()),
            if e.escalated() { lang.tr("（升级）", " (escalated)") } else { "" }
        );
        row(
            lang.tr("处置层级", "Level"),
            RichText::new(level).color(if e.escalated() { theme::OVERDUE } else { theme::TEXT }),
        );
        row(lang.tr("来源", "Source"), RichText::new(source_text(e, state, lang)));
        let who = e.assignee.and_then(|w| state.situation.worker(w)).map_or_else(
            || lang.tr("未派遣", "not assigned").to_string(),
            |w| format!("{} ({})", w.name, w.kind.name_in(lang)),
        );
        row(lang.tr("处置人", "Handler"), RichText::new(who));
    });
}

/// The reports merged into the event, each with a button that splits it out again.
fn linked_reports_ui(ui: &mut egui::Ui, state: &AppState, e: &Event, commands: &mut Vec<Command>) {
    let lang = state.lang;
    ui.label(
        RichText::new(format!("{} ({})", lang.tr("关联上报", "Linked reports"), e.linked.len()))
            .font(theme::bold(20.0)),
    );
    // An operator may take a wrongly merged report out again (the server checks the room's area).
    let may_split = state.actor().is_some_and(|a| a.may_split(e));
    for (i, r) in e.linked.iter().enumerate() {
        let who = match r.source {
            EventSource::GridWorker(w) => state.situation.worker(w).map_or("?".into(), |w| w.name.clone()),
            EventSource::Sensor(_) => lang.tr("物联感知设备", "IoT sensor").to_string(),
            EventSource::Hotline => lang.tr("12345热线", "12345 hotline").to_string(),
            EventSource::Police => lang.tr("110联动", "Police referral").to_string(),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format::short_time(r.at)).monospace().color(theme::DIM));
            ui.label(RichText::new(who).strong());
            ui.label(&r.title);
            ui.label(RichText::new(format::distance(r.position.distance_m(e.position))).color(theme::DIM));
            let split = ui.add_enabled(may_split, egui::Button::new(lang.tr("拆分", "Split")));
            if split.clicked() {
                commands.push(Command::SplitReport(e.id, i));
            }
            split
                .on_hover_text(lang.tr("误合并：拆为独立事件", "Wrongly merged: make it an event of its own"))
                .on_disabled_hover_text(lang.tr("只有本辖区值班员可以拆分", "Only an operator of this area may split"));
        });
    }
}

/// A sensor warning's evidence: the rule and sensor, and the readings behind it as a small chart.
fn evidence_ui(ui: &mut egui::Ui, ev: &pingan_core::Evidence, lang: Lang) {
    ui.label(RichText::new(lang.tr("感知证据", "Sensor evidence")).font(theme::bold(20.0)));
    ui.label(
        RichText::new(format!("{} · {} #{}", ev.rule.zh(), lang.tr("设备", "sensor"), ev.sensor.0)).color(theme::DIM),
    );
    let Some(first) = ev.series.first().map(|p| p.0) else { return };
    let points: Vec<[f64; 2]> =
        ev.series.iter().map(|(t, v)| [(*t - first).num_seconds() as f64 / 3600.0, *v]).collect();
    egui_plot::Plot::new(("evidence", ev.sensor.0))
        .height(140.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| format!("{:+.0} h", mark.value))
        .show(ui, |plot| {
            plot.line(egui_plot::Line::new(lang.tr("读数", "readings"), points).color(theme::AMBER).width(2.0));
        });
}

fn source_text(e: &Event, state: &AppState, lang: Lang) -> String {
    match e.source {
        EventSource::GridWorker(w) => format!(
            "{} {}",
            lang.tr("网格员", "Grid worker"),
            state.situation.worker(w).map_or("?", |w| w.name.as_str())
        ),
        EventSource::Sensor(_) => lang.tr("物联感知设备", "IoT sensor").to_string(),
        EventSource::Hotline => lang.tr("12345热线", "12345 hotline").to_string(),
        EventSource::Police => lang.tr("110联动", "Police referral").to_string(),
    }
}

fn history_ui(ui: &mut egui::Ui, e: &Event, lang: Lang) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(format::short_time(e.reported_at)).monospace().color(theme::DIM));
        ui.label(lang.tr("上报", "Reported"));
    });
    for c in &e.history {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format::short_time(c.at)).monospace().color(theme::DIM));
            ui.label(RichText::new(c.action.name_in(lang)).strong());
            ui.label(RichText::new(format!("{} → {}", c.from.name_in(lang), c.to.name_in(lang))).color(theme::DIM));
            if let Some(l) = c.level {
                ui.label(RichText::new(format!("→ {}", lang.tr(l.zh(), l.en()))).color(theme::AMBER));
            }
            if let Some(note) = c.note().filter(|n| !n.is_empty()) {
                ui.label(RichText::new(note).italics());
            }
        });
    }
}

/// The selected unit's five-colour breakdown: where it sits, score, complexity, the roll-up
/// ([`crate::panels::rollup`]: children, categories and heaviest events, each opening the next level down), and the
/// 12-month trend of its normalised score.
pub fn unit_detail_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(u) = &state.unit_detail else { return };
    let d = &state.district;
    // Its own name: the path above it names its parents.
    let name = crate::panels::rollup::short_name(d, u.unit);
    ui.horizontal(|ui| {
        ui.heading(lang.tr("风险研判", "Risk assessment"));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(lang.tr("关闭详情", "Close detail")).clicked() {
                commands.push(Command::ClearSelection);
            }
        });
    });
    ui.separator();
    egui::ScrollArea::vertical().id_salt("unit-detail").auto_shrink([false, false]).show(ui, |ui| {
        unit_body_ui(ui, state, u, &name, commands);
    });
}

/// The breakdown under the title, scrolling.
fn unit_body_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    u: &crate::state::UnitDetail,
    name: &str,
    commands: &mut Vec<Command>,
) {
    let lang = state.lang;
    let d = &state.district;
    let e = &u.explanation;
    let color = theme::RISK[e.score.grade.index()];
    crate::panels::rollup::path_ui(ui, state, u.unit, commands);
    ui.horizontal(|ui| {
        ui.label(RichText::new(name).font(theme::bold(22.0)));
        if matches!(
            u.unit,
            pingan_core::UnitRef::Town(_) | pingan_core::UnitRef::Community(_) | pingan_core::UnitRef::Grid(_)
        ) {
            let grids = pingan_core::patrol::grids_of(d, u.unit);
            let open = grids
                .iter()
                .filter(|g| state.situation.task_books.iter().any(|b| b.grid == **g && !b.is_closed()))
                .count();
            let may = state.actor().is_some_and(|a| a.role.in_command_room());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let issue = ui.add_enabled(
                    may && open < grids.len(),
                    egui::Button::new(RichText::new(lang.tr("下发巡查任务书", "Issue patrol task books")).size(17.0)),
                );
                if issue.clicked() {
                    commands.push(Command::IssueTaskBooks(u.unit));
                }
                issue.on_hover_text(format!(
                    "{} {} {} · {} {open}",
                    grids.len(),
                    lang.tr("个网格各一本", "grids, one book each"),
                    lang.tr("", ""),
                    lang.tr("已有进行中", "already open:"),
                ));
            });
        }
    });
    ui.label(
        RichText::new(format!("■ {} · {:.2}", e.score.grade.name_in(lang), e.score.normalised))
            .font(theme::bold(30.0))
            .color(color),
    );
    ui.label(
        RichText::new(format!(
            "{} · {}",
            u.period.label(),
            crate::services::assessment::RiskView::category_label(state.risk_view.category, lang)
        ))
        .color(theme::DIM),
    );
    egui::Grid::new("unit-score").num_columns(2).spacing([14.0, 6.0]).striped(true).show(ui, |ui| {
        let mut row = |k: &str, v: String| {
            ui.label(RichText::new(k).color(theme::DIM));
            ui.label(v);
            ui.end_row();
        };
        row(lang.tr("事件数", "Events"), e.score.events.to_string());
        row(lang.tr("加权分", "Weighted score"), format!("{:.1}", e.score.weighted));
        row(lang.tr("复杂度指数", "Complexity index"), format!("{:.3}", e.score.complexity));
        row(
            lang.tr("人口/流动/企业/房屋", "People/floating/firms/dwellings"),
            format!(
                "{} / {} / {} / {}",
                e.stats.population, e.stats.floating_population, e.stats.enterprises, e.stats.houses
            ),
        );
    });
    ui.add_space(6.0);
    ui.label(RichText::new(lang.tr("分项事件数", "Events by report domain")).font(theme::bold(19.0)));
    ui.horizontal_wrapped(|ui| {
        for (d, n) in pingan_core::report::Domain::ALL.iter().zip(u.domains) {
            ui.label(RichText::new(format!("{} {n}", d.name_in(lang))).color(if n > 0 {
                theme::TEXT
            } else {
                theme::DIM
            }));
        }
    });
    crate::panels::rollup::children_ui(ui, state, u, commands);
    crate::panels::rollup::categories_ui(ui, state, u, commands);
    crate::panels::rollup::top_events_ui(ui, state, u, commands);
    ui.add_space(6.0);
    ui.label(RichText::new(lang.tr("近12个月得分", "Score, last 12 months")).font(theme::bold(19.0)));
    let points: Vec<[f64; 2]> = u.trend.iter().enumerate().map(|(i, (_, v))| [i as f64, *v]).collect();
    let labels: Vec<String> = u.trend.iter().map(|(d, _)| d.format("%y-%m").to_string()).collect();
    egui_plot::Plot::new("unit-trend")
        .height(170.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .x_axis_formatter(move |m, _| labels.get(m.value.round() as usize).cloned().unwrap_or_default())
        .show(ui, |p| p.line(egui_plot::Line::new(lang.tr("得分", "score"), points).color(color).width(2.5)));
}
