//! Interim risk colour per unit: open events weighted by severity, per 10,000 residents and floating population.
//! The full five-colour assessment (complexity index, key categories, periods) replaces this in its own issue and
//! feeds the same overlay through the same level indices (0 = red … 4 = green).

use pingan_core::{CommunityId, District, GridId, Severity, Situation, Timestamp, TownId, UnitStats};

/// Risk level (index into [`crate::theme::RISK`]) of every town, community and grid.
pub struct RiskScores {
    towns: Vec<usize>,
    communities: Vec<usize>,
    grids: Vec<usize>,
}

fn weight(s: Severity) -> f64 {
    match s {
        Severity::General => 1.0,
        Severity::Significant => 2.0,
        Severity::Major => 4.0,
        Severity::Critical => 8.0,
    }
}

/// Level from weighted open events and the unit's people (thresholds per 10,000 people).
pub fn level(weighted: f64, stats: UnitStats) -> usize {
    let people = (stats.population + stats.floating_population).max(500) as f64;
    let per_10k = weighted / people * 10_000.0;
    match per_10k {
        x if x >= 12.0 => 0,
        x if x >= 6.0 => 1,
        x if x >= 3.0 => 2,
        x if x >= 1.0 => 3,
        _ => 4,
    }
}

impl RiskScores {
    /// Score every unit from the open events at `now` (overdue events count double).
    pub fn compute(district: &District, situation: &Situation, now: Timestamp) -> Self {
        let mut t = vec![0.0; district.towns.len()];
        let mut c = vec![0.0; district.communities.len()];
        let mut g = vec![0.0; district.grids.len()];
        for e in situation.events.iter().filter(|e| e.state.is_open()) {
            let w = weight(e.severity) * if e.is_overdue(now) { 2.0 } else { 1.0 };
            t[e.town.index()] += w;
            c[e.community.index()] += w;
            g[e.grid.index()] += w;
        }
        Self {
            towns: district.towns.iter().map(|u| level(t[u.id.index()], u.stats)).collect(),
            communities: district.communities.iter().map(|u| level(c[u.id.index()], u.stats)).collect(),
            grids: district.grids.iter().map(|u| level(g[u.id.index()], u.stats)).collect(),
        }
    }

    /// Level of a town.
    pub fn town(&self, id: TownId) -> usize {
        self.towns[id.index()]
    }

    /// Level of a community.
    pub fn community(&self, id: CommunityId) -> usize {
        self.communities[id.index()]
    }

    /// Level of a grid.
    pub fn grid(&self, id: GridId) -> usize {
        self.grids[id.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_events_per_person_is_redder() {
        let s = UnitStats { population: 9_000, floating_population: 1_000, enterprises: 0, houses: 0 };
        assert_eq!(level(0.0, s), 4);
        assert_eq!(level(1.0, s), 3);
        assert_eq!(level(3.0, s), 2);
        assert_eq!(level(6.0, s), 1);
        assert_eq!(level(12.0, s), 0);
        // Tiny units are not painted red by one event.
        assert_eq!(level(1.0, UnitStats::default()), 2);
    }
}
