//! Name material for the demo district: real town names of Yuhang, and syllables for plausible community,
//! compound and person names.

use rand::Rng;

/// The 12 towns/streets of Yuhang (after the 2021 split), with a rough position in the district
/// (`u` west→east, `v` south→north, both in −1..1 of the district's ellipse) and how urban they are (0..1).
pub const TOWNS: [(&str, f64, f64, f64); 12] = [
    ("百丈镇", -0.82, 0.42, 0.05),
    ("鸬鸟镇", -0.52, 0.68, 0.05),
    ("黄湖镇", -0.40, 0.30, 0.12),
    ("径山镇", -0.08, 0.55, 0.18),
    ("瓶窑镇", 0.05, 0.12, 0.35),
    ("良渚街道", 0.45, 0.22, 0.75),
    ("仁和街道", 0.62, 0.58, 0.45),
    ("中泰街道", -0.48, -0.42, 0.30),
    ("余杭街道", -0.15, -0.28, 0.60),
    ("闲林街道", 0.15, -0.62, 0.70),
    ("仓前街道", 0.38, -0.28, 0.90),
    ("五常街道", 0.72, -0.32, 1.00),
];

const SYL: &[&str] = &[
    "玉", "鸟", "安", "溪", "塘", "山", "桥", "港", "湖", "林", "竹", "梅", "桂", "荷", "文", "华", "新", "明", "星",
    "光", "凤", "龙", "金", "泉", "云", "石", "岭", "苕", "良", "宁", "和", "丰", "盛", "东", "西", "南", "北", "长",
    "永", "兴", "福", "乐", "春", "秋", "翠", "碧", "清", "柳", "杨", "松", "枫", "桑", "茶", "稻", "洪", "方", "双",
    "吉", "太", "平", "瑞", "锦", "绿", "景", "禾", "映", "月", "阳", "晨", "曦", "嘉", "祥", "荣", "泰", "康",
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "沈",
    "俞", "钱", "施", "姚", "方", "潘", "章", "蒋", "陆", "叶", "范", "金", "邵", "汪", "孔", "严", "费", "楼", "傅",
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "桂", "英", "华", "建", "国", "志", "红", "玲", "燕", "斌", "辉", "俊", "峰", "雪", "琳", "晓", "婷",
    "浩", "宇", "欣", "怡", "佳", "凯", "鹏", "莉", "颖", "丹", "亮", "林", "海", "文", "波", "春", "梅", "荣", "彬",
];

const COMPOUND_SUFFIX: &[&str] = &["苑", "府", "园", "家园", "花园", "公寓", "雅居", "名邸", "新城", "小区"];
const INDUSTRY: &[&str] = &["科技", "机械", "纺织", "电子", "新材料", "包装", "家具", "智能装备", "食品", "物流"];
const PUBLIC: &[&str] = &["大厦", "中心", "小学", "中学", "卫生服务站", "商业广场", "文化礼堂", "邻里中心"];

/// Two distinct syllables.
pub fn two_syllables(rng: &mut impl Rng) -> String {
    let a = rng.random_range(0..SYL.len());
    let mut b = rng.random_range(0..SYL.len() - 1);
    if b >= a {
        b += 1;
    }
    format!("{}{}", SYL[a], SYL[b])
}

/// A person's name: surname and one or two given characters.
pub fn person(rng: &mut impl Rng) -> String {
    let s = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let g1 = GIVEN[rng.random_range(0..GIVEN.len())];
    if rng.random_bool(0.6) {
        let g2 = GIVEN[rng.random_range(0..GIVEN.len())];
        format!("{s}{g1}{g2}")
    } else {
        format!("{s}{g1}")
    }
}

/// A residential compound's name.
pub fn compound(rng: &mut impl Rng) -> String {
    format!("{}{}", two_syllables(rng), COMPOUND_SUFFIX[rng.random_range(0..COMPOUND_SUFFIX.len())])
}

/// A company's name.
pub fn company(rng: &mut impl Rng) -> String {
    format!("{}{}", two_syllables(rng), INDUSTRY[rng.random_range(0..INDUSTRY.len())])
}

/// A public building's name.
pub fn public_building(rng: &mut impl Rng) -> String {
    format!("{}{}", two_syllables(rng), PUBLIC[rng.random_range(0..PUBLIC.len())])
}
