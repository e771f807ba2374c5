//! [`AppState::apply`]: carrying out what the user asked for.

use super::{AppState, Command};
use crate::services::import_job::{self, ImportJob, ImportMode, ImportRequest};
use pingan_core::{District, EventAction, EventId, UnitRef};

impl AppState {
    /// Apply a command: the only way the UI changes the state.
    pub fn apply(&mut self, cmd: Command) {
        // Whatever the user asked for may change what is shown.
        self.version += 1;
        if self.refused_in_replay(&cmd) {
            let msg = self
                .lang
                .tr("回放中只能查看：请先回到实时再操作", "A replay is for looking only: go back to live to act");
            self.tell(msg.into());
            return;
        }
        if matches!(cmd, Command::Import(_) | Command::AcceptImport | Command::RemoveScenario) {
            self.end_replay();
        }
        match cmd {
            Command::Replay(r) => self.apply_replay(r),
            Command::SelectEvent(_)
            | Command::ClearSelection
            | Command::SelectUnit(_)
            | Command::SelectRecord(_)
            | Command::SelectBook(_) => self.apply_selection(cmd),
            Command::SetFilter(_)
            | Command::SetLang(_)
            | Command::SetMapMode(_)
            | Command::SetRiskView(_)
            | Command::SetFeedTab(_)
            | Command::SetSound(_)
            | Command::DismissBanner
            | Command::Drill(_)
            | Command::ClearDrill => self.apply_view(cmd),
            Command::EditSearch(text) => self.search.text = text,
            Command::Search(q) => self.run_search(q),
            Command::ClearSearch => self.clear_search(),
            Command::IssueTaskBooks(unit) => self.issue_books(unit),
            Command::CheckDone(book, check) => self.report_check(book, check, None),
            Command::CheckProblem(book, check) => self.open_check_problem(book, check),
            Command::SplitReport(event, index) => self.split_report(event, index),
            Command::Acknowledge(id) => self.acknowledge(id),
            Command::AcknowledgeVoid(grid) => self.acknowledge_void(grid),
            Command::EditAction(d) => {
                self.action = d.filter(|d| self.situation.event(d.event).is_some());
            }
            Command::Act(id, action) => self.act(id, action),
            Command::ImportDialog(_)
            | Command::CloseImportDialog
            | Command::Import(_)
            | Command::AcceptImport
            | Command::RejectImport
            | Command::RemoveScenario => self.apply_import_command(cmd),
            Command::OpenReport
            | Command::EditReport(_)
            | Command::ReportPlace(_)
            | Command::CloseReport
            | Command::SubmitReport => self.apply_report(cmd),
            Command::Note(msg) => self.note(msg),
            // Need a dialog: handled by the app.
            Command::ExportReport | Command::ExportSearch | Command::OpenImport => {}
            // They move the cameras only: `ViewState::follow`.
            Command::FlyTo(..) | Command::ShowWholeDistrict | Command::Pick(_) | Command::ClearPick => {}
        }
    }

    /// What is selected: an event, a unit, a history record, a task book, or nothing.
    fn apply_selection(&mut self, cmd: Command) {
        match cmd {
            Command::SelectEvent(id) => {
                if self.situation.event(id).is_some() {
                    self.selected = Some(id);
                }
            }
            Command::ClearSelection => {
                self.search.record = None;
                self.selected = None;
                self.unit_detail = None;
                self.selected_book = None;
            }
            Command::SelectUnit(u) => {
                if !unit_exists(&self.district, u) {
                    return;
                }
                self.selected = None;
                self.selected_book = None;
                self.unit_detail = Some(self.explain_unit(u));
            }
            Command::SelectRecord(i) => {
                if (i as usize) < self.history.len() {
                    self.selected = None;
                    self.selected_book = None;
                    self.unit_detail = None;
                    self.search.record = Some(i);
                }
            }
            Command::SelectBook(id) => {
                if self.situation.task_book(id).is_some() {
                    self.selected = None;
                    self.selected_book = Some(id);
                }
            }
            other => unreachable!("not a selection: {other:?}"),
        }
    }

    /// How things are shown: the feed's filter, tab and drill, the language, the map, the five-colour view, the
    /// chime, the banner.
    fn apply_view(&mut self, cmd: Command) {
        match cmd {
            Command::SetFilter(f) => self.filter = f,
            Command::SetLang(l) => self.lang = l,
            Command::SetMapMode(m) => self.map_mode = m,
            Command::SetRiskView(v) => {
                self.risk_view = v;
                if let Some(d) = &self.unit_detail {
                    self.unit_detail = Some(self.explain_unit(d.unit));
                }
            }
            Command::SetFeedTab(t) => self.feed_tab = t,
            Command::SetSound(on) => self.sound = on,
            Command::DismissBanner => self.attention.banner = None,
            Command::Drill(d) => {
                self.drill = Some(d);
                self.feed_tab = super::FeedTab::Events;
            }
            Command::ClearDrill => self.drill = None,
            other => unreachable!("not a view setting: {other:?}"),
        }
    }

    /// The import dialog, an import's start, its agreement or refusal, and the scenario's removal.
    fn apply_import_command(&mut self, cmd: Command) {
        match cmd {
            Command::ImportDialog(r) => self.import_dialog = Some(r),
            Command::CloseImportDialog => self.import_dialog = None,
            Command::Import(r) => self.begin_import(r),
            Command::AcceptImport => {
                if let Some(f) = self.pending_import.take() {
                    self.apply_import(f);
                }
            }
            Command::RejectImport => {
                if self.pending_import.take().is_some() {
                    if let Some(dir) = &self.scenario_dir {
                        import_job::discard(dir);
                    }
                    self.tell(self.lang.tr("已放弃导入，现有数据未改动", "Import abandoned, nothing changed").into());
                }
            }
            Command::RemoveScenario => self.remove_scenario(),
            other => unreachable!("not an import: {other:?}"),
        }
    }

    /// Start reading `r` off the UI thread, unless another import is under way or a server rules out a replace.
    fn begin_import(&mut self, r: ImportRequest) {
        if self.import_job.is_some() || self.pending_import.is_some() {
            self.tell(self.lang.tr("另一个导入尚未完成", "Another import is still in progress").into());
            return;
        }
        if r.mode == ImportMode::Replace && self.link().is_some() {
            self.tell(
                self.lang
                    .tr(
                        "连接同步服务器时，导入只能叠加显示（服务器的事件属于它的辖区）",
                        "With a sync server an import can only be overlaid (the server's events belong to its district)",
                    )
                    .into(),
            );
            return;
        }
        self.import_dialog = None;
        tracing::info!("importing {} as {:?}, {:?}, {:?}", r.path.display(), r.as_, r.crs, r.mode);
        self.import_job = Some(ImportJob::start(r, self.scenario_dir.clone(), self.load_spec(), false));
    }

    /// Forget the imported scenario (and its kept copy); a replaced district goes back to the demo's.
    fn remove_scenario(&mut self) {
        if self.import_job.is_some() {
            self.tell(self.lang.tr("导入尚未完成，请稍后再移除", "An import is running; remove it afterwards").into());
            return;
        }
        let Some(s) = self.scenario.take() else { return };
        if let Some(dir) = &self.scenario_dir
            && let Err(e) = import_job::remove(dir)
        {
            self.tell(format!("{}: {e}", self.lang.tr("无法删除保存的场景", "Could not delete the kept scenario")));
        }
        if s.meta.mode == ImportMode::Replace {
            self.import_job = Some(ImportJob::demo(self.demo_spec.clone(), self.load_spec()));
        }
        let msg = format!("{} {}", self.lang.tr("已移除导入的场景", "Removed the imported scenario"), s.meta.name);
        self.note(msg);
    }

    /// The report form: open, edit, place, close, send.
    fn apply_report(&mut self, cmd: Command) {
        match cmd {
            Command::OpenReport => {
                if self.report.is_none() {
                    self.report = Some(super::ReportDraft::default());
                }
            }
            Command::EditReport(d) => {
                if self.report.is_some() {
                    self.report = Some(d);
                }
            }
            Command::ReportPlace(p) => {
                if let Some(d) = &mut self.report {
                    d.position = Some(p);
                    d.code.clear();
                    d.picking = false;
                }
            }
            Command::CloseReport => self.report = None,
            Command::SubmitReport => self.submit_report(),
            other => unreachable!("not a report: {other:?}"),
        }
    }

    /// Take a lifecycle step on an event: refused with its reason when the rules forbid it, else shown at once and,
    /// with a server, queued for it.
    fn act(&mut self, id: EventId, action: EventAction) {
        let now = self.now;
        let Some(e) = self.situation.event(id) else { return };
        let number = e.number.clone();
        // What the server would refuse is refused here first, with its reason (the same rules).
        let refused = pingan_core::validate::check_action(&action)
            .err()
            .map(|why| why.to_string())
            .or_else(|| self.actor().and_then(|a| a.may_act(e, &action).err()).map(|why| why.to_string()));
        if let Some(why) = refused {
            self.tell(format!("{number}: {why}"));
            return;
        }
        if self.action.as_ref().is_some_and(|d| d.event == id) {
            self.action = None;
        }
        let name = action.name();
        // Checked and shown at once (optimistically), workers' statuses by the one rule in pingan-core;
        // with a server it also goes to the outbox.
        if let Err(err) = self.situation.act(id, action.clone(), now, &self.routing) {
            self.tell(format!("{number}: {err}"));
        } else {
            tracing::info!("event {number} {name}");
            if let Some(link) = self.link()
                && let Err(err) = link.submit(pingan_core::sync::CommandBody::Act { event: id, action }, now)
            {
                let msg = self.lang.tr("操作未能加入待发队列", "could not queue the action");
                self.tell(format!("{number}: {msg}: {err}"));
            }
        }
    }
}

impl AppState {
    /// Check the report form and send its event: locally it joins the situation (and is selected); with a server it
    /// goes to the outbox, and shows when the server has taken it and numbered it. A problem is told and the form
    /// stays open with what was typed.
    fn submit_report(&mut self) {
        let Some(draft) = self.report.clone() else { return };
        let lang = self.lang;
        let e = match draft.event(self) {
            Ok(e) => e,
            Err(why) => {
                self.tell(format!("{}: {why}", lang.tr("无法上报", "Cannot report")));
                return;
            }
        };
        if let Some(Err(why)) = self.actor().map(|a| a.may_report(&e)) {
            self.tell(format!("{}: {why}", lang.tr("无法上报", "Cannot report")));
            return;
        }
        if let Some((book, check)) = draft.check {
            self.report_check(book, check, Some(e));
            self.report = None;
            return;
        }
        let level = lang.tr(e.level.zh(), e.level.en());
        if let Some(link) = self.link() {
            if let Err(err) = link.submit(pingan_core::sync::CommandBody::Report { event: Box::new(e) }, self.now) {
                self.tell(format!("{}: {err}", lang.tr("上报未能加入待发队列", "The report could not be queued")));
                return;
            }
            self.note(format!(
                "{} · {level}",
                lang.tr("已提交上报，等待服务器受理编号", "Report sent; the server numbers it when it takes it")
            ));
        } else {
            let (id, number) = (e.id, e.number.clone());
            tracing::info!("reported {number} at the {} level", e.level.name());
            self.situation.events.push(e);
            self.selected = Some(id);
            self.note(format!("{} {number} · {level}", lang.tr("已上报", "Reported")));
        }
        self.report = None;
    }
}

/// Whether `unit` is one of `district`'s units.
fn unit_exists(district: &District, unit: UnitRef) -> bool {
    match unit {
        UnitRef::District => true,
        UnitRef::Town(id) => id.index() < district.towns.len(),
        UnitRef::Community(id) => id.index() < district.communities.len(),
        UnitRef::Grid(id) => id.index() < district.grids.len(),
        UnitRef::Building(id) => id.index() < district.buildings.len(),
    }
}
