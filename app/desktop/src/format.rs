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
