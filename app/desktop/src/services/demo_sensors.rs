//! The local demo's sensors: the demo fleet's readings (`pingan_demo::SensorStream`) through the warning rules
//! (`pingan_core::sensors::RuleEngine`), and what fires reported as the server would — routed at intake, merged into
//! an open event of the same thing nearby (`SensorRules::duplicate_of`), else a new warning event with its evidence.
//! So a laptop with no server shows the whole loop: warnings arrive, are worked and closed with their outcome.

use pingan_core::case_number::{CaseKind, case_number};
use pingan_core::routing::RoutingConfig;
use pingan_core::sensors::{RuleEngine, SensorId, SensorRules};
use pingan_core::sync::ChangeBody;
use pingan_core::{District, EventId, LinkedReport, Situation, Timestamp};
use pingan_demo::SensorStream;
use std::collections::HashMap;

/// Warnings an hour the demo's sensors raise, on average.
pub const ANOMALIES_PER_HOUR: f64 = 4.0;

/// The demo fleet, its reading stream and the rules' state.
pub struct DemoSensors {
    stream: SensorStream,
    engine: RuleEngine,
    by_id: HashMap<SensorId, usize>,
}

impl DemoSensors {
    /// The fleet of `district`, reading from a day before `now` (so the rules have their history) with anomalies
    /// from `now` on.
    pub fn new(district: &District, seed: u64, now: Timestamp) -> Self {
        let sensors = pingan_demo::fleet(district, seed);
        let by_id = sensors.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let start = now - chrono::Duration::hours(22);
        let mut me = Self {
            stream: SensorStream::new(sensors, seed, start, now, ANOMALIES_PER_HOUR),
            engine: RuleEngine::new(SensorRules::default()),
            by_id,
        };
        // The quiet day before: readings through the rules, nothing fires on ordinary values.
        for r in me.stream.readings(now) {
            if let Some(&i) = me.by_id.get(&r.sensor) {
                let sensor = me.stream.sensors()[i].clone();
                me.engine.ingest(&sensor, &r).ok();
            }
        }
        me
    }

    /// Readings up to `now` through the rules; each warning reported into `situation` (new event or linked report).
    /// Returns how many warnings fired.
    pub fn advance(
        &mut self,
        district: &District,
        situation: &mut Situation,
        routing: &RoutingConfig,
        now: Timestamp,
    ) -> usize {
        let mut fired = 0;
        for r in self.stream.readings(now) {
            let Some(&i) = self.by_id.get(&r.sensor) else { continue };
            let sensor = &self.stream.sensors()[i];
            let Ok(Some(w)) = self.engine.ingest(sensor, &r) else { continue };
            let Some(mut e) = w.event(district, sensor) else { continue };
            fired += 1;
            if let Some(dup) =
                self.engine.rules().duplicate_of(situation.events.iter().filter(|e| e.state.is_open()), &e)
            {
                let report =
                    LinkedReport { at: e.reported_at, source: e.source, title: e.title.clone(), position: e.position };
                situation.apply_change(&ChangeBody::ReportLinked { event: dup, report });
                continue;
            }
            e.id = EventId(situation.events.last().map_or(1, |x| x.id.0 + 1));
            e.number = case_number(CaseKind::Warning, e.id.0, e.reported_at, district.local_offset());
            routing.intake(&mut e);
            tracing::info!("sensor warning {}: {}", e.number, e.title);
            situation.events.push(e);
        }
        fired
    }
}
