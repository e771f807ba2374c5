//! End-to-end tests of Pingan live in `tests/tests/e2e/` (one binary): the desktop app driven through egui_kittest on demo data.
//! This library only holds shared fixtures.

use chrono::{DateTime, Utc};
use pingan_demo::DemoSpec;
use pingan_desktop::{AppOptions, Clock, Lang};

/// The fixed instant UI tests run at: Monday 2026-11-23 09:30 China Standard Time.
pub fn test_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T09:30:00+08:00").expect("valid RFC 3339").with_timezone(&Utc)
}

/// App options for tests: a small demo district, a frozen clock, Chinese UI, no network.
pub fn test_options() -> AppOptions {
    AppOptions {
        spec: DemoSpec::small(7),
        clock: Clock::Fixed(test_now()),
        lang: Lang::Zh,
        online_tiles: false,
        cache_dir: None,
        ..AppOptions::default()
    }
}
