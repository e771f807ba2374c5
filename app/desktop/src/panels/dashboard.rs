//! The dashboard (驾驶舱): KPI tiles of the seven report domains with 环比/同比 arrows, 24-month trends, this
//! period's key categories, the league table (平安赛马榜, sortable), and a ticker of major events. Laid out to be
//! read from across a room. Every count drills through ([`crate::panels::drill`]): a click lists and maps the
//! events behind it. The tiles and the league are of the unit in scope ([`crate::panels::dashboard_scope`]: the
//! district, or the selected town, community or grid); the trends, the key categories and the loop stay the
//! district's.

use crate::i18n::{Lang, Named};
use crate::panels::dashboard_scope::{self as scope, header_row, tile_drill, tile_name};
use crate::panels::drill::Numbers;
use crate::services::assessment::ReportData;
use crate::state::{AppState, Command, Drill, LoopScope};
use crate::{format, theme};
use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, Legend, Line, Plot};
use pingan_core::report::{DomainFigures, Span};
use pingan_core::routing::LoopFigure;
use pingan_core::{Severity, UnitRef};

mod board;

/// Sort order of the league table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeagueSort {
    /// By rank (safest first).
    #[default]
    Rank,
    /// By rank change (most improved first).
    Change,
    /// By number of events (most first).
    Events,
    /// By name.
    Name,
}

/// How a table is drawn: its text size, the room between its rows, and which of its rows show (in order).
#[derive(Clone, Debug)]
struct Rows {
    size: f32,
    gap: f32,
    show: std::ops::Range<usize>,
}

impl Rows {
    /// Every row, at `size` with `gap` between rows (the dashboard's tables).
    fn all(size: f32, gap: f32) -> Self {
        Rows { size, gap, show: 0..usize::MAX }
    }

    /// The rows shown of `rows`.
    fn pick<T>(&self, rows: impl IntoIterator<Item = T>) -> impl Iterator<Item = T> {
        rows.into_iter().skip(self.show.start).take(self.show.len())
    }
}

const DOMAIN_COLORS: [Color32; 7] = [
    Color32::from_rgb(229, 57, 53),
    Color32::from_rgb(251, 140, 0),
    Color32::from_rgb(253, 216, 53),
    Color32::from_rgb(30, 136, 229),
    Color32::from_rgb(67, 160, 71),
    Color32::from_rgb(170, 90, 220),
    Color32::from_rgb(0, 190, 210),
];

fn change_text(x: Option<f64>, lang: Lang) -> (String, Color32) {
    match x {
        None => (lang.tr("—", "—").to_string(), theme::DIM),
        // More incidents is worse: up is red, down is green.
        Some(v) if v > 0.0 => (format!("▲ {:.0}%", v * 100.0), theme::RISK[0]),
        Some(v) if v < 0.0 => (format!("▼ {:.0}%", -v * 100.0), theme::RISK[4]),
        Some(_) => ("= 0%".to_string(), theme::DIM),
    }
}

/// Draw the dashboard.
pub fn dashboard_ui(ui: &mut egui::Ui, state: &AppState, sort: &mut LeagueSort, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(data) = state.assessment.latest.clone() else {
        ui.centered_and_justified(|ui| {
            ui.label(RichText::new(lang.tr("正在计算报表…", "Computing the report…")).size(24.0))
        });
        return;
    };
    let unit = scope::scope(state);
    egui::Frame::new().fill(theme::BG).inner_margin(12).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(lang.tr("平安法治实时报表", "Real-time safety report"))
                    .font(theme::bold(28.0))
                    .color(theme::ACCENT),
            );
            ui.label(RichText::new(scope::scope_name(state, unit)).font(theme::bold(24.0)));
            ui.label(
                RichText::new(format!(
                    "{} · {} · {} {:.0} ms",
                    data.period.label(),
                    crate::services::assessment::RiskView::category_label(data.view.category, lang),
                    lang.tr("计算", "computed in"),
                    data.compute_ms
                ))
                .color(theme::DIM),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button(RichText::new(lang.tr("导出报表…", "Export report…")).size(18.0)).clicked() {
                    commands.push(Command::ExportReport);
                }
            });
        });
        scope::selector_ui(ui, state, unit, commands);
        ui.add_space(6.0);
        let figures = scope::figures_of(&data, unit);
        let unit_name = (unit != UnitRef::District).then(|| scope::scope_name(state, unit));
        kpi_row_ui(ui, &figures, unit, unit_name.as_deref(), &mut Numbers::new(lang, Some(&mut *commands)));
        ui.add_space(8.0);
        let avail = ui.available_size();
        let ticker_h = 44.0;
        ui.horizontal(|ui| {
            let left_w = avail.x * 0.55;
            ui.vertical(|ui| {
                ui.set_width(left_w);
                let whole = (unit != UnitRef::District).then(|| lang.tr(" · 全区", " · district"));
                charts_ui(ui, &data, &mut Numbers::new(lang, Some(&mut *commands)), avail.y - ticker_h, whole);
            });
            ui.vertical(|ui| {
                // The league and the loop table scroll together when the screen is short.
                egui::ScrollArea::vertical().id_salt("dashboard-right").max_height(avail.y - ticker_h).show(ui, |ui| {
                    let nums = &mut Numbers::new(lang, Some(&mut *commands));
                    if unit != UnitRef::District {
                        scope::league_within_ui(ui, state, &data, unit, nums);
                        ui.add_space(10.0);
                    }
                    tables_body_ui(ui, state, &data, sort, nums);
                });
            });
        });
        ticker_ui(ui, state);
    });
}

/// The trends and the key categories, in `height`; `whole` notes in the titles that they are the district's while
/// the tiles are a unit's.
fn charts_ui(ui: &mut egui::Ui, data: &ReportData, nums: &mut Numbers<'_>, height: f32, whole: Option<&str>) {
    let lang = nums.lang();
    let whole = whole.unwrap_or_default();
    ui.label(RichText::new(format!("{}{whole}", lang.tr("近24个月趋势", "24-month trend"))).font(theme::bold(20.0)));
    trend_ui(ui, data, lang, height * 0.55);
    ui.label(
        RichText::new(format!("{} · {}{whole}", lang.tr("九类重点事件", "Key categories"), data.period.label()))
            .font(theme::bold(20.0)),
    );
    categories_ui(ui, data, nums, height * 0.3);
}

/// The league table, the command loop, task books by town and warning precision, one under the other.
fn tables_body_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    data: &ReportData,
    sort: &mut LeagueSort,
    nums: &mut Numbers<'_>,
) {
    let lang = state.lang;
    ui.label(RichText::new(lang.tr("平安赛马榜 · 镇街", "League table · towns")).font(theme::bold(20.0)));
    league_ui(ui, data, sort, nums, &Rows::all(19.0, 8.0));
    ui.add_space(10.0);
    ui.label(RichText::new(lang.tr("闭环考核 · 分级", "Command loop · by level")).font(theme::bold(20.0)));
    loops_ui(ui, data, nums, &Rows::all(18.0, 6.0));
    if data.patrol.iter().any(|c| c.issued > 0) {
        ui.add_space(10.0);
        ui.label(
            RichText::new(lang.tr("巡查任务书 · 镇街完成情况", "Patrol task books · by town")).font(theme::bold(20.0)),
        );
        patrol_ui(ui, state, data, lang, &Rows::all(18.0, 6.0));
    }
    if !data.loops.precision.is_empty() {
        ui.add_space(10.0);
        ui.label(RichText::new(lang.tr("预警精准率", "Warning precision")).font(theme::bold(20.0)));
        precision_ui(ui, data, lang, &Rows::all(19.0, 6.0));
    }
}

/// The wall's report panel: the title, the seven domain tiles, the trends and the key categories.
pub fn report_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(data) = state.assessment.latest.clone() else {
        ui.label(RichText::new(lang.tr("正在计算报表…", "Computing the report…")).size(24.0));
        return;
    };
    egui::Frame::new().fill(theme::BG).inner_margin(12).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(lang.tr("平安法治实时报表", "Real-time safety report"))
                    .font(theme::bold(28.0))
                    .color(theme::ACCENT),
            );
            ui.label(RichText::new(data.period.label()).color(theme::DIM));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button(RichText::new(lang.tr("导出报表…", "Export report…")).size(18.0)).clicked() {
                    commands.push(Command::ExportReport);
                }
            });
        });
        kpi_row_ui(ui, &data.figures, UnitRef::District, None, &mut Numbers::new(lang, Some(&mut *commands)));
        ui.add_space(8.0);
        // Two titles of ~34 points each, then the trends and the key categories share what is left (on the wall at
        // 1.6× that is little: the charts shrink rather than run off the panel).
        let h = ((ui.available_height() - 2.0 * 34.0) * 0.5 - 8.0).max(80.0);
        ui.label(RichText::new(lang.tr("近24个月趋势", "24-month trend")).font(theme::bold(20.0)));
        trend_ui(ui, &data, lang, h);
        ui.label(
            RichText::new(format!("{} · {}", lang.tr("九类重点事件", "Key categories"), data.period.label()))
                .font(theme::bold(20.0)),
        );
        categories_ui(ui, &data, &mut Numbers::new(lang, Some(&mut *commands)), h);
    });
}

/// The wall's tables panel: league, command loop, task books, precision, and the ticker; its numbers drill through
/// (pushing to `commands`).
pub fn tables_ui(ui: &mut egui::Ui, state: &AppState, sort: &mut LeagueSort, commands: &mut Vec<Command>) {
    tables_inner_ui(ui, state, sort, Numbers::new(state.lang, Some(commands)));
}

fn tables_inner_ui(ui: &mut egui::Ui, state: &AppState, sort: &mut LeagueSort, mut nums: Numbers<'_>) {
    let lang = state.lang;
    let Some(data) = state.assessment.latest.clone() else {
        ui.label(RichText::new(lang.tr("正在计算报表…", "Computing the report…")).size(24.0));
        return;
    };
    egui::Frame::new().fill(theme::BG).inner_margin(6).show(ui, |ui| {
        // A wall screen's width: a board, the tables side by side; narrower, one under the other.
        if ui.available_width() >= board::MIN_WIDTH {
            board::board_ui(ui, state, &data, sort, &mut nums);
            return;
        }
        let h = ui.available_height() - 50.0;
        egui::ScrollArea::vertical().id_salt("wall-tables").max_height(h).show(ui, |ui| {
            tables_body_ui(ui, state, &data, sort, &mut nums);
        });
        ticker_ui(ui, state);
    });
}

/// The seven domain tiles of `unit` (`unit_name`: `None` for the district, whose figures keep their plain names).
fn kpi_row_ui(
    ui: &mut egui::Ui,
    figures: &[DomainFigures],
    unit: UnitRef,
    unit_name: Option<&str>,
    nums: &mut Numbers<'_>,
) {
    let lang = nums.lang();
    let gap = ui.spacing().item_spacing.x;
    let w = ((ui.available_width() - 6.0 * gap) / 7.0).floor();
    ui.horizontal(|ui| {
        for (k, f) in figures.iter().enumerate() {
            egui::Frame::new().fill(theme::CARD).corner_radius(8.0).inner_margin(8).show(ui, |ui| {
                ui.set_width(w - 16.0);
                ui.set_max_width(w - 16.0);
                ui.vertical(|ui| {
                    ui.label(RichText::new(f.domain.name_in(lang)).font(theme::bold(18.0)).color(DOMAIN_COLORS[k]));
                    let domain = f.domain;
                    let name = |span: Span, n: u32| tile_name(unit_name, domain, span, n);
                    ui.horizontal(|ui| {
                        let text = RichText::new(f.month.to_string()).font(theme::bold(34.0));
                        nums.show(ui, text, name(Span::Month, f.month), tile_drill(unit, domain, Span::Month));
                        ui.label(RichText::new(lang.tr("本月", "month")).color(theme::DIM));
                    });
                    let (mom, c1) = change_text(f.mom, lang);
                    let (yoy, c2) = change_text(f.yoy, lang);
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(lang.tr("环比", "MoM")).color(theme::DIM).size(16.0));
                        ui.label(RichText::new(mom).color(c1).strong().size(16.0));
                    });
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(lang.tr("同比", "YoY")).color(theme::DIM).size(16.0));
                        ui.label(RichText::new(yoy).color(c2).strong().size(16.0));
                    });
                    let dim = |t: &str| RichText::new(t).color(theme::DIM).size(15.0);
                    let num = |n: u32| RichText::new(n.to_string()).color(theme::TEXT).size(15.0);
                    // Today and the year on one line where it fits, else one under the other (not wrapped mid-way).
                    let one_line = w >= 200.0;
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = 4.0;
                        ui.label(dim(lang.tr("今日", "today")));
                        nums.show(ui, num(f.day), name(Span::Day, f.day), tile_drill(unit, domain, Span::Day));
                        if one_line {
                            ui.label(dim(lang.tr("· 本年", "· year")));
                            nums.show(ui, num(f.year), name(Span::Year, f.year), tile_drill(unit, domain, Span::Year));
                        }
                    });
                    if !one_line {
                        ui.horizontal(|ui| {
                            ui.spacing_mut().item_spacing.x = 4.0;
                            ui.label(dim(lang.tr("本年", "year")));
                            nums.show(ui, num(f.year), name(Span::Year, f.year), tile_drill(unit, domain, Span::Year));
                        });
                    }
                });
            });
        }
    });
}

fn trend_ui(ui: &mut egui::Ui, data: &ReportData, lang: Lang, height: f32) {
    let labels: Vec<String> = data
        .trends
        .first()
        .map(|t| t.1.iter().map(|(d, _)| d.format("%y-%m").to_string()).collect())
        .unwrap_or_default();
    // The lines wear the domain tiles' colours; where the chart is narrow (the wall at 1.6×) the tiles above are its
    // legend, and a legend box would cover a third of the lines.
    let legend = ui.available_width() >= 1300.0;
    let plot = Plot::new("trend").height(height.max(80.0));
    let plot = if legend { plot.legend(Legend::default().text_style(egui::TextStyle::Body)) } else { plot };
    plot.allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .x_axis_formatter(move |mark, _| labels.get(mark.value.round() as usize).cloned().unwrap_or_default())
        .show(ui, |plot| {
            for (k, (domain, series)) in data.trends.iter().enumerate() {
                let points: Vec<[f64; 2]> =
                    series.iter().enumerate().map(|(i, (_, n))| [i as f64, *n as f64]).collect();
                plot.line(Line::new(domain.name_in(lang), points).color(DOMAIN_COLORS[k]).width(2.5));
            }
        });
}

/// The key categories' bars; a click on a bar's column drills through to its events.
fn categories_ui(ui: &mut egui::Ui, data: &ReportData, nums: &mut Numbers<'_>, height: f32) {
    let lang = nums.lang();
    let names: Vec<String> = data.category_counts.iter().map(|(c, _)| c.name_in(lang).to_string()).collect();
    let bars: Vec<Bar> = data
        .category_counts
        .iter()
        .enumerate()
        .map(|(i, (c, n))| Bar::new(i as f64, *n as f64).name(c.name_in(lang)).width(0.7))
        .collect();
    let r = Plot::new("categories")
        .height(height.max(80.0))
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .show(ui, |plot| plot.bar_chart(BarChart::new(lang.tr("事件数", "events"), bars).color(theme::ACCENT)));
    let clicked = r.response.clicked().then(|| r.response.interact_pointer_pos()).flatten();
    if let Some(pos) = clicked {
        let x = r.transform.value_from_position(pos).x.round();
        if let Some((category, _)) = (x >= 0.0).then(|| data.category_counts.get(x as usize)).flatten() {
            nums.push(Drill::Category { category: *category, period: data.period });
        }
    }
    r.response.on_hover_cursor(egui::CursorIcon::PointingHand);
}

/// A rate as a percentage, or a dash.
fn rate(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| format!("{:.0}%", r * 100.0))
}

/// Median minutes to close, readable.
fn median(m: Option<f64>, lang: Lang) -> String {
    m.map_or("—".into(), |m| format::duration(chrono::Duration::seconds((m * 60.0) as i64), lang))
}

/// The command loop by level and for the district: reported, closed, on-time rate, overdue now, escalated, the
/// median time to close (this period, live events); each drills to its events, the median to the closed ones.
fn loops_ui(ui: &mut egui::Ui, data: &ReportData, nums: &mut Numbers<'_>, shown: &Rows) {
    use pingan_core::routing::Level;
    let lang = nums.lang();
    let period = data.period;
    egui::Grid::new("loops").num_columns(7).striped(true).spacing([12.0, shown.gap]).show(ui, |ui| {
        header_row(
            ui,
            &[
                lang.tr("层级", "Level"),
                lang.tr("上报", "Reported"),
                lang.tr("办结", "Closed"),
                lang.tr("按时率", "On time"),
                lang.tr("逾期", "Overdue"),
                lang.tr("升级", "Escalated"),
                lang.tr("办结中位时长", "Median to close"),
            ],
        );
        let rows = Level::ALL
            .iter()
            .zip(&data.loops.levels)
            .map(|(l, s)| (lang.tr(l.zh(), l.en()), l.zh(), LoopScope::Level(*l), s))
            .chain(std::iter::once((lang.tr("全区", "District"), "全区", LoopScope::District, &data.loops.district)));
        for (name, zh, scope, s) in shown.pick(rows) {
            ui.label(RichText::new(name).size(shown.size));
            let mut cell = |ui: &mut egui::Ui, text: RichText, figure: LoopFigure, n: u32| {
                let name = format!("{zh} {} {n}", figure.zh());
                nums.show(ui, text, name, Drill::Loop { scope, figure, period });
            };
            cell(ui, RichText::new(s.reported.to_string()), LoopFigure::Reported, s.reported);
            cell(ui, RichText::new(s.closed.to_string()), LoopFigure::Closed, s.closed);
            cell(ui, RichText::new(rate(s.on_time_rate())).strong(), LoopFigure::OnTime, s.on_time);
            let overdue =
                RichText::new(s.overdue.to_string()).color(if s.overdue > 0 { theme::OVERDUE } else { theme::TEXT });
            cell(ui, overdue, LoopFigure::Overdue, s.overdue);
            cell(ui, RichText::new(s.escalations.to_string()), LoopFigure::Escalated, s.escalations);
            // The median drills to the closed events it is the median of.
            let name = format!("{zh} 办结中位时长 {}", s.closed);
            nums.show(
                ui,
                RichText::new(median(s.median_close_min, lang)),
                name,
                Drill::Loop { scope, figure: LoopFigure::Closed, period },
            );
            ui.end_row();
        }
    });
}

/// Per warning rule: closed with an outcome this period, of them useful (confirmed or a hidden risk found), the
/// precision.
fn precision_ui(ui: &mut egui::Ui, data: &ReportData, lang: Lang, shown: &Rows) {
    egui::Grid::new("precision").num_columns(4).striped(true).spacing([12.0, shown.gap]).show(ui, |ui| {
        header_row(
            ui,
            &[
                lang.tr("预警规则", "Rule"),
                lang.tr("已核查", "Checked"),
                lang.tr("有效", "Useful"),
                lang.tr("精准率", "Precision"),
            ],
        );
        for (rule, useful, false_alarms) in shown.pick(&data.loops.precision) {
            ui.label(RichText::new(lang.tr(rule.zh(), rule.en())).size(shown.size));
            ui.label((useful + false_alarms).to_string());
            ui.label(useful.to_string());
            ui.label(RichText::new(rate(data.loops.precision_of(*rule))).strong());
            ui.end_row();
        }
    });
}

/// Task books issued this period per town: issued, closed, on time, overdue now, stops checked, problems found,
/// completion; towns with none are left out, the district's total last.
fn patrol_ui(ui: &mut egui::Ui, state: &AppState, data: &ReportData, lang: Lang, shown: &Rows) {
    egui::Grid::new("patrol").num_columns(7).striped(true).spacing([12.0, shown.gap]).show(ui, |ui| {
        header_row(
            ui,
            &[
                lang.tr("镇街", "Town"),
                lang.tr("下发", "Issued"),
                lang.tr("完成", "Closed"),
                lang.tr("按时", "On time"),
                lang.tr("超期", "Overdue"),
                lang.tr("点位", "Stops"),
                lang.tr("发现问题", "Problems"),
            ],
        );
        let mut total = pingan_core::patrol::Completion::default();
        let towns = state.district.towns.iter().map(|t| t.name.as_str());
        let rows: Vec<(&str, pingan_core::patrol::Completion)> =
            towns.zip(data.patrol.iter().copied()).filter(|(_, c)| c.issued > 0).collect();
        for (_, c) in &rows {
            total.issued += c.issued;
            total.closed += c.closed;
            total.on_time += c.on_time;
            total.overdue += c.overdue;
            total.checks_done += c.checks_done;
            total.checks += c.checks;
            total.problems += c.problems;
        }
        for (name, c) in shown.pick(rows.into_iter().chain(std::iter::once((lang.tr("全区", "District"), total)))) {
            ui.label(RichText::new(name).size(shown.size));
            ui.label(c.issued.to_string());
            ui.label(RichText::new(format!("{} ({})", c.closed, rate(c.rate()))).strong());
            ui.label(c.on_time.to_string());
            ui.label(RichText::new(c.overdue.to_string()).color(if c.overdue > 0 {
                theme::OVERDUE
            } else {
                theme::TEXT
            }));
            ui.label(format!("{}/{}", c.checks_done, c.checks));
            ui.label(c.problems.to_string());
            ui.end_row();
        }
    });
}

fn league_ui(ui: &mut egui::Ui, data: &ReportData, sort: &mut LeagueSort, nums: &mut Numbers<'_>, shown: &Rows) {
    let lang = nums.lang();
    let mut rows = data.league.clone();
    match sort {
        LeagueSort::Rank => rows.sort_by_key(|r| r.rank),
        LeagueSort::Change => rows.sort_by_key(|r| (-r.rank_change(), r.rank)),
        LeagueSort::Events => rows.sort_by_key(|r| (std::cmp::Reverse(r.events), r.rank)),
        LeagueSort::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    egui::Grid::new("league").num_columns(9).striped(true).spacing([12.0, shown.gap]).show(ui, |ui| {
        let mut header = |ui: &mut egui::Ui, label: &str, s: Option<LeagueSort>| match s {
            Some(s) => {
                if ui.add(egui::Button::selectable(*sort == s, RichText::new(label).strong())).clicked() {
                    *sort = s;
                }
            }
            None => {
                ui.label(RichText::new(label).strong().color(theme::DIM));
            }
        };
        header(ui, lang.tr("名次", "Rank"), Some(LeagueSort::Rank));
        header(ui, lang.tr("镇街", "Town"), Some(LeagueSort::Name));
        header(ui, lang.tr("得分", "Score"), None);
        header(ui, lang.tr("事件", "Events"), Some(LeagueSort::Events));
        header(ui, lang.tr("等级", "Grade"), None);
        header(ui, lang.tr("升降", "Change"), Some(LeagueSort::Change));
        header(ui, lang.tr("按时率", "On time"), None);
        header(ui, lang.tr("逾期", "Overdue"), None);
        header(ui, lang.tr("升级", "Escalated"), None);
        ui.end_row();
        for r in shown.pick(rows) {
            ui.label(RichText::new(r.rank.to_string()).font(theme::bold(shown.size)));
            let town = pingan_core::TownId(r.unit as u16);
            if ui
                .link(RichText::new(&r.name).size(shown.size))
                .on_hover_text(lang.tr("查看该镇街", "Open this town"))
                .clicked()
            {
                nums.select(UnitRef::Town(town));
            }
            ui.label(RichText::new(format!("{:.2}", r.score)).monospace());
            let drill = Drill::Town { town, period: data.period, category: data.view.category };
            nums.show(ui, RichText::new(r.events.to_string()), format!("{} 事件 {}", r.name, r.events), drill);
            let c = theme::RISK[r.grade.index()];
            ui.label(RichText::new(format!("■ {}", r.grade.name_in(lang))).color(c).strong());
            let ch = r.rank_change();
            let (t, c) = match ch {
                x if x > 0 => (format!("▲{x}"), theme::RISK[4]),
                x if x < 0 => (format!("▼{}", -x), theme::RISK[0]),
                _ => ("—".to_string(), theme::DIM),
            };
            ui.label(RichText::new(t).color(c).strong());
            let loops = data.loops.towns.get(r.unit).cloned().unwrap_or_default();
            let scope = LoopScope::Town(town);
            let on_time = Drill::Loop { scope, figure: LoopFigure::OnTime, period: data.period };
            nums.show(
                ui,
                RichText::new(rate(loops.on_time_rate())),
                format!("{} 按时办结 {}", r.name, loops.on_time),
                on_time,
            );
            let overdue = RichText::new(loops.overdue.to_string()).color(if loops.overdue > 0 {
                theme::OVERDUE
            } else {
                theme::TEXT
            });
            let drill = Drill::Loop { scope, figure: LoopFigure::Overdue, period: data.period };
            nums.show(ui, overdue, format!("{} 逾期 {}", r.name, loops.overdue), drill);
            let drill = Drill::Loop { scope, figure: LoopFigure::Escalated, period: data.period };
            nums.show(
                ui,
                RichText::new(loops.escalations.to_string()),
                format!("{} 升级 {}", r.name, loops.escalations),
                drill,
            );
            ui.end_row();
        }
    });
}

/// Major events of the last two days, newest first, scrolling right to left.
fn ticker_ui(ui: &mut egui::Ui, state: &AppState) {
    let lang = state.lang;
    let since = state.now - chrono::Duration::hours(48);
    let major: Vec<String> = state
        .situation
        .events
        .iter()
        .rev()
        .filter(|e| e.severity >= Severity::Major && e.reported_at >= since)
        .take(30)
        .map(|e| {
            format!(
                "【{}】{} {} · {} · {}",
                e.severity.name_in(lang),
                format::short_time(e.reported_at),
                e.category.name_in(lang),
                e.title,
                e.place.split(' ').take(2).collect::<Vec<_>>().join(" ")
            )
        })
        .collect();
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 40.0), egui::Sense::hover());
    let painter = ui.painter().with_clip_rect(rect);
    painter.rect_filled(rect, 6.0, Color32::from_rgb(60, 16, 20));
    painter.text(
        rect.left_center() + egui::vec2(10.0, 0.0),
        egui::Align2::LEFT_CENTER,
        lang.tr("重大事件", "MAJOR"),
        theme::bold(20.0),
        theme::RISK[0],
    );
    // The items in pages that fit the strip, right of the label; with a live clock the page turns every
    // TICKER_PAGE_S seconds, on the frame the clock's second already brings (no animation frames of its own).
    let font = egui::FontId::proportional(20.0);
    let room = rect.width() - 140.0;
    let gap = "     ";
    let mut pages: Vec<String> = Vec::new();
    if major.is_empty() {
        pages.push(lang.tr("近48小时无重大事件", "No major events in the last 48 hours").to_string());
    }
    for item in major {
        let fits = pages.last().is_some_and(|p| {
            painter.layout_no_wrap(format!("{p}{gap}{item}"), font.clone(), theme::TEXT).size().x <= room
        });
        match pages.last_mut() {
            Some(p) if fits => {
                p.push_str(gap);
                p.push_str(&item);
            }
            _ => pages.push(item),
        }
    }
    let page = (state.now.timestamp().max(0) as usize / TICKER_PAGE_S) % pages.len().max(1);
    let text = pages.get(page).cloned().unwrap_or_default();
    let strip = painter.with_clip_rect(rect.with_min_x(rect.left() + 115.0));
    strip.text(rect.left_center() + egui::vec2(120.0, 0.0), egui::Align2::LEFT_CENTER, text, font, theme::TEXT);
}

/// Seconds each page of the major-event ticker stays.
const TICKER_PAGE_S: usize = 5;
