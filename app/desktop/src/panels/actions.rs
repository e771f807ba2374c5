//! The lifecycle steps in the event detail: one button per step the lifecycle allows now, greyed out (with the
//! reason on hover) when this user may not take it; a step that needs words (feedback, close, rework, escalate,
//! reopen, re-route) opens a note box, and dispatch opens the list of the grid's workers by distance with their
//! status and load, the nearest free one preselected.

use crate::i18n::{Lang, Named};
use crate::state::{ActionDraft, ActionKind, AppState, Command};
use crate::{format, theme};
use egui::RichText;
use pingan_core::routing::{Level, dispatch_candidates};
use pingan_core::{Event, EventAction, WorkerId, validate};

/// The steps offered, in order, with the action used to test whether each is allowed now.
fn steps(e: &Event) -> Vec<(ActionKind, EventAction)> {
    let any = WorkerId(0);
    let reroute = Level::ALL.into_iter().find(|l| *l != e.level).unwrap_or(Level::Town);
    vec![
        (ActionKind::Assign, EventAction::Assign { worker: any }),
        (ActionKind::Feedback, EventAction::SubmitFeedback { note: "-".into() }),
        (
            ActionKind::Close,
            // A warning's outcome is chosen in the form; the button only asks whether closing is allowed at all.
            EventAction::Close {
                note: "-".into(),
                outcome: e.evidence.as_ref().map(|_| pingan_core::WarningOutcome::Confirmed),
            },
        ),
        (ActionKind::Rework, EventAction::Rework { note: "-".into() }),
        (ActionKind::Escalate, EventAction::Escalate { reason: "-".into() }),
        (ActionKind::Reopen, EventAction::Reopen { reason: "-".into() }),
        (ActionKind::Reroute, EventAction::Reroute { level: reroute, reason: "-".into() }),
    ]
}

/// Label of a step in `lang`.
pub fn kind_label(kind: ActionKind, lang: Lang) -> &'static str {
    match kind {
        ActionKind::Assign => lang.tr("派遣", "Dispatch"),
        ActionKind::Feedback => lang.tr("提交反馈", "Feedback"),
        ActionKind::Close => lang.tr("办结", "Close"),
        ActionKind::Rework => lang.tr("退回重办", "Rework"),
        ActionKind::Escalate => lang.tr("上报升级", "Escalate"),
        ActionKind::Reopen => lang.tr("重启", "Reopen"),
        ActionKind::Reroute => lang.tr("改派层级", "Re-route"),
    }
}

/// Why this user may not take `action` on `e` now (`None`: they may, or the server alone will say).
fn refusal(state: &AppState, e: &Event, action: &EventAction) -> Option<String> {
    if let Err(err) = e.state.apply(action) {
        return Some(err.to_string());
    }
    state.actor().and_then(|a| a.may_act(e, action).err()).map(|why| why.to_string())
}

/// The action buttons, and the open step's form below them.
pub fn actions_ui(ui: &mut egui::Ui, e: &Event, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let simple = [EventAction::Accept, EventAction::StartDisposal];
    let mut shown = 0;
    ui.horizontal_wrapped(|ui| {
        for a in simple {
            // Steps the lifecycle does not allow from this state are not offered at all.
            if e.state.apply(&a).is_err() {
                continue;
            }
            shown += 1;
            let why = refusal(state, e, &a);
            let b =
                egui::Button::new(RichText::new(a.name_in(lang)).strong()).fill(egui::Color32::from_rgb(20, 80, 120));
            let r = ui.add_enabled(why.is_none(), b);
            if let Some(why) = &why {
                r.clone().on_disabled_hover_text(why);
            }
            if r.clicked() {
                commands.push(Command::Act(e.id, a));
            }
        }
        for (kind, probe) in steps(e) {
            if e.state.apply(&probe).is_err() {
                continue;
            }
            shown += 1;
            let why = refusal(state, e, &probe);
            let open = state.action.as_ref().is_some_and(|d| d.event == e.id && d.kind == kind);
            let b = egui::Button::selectable(open, RichText::new(kind_label(kind, lang)).strong());
            let r = ui.add_enabled(why.is_none(), b);
            if let Some(why) = &why {
                r.clone().on_disabled_hover_text(why);
            }
            if r.clicked() {
                let mut d = ActionDraft::new(e.id, kind);
                if kind == ActionKind::Assign {
                    d.worker = state.situation.dispatch_choice(e.id);
                }
                if kind == ActionKind::Reroute {
                    d.level = Level::ALL.into_iter().find(|l| *l != e.level).unwrap_or(Level::Town);
                }
                commands.push(Command::EditAction(if open { None } else { Some(d) }));
            }
        }
    });
    if shown == 0 {
        return;
    }
    if let Some(d) = state.action.as_ref().filter(|d| d.event == e.id) {
        ui.add_space(6.0);
        egui::Frame::new().fill(theme::BG).inner_margin(10).corner_radius(6.0).show(ui, |ui| match d.kind {
            ActionKind::Assign => dispatch_ui(ui, e, d, state, commands),
            _ => note_ui(ui, e, d, state, commands),
        });
    }
}

/// The note box of a step that needs words, with its send and cancel buttons.
fn note_ui(ui: &mut egui::Ui, e: &Event, d: &ActionDraft, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let mut draft = d.clone();
    ui.label(RichText::new(kind_label(d.kind, lang)).font(theme::bold(18.0)));
    if d.kind == ActionKind::Reroute {
        ui.horizontal(|ui| {
            ui.label(lang.tr("改派至", "Route to"));
            for l in Level::ALL {
                if l != e.level {
                    ui.selectable_value(&mut draft.level, l, lang.tr(l.zh(), l.en()));
                }
            }
        });
    }
    if d.kind == ActionKind::Close && e.evidence.is_some() {
        ui.horizontal(|ui| {
            ui.label(lang.tr("核查结论", "Outcome"));
            for o in pingan_core::WarningOutcome::ALL {
                ui.selectable_value(&mut draft.outcome, Some(o), lang.tr(o.zh(), o.en()));
            }
        });
    }
    let hint = match d.kind {
        ActionKind::Feedback => lang.tr("处置情况（必填）", "What was done (required)"),
        ActionKind::Close => lang.tr("办结意见", "Closing remark"),
        ActionKind::Rework => lang.tr("退回原因（必填）", "What is missing (required)"),
        _ => lang.tr("原因（必填）", "Reason (required)"),
    };
    ui.add(
        egui::TextEdit::multiline(&mut draft.text)
            .hint_text(hint)
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .id_salt("action-note"),
    );
    let action = draft.action();
    let problem = match &action {
        Some(a) => validate::check_action(a).err().map(|why| why.to_string()).or_else(|| match a {
            EventAction::SubmitFeedback { note } if note.trim().is_empty() => {
                Some(lang.tr("请填写处置情况", "Say what was done").into())
            }
            _ => refusal(state, e, a),
        }),
        None => Some(lang.tr("请选择人员", "Choose a worker").into()),
    };
    let limit = if matches!(d.kind, ActionKind::Feedback | ActionKind::Close | ActionKind::Rework) {
        validate::MAX_NOTE
    } else {
        validate::MAX_REASON
    };
    let n = draft.text.chars().count();
    ui.horizontal(|ui| {
        send_row(ui, lang.tr("确认提交", "Submit").to_string(), e, action.clone(), problem.as_deref(), lang, commands);
        let count = RichText::new(format!("{n}/{limit}")).color(if n > limit { theme::OVERDUE } else { theme::DIM });
        ui.label(count);
    });
    if let Some(p) = problem.filter(|_| n > 0) {
        ui.label(RichText::new(p).color(theme::OVERDUE));
    }
    if draft != *d {
        commands.push(Command::EditAction(Some(draft)));
    }
}

/// The dispatch list: the grid's workers (and, when it is short of hands, the nearest of its town) by distance,
/// with status and load; the nearest free one is preselected; the choice is sent with the button.
fn dispatch_ui(ui: &mut egui::Ui, e: &Event, d: &ActionDraft, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let district = &state.district;
    let candidates = dispatch_candidates(&state.situation, e, |g| district.grids.get(g.index()).map(|g| g.town), 3);
    ui.label(RichText::new(lang.tr("选择处置人员", "Choose who goes")).font(theme::bold(18.0)));
    if candidates.is_empty() {
        ui.label(
            RichText::new(lang.tr("本网格及所在镇街没有可派遣的网格员", "Nobody serves this grid or its town"))
                .color(theme::OVERDUE),
        );
    }
    let mut chosen = d.worker;
    egui::Grid::new("dispatch-list").num_columns(5).spacing([12.0, 6.0]).striped(true).show(ui, |ui| {
        for h in [
            lang.tr("人员", "Worker"),
            lang.tr("距离", "Distance"),
            lang.tr("状态", "Status"),
            lang.tr("在办", "Load"),
            "",
        ] {
            ui.label(RichText::new(h).color(theme::DIM));
        }
        ui.end_row();
        for c in &candidates {
            let Some(w) = state.situation.worker(c.worker) else { continue };
            let name = if c.own_grid {
                w.name.clone()
            } else {
                format!("{} ({})", w.name, lang.tr("邻近网格", "nearby grid"))
            };
            ui.radio_value(&mut chosen, Some(c.worker), name);
            ui.label(format::distance(c.distance_m));
            let color = if c.free { theme::WORKER } else { theme::DIM };
            ui.label(RichText::new(w.status.name_in(lang)).color(color));
            ui.label(format!("{}", c.load));
            ui.label(RichText::new(&w.phone).monospace().color(theme::DIM));
            ui.end_row();
        }
    });
    let name = chosen.and_then(|w| state.situation.worker(w)).map(|w| w.name.clone());
    let action = chosen.map(|worker| EventAction::Assign { worker });
    let problem = match &action {
        Some(a) => refusal(state, e, a),
        None => Some(lang.tr("请选择人员", "Choose a worker").into()),
    };
    ui.horizontal(|ui| {
        let label = match &name {
            Some(n) => format!("{} → {n}", lang.tr("派遣", "Dispatch")),
            None => lang.tr("派遣", "Dispatch").to_string(),
        };
        send_row(ui, label, e, action.clone(), problem.as_deref(), lang, commands);
    });
    if chosen != d.worker {
        let mut draft = d.clone();
        draft.worker = chosen;
        commands.push(Command::EditAction(Some(draft)));
    }
}

/// The send button (greyed out with `problem` on hover while there is one) and the cancel button of a step's form.
fn send_row(
    ui: &mut egui::Ui,
    label: String,
    e: &Event,
    action: Option<EventAction>,
    problem: Option<&str>,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let send = ui.add_enabled(problem.is_none(), egui::Button::new(RichText::new(label).strong()));
    if let Some(p) = problem {
        send.clone().on_disabled_hover_text(p);
    }
    if send.clicked()
        && let Some(a) = action
    {
        commands.push(Command::Act(e.id, a));
    }
    if ui.button(lang.tr("取消", "Cancel")).clicked() {
        commands.push(Command::EditAction(None));
    }
}
