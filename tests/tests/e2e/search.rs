//! One-key search (issue 17, item 1) on the desk: typed into the header's box, it finds exactly the events a plain
//! scan of the history's titles and the live events predicts, lists them, maps their heat, opens a record on a
//! click, follows a live change, and exports what it found as CSV and GeoJSON that read back.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::search::Doc;
use pingan_desktop::{Command, FeedTab, PinganApp};
use pingan_tests::test_options;

fn harness() -> Harness<'static, PinganApp> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()));
    h.run();
    h.state_mut().state.search_index.wait();
    h.run();
    assert!(h.state().state.search_index.index().is_some(), "the index is built");
    h
}

/// What a plain scan finds for one Chinese word that names no unit or category: history records whose title holds
/// it, live events whose title or place holds it.
fn scan(h: &Harness<'static, PinganApp>, word: &str) -> (Vec<u32>, Vec<pingan_core::EventId>) {
    let s = &h.state().state;
    let history = (0..s.history.len() as u32).filter(|i| s.history_text.title(*i as usize).contains(word)).collect();
    let live =
        s.situation.events.iter().filter(|e| e.title.contains(word) || e.place.contains(word)).map(|e| e.id).collect();
    (history, live)
}

fn type_and_search(h: &mut Harness<'static, PinganApp>, query: &str) {
    h.get_by_role_and_label(Role::TextInput, "一键搜").focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "一键搜").type_text(query);
    h.run();
    h.get_by_role_and_label(Role::Button, "搜索").click();
    h.run();
}

#[test]
fn the_box_finds_exactly_what_a_scan_predicts_and_follows_live_changes() {
    let mut h = harness();
    assert!(h.state().state.history_text.len() == h.state().state.history.len(), "the demo's history has titles");
    type_and_search(&mut h, "家暴");
    let (history, live) = scan(&h, "家暴");
    assert!(history.len() > 20, "the demo's history holds 家暴 cases: {}", history.len());
    {
        let s = &h.state().state;
        assert_eq!(s.feed_tab, FeedTab::Search, "the results show in the left panel");
        let m = s.search_matches().expect("the query ran");
        assert_eq!(m.history, history);
        assert_eq!(m.live, live.clone());
        assert_eq!(m.by_town.iter().sum::<u32>() as usize, m.total(), "the town chart counts every match");
        assert_eq!(m.by_grid.iter().sum::<u32>() as usize, m.total(), "the heat map counts every match");
        h.get_by_label(&format!("搜索 ({})", m.total()));
    }
    // Live events first; a click on the first record (the newest) opens its card.
    let top = h.state().state.search_matches().unwrap().top.clone();
    assert!(top.iter().take_while(|x| matches!(x.doc, Doc::Live(_))).count() == live.len().min(top.len()));
    let Some(Doc::History(i)) = top.iter().map(|x| x.doc).find(|d| matches!(d, Doc::History(_))) else {
        panic!("no record listed")
    };
    let title = h.state().state.history_text.title(i as usize).to_string();
    h.state_mut().apply(Command::SelectRecord(i));
    h.run();
    assert_eq!(h.state().state.search.record, Some(i));
    h.get_by_label("历史事件");
    h.get_by_label(&title);
    // A live report with the word: the search in force takes it in (within REFRESH_EVERY_S of clock), while the
    // operator types the next query in the box — which it leaves alone, as it does the tab and the record shown.
    h.state_mut().apply(Command::EditSearch("欠薪".into()));
    let mut e = h.state().state.situation.events[0].clone();
    e.id = pingan_core::EventId(9_000_000);
    e.title = "家暴警情，邻居报警".into();
    h.state_mut().state.situation.events.push(e);
    h.state_mut().state.version += 1;
    h.run();
    let later = pingan_tests::test_now() + chrono::Duration::seconds(pingan_desktop::state::REFRESH_EVERY_S);
    h.state_mut().state.clock = pingan_desktop::Clock::Fixed(later);
    h.run();
    assert_eq!(h.state().state.search.text, "欠薪", "the box keeps what is being typed");
    assert_eq!(h.state().state.search.record, Some(i), "the record stays open");
    let m = h.state().state.search_matches().expect("still searching").clone();
    assert!(m.live.contains(&pingan_core::EventId(9_000_000)), "the new report is found");
    assert!(live.iter().all(|id| m.live.contains(id)), "and the earlier ones still");
    let listed_live: Vec<Doc> = m.top.iter().take(m.live.len()).map(|x| x.doc).collect();
    assert!(listed_live.contains(&Doc::Live(pingan_core::EventId(9_000_000))), "listed with the live ones, first");
    // Export: every match, read back.
    let dir = tempfile::tempdir().expect("tempdir");
    let s = &h.state().state;
    let files = pingan_desktop::services::search_export::export_search(
        dir.path(),
        &m,
        &s.district,
        &s.history,
        &s.history_text,
        &s.situation.events,
        pingan_desktop::Lang::Zh,
    )
    .expect("exported");
    assert_eq!(files.len(), 2);
    let csv = std::fs::read_to_string(dir.path().join("search.csv")).expect("csv");
    assert_eq!(csv.lines().count(), m.total() + 1, "a header and one line per match");
    assert!(csv.lines().skip(1).all(|l| l.contains("家暴")), "every line holds the word");
    let geo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("search.geojson")).expect("geojson")).unwrap();
    let features = geo["features"].as_array().expect("features");
    assert_eq!(features.len(), m.total());
    assert!(
        features
            .iter()
            .all(|f| f["geometry"]["type"] == "Point" && f["properties"]["title"].as_str().unwrap().contains("家暴"))
    );
    // Clearing brings the feed back.
    h.get_by_role_and_label(Role::Button, "× 清除").click();
    h.run();
    assert!(h.state().state.search.result.is_none());
    assert_eq!(h.state().state.feed_tab, FeedTab::Events);
}

#[test]
fn names_codes_and_numbers_and_a_too_short_word() {
    let mut h = harness();
    // A town's name: every record of that town.
    let (town, code, n_town) = {
        let s = &h.state().state;
        let t = &s.district.towns[1];
        let n = s.history.iter().filter(|r| r.town == t.id).count()
            + s.situation.events.iter().filter(|e| e.town == t.id).count();
        (t.name.clone(), s.district.communities[3].code, n)
    };
    type_and_search(&mut h, &town);
    let m = h.state().state.search_matches().expect("ran").clone();
    assert_eq!(m.total(), n_town, "{town}");
    assert_eq!(m.units.first(), Some(&pingan_core::UnitRef::Town(h.state().state.district.towns[1].id)));
    // A community's address code (segmented, as printed): the records in it.
    h.state_mut().apply(Command::Search(code.segmented()));
    h.run();
    let s = &h.state().state;
    let c = s.district.communities[3].id;
    let n = s.history.iter().filter(|r| r.community == c).count()
        + s.situation.events.iter().filter(|e| e.community == c).count();
    assert_eq!(s.search_matches().expect("ran").total(), n);
    // A record's number.
    let number = s.history_text.number(100).to_string();
    h.state_mut().apply(Command::Search(number.clone()));
    h.run();
    assert_eq!(h.state().state.search_matches().expect("ran").history, vec![100], "{number}");
    // One character is refused with a message, not an empty list.
    h.state_mut().apply(Command::Search("火".into()));
    h.run();
    assert!(h.state().state.search_matches().is_none());
    h.get_by_label_contains("太短");
}

#[test]
fn escape_in_the_box_clears_it_and_ends_the_search() {
    let mut h = harness();
    type_and_search(&mut h, "家暴");
    let total = h.state().state.search_matches().expect("the query ran").total();
    assert!(total > 0, "the demo's history holds 家暴 cases");
    h.get_by_label(&format!("搜索 ({total})"));
    // Back in the box (the Go button took the focus), Escape.
    h.get_by_role_and_label(Role::TextInput, "一键搜").focus();
    h.run();
    h.key_press(egui::Key::Escape);
    h.run();
    let s = &h.state().state;
    assert!(s.search.text.is_empty(), "the box is empty: {:?}", s.search.text);
    assert!(s.search.result.is_none(), "no search in force");
    assert_eq!(s.feed_tab, FeedTab::Events, "the feed is back");
    assert_eq!(h.get_by_role_and_label(Role::TextInput, "一键搜").value().as_deref().unwrap_or(""), "");
    assert!(h.query_by_label(&format!("搜索 ({total})")).is_none(), "the results are gone");
}
