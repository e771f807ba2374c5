//! What the user can ask for ([`Command`]) and the small value types commands carry: the feed's filters and which
//! map is shown. Panels push commands; `AppState::apply` carries them out.

use crate::i18n::Lang;
use crate::services::assessment::RiskView;
use crate::services::import_job::ImportRequest;
use crate::state::Picked;
use pingan_core::patrol::TaskBookId;
use pingan_core::{Event, EventAction, EventCategory, EventId, LonLat, Timestamp, TownId, UnitRef};

/// Which events the feed shows, by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Everything.
    All,
    /// Not closed (the default: what needs attention).
    #[default]
    Open,
    /// Open and past deadline.
    Overdue,
    /// Closed.
    Closed,
}

impl StatusFilter {
    /// Every choice, in menu order.
    pub const ALL: [StatusFilter; 4] = [Self::Open, Self::Overdue, Self::Closed, Self::All];

    /// Label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::All => lang.tr("全部状态", "All states"),
            Self::Open => lang.tr("未办结", "Open"),
            Self::Overdue => lang.tr("已逾期", "Overdue"),
            Self::Closed => lang.tr("已办结", "Closed"),
        }
    }
}

/// The feed's filters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedFilter {
    /// Only this category.
    pub category: Option<EventCategory>,
    /// By state.
    pub status: StatusFilter,
    /// Only this town.
    pub town: Option<TownId>,
    /// "My level": only what this room owns, and what went above it from its area (`None`: everything).
    pub mine: Option<UnitRef>,
}

impl FeedFilter {
    /// Whether `e` passes at time `now`.
    pub fn accepts(&self, e: &Event, now: Timestamp) -> bool {
        self.category.is_none_or(|c| c == e.category)
            && self.town.is_none_or(|t| t == e.town)
            && self.mine.is_none_or(|u| {
                let above = pingan_core::routing::Level::of_unit(u).is_some_and(|l| e.level > l);
                e.owner() == u || (e.within(u) && above)
            })
            && match self.status {
                StatusFilter::All => true,
                StatusFilter::Open => e.state.is_open(),
                StatusFilter::Overdue => e.is_overdue(now),
                StatusFilter::Closed => !e.state.is_open(),
            }
    }
}

/// Which list the left panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FeedTab {
    /// The live events.
    #[default]
    Events,
    /// The patrol task books.
    TaskBooks,
    /// Coverage: grids without a worker, workers whose position is stale.
    Coverage,
    /// The items waiting for an acknowledgement.
    Attention,
    /// The one-key search's results.
    Search,
}

/// Which map the central panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MapMode {
    /// The 2D slippy map (walkers).
    #[default]
    Map2d,
    /// The GPU 3D street map.
    Map3d,
    /// The dashboard: report, trends, league table.
    Dashboard,
}

/// Something the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Select an event: show its detail and fly the map to it.
    SelectEvent(EventId),
    /// Close the detail panel.
    ClearSelection,
    /// Change the feed filter.
    SetFilter(FeedFilter),
    /// Switch language.
    SetLang(Lang),
    /// Move the map to a place at a zoom level.
    FlyTo(LonLat, f64),
    /// Fit the whole district in the map.
    ShowWholeDistrict,
    /// Take a lifecycle step on an event.
    Act(EventId, EventAction),
    /// Switch between the 2D and 3D map (they keep the same centre and zoom) and the dashboard.
    SetMapMode(MapMode),
    /// Change the five-colour view (period, categories, level).
    SetRiskView(RiskView),
    /// Show a unit's score breakdown and trend.
    SelectUnit(UnitRef),
    /// Export the current report (asks for a folder).
    ExportReport,
    /// Open the import dialog (asks for a file first: handled by the app).
    OpenImport,
    /// Open the import dialog on this file.
    ImportDialog(ImportRequest),
    /// Close the import dialog.
    CloseImportDialog,
    /// Read and check a file off the UI thread; apply it when it is fine (or when the user agrees).
    Import(ImportRequest),
    /// Apply the import waiting for agreement, leaving out the features with problems.
    AcceptImport,
    /// Drop the import waiting for agreement (nothing changes).
    RejectImport,
    /// Forget the imported scenario and go back to the built-in demo district.
    RemoveScenario,
    /// Show the card of a building, grid or worker picked in the 3D view (a worker: fly to them too).
    Pick(Picked),
    /// Close the 3D view's card (a click on nothing).
    ClearPick,
    /// Tell the operator, in the status bar, how work the app did for a command went (e.g. an export).
    Note(String),
    /// Open the report form (a phone-in or an operator's own report).
    OpenReport,
    /// Change the report form.
    EditReport(crate::state::ReportDraft),
    /// The place clicked on the map for the report.
    ReportPlace(LonLat),
    /// Check the report and send it (with a server, through the outbox); the form closes when it is taken.
    SubmitReport,
    /// Close the report form without sending.
    CloseReport,
    /// Start, change or (with `None`) drop the step being prepared in the event detail.
    EditAction(Option<crate::state::ActionDraft>),
    /// Show the events or the task books in the left panel.
    SetFeedTab(FeedTab),
    /// Show a task book's detail and fly the map to its grid.
    SelectBook(TaskBookId),
    /// Issue task books for a unit (one per grid), planned from the current assessment.
    IssueTaskBooks(UnitRef),
    /// Report a stop of a task book checked with nothing wrong.
    CheckDone(TaskBookId, u16),
    /// Open the report form for a problem found at a stop of a task book (sending it reports the stop).
    CheckProblem(TaskBookId, u16),
    /// Take a linked report out of an event: it becomes an event of its own (a wrong merge).
    SplitReport(EventId, usize),
    /// Acknowledge an event that called for attention.
    Acknowledge(EventId),
    /// Acknowledge the coverage void of a grid (on this desk: off the 待确认 list until the grid falls empty again).
    AcknowledgeVoid(pingan_core::GridId),
    /// Take the banner down (the item stays in the unacknowledged list).
    DismissBanner,
    /// Drill through a number: the feed (switched to the events tab) and the maps show exactly its events.
    Drill(crate::state::Drill),
    /// End the drill: the feed's filters again.
    ClearDrill,
    /// Switch the attention chime on or off.
    SetSound(bool),
    /// Move the time-travel replay (a moment, play, pause, speed, back to live).
    Replay(crate::state::ReplayCommand),
    /// Change the search box's text (nothing is searched yet).
    EditSearch(String),
    /// Search the history and the live events for this query; the left panel lists what it finds.
    Search(String),
    /// End the search (the feed and the maps as before).
    ClearSearch,
    /// Open a history record found by the search: its card in the detail, the map flown to it.
    SelectRecord(u32),
    /// Write the search's matches as CSV and GeoJSON (asks for a folder; handled by the app).
    ExportSearch,
}
