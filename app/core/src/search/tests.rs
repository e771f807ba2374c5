//! The search on a hand-made fixture: which records each query must find, exactly.

use super::*;
use crate::{EventSource, GridId, LonLat, Severity, WorkerKind, WorkerStatus};
use chrono::TimeZone;

fn at(day: u32) -> i64 {
    crate::china_offset().with_ymd_and_hms(2026, 1, day, 10, 0, 0).unwrap().timestamp()
}

fn now() -> Timestamp {
    chrono::DateTime::from_timestamp(at(28), 0).unwrap()
}

/// Records in 东村 (grid 0) and 西村 (grid 1), with their titles: (category, grid, building, title).
fn fixture(d: &District) -> (Vec<EventRecord>, HistoryText) {
    use EventCategory as C;
    let rows: [(C, usize, Option<usize>, &str); 7] = [
        (C::Dispute, 0, None, "家暴求助"),            // 0
        (C::Dispute, 1, None, "租房纠纷"),            // 1
        (C::Dispute, 1, None, "租房合同房纠葛纠纷"),  // 2: 租房, 房纠, 纠纷 apart, not 租房纠纷
        (C::WageArrears, 0, Some(0), "企业欠薪讨要"), // 3
        (C::FireAlarm, 1, Some(4), "电动车充电起火"), // 4
        (C::Theft, 0, None, "入室盗窃"),              // 5
        (C::Other, 1, None, "Cafe 80% 占道经营"),     // 6
    ];
    let mut text = HistoryText::new();
    let records = rows
        .iter()
        .enumerate()
        .map(|(i, (category, grid, building, title))| {
            text.push(&format!("YH-202601{:02}-H{:05}", i + 1, i + 1), title);
            let g = &d.grids[*grid];
            EventRecord {
                at: at(i as u32 + 1),
                category: *category,
                severity: Severity::General,
                town: g.town,
                community: g.community,
                grid: g.id,
                building: building.map(|b| d.buildings[b].id),
            }
        })
        .collect();
    (records, text)
}

fn worker(id: u32, name: &str) -> GridWorker {
    GridWorker {
        id: WorkerId(id),
        name: name.into(),
        kind: WorkerKind::FullTime,
        phone: String::new(),
        grids: vec![GridId(0)],
        status: WorkerStatus::Patrolling,
        position: LonLat::default(),
        seen_at: now(),
    }
}

fn live_event(d: &District, id: u64, grid: usize, title: &str, assignee: Option<WorkerId>) -> Event {
    let g = &d.grids[grid];
    let place = crate::place::Place {
        town: g.town,
        community: g.community,
        grid: g.id,
        building: None,
        address: g.code,
        position: g.label_at,
        name: format!("{}门口", d.communities[g.community.index()].name),
    };
    let mut e =
        place.report(EventId(id), EventCategory::Other, Severity::General, title.into(), EventSource::Hotline, now());
    e.number = format!("YH-20260128-{id:05}");
    e.assignee = assignee;
    e
}

fn history_of(m: &Matches) -> Vec<u32> {
    m.history.clone()
}

fn setup() -> (District, SearchIndex, Vec<GridWorker>) {
    let d = crate::testing::district();
    assert_eq!(d.communities[0].name, "东村");
    let (records, text) = fixture(&d);
    let idx = SearchIndex::build(&d, Arc::new(records), Arc::new(text));
    (d, idx, vec![worker(1, "张晓明"), worker(2, "李红")])
}

#[test]
fn two_character_words_find_exactly_their_records() {
    let (d, idx, ws) = setup();
    let q = |s: &str| history_of(&idx.query(&d, &ws, s, now()).unwrap());
    assert_eq!(q("家暴"), vec![0]);
    assert_eq!(q("欠薪"), vec![3]);
    assert_eq!(q("起火"), vec![4]);
    // The whole word, not its bigrams scattered through a title.
    assert_eq!(q("租房纠纷"), vec![1]);
    assert_eq!(q("房纠"), vec![1, 2]);
    assert_eq!(q("纠葛"), vec![2]);
    // 纠纷 is also the category's name: every dispute, whatever its title says.
    assert_eq!(q("纠纷"), vec![0, 1, 2]);
    // A unit's name takes its records; two words must both match.
    assert_eq!(q("东村"), vec![0, 3, 5]);
    assert_eq!(q("东村 欠薪"), vec![3]);
    assert_eq!(q("西村 欠薪"), Vec::<u32>::new());
    assert_eq!(q("没有的词"), Vec::<u32>::new());
}

#[test]
fn numbers_codes_and_latin_words() {
    let (d, idx, ws) = setup();
    let q = |s: &str| history_of(&idx.query(&d, &ws, s, now()).unwrap());
    assert_eq!(q("YH-20260106-H00006"), vec![5]);
    assert_eq!(q("yh-20260106"), vec![5]);
    assert_eq!(q("20260106"), vec![5]);
    assert_eq!(q("2026010"), (0..7).collect::<Vec<u32>>());
    // A building's code: its records; a room code in it: the same.
    let b0 = d.buildings[0].code;
    assert_eq!(q(&b0.to_string()), vec![3]);
    let room = b0.room(1, 2, 3).unwrap();
    assert_eq!(q(&room.to_string()), vec![3]);
    // The community's code (its significant digits, or segmented): every record in it, counted once.
    let c0: String = d.communities[0].code.to_string()[..12].to_string();
    assert_eq!(q(&c0), vec![0, 3, 5]);
    assert_eq!(q(&d.communities[0].code.segmented()), vec![0, 3, 5]);
    // A Latin word is a category's English name (or a live event's text).
    assert_eq!(q("theft"), vec![5]);
    // The district's code: everything, each record once; a town's: its records (东村's town here).
    let county: String = d.code.to_string()[..6].to_string();
    assert_eq!(q(&county), (0..7).collect::<Vec<u32>>());
    assert_eq!(q(&d.towns[0].code.to_string()[..9]), vec![0, 3, 5]);
    // A code that is no unit's finds nothing — not its parent's records.
    let mut no_such = d.communities[0].code.to_string()[..12].to_string();
    no_such.replace_range(9..12, "999");
    assert_eq!(q(&no_such), Vec::<u32>::new());
    let no_building = format!("{}9999{}", &d.grids[0].code.to_string()[..15], "0".repeat(8));
    assert_eq!(q(&no_building), Vec::<u32>::new());
}

#[test]
fn too_short_and_empty_queries_are_refused() {
    let (d, idx, ws) = setup();
    assert_eq!(idx.query(&d, &ws, "  ", now()), Err(QueryError::Empty));
    assert_eq!(idx.query(&d, &ws, "火", now()), Err(QueryError::TooShort("火".into())));
    assert_eq!(idx.query(&d, &ws, "家暴 x", now()), Err(QueryError::TooShort("x".into())));
    let many = ["家暴", "欠薪", "纠纷", "起火", "盗窃", "东村", "西村", "租房", "占道"].join(" ");
    assert_eq!(idx.query(&d, &ws, &many, now()), Err(QueryError::TooMany));
    // The same word many times is one word.
    assert_eq!(idx.query(&d, &ws, &["家暴"; 300].join(" "), now()).unwrap().history, vec![0]);
}

#[test]
fn live_events_follow_changes_and_worker_names_match() {
    let (d, mut idx, ws) = setup();
    let mut events = vec![live_event(&d, 1, 0, "家暴警情", None)];
    assert!(idx.update_live(&events, &ws));
    assert!(!idx.update_live(&events, &ws), "nothing changed");
    let m = idx.query(&d, &ws, "家暴", now()).unwrap();
    assert_eq!((m.history.clone(), m.live.clone()), (vec![0], vec![EventId(1)]));
    assert_eq!(m.top[0].doc, Doc::Live(EventId(1)), "live first among equals");
    // Assigned to 张晓明: his name finds the event and him.
    let m = idx.query(&d, &ws, "张晓明", now()).unwrap();
    assert!(m.live.is_empty());
    assert_eq!(m.workers, vec![WorkerId(1)]);
    events[0].assignee = Some(WorkerId(1));
    events.push(live_event(&d, 2, 1, "租房纠纷调解", None));
    assert!(idx.update_live(&events, &ws));
    let m = idx.query(&d, &ws, "张晓明", now()).unwrap();
    assert_eq!(m.live, vec![EventId(1)]);
    assert_eq!(idx.query(&d, &ws, "租房纠纷", now()).unwrap().live, vec![EventId(2)]);
    assert_eq!(idx.query(&d, &ws, "20260128-00002", now()).unwrap().live, vec![EventId(2)]);
    // The place's name is searched too.
    assert_eq!(idx.query(&d, &ws, "西村门口", now()).unwrap().live, vec![EventId(2)]);
    // Gone from the situation: gone from the search.
    events.remove(0);
    assert!(idx.update_live(&events, &ws));
    assert_eq!(idx.live_len(), 1);
    assert!(idx.query(&d, &ws, "家暴", now()).unwrap().live.is_empty());
}

#[test]
fn charts_count_every_match_and_hits_are_ranked() {
    let (d, mut idx, ws) = setup();
    idx.update_live(&[live_event(&d, 1, 1, "邻里纠纷", None)], &ws);
    let m = idx.query(&d, &ws, "纠纷", now()).unwrap();
    assert_eq!(m.total(), 4);
    assert_eq!(m.by_month.len(), MONTHS);
    assert_eq!(m.by_month.iter().map(|(_, n)| n).sum::<u32>(), 4);
    assert_eq!(m.by_month.last().unwrap(), &(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 4));
    assert_eq!(m.by_category.iter().map(|(_, n)| n).sum::<u32>(), 4);
    assert_eq!(m.by_town.iter().sum::<u32>(), 4);
    assert_eq!(m.by_grid, vec![1, 3]);
    // Found in the title first (the live one, then the newest history), then found through the category alone.
    let order: Vec<Doc> = m.top.iter().map(|h| h.doc).collect();
    assert_eq!(order, vec![Doc::Live(EventId(1)), Doc::History(2), Doc::History(1), Doc::History(0)]);
    assert_eq!(m.top[3].in_text, 0);
}
