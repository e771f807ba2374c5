//! The five-colour assessment in the app, the dashboard, unit breakdowns and the report export.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::UnitRef;
use pingan_core::assess::{PeriodKind, RiskConfig};
use pingan_desktop::services::assessment::{RiskView, compute};
use pingan_desktop::services::export::{FolderDialog, export_report};
use pingan_desktop::{AppOptions, Lang, MapMode, PinganApp};
use pingan_tests::{test_now, test_options};
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pingan-test-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    d
}

fn harness(options: AppOptions) -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options))
}

#[test]
fn export_writes_png_svg_and_csv_that_read_back() {
    let d = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
    let history = pingan_demo::generate_history(&d, &pingan_demo::HistorySpec::default(), test_now());
    let (live, _) = pingan_demo::Simulator::start(&d, 7, pingan_demo::SimConfig::default(), test_now());
    // Two task books of one community, one of them worked through, for task_books.csv.
    let a = compute(&d, &history, RiskView::default(), test_now(), &RiskConfig::default()).assessment;
    let community = d.communities.iter().find(|c| c.grids.len() >= 2).unwrap();
    let cfg = pingan_core::patrol::PatrolConfig::default();
    let unit = pingan_core::UnitRef::Community(community.id);
    let mut books =
        pingan_core::patrol::plan(&d, &history, &a, &RiskConfig::default(), &cfg, unit, test_now(), "值班员", false);
    books.truncate(2);
    for i in 0..books[0].checks.len() {
        let r = pingan_core::patrol::CheckResult {
            at: test_now() + chrono::Duration::hours(1),
            by: "张三".into(),
            outcome: pingan_core::patrol::CheckOutcome::Done,
            note: String::new(),
            event: None,
        };
        books[0].record(i, &r);
    }
    let data = pingan_desktop::services::assessment::compute_with_loops(
        &d,
        &history,
        &live.events,
        &books,
        RiskView::default(),
        test_now(),
        &RiskConfig::default(),
    );
    assert_eq!(data.period, compute(&d, &history, RiskView::default(), test_now(), &RiskConfig::default()).period);
    let dir = temp_dir("export");
    let towns: Vec<String> = d.towns.iter().map(|t| t.name.clone()).collect();
    let files = export_report(&dir, &data, &towns, Lang::Zh).expect("export");
    assert_eq!(files.len(), 10);
    for png in ["trend.png", "categories.png"] {
        let img = image::open(dir.join(png)).expect("the PNG decodes");
        assert_eq!((img.width(), img.height()), (1600, 900));
        // Not a blank image: the chart drew lines/bars in colour.
        let rgb = img.to_rgb8();
        let coloured = rgb.pixels().filter(|p| p.0[0].abs_diff(p.0[1]) > 40 || p.0[1].abs_diff(p.0[2]) > 40).count();
        assert!(coloured > 500, "{png}: {coloured} coloured pixels");
    }
    for svg in ["trend.svg", "categories.svg"] {
        let text = std::fs::read_to_string(dir.join(svg)).unwrap();
        let doc = roxmltree::Document::parse(&text).expect("the SVG parses");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(text.contains("刑事案件") || text.contains("纠纷"), "{svg} carries CJK labels");
    }
    let league = std::fs::read_to_string(dir.join("league.csv")).unwrap();
    let rows: Vec<&str> = league.lines().collect();
    assert_eq!(
        rows[0],
        "rank,town,score,events,grade,previous_rank,rank_change,on_time_pct,overdue,escalations,median_close_min"
    );
    assert_eq!(rows.len(), 1 + 12, "a row per town");
    assert!(rows[1].starts_with("1,"));
    let domains = std::fs::read_to_string(dir.join("domains.csv")).unwrap();
    assert_eq!(domains.lines().count(), 1 + 7);
    assert!(domains.contains("刑事案件,"));
    let by_town = std::fs::read_to_string(dir.join("domains_by_town.csv")).unwrap();
    assert_eq!(by_town.lines().count(), 1 + 12, "a row per town");
    assert!(by_town.starts_with("town,刑事案件,信访事项"));
    // The towns' values add up to the district's this month.
    let criminal_sum: u32 = by_town.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse::<u32>().unwrap()).sum();
    let criminal = data.figures.iter().find(|f| f.domain == pingan_core::report::Domain::Criminal).unwrap();
    assert_eq!(criminal_sum, criminal.month);
    // The command loop by level: the levels add up to the district, and so do the towns in the league.
    let loops = std::fs::read_to_string(dir.join("loops.csv")).unwrap();
    let rows: Vec<Vec<&str>> = loops.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.iter().map(|r| r[0]).collect::<Vec<_>>(), ["community", "town", "district", "district_total"]);
    let col = |r: &Vec<&str>, i: usize| r[i].parse::<u32>().unwrap();
    for i in [1, 2, 3, 5] {
        assert_eq!(rows[..3].iter().map(|r| col(r, i)).sum::<u32>(), col(&rows[3], i), "column {i}");
    }
    let total = &data.loops.district;
    assert!(total.reported > 0 && total.closed > 0 && total.escalations > 0, "{total:?}");
    assert_eq!(data.loops.towns.iter().map(|t| t.reported).sum::<u32>(), total.reported);
    assert_eq!(data.loops.towns.iter().map(|t| t.overdue).sum::<u32>(), total.overdue);
    // Task books by town: the community's town issued two, closed one (on time), the other towns none.
    let books_csv = std::fs::read_to_string(dir.join("task_books.csv")).unwrap();
    let rows: Vec<Vec<&str>> = books_csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 12, "a row per town");
    let town = &d.towns[community.town.index()].name;
    let row = rows.iter().find(|r| r[0] == town.as_str()).unwrap();
    let stops = books[0].checks.len() + books[1].checks.len();
    assert_eq!(row[1..8], ["2", "1", "1", "0", &books[0].checks.len().to_string(), &stops.to_string(), "0"]);
    assert_eq!(row[8], "50.0");
    assert!(rows.iter().filter(|r| r[0] != town.as_str()).all(|r| r[1] == "0" && r[8].is_empty()));
    let precision = std::fs::read_to_string(dir.join("precision.csv")).unwrap();
    assert!(precision.starts_with("rule,checked,useful,false_alarms,precision_pct\n"));
    // A folder that cannot be created gives an error, not a panic.
    let blocked = dir.join("league.csv").join("sub");
    assert!(export_report(&blocked, &data, &towns, Lang::Zh).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

struct Fixed(PathBuf);

impl FolderDialog for Fixed {
    fn pick_folder(&self, _title: &str) -> Option<PathBuf> {
        Some(self.0.clone())
    }
}

#[test]
fn dashboard_shows_the_report_and_exports_it() {
    let mut h = harness(test_options());
    h.run();
    h.state_mut().state.assessment.wait();
    h.run();
    h.get_by_label("驾驶舱").click();
    h.state_mut().state.assessment.wait();
    h.run_steps(4);
    assert_eq!(h.state().state.map_mode, MapMode::Dashboard);
    h.get_by_label("平安法治实时报表");
    for domain in ["刑事案件", "信访事项", "诉讼案件", "交通事故", "消防事故", "安全事故", "非正常死亡"]
    {
        assert!(h.query_all_by_label(domain).count() >= 1, "{domain} tile");
    }
    h.get_by_label("平安赛马榜 · 镇街");
    h.get_by_label("五常街道");
    // The command loop by level, and its columns in the league.
    h.get_by_label("闭环考核 · 分级");
    h.get_by_label("办结中位时长");
    assert!(h.query_all_by_label("按时率").count() >= 2);
    // Sort the league by change.
    h.get_by_role_and_label(Role::Button, "升降").click();
    h.run_steps(3);
    assert_eq!(h.state().league_sort, pingan_desktop::panels::dashboard::LeagueSort::Change);
    // Export through a dialog stand-in.
    let dir = temp_dir("dashboard");
    h.state_mut().dialog = Box::new(Fixed(dir.clone()));
    h.get_by_label("导出报表…").click();
    h.run_steps(3);
    for f in [
        "trend.png",
        "trend.svg",
        "categories.png",
        "categories.svg",
        "league.csv",
        "domains.csv",
        "domains_by_town.csv",
        "loops.csv",
        "precision.csv",
        "task_books.csv",
        "report.pdf",
    ] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let msg = &h.state().state.messages.back().unwrap().1;
    assert!(msg.contains("已导出 11"), "{msg}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn period_switch_recomputes_off_the_ui_thread() {
    let mut h = harness(test_options());
    h.run();
    h.state_mut().state.assessment.wait();
    h.run_steps(1);
    assert_eq!(h.state().state.assessment.latest.as_ref().unwrap().period.kind, PeriodKind::Month);
    h.get_by_label("周期").click();
    h.run();
    h.get_by_label("本年").click();
    h.run_steps(3);
    assert_eq!(h.state().state.risk_view.period, PeriodKind::Year);
    // The frame did not wait: the result arrives from the worker.
    h.state_mut().state.assessment.wait();
    h.run_steps(1);
    let latest = h.state().state.assessment.latest.clone().unwrap();
    assert_eq!(latest.period.kind, PeriodKind::Year);
    assert_eq!(latest.period.label(), "2026");
}

#[test]
fn clicking_the_map_explains_the_unit_under_it() {
    let d = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
    let town = &d.towns[10];
    let mut h = harness(AppOptions { initial_view: Some((town.label_at, 12.2)), ..test_options() });
    h.run();
    // Beacons are picked before units: take the events away so the click lands on open ground.
    h.state_mut().state.situation.events.clear();
    // Let the worker finish, see the change (fewer live events) and score again.
    h.state_mut().state.assessment.wait();
    h.run_steps(1);
    h.state_mut().state.assessment.wait();
    h.run_steps(2);
    let rect = h.get_by_label("2D 地图").rect();
    // The map's centre: below the toolbar, right of the feed. Click a little off the label.
    let pos = egui::pos2(rect.min.x - 300.0, 500.0);
    h.hover_at(pos);
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        });
        h.run_steps(1);
    }
    h.run_steps(2);
    let unit = h.state().state.unit_detail.as_ref().map(|u| u.unit).expect("a unit was explained");
    assert!(matches!(unit, UnitRef::Community(_)), "{unit:?}: at zoom 12.2 the fill shows communities");
    h.get_by_label("风险研判");
    h.get_by_label("分类贡献");
    h.get_by_label("近12个月得分");
    h.get_by_label("分项事件数");
    let detail = h.state().state.unit_detail.clone().unwrap();
    assert_eq!(detail.trend.len(), 12);
    let latest = h.state().state.assessment.latest.clone().unwrap();
    // The breakdown agrees with the map's colour for that unit.
    assert_eq!(detail.explanation.score.grade, latest.assessment.unit(unit).grade);
}
