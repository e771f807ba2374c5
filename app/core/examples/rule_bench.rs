//! How fast the sensor rule engine takes readings (pure, one thread): 10,000 sensors of every kind, readings in time
//! order, one line of JSON. `cargo run --release -p pingan-core --example rule_bench [READINGS]`.

use pingan_core::sensors::{Reading, RuleEngine, Sensor, SensorId, SensorRules, Value};
use pingan_core::{AddressCode, LonLat, SensorKind};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2_000_000);
    let kinds = SensorKind::ALL;
    let address = AddressCode::parse("330110001002003000400000000").expect("a valid code");
    let sensors: Vec<Sensor> = (0..10_000u32)
        .map(|i| Sensor {
            id: SensorId(i),
            kind: kinds[i as usize % kinds.len()],
            address,
            position: LonLat::new(120.3, 30.4),
            elderly_alone: i % 3 == 0,
            view: None,
        })
        .collect();
    // A cheap deterministic stream (xorshift) of plausible values.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let start = chrono::DateTime::from_timestamp(1_790_000_000, 0).expect("a valid time");
    let readings: Vec<Reading> = (0..n)
        .map(|i| {
            let s = &sensors[i % sensors.len()];
            let r = next();
            let value = match s.kind {
                SensorKind::WaterMeter => Value::Flow { litres: if r % 4 == 0 { (r % 50) as f64 } else { 0.0 } },
                SensorKind::SmokeDetector | SensorKind::EbikeCharger => Value::Alarm { on: r % 500 == 0 },
                SensorKind::StrawBurningCamera => {
                    Value::FirePoint { detected: r % 300 == 0, confidence: (r % 100) as f64 / 100.0 }
                }
                SensorKind::CheckpointCamera => {
                    let riders = (r % 40) as u32;
                    Value::Helmets { riders, helmeted: riders - (r % 5) as u32 % (riders + 1) }
                }
                SensorKind::CrowdCamera => Value::Crowd { people: (r % 600) as u32 },
            };
            // Every sensor reads every 10,000 readings apart: one reading a minute each.
            Reading { sensor: s.id, at: start + chrono::Duration::minutes((i / sensors.len()) as i64), value }
        })
        .collect();
    let mut engine = RuleEngine::new(SensorRules::default());
    let t = std::time::Instant::now();
    let mut warnings = 0usize;
    for r in &readings {
        let s = &sensors[r.sensor.0 as usize];
        if engine.ingest(s, r).expect("generated readings are valid").is_some() {
            warnings += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{{\"readings\":{n},\"sensors\":{},\"warnings\":{warnings},\"seconds\":{secs:.3},\"readings_per_s\":{:.0}}}",
        sensors.len(),
        n as f64 / secs
    );
}
