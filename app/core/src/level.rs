//! The levels of the command pyramid: community (村社) → town (镇街) → district (区级). A leaf module; which unit's
//! room sits at which level is [`crate::routing`]'s (`Level::of_unit`).

use serde::{Deserialize, Serialize};

/// The level that handles an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 村社 — the village or community.
    #[default]
    Community,
    /// 镇街 — the town or street.
    Town,
    /// 区级 — the district.
    District,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 3] = [Self::Community, Self::Town, Self::District];

    /// The level above (`None` at the district).
    pub fn up(self) -> Option<Level> {
        match self {
            Self::Community => Some(Self::Town),
            Self::Town => Some(Self::District),
            Self::District => None,
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Community => "村社",
            Self::Town => "镇街",
            Self::District => "区级",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::Community => "Community",
            Self::Town => "Town",
            Self::District => "District",
        }
    }

    /// Stable lower-case name (config files, the API).
    pub fn name(self) -> &'static str {
        match self {
            Self::Community => "community",
            Self::Town => "town",
            Self::District => "district",
        }
    }
}
