//! Patrol task books and split merges on the desktop: issuing books for a unit (by hand, or by the local demo when a
//! unit turns red, as the server does), reporting a stop, and taking a wrongly merged report out of an event. With a
//! server each goes to the outbox and shows when the server's change comes back; locally it is applied at once,
//! through the same `Situation::apply_change` the log uses.

use super::AppState;
use pingan_core::assess::{CategorySet, assess};
use pingan_core::case_number::{CaseKind, case_number};
use pingan_core::patrol::{self, CheckOutcome, CheckResult, TaskBookId};
use pingan_core::sync::{ChangeBody, CommandBody};
use pingan_core::{Event, EventId, UnitRef};

/// Who the local demo's books are issued by (the server's sweeper is the system user `patrol`).
const LOCAL_ISSUER: &str = "值班长";

/// How often the local demo looks for units due a book (the server's `--patrol-every` default).
const LOCAL_SWEEP_S: i64 = 300;

impl AppState {
    /// The assessment the patrol rules read (the key categories over [`pingan_core::patrol::PatrolConfig::period`],
    /// as the server does) and the records it was made of.
    fn patrol_assessment(&self) -> (Vec<pingan_core::assess::EventRecord>, pingan_core::assess::Assessment) {
        let records = self.records();
        let period = self.patrol.period(self.now);
        let cfg = self.assessment.config();
        let a = assess(&self.district, &records, period, self.now.timestamp(), CategorySet::key(), cfg);
        (records, a)
    }

    /// Issue task books for `unit` by hand, one per grid, planned from the patrol rules' assessment. Grids that
    /// already hold an open book are left out; what could not be issued is told.
    pub(crate) fn issue_books(&mut self, unit: UnitRef) {
        let (records, assessment) = self.patrol_assessment();
        self.issue_planned(unit, &records, &assessment, false);
    }

    fn issue_planned(
        &mut self,
        unit: UnitRef,
        records: &[pingan_core::assess::EventRecord],
        assessment: &pingan_core::assess::Assessment,
        automatic: bool,
    ) {
        let lang = self.lang;
        let Some(actor) = self.actor() else {
            self.tell(
                lang.tr("尚不知道本用户的权限，请稍候", "This user's rights are not known yet; wait a moment").into(),
            );
            return;
        };
        let cfg = self.assessment.config().clone();
        let issuer = if automatic { LOCAL_ISSUER } else { "operator" };
        let books =
            patrol::plan(&self.district, records, assessment, &cfg, &self.patrol, unit, self.now, issuer, automatic);
        let (mut issued, mut skipped) = (0, 0);
        for mut book in books {
            if self.situation.task_books.iter().any(|b| b.grid == book.grid && !b.is_closed()) {
                skipped += 1;
                continue;
            }
            if let Err(why) = patrol::may_issue(&actor, &book, &self.district) {
                self.tell(format!("{}: {why}", lang.tr("无法下发任务书", "Cannot issue the task book")));
                return;
            }
            match self.link() {
                Some(link) => {
                    if let Err(err) = link.submit(CommandBody::IssueTaskBook { book: Box::new(book) }, self.now) {
                        self.tell(format!(
                            "{}: {err}",
                            lang.tr("任务书未能加入待发队列", "The task book could not be queued")
                        ));
                        return;
                    }
                }
                None => {
                    let id = self.situation.task_books.last().map_or(1, |b| b.id.0 + 1);
                    book.id = TaskBookId(id);
                    book.number = case_number(CaseKind::TaskBook, id, book.issued_at, self.district.local_offset());
                    self.situation.apply_change(&ChangeBody::TaskBookIssued { book: Box::new(book) });
                }
            }
            issued += 1;
        }
        let name = crate::format::unit_name(&self.district, unit);
        let msg = match (issued, skipped) {
            (0, 0) => format!("{name}: {}", lang.tr("没有可下发的网格", "no grid to issue for")),
            (0, s) => format!("{name}: {s} {}", lang.tr("个网格已有进行中的任务书", "grids already hold an open book")),
            (n, _) if self.link().is_some() => {
                format!("{name}: {n} {}", lang.tr("本任务书已提交，等待服务器受理", "task books sent to the server"))
            }
            (n, _) => {
                format!("{name}: {} {n} {}", lang.tr("已下发", "issued"), lang.tr("本巡查任务书", "patrol task books"))
            }
        };
        if automatic {
            tracing::info!("{msg}");
            self.version += 1;
        } else {
            self.note(msg);
        }
    }

    /// The local demo plays the server's part: every [`LOCAL_SWEEP`] of clock time (and at the start), red units by
    /// the patrol rules whose grids hold no open or recent book get books automatically, the reddest first within
    /// the open load. Not with a server (its sweeper does it) nor for a package opened offline (nothing moves).
    pub(crate) fn issue_due_books(&mut self) {
        if self.live.simulator().is_none() {
            return;
        }
        if self.books_checked.is_some_and(|t| self.now < t + chrono::Duration::seconds(LOCAL_SWEEP_S)) {
            return;
        }
        self.books_checked = Some(self.now);
        // The assessment thread's latest result serves when it is of the patrol's period and the key categories
        // (the usual view) and of the live moment (not a replay's); then the records are put together only when a
        // unit is due.
        let period = self.patrol.period(self.now);
        let cached = self
            .assessment
            .latest
            .clone()
            .filter(|d| d.period == period && d.view.category.is_none())
            .filter(|d| d.now <= self.now && self.now - d.now < chrono::Duration::minutes(10));
        let (records, computed) = match cached {
            Some(_) => (None, None),
            None => {
                let (r, a) = self.patrol_assessment();
                (Some(r), Some(a))
            }
        };
        let assessment = match (&cached, &computed) {
            (Some(d), _) => &d.assessment,
            (None, Some(a)) => a,
            (None, None) => return,
        };
        let due = patrol::due_units(&self.district, assessment, &self.situation.task_books, &self.patrol, self.now);
        if due.is_empty() {
            return;
        }
        let records = records.unwrap_or_else(|| self.records());
        for unit in due {
            self.issue_planned(unit, &records, assessment, true);
        }
    }

    /// Report stop `check` of `book`: checked and fine (`problem` = `None`), or a problem filed as `problem`.
    pub(crate) fn report_check(&mut self, book: TaskBookId, check: u16, problem: Option<Event>) {
        let lang = self.lang;
        let Some(b) = self.situation.task_book(book) else { return };
        let number = b.number.clone();
        let grids: Vec<pingan_core::GridId> = Vec::new();
        if let Some(Err(why)) =
            self.actor().map(|a| patrol::may_report_check(&a, &grids, b, usize::from(check), &self.district))
        {
            self.tell(format!("{number}: {why}"));
            return;
        }
        let outcome = if problem.is_some() { CheckOutcome::Problem } else { CheckOutcome::Done };
        if let Some(link) = self.link() {
            let body =
                CommandBody::ReportCheck { book, check, outcome, note: String::new(), event: problem.map(Box::new) };
            if let Err(err) = link.submit(body, self.now) {
                self.tell(format!(
                    "{number}: {}: {err}",
                    lang.tr("检查结果未能加入待发队列", "the check could not be queued")
                ));
                return;
            }
            self.note(format!("{number}: {}", lang.tr("检查结果已提交", "check sent")));
            return;
        }
        let result = CheckResult {
            at: self.now,
            by: LOCAL_ISSUER.into(),
            outcome,
            note: String::new(),
            event: problem.as_ref().map(|e| e.id),
        };
        let change = ChangeBody::CheckReported { book, check, result, event: problem.map(Box::new) };
        if let Err(why) = pingan_core::validate::check_change(&change, &self.district, &self.situation) {
            self.tell(format!("{number}: {why}"));
            return;
        }
        self.situation.apply_change(&change);
        let stop = match lang {
            crate::i18n::Lang::Zh => format!("第{}处", check + 1),
            crate::i18n::Lang::En => format!("stop {}", check + 1),
        };
        self.note(format!("{number} {stop}: {}", lang.tr(outcome.zh(), outcome.en())));
    }

    /// Open the report form at stop `check` of `book` (its building, or its grid), to file the problem found there.
    pub(crate) fn open_check_problem(&mut self, book: TaskBookId, check: u16) {
        let Some(b) = self.situation.task_book(book) else { return };
        let Some(stop) = b.checks.get(usize::from(check)) else { return };
        let code = match stop.building {
            Some(id) => self.district.buildings.get(id.index()).map(|b| b.code),
            None => self.district.grids.get(b.grid.index()).map(|g| g.code),
        };
        let mut draft = super::ReportDraft {
            category: b.items.first().map_or(pingan_core::EventCategory::Other, |i| i.category),
            check: Some((book, check)),
            ..Default::default()
        };
        if let Some(code) = code {
            draft.code = code.to_string();
        }
        self.report = Some(draft);
    }

    /// Take linked report `index` out of `event`: it becomes an event of its own at its own place (a wrong merge).
    pub(crate) fn split_report(&mut self, event: EventId, index: usize) {
        let lang = self.lang;
        let Some(e) = self.situation.event(event) else { return };
        let Some(r) = e.linked.get(index).cloned() else { return };
        let number = e.number.clone();
        if let Some(actor) = self.actor()
            && !actor.role.in_command_room()
        {
            self.tell(format!(
                "{number}: {}",
                lang.tr("只有值班员可以拆分合并的上报", "only an operator may split a merged report")
            ));
            return;
        }
        let Some(place) = self.district.place_at(&self.index, r.position) else {
            self.tell(format!(
                "{number}: {}",
                lang.tr("该上报的位置不在任何网格内", "the report's place is in no grid")
            ));
            return;
        };
        let id = EventId(self.situation.events.iter().map(|e| e.id.0).max().unwrap_or(0) + 1);
        let mut new_event = place.report(id, e.category, e.severity, r.title.clone(), r.source, r.at);
        self.routing.intake(&mut new_event);
        if let Some(link) = self.link() {
            let body = CommandBody::SplitReport { event, report: Box::new(new_event) };
            if let Err(err) = link.submit(body, self.now) {
                self.tell(format!("{number}: {err}"));
                return;
            }
            self.note(format!("{number}: {}", lang.tr("拆分已提交", "split sent")));
            return;
        }
        new_event.number = case_number(CaseKind::Report, id.0, new_event.reported_at, self.district.local_offset());
        let change = ChangeBody::ReportSplit { event, report: r, new_event: Box::new(new_event) };
        self.situation.apply_change(&change);
        self.note(format!("{number}: {}", lang.tr("已拆分为独立事件", "split into an event of its own")));
    }
}
