//! Formatting of times and places for display (China Standard Time).

use crate::i18n::Lang;
use chrono::Datelike;
use pingan_core::{Timestamp, china_offset};

/// `11-23 09:32`.
pub fn short_time(t: Timestamp) -> String {
    t.with_timezone(&china_offset()).format("%m-%d %H:%M").to_string()
}

/// `09:32:05`.
pub fn time_of_day(t: Timestamp) -> String {
    t.with_timezone(&china_offset()).format("%H:%M:%S").to_string()
}

/// `2026-11-23 09:32:05`.
pub fn full_time(t: Timestamp) -> String {
    t.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The header clock: `2026-11-23 星期一 09:32:05`.
pub fn clock(t: Timestamp, lang: Lang) -> String {
    let local = t.with_timezone(&china_offset());
    let wd = local.weekday().num_days_from_monday() as usize;
    let day = match lang {
        Lang::Zh => ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"][wd],
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][wd],
    };
    format!("{} {day} {}", local.format("%Y-%m-%d"), local.format("%H:%M:%S"))
}

/// A duration as `3小时12分` / `3 h 12 min`.
pub fn duration(d: chrono::Duration, lang: Lang) -> String {
    let mins = d.num_minutes().abs();
    let (h, m) = (mins / 60, mins % 60);
    match (lang, h) {
        (Lang::Zh, 0) => format!("{m}分钟"),
        (Lang::Zh, _) => format!("{h}小时{m}分"),
        (Lang::En, 0) => format!("{m} min"),
        (Lang::En, _) => format!("{h} h {m} min"),
    }
}

/// A unit's people and firms on one line: `人口 4000 · 流动 1000 · 企业 40`.
pub fn unit_stats(s: pingan_core::UnitStats, lang: Lang) -> String {
    format!(
        "{} {} · {} {} · {} {}",
        lang.tr("人口", "pop."),
        s.population,
        lang.tr("流动", "floating"),
        s.floating_population,
        lang.tr("企业", "firms"),
        s.enterprises
    )
}

/// `town community grid` for a grid named by data from outside (a worker's grid, a building's grid): a grid that
/// the district does not have reads `#id` instead of panicking.
pub fn grid_place(d: &pingan_core::District, id: pingan_core::GridId) -> String {
    let Some(g) = d.grids.get(id.index()) else { return format!("#{}", id.0) };
    let community = d.communities.get(g.community.index()).map_or("?", |c| c.name.as_str());
    let town = d.towns.get(g.town.index()).map_or("?", |t| t.name.as_str());
    format!("{town} {community} {}", g.name)
}

/// Where a worker serves: the place of their first grid, or `—` for a worker with none.
pub fn worker_place(d: &pingan_core::District, w: &pingan_core::GridWorker) -> String {
    w.grids.first().map_or_else(|| "—".to_string(), |g| grid_place(d, *g))
}

/// The name of any unit, `#id` for one the district does not have (a stale selection after the district changed).
pub fn unit_name(d: &pingan_core::District, unit: pingan_core::UnitRef) -> String {
    use pingan_core::UnitRef as U;
    let name = match unit {
        U::District => Some(d.name.as_str()),
        U::Town(id) => d.towns.get(id.index()).map(|u| u.name.as_str()),
        U::Community(id) => d.communities.get(id.index()).map(|u| u.name.as_str()),
        U::Grid(id) => return grid_place(d, id),
        U::Building(id) => d.buildings.get(id.index()).map(|u| u.name.as_str()),
    };
    name.map_or_else(
        || match unit {
            U::District => "?".into(),
            U::Town(id) => format!("#{}", id.0),
            U::Community(id) => format!("#{}", id.0),
            U::Grid(id) => format!("#{}", id.0),
            U::Building(id) => format!("#{}", id.0),
        },
        str::to_string,
    )
}

/// The status-bar line for records skipped because they do not fit the district: how many, and the first reason.
pub fn skipped_message(lang: Lang, reasons: &[String]) -> String {
    let first = reasons.first().map_or("", String::as_str);
    let more = if reasons.len() > 1 { lang.tr(" 等", " and others") } else { "" };
    format!(
        "{} {} {}{}{first}{more}",
        lang.tr("跳过", "Skipped"),
        reasons.len(),
        lang.tr("条与辖区不符的数据", "records that do not fit the district"),
        lang.tr("：", ": "),
    )
}

/// The header's title from the district's name: 平安 and the name without its 区/县/市 (余杭区 → 平安余杭), or just 平安
/// while there is no district yet.
pub fn title(district_name: &str, lang: Lang) -> String {
    let short = district_name.trim();
    let short = if short.chars().count() > 2 { short.trim_end_matches(['区', '县', '市']) } else { short };
    match (lang, short.is_empty()) {
        (_, true) => lang.tr("平安", "Pingan").to_string(),
        (Lang::Zh, false) => format!("平安{short}"),
        (Lang::En, false) => format!("Pingan {short}"),
    }
}

/// The window's title: 平安 · 〈district〉社会治理指挥中心.
pub fn window_title(district_name: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("平安 · {district_name}社会治理指挥中心"),
        Lang::En => format!("Pingan · {district_name} Social Governance Command Centre"),
    }
}

/// A distance for people: metres below a kilometre, else kilometres with one decimal.
pub fn distance(m: f64) -> String {
    if m < 1000.0 { format!("{:.0} m", m) } else { format!("{:.1} km", m / 1000.0) }
}
