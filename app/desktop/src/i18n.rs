//! Chinese first, English as a switch.
//!
//! Every UI string is written once at its use site with both languages side by side (`tr(lang, "事件", "Events")`),
//! so a missing translation is a compile error, not a runtime fallback. Domain vocabulary (categories, states)
//! carries its own `zh()`/`en()` in `pingan-core`.

use serde::{Deserialize, Serialize};

/// The UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Parse `zh` / `en` (as given on the command line).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" => Some(Self::Zh),
            "en" | "en-us" | "en-gb" => Some(Self::En),
            _ => None,
        }
    }

    /// Pick the string for this language.
    pub fn tr(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }
}

/// Bilingual name of a domain value that has `zh()` and `en()`.
pub trait Named {
    /// Chinese name.
    fn zh_name(&self) -> &'static str;
    /// English name.
    fn en_name(&self) -> &'static str;
    /// Name in `lang`.
    fn name_in(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh_name(),
            Lang::En => self.en_name(),
        }
    }
}

macro_rules! named {
    ($($t:ty),*) => {$(
        impl Named for $t {
            fn zh_name(&self) -> &'static str { self.zh() }
            fn en_name(&self) -> &'static str { self.en() }
        }
    )*};
}

named!(
    pingan_core::EventCategory,
    pingan_core::EventState,
    pingan_core::Severity,
    pingan_core::EventAction,
    pingan_core::BuildingKind,
    pingan_core::WorkerKind,
    pingan_core::WorkerStatus,
    pingan_core::assess::Grade,
    pingan_core::report::Domain
);
