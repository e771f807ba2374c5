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

/// One-line titles of events of category `c`, as grid workers and the hotline write them (the simulator and the
/// history draw from these; the search finds their words).
pub fn titles(c: EventCategory) -> &'static [&'static str] {
    use EventCategory as C;
    match c {
        C::PetitionSource => &["重点人员异常动向", "群体访苗头", "信访诉求集中反映"],
        C::Vice => &["疑似赌博窝点", "涉黄线索举报", "可疑吸毒人员"],
        C::Theft => &["电动车被盗", "入室盗窃", "工地材料被盗"],
        C::Dispute => &["邻里纠纷", "物业纠纷", "家庭纠纷", "土地承包纠纷", "租房纠纷", "家暴求助"],
        C::TelecomFraud => &["疑似电信诈骗", "冒充客服诈骗", "刷单返利诈骗"],
        C::FireAlarm => &["火情报警", "电动车充电起火", "厨房油锅起火"],
        C::TrafficDeath => &["交通事故致人死亡"],
        C::Homicide => &["命案警情"],
        C::WageArrears => &["农民工讨薪", "企业拖欠工资", "工程款纠纷致欠薪", "欠薪集体讨要"],
        C::WorkSafety => &["工地高处坠落", "厂房机械伤人", "有限空间作业事故"],
        C::UnnaturalDeath => &["溺水身亡", "非正常死亡警情"],
        C::SmokeDetector => &["烟感报警"],
        C::WaterMeterNoFlow => &["独居老人水表72小时无流量"],
        C::StrawBurning => &["秸秆焚烧烟点"],
        C::CrowdGathering => &["人员聚集超阈值"],
        C::HelmetRate => &["卡口头盔佩戴率低于80%"],
        C::Other => &["垃圾乱堆放", "违章搭建", "占道经营", "井盖缺失", "河道漂浮物"],
    }
}
