//! What the operator is typing: a new report ([`ReportDraft`], the report form) and a lifecycle step with its note
//! or its chosen worker ([`ActionDraft`]). Both live in [`super::AppState`] and change only through commands, so a
//! map click can set the report's place and tests can drive the forms without a screen.

use super::AppState;
use crate::i18n::Lang;
use pingan_core::case_number::{CaseKind, case_number};
use pingan_core::place::Place;
use pingan_core::routing::Level;
use pingan_core::{AddressCode, Event, EventAction, EventCategory, EventId, EventSource, LonLat, Severity};
use pingan_core::{WorkerId, validate};

/// Where a report typed in by an operator came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PhoneIn {
    /// The 12345 citizen hotline (a phone call).
    #[default]
    Hotline,
    /// A police referral (110 联动).
    Police,
}

impl PhoneIn {
    /// Both, in menu order.
    pub const ALL: [PhoneIn; 2] = [Self::Hotline, Self::Police];

    /// Label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Hotline => lang.tr("12345热线来电", "12345 hotline call"),
            Self::Police => lang.tr("110联动", "Police referral"),
        }
    }

    /// The event source it is recorded as.
    pub fn source(self) -> EventSource {
        match self {
            Self::Hotline => EventSource::Hotline,
            Self::Police => EventSource::Police,
        }
    }
}

/// A new event being typed in (the report form).
#[derive(Clone, Debug, PartialEq)]
pub struct ReportDraft {
    /// What kind of event.
    pub category: EventCategory,
    /// How serious.
    pub severity: Severity,
    /// Who called it in.
    pub source: PhoneIn,
    /// A typed unified address code (27 digits; spaces and dashes are ignored). Takes precedence over the map.
    pub code: String,
    /// A point clicked on the map.
    pub position: Option<LonLat>,
    /// What happened (the event's title, one line or more).
    pub description: String,
    /// The next map click sets the place.
    pub picking: bool,
    /// The stop of a task book this report is the problem found at (sending it reports the stop).
    pub check: Option<(pingan_core::patrol::TaskBookId, u16)>,
}

impl Default for ReportDraft {
    fn default() -> Self {
        Self {
            category: EventCategory::Dispute,
            severity: Severity::General,
            source: PhoneIn::Hotline,
            code: String::new(),
            position: None,
            description: String::new(),
            picking: false,
            check: None,
        }
    }
}

/// What keeps a report form from being sent: what is missing or wrong, in the operator's language.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormProblem(pub String);

impl From<String> for FormProblem {
    fn from(why: String) -> Self {
        FormProblem(why)
    }
}

impl From<&str> for FormProblem {
    fn from(why: &str) -> Self {
        FormProblem(why.to_string())
    }
}

impl ReportDraft {
    /// The place the draft names: the typed code's building or grid, else the clicked point's; or why not, in
    /// `lang`.
    pub fn place(&self, state: &AppState) -> Result<Place, FormProblem> {
        let lang = state.lang;
        let digits: String = self.code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if !digits.is_empty() {
            let code = AddressCode::parse(&digits).map_err(|e| {
                format!("{}: {e}", lang.tr("地址编码有误（应为27位数字）", "The address code is wrong (27 digits)"))
            })?;
            return state.district.place_of_code(&code).ok_or_else(|| {
                lang.tr("辖区内没有此地址编码的楼幢或网格", "No building or grid of the district has this code").into()
            });
        }
        let Some(p) = self.position else {
            return Err(lang
                .tr("请在地图上点选位置或输入地址编码", "Click the place on the map or type its code")
                .into());
        };
        state
            .district
            .place_at(&state.index, p)
            .ok_or_else(|| lang.tr("所选位置不在任何网格内", "The chosen point is not in any grid").into())
    }

    /// The event this draft reports, routed by `state.routing`, or what is missing or wrong (in `lang`). Its id is
    /// the next local one (a server gives its own).
    pub fn event(&self, state: &AppState) -> Result<Event, FormProblem> {
        let lang = state.lang;
        let place = self.place(state)?;
        let title = self.description.trim();
        if title.is_empty() {
            return Err(lang.tr("请填写事件描述", "Describe what happened").into());
        }
        validate::check_text("the description", title, validate::MAX_TITLE).map_err(|e| {
            format!("{}: {e}", lang.tr("事件描述过长或含非法字符", "The description is too long or odd"))
        })?;
        let id = EventId(state.situation.events.iter().map(|e| e.id.0).max().unwrap_or(0) + 1);
        // A problem found on patrol is the patrolling worker's report (the first worker of the book's grid).
        let source = match self.check.and_then(|(b, _)| state.situation.task_book(b)) {
            Some(book) => state
                .situation
                .workers
                .iter()
                .find(|w| w.grids.contains(&book.grid))
                .map_or(self.source.source(), |w| EventSource::GridWorker(w.id)),
            None => self.source.source(),
        };
        let mut e = place.report(id, self.category, self.severity, title.to_string(), source, state.now);
        if state.link().is_none() {
            // Locally numbered; a server numbers its own.
            e.number = case_number(CaseKind::Report, id.0, e.reported_at, state.district.local_offset());
        }
        state.routing.intake(&mut e);
        validate::check_event(&e, &state.district).map_err(|why| why.to_string())?;
        Ok(e)
    }
}

/// A lifecycle step that needs something typed or chosen before it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// Dispatch: choose the worker.
    Assign,
    /// Feedback: what was done.
    Feedback,
    /// Close: closing remark.
    Close,
    /// Rework: what is missing.
    Rework,
    /// Escalate: why.
    Escalate,
    /// Reopen: why.
    Reopen,
    /// Re-route to another level: which, and why.
    Reroute,
}

/// A step being prepared in the event detail.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionDraft {
    /// The event.
    pub event: EventId,
    /// Which step.
    pub kind: ActionKind,
    /// The note or reason.
    pub text: String,
    /// The chosen worker (dispatch).
    pub worker: Option<WorkerId>,
    /// The chosen level (re-route).
    pub level: Level,
    /// What a sensor warning turned out to be (closing one).
    pub outcome: Option<pingan_core::WarningOutcome>,
}

impl ActionDraft {
    /// A fresh draft of `kind` for `event`.
    pub fn new(event: EventId, kind: ActionKind) -> Self {
        Self { event, kind, text: String::new(), worker: None, level: Level::Community, outcome: None }
    }

    /// The action it makes (`None`: a dispatch with no worker chosen).
    pub fn action(&self) -> Option<EventAction> {
        let text = self.text.trim().to_string();
        Some(match self.kind {
            ActionKind::Assign => EventAction::Assign { worker: self.worker? },
            ActionKind::Feedback => EventAction::SubmitFeedback { note: text },
            ActionKind::Close => EventAction::Close { note: text, outcome: self.outcome },
            ActionKind::Rework => EventAction::Rework { note: text },
            ActionKind::Escalate => EventAction::Escalate { reason: text },
            ActionKind::Reopen => EventAction::Reopen { reason: text },
            ActionKind::Reroute => EventAction::Reroute { level: self.level, reason: text },
        })
    }
}
