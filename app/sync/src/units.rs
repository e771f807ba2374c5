//! Rooms by level: which unit's room a user sits in. A user's unit is stored as the 27-digit address code of a town
//! or community (`NULL`: the district's room) and resolved against the district the server holds now, so a user
//! whose unit is gone after an import of another district is refused — never silently promoted to the district.

use crate::db::User;
use pingan_core::routing::{Actor, Level};
use pingan_core::{AddressCode, AddressCodeError, District, UnitRef};

/// Why `--unit` names no room.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    /// Nothing was given.
    #[error("--unit is empty: give a town's or community's address code or exact name")]
    Empty,
    /// Digits that are not an address code.
    #[error("--unit {query:?} is not an address code: {reason}")]
    NotACode {
        /// What was given.
        query: String,
        /// Why it is not a code.
        reason: AddressCodeError,
    },
    /// A code no town or community of the district has.
    #[error("there is no town or community with the code {code} in {district} ({district_code})")]
    NoCode {
        /// The code.
        code: AddressCode,
        /// The district's name.
        district: String,
        /// The district's code.
        district_code: AddressCode,
    },
    /// A name no town or community of the district has.
    #[error("there is no town or community named {query:?} in {district}")]
    NoName {
        /// The name.
        query: String,
        /// The district's name.
        district: String,
    },
    /// A name several units have.
    #[error(
        "{} units are named {query:?} in {district}: give the address code of one of them: {}",
        .found.len(),
        .found.join("; ")
    )]
    Ambiguous {
        /// The name.
        query: String,
        /// The district's name.
        district: String,
        /// Each unit of that name, in words.
        found: Vec<String>,
    },
}

/// Find the room `query` names in `district`: the district itself (its code or name, or `district`), or one town or
/// community by its address code or exact name. `Ok(None)` is the district's room. The error says what matched
/// (none, or several) in words for the command line.
pub fn find(district: &District, query: &str) -> Result<Option<AddressCode>, FindError> {
    let q = query.trim();
    if q.is_empty() {
        return Err(FindError::Empty);
    }
    if q.eq_ignore_ascii_case("district") || q == district.name {
        return Ok(None);
    }
    if q.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ') {
        let code = AddressCode::parse(q).map_err(|reason| FindError::NotACode { query: q.to_string(), reason })?;
        if code == district.code {
            return Ok(None);
        }
        return match unit_of_code(district, &code) {
            Some(_) => Ok(Some(code)),
            None => Err(FindError::NoCode { code, district: district.name.clone(), district_code: district.code }),
        };
    }
    let mut found: Vec<(String, AddressCode)> = Vec::new();
    found
        .extend(district.towns.iter().filter(|t| t.name == q).map(|t| (format!("town {} {}", t.name, t.code), t.code)));
    found.extend(district.communities.iter().filter(|c| c.name == q).map(|c| {
        let town = district.towns.get(c.town.index()).map_or("?", |t| t.name.as_str());
        (format!("community {} ({town}) {}", c.name, c.code), c.code)
    }));
    match found.len() {
        0 => Err(FindError::NoName { query: q.to_string(), district: district.name.clone() }),
        1 => Ok(Some(found[0].1)),
        _ => Err(FindError::Ambiguous {
            query: q.to_string(),
            district: district.name.clone(),
            found: found.into_iter().map(|f| f.0).collect(),
        }),
    }
}

/// The town or community whose code is `code`.
fn unit_of_code(district: &District, code: &AddressCode) -> Option<UnitRef> {
    if let Some(t) = district.towns.iter().find(|t| t.code == *code) {
        return Some(UnitRef::Town(t.id));
    }
    district.communities.iter().find(|c| c.code == *code).map(|c| UnitRef::Community(c.id))
}

/// A user whose room is not in the district held now: their commands are refused, never promoted to the district.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{user}'s room (unit {unit}) is not in the district this server holds now ({district}): an administrator moves \
     them with `pingan-sync user unit {user} --unit CODE_OR_NAME`"
)]
pub struct RoomGone {
    /// The user's name.
    pub user: String,
    /// Their stored unit code.
    pub unit: String,
    /// The district's name.
    pub district: String,
}

/// The unit of a stored code (`None`: the district's room), or why it cannot be used.
pub fn unit_ref(district: &District, user: &User) -> Result<UnitRef, RoomGone> {
    let Some(text) = &user.unit else { return Ok(UnitRef::District) };
    let gone = || RoomGone { user: user.name.clone(), unit: text.clone(), district: district.name.clone() };
    let code = AddressCode::parse(text).map_err(|_| gone())?;
    if code == district.code {
        return Ok(UnitRef::District);
    }
    unit_of_code(district, &code).ok_or_else(gone)
}

/// The actor a user's commands are checked as: their role, their room's unit, their bound worker.
pub fn actor(district: &District, user: &User) -> Result<Actor, RoomGone> {
    Ok(Actor { role: user.role, unit: unit_ref(district, user)?, worker: user.worker })
}

/// What `/v1/info` says about a user's room: `{"level", "code", "name", "unit"}` (`unit`: the [`UnitRef`] as serde
/// JSON); with `"error"` and nulls when the stored unit is not in the district (or no district is held).
pub fn describe(district: Option<&District>, user: &User) -> serde_json::Value {
    let Some(district) = district else {
        return serde_json::json!({ "level": null, "code": user.unit, "name": null, "unit": null,
                                    "error": crate::error::NO_DISTRICT });
    };
    match unit_ref(district, user) {
        Ok(unit) => {
            let (code, name) = match unit {
                UnitRef::Town(t) => (district.town(t).code, district.town(t).name.clone()),
                UnitRef::Community(c) => (district.community(c).code, district.community(c).name.clone()),
                _ => (district.code, district.name.clone()),
            };
            let level = Level::of_unit(unit).unwrap_or(Level::District);
            serde_json::json!({ "level": level, "code": code, "name": name, "unit": unit })
        }
        Err(e) => {
            serde_json::json!({ "level": null, "code": user.unit, "name": null, "unit": null, "error": e.to_string() })
        }
    }
}
