//! The header bar: district, headline counts (the event counts drill through), the sync link, the search box, the
//! clock, language switch.
//!
//! It measures what it has before drawing ([`Fit`]): every item gets its own room, and where the bar is narrow
//! (a laptop, or the wall, whose 1920 px are 1200 points at its zoom of 1.6) it gives up the least needed first —
//! width of the search box, the clock's date, the subtitle, the link's last-sync time, the counts' long labels, the
//! language button's long name, the title's size, the count of workers on duty — rather than let one item cover
//! another. The date and the last sync stay in a hover.

use crate::i18n::Lang;
use crate::state::{AppState, Command, Drill, FeedTab};
use crate::{format, theme};
use egui::{Color32, RichText};
use pingan_core::situation::{Headline, HeadlineCount};

/// What the header shows; [`Fit::steps`] go from the richest to the most compact.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Fit {
    /// The centre's name and the district's size beside the title.
    subtitle: bool,
    /// The clock's date and weekday (else the time only, the date in its hover).
    date: bool,
    /// The search box's width, points.
    search: f32,
    /// The link's last sync in its card (else in its hover).
    synced: bool,
    /// The counts' full labels and margins (else short ones; their accessible names stay full).
    full_counts: bool,
    /// The language button's full name (else `EN` / `中`).
    full_lang: bool,
    /// The room between the groups of items, points (half of it between the items on the right).
    gap: f32,
    /// The title's size, points.
    title: f32,
    /// The count of workers on duty (else left out: the map shows them).
    on_duty: bool,
}

impl Fit {
    /// Everything shown, at full size.
    fn all() -> Fit {
        Fit {
            subtitle: true,
            date: true,
            search: 300.0,
            synced: true,
            full_counts: true,
            full_lang: true,
            gap: 24.0,
            title: 34.0,
            on_duty: true,
        }
    }

    /// Everything, then one thing more given up at each step.
    fn steps() -> Vec<Fit> {
        let all = Fit::all();
        let give_up: [fn(&mut Fit); 11] = [
            |f| f.search = 200.0,
            |f| f.date = false,
            |f| f.subtitle = false,
            |f| f.gap = 12.0,
            |f| f.synced = false,
            |f| f.full_counts = false,
            |f| f.search = 130.0,
            |f| f.full_lang = false,
            |f| f.title = 28.0,
            |f| f.on_duty = false,
            |f| f.search = 100.0,
        ];
        let mut fit = all;
        std::iter::once(all)
            .chain(give_up.iter().map(|g| {
                g(&mut fit);
                fit
            }))
            .collect()
    }

    /// The richest that fits the bar's width (the most compact when none does).
    fn choose(ui: &egui::Ui, state: &AppState, h: &Headline) -> Fit {
        let room = ui.available_width();
        let steps = Fit::steps();
        let last = steps.last().copied().unwrap_or_else(Fit::all);
        steps.into_iter().find(|f| f.width(ui, state, h) <= room).unwrap_or(last)
    }

    /// The width the header needs at this fit, points (as [`header_ui`] lays it out).
    fn width(&self, ui: &egui::Ui, state: &AppState, h: &Headline) -> f32 {
        let s = ui.spacing().item_spacing.x;
        let pad = ui.spacing().button_padding.x * 2.0;
        let w = |t: RichText| text_width(ui, t);
        // Left: the title, the subtitle, the counts.
        let mut left = 8.0 + w(title(state, self)) + s + self.gap;
        if self.subtitle {
            let [a, b] = subtitle(state);
            left += w(a).max(w(b)) + s;
        }
        for k in counts(state, h, self) {
            left += w(k.label_text()).max(w(k.value_text())) + 2.0 * k.margin as f32 + s;
        }
        // Right, from the edge: the language, the clock (and the replay's tag), the link, the search box.
        let space = self.gap / 2.0;
        let mut right = 8.0 + w(lang_text(state.lang, self).0) + pad + s + space;
        right += clock_texts(state, self).into_iter().map(|t| w(t) + s).sum::<f32>() + space;
        right += match link_view(state, self) {
            Some(l) => 20.0 + link_width(ui, &l),
            None => w(local_text(state.lang)),
        } + s
            + space;
        right += self.search + w(search_button_text(state.lang)) + pad + s + s;
        left + right
    }
}

/// The width of `text` laid out on one line, points.
fn text_width(ui: &egui::Ui, text: RichText) -> f32 {
    egui::WidgetText::from(text)
        .into_galley(ui, Some(egui::TextWrapMode::Extend), f32::INFINITY, egui::TextStyle::Body)
        .size()
        .x
}

/// Draw the header; pushes commands for the language switch, the counts' drill-through and the search.
pub fn header_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let h = state.situation.headline(state.now);
    let fit = Fit::choose(ui, state, &h);
    ui.horizontal_centered(|ui| {
        ui.add_space(8.0);
        ui.label(title(state, &fit));
        if fit.subtitle {
            ui.vertical(|ui| {
                let [a, b] = subtitle(state);
                ui.label(a);
                ui.label(b);
            });
        }
        ui.add_space(fit.gap);
        for k in counts(state, &h, &fit) {
            count_ui(ui, &k, state.lang, commands);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| right_ui(ui, state, &fit, commands));
    });
}

/// The right of the header, from the edge: language, clock, link, search box.
fn right_ui(ui: &mut egui::Ui, state: &AppState, fit: &Fit, commands: &mut Vec<Command>) {
    let lang = state.lang;
    ui.add_space(8.0);
    let (label, next) = lang_text(lang, fit);
    if ui.button(label).on_hover_text("切换语言 / Switch language").clicked() {
        commands.push(Command::SetLang(next));
    }
    ui.add_space(fit.gap / 2.0);
    // During a replay the clock is the moment shown, in amber, and says so.
    let mut texts = clock_texts(state, fit).into_iter();
    if let Some(clock) = texts.next() {
        let r = ui.label(clock);
        if !fit.date {
            r.on_hover_text(format::clock(state.now, lang));
        }
    }
    for tag in texts {
        ui.label(tag);
    }
    ui.add_space(fit.gap / 2.0);
    link_ui(ui, state, fit);
    ui.add_space(fit.gap / 2.0);
    // The search box in its own room, as wide as planned (its hint is the short one then).
    let wanted = fit.search + text_width(ui, search_button_text(lang)) + ui.spacing().button_padding.x * 2.0;
    let size = egui::vec2(wanted + ui.spacing().item_spacing.x, ui.available_height());
    ui.allocate_ui_with_layout(size, egui::Layout::right_to_left(egui::Align::Center), |ui| {
        crate::panels::search::search_box_ui(ui, state, commands)
    });
}

/// `平安余杭`.
fn title(state: &AppState, fit: &Fit) -> RichText {
    RichText::new(format::title(&state.district.name, state.lang)).font(theme::bold(fit.title)).color(theme::ACCENT)
}

/// The centre's name, and the district with its towns and grids.
fn subtitle(state: &AppState) -> [RichText; 2] {
    let lang = state.lang;
    [
        RichText::new(lang.tr("社会治理指挥中心", "Social Governance Command Centre")).font(theme::bold(20.0)),
        RichText::new(format!(
            "{} · {} {} · {} {}",
            state.district.name,
            state.district.towns.len(),
            lang.tr("镇街", "towns"),
            state.district.grids.len(),
            lang.tr("网格", "grids")
        ))
        .color(theme::DIM),
    ]
}

/// One headline count's card.
struct Count {
    /// The full label (the accessible name starts with it).
    name: &'static str,
    /// The label shown.
    label: &'static str,
    value: usize,
    color: Color32,
    /// The card's inner margin left and right.
    margin: i8,
    /// What a click does.
    click: CountClick,
}

/// What a click on a count does.
enum CountClick {
    /// Lists (and maps) exactly the events counted.
    Drill(HeadlineCount),
    /// Opens the acknowledgements tab.
    Attention,
    None,
}

impl Count {
    fn label_text(&self) -> RichText {
        RichText::new(self.label).color(theme::DIM).size(16.0)
    }

    fn value_text(&self) -> RichText {
        RichText::new(self.value.to_string()).font(theme::bold(32.0)).color(self.color)
    }
}

/// The headline counts: open, overdue, reported today (these drill through), workers on duty, to acknowledge.
fn counts(state: &AppState, h: &Headline, fit: &Fit) -> Vec<Count> {
    let lang = state.lang;
    let margin = if fit.full_counts { 14 } else { 8 };
    let short = |zh: &'static str, en: &'static str| (!fit.full_counts).then(|| lang.tr(zh, en));
    let mut out: Vec<Count> = [
        (HeadlineCount::Open, h.open, theme::TEXT, short("未办结", "Open")),
        (HeadlineCount::Overdue, h.overdue, if h.overdue > 0 { theme::OVERDUE } else { theme::TEXT }, None),
        (HeadlineCount::Today, h.today, theme::TEXT, short("今日", "Today")),
    ]
    .into_iter()
    .map(|(count, value, color, short)| {
        let name = lang.tr(count.zh(), count.en());
        Count { name, label: short.unwrap_or(name), value, color, margin, click: CountClick::Drill(count) }
    })
    .collect();
    let name = lang.tr("在岗网格员", "Workers on duty");
    let label = short("在岗", "On duty").unwrap_or(name);
    if fit.on_duty {
        out.push(Count { name, label, value: h.on_duty, color: theme::WORKER, margin, click: CountClick::None });
    }
    let unacked = state.attention.unacked.len();
    let name = lang.tr("待确认", "To acknowledge");
    out.push(Count {
        name,
        label: short("待确认", "To ack.").unwrap_or(name),
        value: unacked,
        color: if unacked > 0 { theme::AMBER } else { theme::TEXT },
        margin,
        click: CountClick::Attention,
    });
    out
}

/// One count's card: the label over the number; a click drills through or opens the acknowledgements. A card that
/// clicks is one interactive container named `〈full label〉 〈number〉`, its label and number inside it.
fn count_ui(ui: &mut egui::Ui, k: &Count, lang: Lang, commands: &mut Vec<Command>) {
    let sense = if matches!(k.click, CountClick::None) { egui::Sense::hover() } else { egui::Sense::click() };
    let r = ui
        .scope_builder(egui::UiBuilder::new().sense(sense), |ui| {
            egui::Frame::new()
                .fill(theme::CARD)
                .corner_radius(6.0)
                .inner_margin(egui::Margin::symmetric(k.margin, 3))
                .show(ui, |ui| {
                    // Label and number close together: the card stays inside the header's height.
                    ui.spacing_mut().item_spacing.y = 0.0;
                    // Not selectable: a click anywhere on the card is the card's.
                    ui.vertical(|ui| {
                        ui.add(egui::Label::new(k.label_text()).selectable(false));
                        ui.add(egui::Label::new(k.value_text()).selectable(false));
                    });
                });
        })
        .response;
    let name = format!("{} {}", k.name, k.value);
    match k.click {
        CountClick::Drill(count) => {
            crate::panels::drill::clickable(r, name, Drill::Headline(count), lang, commands);
        }
        CountClick::Attention => {
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
            let r = r.on_hover_cursor(egui::CursorIcon::PointingHand);
            if r.on_hover_text(lang.tr("查看待确认事项", "Show what waits")).clicked() {
                commands.push(Command::SetFeedTab(FeedTab::Attention));
            }
        }
        CountClick::None => {}
    }
}

/// The language button's text and the language it switches to.
fn lang_text(lang: Lang, fit: &Fit) -> (RichText, Lang) {
    let (label, next) = match (lang, fit.full_lang) {
        (Lang::Zh, true) => ("English", Lang::En),
        (Lang::Zh, false) => ("EN", Lang::En),
        (Lang::En, true) => ("中文", Lang::Zh),
        (Lang::En, false) => ("中", Lang::Zh),
    };
    (RichText::new(label).size(18.0), next)
}

/// The clock (the date left out when narrow); during a replay, in amber, and the replay's tag.
fn clock_texts(state: &AppState, fit: &Fit) -> Vec<RichText> {
    let text = if fit.date { format::clock(state.now, state.lang) } else { format::time_of_day(state.now) };
    let clock = RichText::new(text).font(theme::bold(26.0)).monospace();
    if state.replay().is_some() {
        let tag = RichText::new(state.lang.tr("回放", "REPLAY")).font(theme::bold(22.0)).color(theme::AMBER);
        vec![clock.color(theme::AMBER), tag]
    } else {
        vec![clock]
    }
}

fn search_button_text(lang: Lang) -> RichText {
    RichText::new(lang.tr("搜索", "Go")).size(18.0)
}

fn local_text(lang: Lang) -> RichText {
    RichText::new(lang.tr("本地演示", "Local demo")).size(18.0).color(theme::DIM)
}

/// The sync link as shown: online / reconnecting / offline, last sync, outbox length.
struct LinkView {
    dot: Color32,
    state: &'static str,
    /// The card's second line.
    detail: String,
    /// Anything waits to be sent.
    waiting: bool,
    /// The hover: what the card leaves out, held actions, the last error.
    tip: Vec<String>,
    /// The token: refused ("令牌已过期 (…)，请联系管理员", "账号已停用") or ending within a week ("令牌 N 天后到期").
    token: Option<(String, Color32)>,
}

impl LinkView {
    fn state_text(&self) -> RichText {
        RichText::new(self.state).font(theme::bold(18.0)).color(self.dot)
    }

    fn detail_text(&self) -> RichText {
        RichText::new(&self.detail).size(15.0).color(if self.waiting { theme::WARN } else { theme::DIM })
    }

    fn token_text(&self) -> Option<RichText> {
        self.token.as_ref().map(|(t, c)| RichText::new(t).size(15.0).color(*c))
    }
}

/// The link as the header shows it (`None`: no server, the local demo).
fn link_view(state: &AppState, fit: &Fit) -> Option<LinkView> {
    use pingan_store::LinkState;
    let lang = state.lang;
    let s = state.link()?.status();
    let (dot, text) = match s.state {
        LinkState::Online => (theme::WORKER, lang.tr("在线", "Online")),
        LinkState::Connecting => (theme::WARN, lang.tr("连接中", "Connecting")),
        LinkState::Reconnecting => (theme::WARN, lang.tr("重连中", "Reconnecting")),
        LinkState::Offline => (theme::OVERDUE, lang.tr("离线", "Offline")),
    };
    let synced = match s.last_sync {
        Some(t) => format!("{} {}", lang.tr("同步于", "synced"), format::time_of_day(t)),
        None => lang.tr("未同步", "never synced").to_string(),
    };
    let held: usize = s.held.iter().map(|h| h.count).sum();
    let mut outbox = format!("{} {}", lang.tr("待发送", "outbox"), s.outbox);
    if held > 0 {
        outbox.push_str(&format!(" · {} {held}", lang.tr("他人待发", "held")));
    }
    let (detail, hidden) = if fit.synced { (format!("{synced} · {outbox}"), None) } else { (outbox, Some(synced)) };
    let tip = hidden.into_iter().chain(held_text(&s.held, lang)).chain(s.last_error.clone()).collect();
    // The token's end is the wall clock's, not a replay's or the demo's.
    let token = match (&s.token_refused, s.expires_in_days(chrono::Utc::now())) {
        (Some(words), _) => Some((words.clone(), theme::OVERDUE)),
        (None, Some(days)) => Some((
            match lang {
                Lang::Zh => format!("令牌 {days} 天后到期"),
                _ => format!("token ends in {days} day{}", if days == 1 { "" } else { "s" }),
            },
            theme::WARN,
        )),
        (None, None) => None,
    };
    Some(LinkView { dot, state: text, detail, waiting: s.outbox > 0 || held > 0, tip, token })
}

/// The width of the link card's lines, points.
fn link_width(ui: &egui::Ui, link: &LinkView) -> f32 {
    let dot = text_width(ui, RichText::new("●").size(18.0)) + ui.spacing().item_spacing.x;
    // The token's words sit on the first line, after the state (the header has room for two lines).
    let token = link.token_text().map_or(0.0, |t| ui.spacing().item_spacing.x + text_width(ui, t));
    (dot + text_width(ui, link.state_text()) + token).max(text_width(ui, link.detail_text()))
}

/// The sync link's card. Without a server: "local demo".
fn link_ui(ui: &mut egui::Ui, state: &AppState, fit: &Fit) {
    let lang = state.lang;
    let Some(link) = link_view(state, fit) else {
        ui.label(local_text(lang))
            .on_hover_text(lang.tr("未连接同步服务器：内置演示数据", "No sync server: built-in demo data"));
        return;
    };
    let w = link_width(ui, &link);
    egui::Frame::new().fill(theme::CARD).corner_radius(6.0).inner_margin(egui::Margin::symmetric(10, 4)).show(
        ui,
        |ui| {
            // Only as wide as its lines (the header lays this out right to left).
            ui.set_max_width(w);
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("●").size(18.0).color(link.dot));
                    ui.label(link.state_text());
                    if let Some(t) = link.token_text() {
                        ui.label(t);
                    }
                });
                let r = ui.label(link.detail_text());
                if !link.tip.is_empty() {
                    r.on_hover_text(link.tip.join("\n"));
                }
            });
        },
    );
}

/// What the operator is told about queued actions kept for another server or identity, e.g.
/// `3 条待发操作属于 wang@http://10.0.0.5:7878，未以当前身份发送` (`None` when there are none).
pub fn held_text(held: &[pingan_store::Held], lang: Lang) -> Option<String> {
    if held.is_empty() {
        return None;
    }
    let parts: Vec<String> = held
        .iter()
        .map(|h| {
            let who = match (&h.user, h.token_prefix.is_empty()) {
                (Some(u), _) => u.clone(),
                (None, false) => format!("{} {}…", lang.tr("令牌", "token"), h.token_prefix),
                (None, true) => lang.tr("未知身份", "unknown identity").to_string(),
            };
            let server =
                if h.server.is_empty() { lang.tr("未记录的服务器", "an unrecorded server") } else { &h.server };
            format!("{} {} {who}@{server}", h.count, lang.tr("条待发操作属于", "queued actions belong to"))
        })
        .collect();
    Some(format!(
        "{}{}",
        parts.join(lang.tr("；", "; ")),
        lang.tr("，未以当前身份发送", ", not sent as the current identity")
    ))
}
