//! Time-travel replay on the desk: any moment of the last days, shown by the same panels as the live view.
//!
//! While a replay is on, [`AppState::situation`] holds the situation *as of* the replayed moment
//! ([`pingan_core::replay::situation_at`]) and [`AppState::now`] is that moment, so the header counts, the feed,
//! both maps, the coverage voids and the five-colour assessment show it without knowing it is a replay. The live
//! situation is kept aside ([`Replay`]) and [`AppState::tick`] keeps it current underneath (the simulator or the
//! link goes on, the tracks keep growing, new items still call for attention); "live" puts it back. Steps that
//! would change the situation (acting on an event, reporting, issuing books) are refused during a replay.

use super::{AppState, Command};
use pingan_core::replay::{Tracks, coverage_at, situation_at};
use pingan_core::{Situation, Timestamp};

/// Replay speeds offered (× clock time).
pub const SPEEDS: [u32; 5] = [1, 60, 600, 1800, 3600];

/// A held replay takes in live changes (a late report of the past, tracks pulled from the server) at most this often,
/// seconds of clock: a rebuild is ~20 ms on the full demo, and the live data moves every second.
pub const LIVE_REBUILD_S: i64 = 10;

/// How far back the coverage voids of a replayed moment look for cover.
pub const COVERAGE_LOOK_BACK_H: i64 = 3;

/// What the timeline asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReplayCommand {
    /// Show this moment (entering the replay if it is not on); clamped to the timeline's window.
    At(Timestamp),
    /// Play from the moment shown, at the speed chosen.
    Play,
    /// Hold the moment shown.
    Pause,
    /// Play at this many times clock time.
    Speed(u32),
    /// Back to the live situation.
    Live,
}

/// A replay in progress.
#[derive(Clone, Debug)]
pub struct Replay {
    /// The moment shown.
    pub at: Timestamp,
    /// Playing (the moment moves with the clock at `speed`), or held.
    pub playing: bool,
    /// Times clock time, while playing.
    pub speed: u32,
    /// The live situation, kept current underneath.
    pub(super) live: Situation,
    /// The live clock's time, as of the last tick.
    pub(super) live_now: Timestamp,
    /// The clock time of the last tick while playing (the moment advances by what passed since, times `speed`).
    played_from: Option<Timestamp>,
    /// The moment and live version the shown situation was built for, and the clock time it was built at (rebuilt
    /// when the moment moved, or the live data moved and [`LIVE_REBUILD_S`] passed).
    built: Option<(Timestamp, u64, Timestamp)>,
    /// The coverage voids of the moment shown.
    pub(super) voids: Vec<pingan_core::coverage::Void>,
}

impl AppState {
    /// The replay in progress, if any.
    pub fn replay(&self) -> Option<&Replay> {
        self.replay.as_ref()
    }

    /// The live clock's time (the replayed moment is [`AppState::now`] while a replay is on).
    pub fn live_now(&self) -> Timestamp {
        self.replay.as_ref().map_or(self.now, |r| r.live_now)
    }

    /// The window the timeline offers: from `replay_days` before the live time (or the first event or track point
    /// known, if later — nothing is known before it) to the live time.
    pub fn replay_window(&self) -> (Timestamp, Timestamp) {
        let end = self.live_now();
        let days = chrono::Duration::days(i64::from(self.replay_days.max(1)));
        let from = (end - days).max(self.replay_known_from.unwrap_or(end - days)).min(end);
        (from, end)
    }

    /// The workers' tracks kept for replays.
    pub fn tracks(&self) -> &Tracks {
        &self.tracks
    }

    /// Carry out a timeline command.
    pub(super) fn apply_replay(&mut self, cmd: ReplayCommand) {
        let (from, to) = self.replay_window();
        match cmd {
            ReplayCommand::At(t) => {
                let t = t.clamp(from, to);
                let r = self.replay.get_or_insert_with(|| Replay {
                    at: t,
                    playing: false,
                    speed: SPEEDS[2],
                    live: std::mem::take(&mut self.situation),
                    live_now: self.now,
                    played_from: None,
                    built: None,
                    voids: Vec::new(),
                });
                r.at = t;
                r.played_from = r.playing.then_some(self.clock.now());
            }
            ReplayCommand::Play => {
                if self.replay.is_none() {
                    // From live, play starts an hour back (there is nothing after now to play).
                    self.apply_replay(ReplayCommand::At(to - chrono::Duration::hours(1)));
                }
                if let Some(r) = &mut self.replay {
                    r.playing = true;
                    r.played_from = Some(self.clock.now());
                }
            }
            ReplayCommand::Pause => {
                if let Some(r) = &mut self.replay {
                    r.playing = false;
                    r.played_from = None;
                }
            }
            ReplayCommand::Speed(s) => {
                if let Some(r) = &mut self.replay {
                    r.speed = s.clamp(1, 86_400);
                }
            }
            ReplayCommand::Live => self.end_replay(),
        }
        self.show_replayed();
    }

    /// Leave the replay: the live situation and time again.
    pub(super) fn end_replay(&mut self) {
        if let Some(r) = self.replay.take() {
            self.situation = r.live;
            self.now = r.live_now;
            self.version += 1;
            self.keep_selection();
        }
    }

    /// Whether `cmd` would change the situation, and so is refused while a replay shows the past.
    pub(super) fn refused_in_replay(&self, cmd: &Command) -> bool {
        self.replay.is_some()
            && matches!(
                cmd,
                Command::Act(..)
                    | Command::SubmitReport
                    | Command::OpenReport
                    | Command::IssueTaskBooks(_)
                    | Command::CheckDone(..)
                    | Command::CheckProblem(..)
                    | Command::SplitReport(..)
                    | Command::Acknowledge(_)
            )
    }

    /// Before the live work of a tick: put the live situation and time back in place.
    pub(super) fn replay_swap_in(&mut self) {
        if let Some(r) = &mut self.replay {
            std::mem::swap(&mut self.situation, &mut r.live);
            self.now = r.live_now;
        }
    }

    /// After the live work of a tick: set the live situation aside again, move a playing replay on by the clock
    /// time that passed (times its speed; at the live end it holds there), and rebuild what is shown if the moment
    /// or the live data moved.
    pub(super) fn replay_swap_out(&mut self) {
        let clock = self.clock.now();
        let Some(r) = &mut self.replay else { return };
        std::mem::swap(&mut self.situation, &mut r.live);
        r.live_now = self.now;
        if r.playing
            && let Some(since) = r.played_from
        {
            let passed = (clock - since).num_milliseconds().max(0);
            if passed > 0 {
                r.at += chrono::Duration::milliseconds(passed.saturating_mul(i64::from(r.speed)));
                r.played_from = Some(clock);
            }
            if r.at >= r.live_now {
                r.at = r.live_now;
                r.playing = false;
                r.played_from = None;
            }
        }
        self.show_replayed();
    }

    /// Build the situation and voids of the moment shown, when the moment changed since, or the live data did and
    /// the last build is [`LIVE_REBUILD_S`] old.
    fn show_replayed(&mut self) {
        let version = self.live_version;
        let clock = self.clock.now();
        let Some(r) = &mut self.replay else { return };
        let fresh = match r.built {
            Some((at, v, _)) if at == r.at && v == version => true,
            Some((at, _, when)) if at == r.at => clock - when < chrono::Duration::seconds(LIVE_REBUILD_S),
            _ => false,
        };
        if fresh {
            self.now = r.at;
            return;
        }
        r.built = Some((r.at, version, clock));
        self.situation = situation_at(&r.live, &self.tracks, r.at);
        let cover = coverage_at(
            &self.district,
            &self.index,
            &self.tracks,
            &self.watch.coverage,
            r.at,
            chrono::Duration::hours(COVERAGE_LOOK_BACK_H),
        );
        r.voids = cover.voids(&self.watch.coverage, r.at);
        self.now = r.at;
        self.version += 1;
        self.keep_selection();
    }

    /// Drop a selection the situation shown no longer has (an event not yet reported at the moment replayed).
    fn keep_selection(&mut self) {
        if self.selected.is_some_and(|id| self.situation.event(id).is_none()) {
            self.selected = None;
        }
        if self.selected_book.is_some_and(|id| self.situation.task_book(id).is_none()) {
            self.selected_book = None;
        }
    }
}
