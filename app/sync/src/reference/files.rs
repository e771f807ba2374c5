//! Reading the admin's files: a roster CSV and an event history (CSV or JSON Lines), checked row by row against the
//! district. Pure: no database, no clock (the caller passes `now`). Every refusal names its line (1-based, as an
//! editor shows it; the header is line 1).
//!
//! **Grids** (the `grid` column) are named, first match wins, by:
//! 1. the grid's name (unique within a community; a name used in several communities must be written as a path),
//! 2. a path `镇街/村社/网格` (town, community and grid names separated by `/`),
//! 3. its address code: the full 27 digits, or the first 15 (county 6 + town 3 + community 3 + grid 3), dashes
//!    allowed (`330110-001-002-003`),
//! 4. its numeric id (the index in the district, as in `/v1/snapshot`), written `#12` or `12`.

use pingan_core::assess::EventRecord;
use pingan_core::search::HistoryText;
use pingan_core::{
    AddressCode, AddressLevel, District, EventCategory, GridId, LonLat, Severity, SpatialIndex, Timestamp, WorkerKind,
};
use std::collections::HashMap;

mod error;

pub use error::{CsvError, GridError, HeaderError, RowError};

/// Longest file an import reads (CSV or JSON Lines), bytes.
pub const MAX_FILE: u64 = 256 << 20;
/// Most problems listed; the rest are counted.
pub const MAX_LISTED: usize = 200;

/// One CSV record and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// 1-based line number of its first character.
    pub line: usize,
    /// Its fields.
    pub fields: Vec<String>,
}

/// Split CSV text (RFC 4180: `,` between fields, `"` quotes with `""` for a quote, CRLF or LF line ends, a UTF-8
/// byte-order mark ignored) into records; empty lines are skipped. An unterminated quote is an error naming its line.
pub fn parse_csv(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start_line) = (1usize, 1usize);
    let (mut quoted, mut was_quoted, mut any) = (false, false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
                any = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if any || !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    out.push(Record { line: start_line, fields: std::mem::take(&mut fields) });
                }
                field.clear();
                (was_quoted, any) = (false, false);
                line += 1;
                start_line = line;
            }
            c => {
                field.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err(CsvError::Unclosed(start_line));
    }
    if any || !field.is_empty() {
        fields.push(field);
        out.push(Record { line: start_line, fields });
    }
    Ok(out)
}

/// Finds grids by name, path, address code or id (see the module docs).
pub struct GridLookup<'a> {
    district: &'a District,
    by_name: HashMap<&'a str, Vec<GridId>>,
    by_code: HashMap<String, GridId>,
}

impl<'a> GridLookup<'a> {
    /// Index `district`'s grids.
    pub fn new(district: &'a District) -> Self {
        let mut by_name: HashMap<&str, Vec<GridId>> = HashMap::new();
        let mut by_code = HashMap::new();
        for g in &district.grids {
            by_name.entry(g.name.as_str()).or_default().push(g.id);
            let code = g.code.to_string();
            by_code.insert(code[..15.min(code.len())].to_string(), g.id);
        }
        Self { district, by_name, by_code }
    }

    /// The grid `text` names, or why none.
    pub fn find(&self, text: &str) -> Result<GridId, GridError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(GridError::Empty);
        }
        if let Some(ids) = self.by_name.get(t) {
            return match ids.as_slice() {
                [one] => Ok(*one),
                many => Err(GridError::SharedName { name: t.to_string(), count: many.len() }),
            };
        }
        let parts: Vec<&str> = t.split('/').map(str::trim).collect();
        if parts.len() == 3 {
            let d = self.district;
            let found = self.by_name.get(parts[2]).into_iter().flatten().find(|g| {
                let g = &d.grids[g.index()];
                d.communities.get(g.community.index()).is_some_and(|c| c.name == parts[1])
                    && d.towns.get(g.town.index()).is_some_and(|tw| tw.name == parts[0])
            });
            return found.copied().ok_or_else(|| GridError::NoPath(t.to_string()));
        }
        let digits: String = t.chars().filter(|c| *c != '-').collect();
        if digits.len() >= 15 && digits.chars().all(|c| c.is_ascii_digit()) {
            if digits.len() != 15 && digits.len() != 27 {
                return Err(GridError::NotACode(t.to_string()));
            }
            return self
                .by_code
                .get(&digits[..15])
                .copied()
                .ok_or_else(|| GridError::NoCode { district: self.district.name.clone(), code: t.to_string() });
        }
        let id = t.strip_prefix('#').unwrap_or(t);
        if let Ok(n) = id.parse::<u32>() {
            return if (n as usize) < self.district.grids.len() {
                Ok(GridId(n))
            } else {
                Err(GridError::NoId { id: n, count: self.district.grids.len() })
            };
        }
        Err(GridError::NoGrid { name: t.to_string(), district: self.district.name.clone() })
    }
}

/// A roster row, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct RosterRow {
    /// Its line.
    pub line: usize,
    /// The worker's name.
    pub name: String,
    /// Their home grid.
    pub grid: GridId,
    /// Their phone (may be empty).
    pub phone: String,
    /// Full-time or part-time.
    pub kind: WorkerKind,
}

/// Full-time or part-time, in Chinese or English.
pub fn parse_kind(s: &str) -> Option<WorkerKind> {
    match s.trim().to_lowercase().replace(['_', ' '], "-").as_str() {
        "专职" | "专职网格员" | "full-time" | "fulltime" | "full" => Some(WorkerKind::FullTime),
        "兼职" | "兼职网格员" | "part-time" | "parttime" | "part" => Some(WorkerKind::PartTime),
        _ => None,
    }
}

/// Map each expected column to its index in the header; unknown or missing columns are refused.
fn columns(
    header: &Record,
    known: &[(&'static str, &[&str])],
    required: &[&str],
) -> Result<HashMap<&'static str, usize>, HeaderError> {
    let mut at: HashMap<&'static str, usize> = HashMap::new();
    let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
    for (i, h) in header.fields.iter().enumerate() {
        let h = h.trim().to_lowercase();
        let Some((name, _)) = known.iter().find(|(n, aliases)| *n == h || aliases.contains(&h.as_str())) else {
            return Err(HeaderError::Unknown { line: header.line, column: h, known: names });
        };
        if at.insert(*name, i).is_some() {
            return Err(HeaderError::Twice { line: header.line, column: name });
        }
    }
    for r in required {
        if !at.contains_key(r) {
            return Err(HeaderError::Missing {
                line: header.line,
                column: r.to_string(),
                required: required.iter().map(|c| c.to_string()).collect(),
            });
        }
    }
    Ok(at)
}

/// The keys of a JSON Lines history record.
const JSON_KEYS: [&str; 9] = ["number", "title", "at", "category", "severity", "grid", "lon", "lat", "address"];

const ROSTER_COLUMNS: [(&str, &[&str]); 4] =
    [("name", &["姓名"]), ("grid", &["网格"]), ("phone", &["电话", "手机"]), ("kind", &["类型", "类别"])];

/// Read a roster: a header row naming `name, grid, phone, kind` (any order; 姓名, 网格, 电话, 类型 too), then one
/// worker per row. Returns the good rows, or every bad row's reason (nothing is good unless all are): an unknown
/// grid, an empty or too long name, a bad phone, an unknown kind, or the same name twice in one grid.
pub fn parse_roster(text: &str, district: &District) -> Result<Vec<RosterRow>, Vec<String>> {
    let records = parse_csv(text).map_err(|e| vec![e.to_string()])?;
    let Some((header, rows)) = records.split_first() else {
        return Err(vec![
            "the file is empty: expected a header row name,grid,phone,kind and one row per worker".into(),
        ]);
    };
    let at = columns(header, &ROSTER_COLUMNS, &["name", "grid", "phone", "kind"]).map_err(|e| vec![e.to_string()])?;
    let lookup = GridLookup::new(district);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<(String, GridId), usize> = HashMap::new();
    for r in rows {
        let get = |k: &str| at.get(k).and_then(|i| r.fields.get(*i)).map(|s| s.trim()).unwrap_or("");
        if r.fields.len() != header.fields.len() {
            errors.push(format!("line {}: {} fields; the header has {}", r.line, r.fields.len(), header.fields.len()));
            continue;
        }
        let row = (|| {
            let name = get("name").to_string();
            if name.is_empty() {
                return Err(RowError::EmptyName);
            }
            pingan_core::validate::check_text("the name", &name, pingan_core::validate::MAX_NAME)
                .map_err(RowError::checked)?;
            let grid = lookup.find(get("grid"))?;
            let phone = get("phone").to_string();
            pingan_core::validate::check_phone("the phone", &phone).map_err(RowError::checked)?;
            let kind = parse_kind(get("kind")).ok_or_else(|| RowError::UnknownKind(get("kind").to_string()))?;
            Ok(RosterRow { line: r.line, name, grid, phone, kind })
        })();
        match row {
            Ok(row) => {
                if let Some(first) = seen.insert((row.name.clone(), row.grid), row.line) {
                    errors.push(format!(
                        "line {}: {} is already on line {first} for grid {}",
                        row.line,
                        row.name,
                        district.grids[row.grid.index()].name
                    ));
                } else {
                    out.push(row);
                }
            }
            Err(e) => errors.push(format!("line {}: {e}", r.line)),
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push("the file has a header but no workers".into());
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// A category by its serde name (`FireAlarm`), Chinese name (火警) or English name.
pub fn parse_category(s: &str) -> Option<EventCategory> {
    let s = s.trim();
    EventCategory::ALL.into_iter().find(|c| {
        serde_json::to_value(c).ok().and_then(|v| v.as_str().map(|n| n.eq_ignore_ascii_case(s))).unwrap_or(false)
            || c.zh() == s
            || c.en().eq_ignore_ascii_case(s)
    })
}

/// A severity by its serde name (`Major`), Chinese name (重大), English name, or level IV…I / 4…1.
pub fn parse_severity(s: &str) -> Option<Severity> {
    let s = s.trim();
    let by_level = match s {
        "IV" | "4" => Some(Severity::General),
        "III" | "3" => Some(Severity::Significant),
        "II" | "2" => Some(Severity::Major),
        "I" | "1" => Some(Severity::Critical),
        _ => None,
    };
    by_level.or_else(|| {
        Severity::ALL.into_iter().find(|v| {
            serde_json::to_value(v).ok().and_then(|x| x.as_str().map(|n| n.eq_ignore_ascii_case(s))).unwrap_or(false)
                || v.zh() == s
                || v.en().eq_ignore_ascii_case(s)
        })
    })
}

/// A time: RFC 3339 (`2026-03-01T08:30:00+08:00`), or `YYYY-MM-DD HH:MM[:SS]` in China time (+08:00).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    let china = chrono::FixedOffset::east_opt(8 * 3600)?;
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"].iter().find_map(|f| {
        chrono::NaiveDateTime::parse_from_str(s, f).ok()?.and_local_timezone(china).single().map(|t| t.to_utc())
    })
}

/// One history row before it is placed: the texts of its fields.
#[derive(Default)]
struct RawEvent {
    number: String,
    title: String,
    at: String,
    category: String,
    severity: String,
    grid: String,
    lon: String,
    lat: String,
    address: String,
}

/// Places events: a grid (as a roster names it), a position (the grid and building it falls in), or an address
/// code (the grid, and the building when the code names one).
struct Placer<'a> {
    district: &'a District,
    grids: GridLookup<'a>,
    index: SpatialIndex,
    buildings: HashMap<String, pingan_core::BuildingId>,
}

impl<'a> Placer<'a> {
    fn new(district: &'a District) -> Self {
        let buildings = district.buildings.iter().map(|b| (b.code.to_string()[..19].to_string(), b.id)).collect();
        Self { district, grids: GridLookup::new(district), index: SpatialIndex::new(district), buildings }
    }

    fn record(&self, raw: &RawEvent, now: Timestamp) -> Result<EventRecord, RowError> {
        let at = parse_time(&raw.at).ok_or_else(|| RowError::BadTime(raw.at.clone()))?;
        if at > now {
            return Err(RowError::FutureTime(at));
        }
        let category = parse_category(&raw.category).ok_or_else(|| RowError::UnknownCategory(raw.category.clone()))?;
        let severity = parse_severity(&raw.severity).ok_or_else(|| RowError::UnknownSeverity(raw.severity.clone()))?;
        let d = self.district;
        let (grid, building) = if !raw.grid.trim().is_empty() {
            (self.grids.find(&raw.grid)?, None)
        } else if !raw.lon.trim().is_empty() || !raw.lat.trim().is_empty() {
            let (lon, lat) = (raw.lon.trim().parse::<f64>(), raw.lat.trim().parse::<f64>());
            let (Ok(lon), Ok(lat)) = (lon, lat) else {
                return Err(RowError::NotNumbers { lon: raw.lon.clone(), lat: raw.lat.clone() });
            };
            let p = LonLat::try_new(lon, lat).map_err(|e| RowError::BadPosition(e.to_string()))?;
            let grid =
                self.index.grid_at(d, p).ok_or_else(|| RowError::NoGridAt { lon, lat, district: d.name.clone() })?;
            (grid, self.index.building_at(d, p).filter(|b| d.buildings[b.index()].grid == grid))
        } else if !raw.address.trim().is_empty() {
            let code = AddressCode::parse(raw.address.trim().replace('-', "").as_str())
                .map_err(|reason| RowError::BadAddress { address: raw.address.clone(), reason })?;
            if !code.is_within(&d.code) {
                return Err(RowError::OutsideDistrict { code, district: d.name.clone(), district_code: d.code });
            }
            if code.level() < AddressLevel::Grid {
                return Err(RowError::AboveGrid(code));
            }
            let grid = self.grids.find(&code.to_string())?;
            let building = if code.level() >= AddressLevel::Building {
                let key = code.to_string()[..19].to_string();
                Some(*self.buildings.get(&key).ok_or_else(|| RowError::NoBuilding { district: d.name.clone(), code })?)
            } else {
                None
            };
            (grid, building)
        } else {
            return Err(RowError::NoPlace);
        };
        let g = &d.grids[grid.index()];
        Ok(EventRecord { at: at.timestamp(), category, severity, town: g.town, community: g.community, grid, building })
    }
}

const HISTORY_COLUMNS: [(&str, &[&str]); 9] = [
    ("number", &["编号", "案件编号"]),
    ("title", &["标题", "事件", "摘要"]),
    ("at", &["time", "时间"]),
    ("category", &["类别", "类型"]),
    ("severity", &["等级", "级别"]),
    ("grid", &["网格"]),
    ("lon", &["经度", "lng"]),
    ("lat", &["纬度"]),
    ("address", &["地址编码", "code"]),
];

/// Read an event history: CSV with a header naming `at, category, severity` and a place — `grid`, or `lon` and
/// `lat`, or `address` (any of them; the first one filled in on a row is used) — or JSON Lines with the same keys
/// (`lon`/`lat` numbers or strings), and optionally its case `number` (at most [`pingan_core::search::MAX_NUMBER`] characters) and
/// one-line `title` (at most [`pingan_core::search::MAX_TITLE`]), which the desks' search finds. `jsonl` chooses the format. Every bad
/// line is named; nothing is good unless all are. Times after `now` are refused.
pub fn parse_history(
    text: &str,
    jsonl: bool,
    district: &District,
    now: Timestamp,
) -> Result<(Vec<EventRecord>, HistoryText), Vec<String>> {
    let placer = Placer::new(district);
    let mut out = Vec::new();
    let mut titles = HistoryText::new();
    let mut errors = Vec::new();
    let mut push = |line: usize, raw: Result<RawEvent, RowError>| {
        let checked = raw.and_then(|raw| {
            let (number, title) = (raw.number.trim(), raw.title.trim());
            pingan_core::search::check_entry(number, title).map_err(RowError::checked)?;
            Ok((placer.record(&raw, now)?, number.to_string(), title.to_string()))
        });
        match checked {
            Ok((r, number, title)) => {
                out.push(r);
                titles.push(&number, &title);
            }
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    };
    if jsonl {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            push(i + 1, raw_from_json(l));
        }
    } else {
        let records = parse_csv(text).map_err(|e| vec![e.to_string()])?;
        let Some((header, rows)) = records.split_first() else {
            return Err(vec![
                "the file is empty: expected a header row at,category,severity,grid (or lon,lat, or \
                             address) and one row per event"
                    .into(),
            ]);
        };
        let at = columns(header, &HISTORY_COLUMNS, &["at", "category", "severity"]).map_err(|e| vec![e.to_string()])?;
        if !["grid", "lon", "address"].iter().any(|k| at.contains_key(k))
            || at.contains_key("lon") != at.contains_key("lat")
        {
            return Err(vec![format!(
                "line {}: name the place: a grid column, lon and lat columns, or address",
                header.line
            )]);
        }
        for r in rows {
            if r.fields.len() != header.fields.len() {
                push(r.line, Err(RowError::Fields { got: r.fields.len(), header: header.fields.len() }));
                continue;
            }
            let get = |k: &str| at.get(k).and_then(|i| r.fields.get(*i)).cloned().unwrap_or_default();
            push(
                r.line,
                Ok(RawEvent {
                    number: get("number"),
                    title: get("title"),
                    at: get("at"),
                    category: get("category"),
                    severity: get("severity"),
                    grid: get("grid"),
                    lon: get("lon"),
                    lat: get("lat"),
                    address: get("address"),
                }),
            );
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push("the file holds no events".into());
    }
    if errors.is_empty() { Ok((out, titles)) } else { Err(errors) }
}

fn raw_from_json(line: &str) -> Result<RawEvent, RowError> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| RowError::NotJson(e.to_string()))?;
    let obj = v.as_object().ok_or(RowError::NotObject)?;
    let text = |k: &str| -> Result<String, RowError> {
        match obj.get(k) {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
            Some(other) => Err(RowError::NotText { key: k.to_string(), value: other.to_string() }),
        }
    };
    if let Some(k) = obj.keys().find(|k| !JSON_KEYS.contains(&k.as_str())) {
        return Err(RowError::UnknownKey(k.clone()));
    }
    Ok(RawEvent {
        number: text("number")?,
        title: text("title")?,
        at: text("at")?,
        category: text("category")?,
        severity: text("severity")?,
        grid: text("grid")?,
        lon: text("lon")?,
        lat: text("lat")?,
        address: text("address")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_line_ends_and_bom() {
        let r = parse_csv("\u{feff}a,b\r\n\"x, \"\"y\"\"\",z\n\n\"multi\nline\",2").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].fields, ["x, \"y\"", "z"]);
        assert_eq!((r[2].line, r[2].fields[0].as_str()), (4, "multi\nline"));
        assert!(parse_csv("a\n\"open").unwrap_err().to_string().contains("line 2"));
    }

    #[test]
    fn times_kinds_categories() {
        let t = parse_time("2026-03-01 08:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-01T00:30:00+00:00");
        assert_eq!(parse_time("2026-03-01T08:30:00+08:00"), Some(t));
        assert!(parse_time("2026-13-01 08:30").is_none());
        assert_eq!(parse_kind("专职"), Some(WorkerKind::FullTime));
        assert_eq!(parse_kind("Part-time"), Some(WorkerKind::PartTime));
        assert_eq!(parse_category("火警"), Some(EventCategory::FireAlarm));
        assert_eq!(parse_category("firealarm"), Some(EventCategory::FireAlarm));
        assert_eq!(parse_severity("重大"), Some(Severity::Major));
        assert_eq!(parse_severity("IV"), Some(Severity::General));
    }

    #[test]
    fn grids_by_name_path_code_and_id() {
        let d = pingan_demo::generate(&pingan_demo::DemoSpec::small(3));
        let l = GridLookup::new(&d);
        let g = &d.grids[5];
        let (t, c) = (&d.towns[g.town.index()].name, &d.communities[g.community.index()].name);
        assert_eq!(l.find(&g.name), Ok(g.id));
        assert_eq!(l.find(&format!("{t}/{c}/{}", g.name)), Ok(g.id));
        assert_eq!(l.find(&g.code.to_string()), Ok(g.id));
        assert_eq!(l.find(&g.code.to_string()[..15]), Ok(g.id));
        assert_eq!(l.find(&g.code.segmented()[..18]), Ok(g.id));
        assert_eq!(l.find("#5"), Ok(g.id));
        assert!(l.find("no such grid").is_err());
        assert!(l.find("#99999").is_err());
    }

    #[test]
    fn history_numbers_and_titles_are_read_and_checked() {
        let d = pingan_demo::generate(&pingan_demo::DemoSpec::small(3));
        let now = chrono::Utc::now();
        let csv = "编号,标题,at,category,severity,grid\nA-1,家暴求助,2026-01-02 10:00,纠纷,一般,#1\n,,2026-01-03 10:00,火警,一般,#2\n";
        let (records, text) = parse_history(csv, false, &d, now).expect("parsed");
        assert_eq!((records.len(), text.get(0), text.get(1)), (2, Some(("A-1", "家暴求助")), Some(("", ""))));
        let jsonl = r##"{"number":"B-2","title":"欠薪","at":"2026-01-02 10:00","category":"WageArrears","severity":"General","grid":"#1"}"##;
        let (_, text) = parse_history(jsonl, true, &d, now).expect("parsed");
        assert_eq!(text.get(0), Some(("B-2", "欠薪")));
        // Too long, or a control character: the line is named, nothing is taken.
        let long = format!(
            "编号,标题,at,category,severity,grid\nA,{},2026-01-02 10:00,纠纷,一般,#1\n",
            "长".repeat(pingan_core::search::MAX_TITLE + 1)
        );
        let e = parse_history(&long, false, &d, now).expect_err("too long");
        assert!(e[0].starts_with("line 2: the title is longer"), "{e:?}");
        let bad = r##"{"number":"B\u0007","at":"2026-01-02 10:00","category":"WageArrears","severity":"General","grid":"#1"}"##;
        let e = parse_history(bad, true, &d, now).expect_err("control character");
        assert!(e[0].contains("the number is longer"), "{e:?}");
    }
}
