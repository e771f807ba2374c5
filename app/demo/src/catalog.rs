//! How common each event category is and how severe it tends to be: shared by the live simulator and the history
//! generator so the two produce the same mix.

use pingan_core::EventCategory;

/// Relative frequency of a category among all events (before local modifiers).
pub fn base_share(c: EventCategory) -> f64 {
    use EventCategory as C;
    match c {
        C::PetitionSource => 4.0,
        C::Vice => 2.0,
        C::Theft => 10.0,
        C::Dispute => 20.0,
        C::TelecomFraud => 8.0,
        C::FireAlarm => 3.0,
        C::TrafficDeath => 0.4,
        C::Homicide => 0.08,
        C::WageArrears => 2.0,
        C::WorkSafety => 0.8,
        C::UnnaturalDeath => 0.12,
        C::SmokeDetector => 6.0,
        C::WaterMeterNoFlow => 3.0,
        C::StrawBurning => 0.5,
        C::CrowdGathering => 3.0,
        C::HelmetRate => 4.0,
        C::Other => 15.0,
    }
}

/// Probabilities of each severity (general, significant, major, critical) for a category.
pub fn severity_weights(c: EventCategory) -> [f64; 4] {
    use EventCategory as C;
    match c {
        C::Homicide => [0.0, 0.0, 0.6, 0.4],
        C::TrafficDeath | C::UnnaturalDeath => [0.0, 0.0, 0.8, 0.2],
        C::WorkSafety => [0.3, 0.4, 0.25, 0.05],
        C::FireAlarm => [0.5, 0.35, 0.15, 0.0],
        C::Vice | C::PetitionSource | C::CrowdGathering => [0.6, 0.35, 0.05, 0.0],
        _ => [0.85, 0.13, 0.02, 0.0],
    }
}
