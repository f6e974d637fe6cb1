//! Text, custom, location and face messages.

use super::{created, new_message};
use crate::api::methods::Local;
use crate::api::LocalData;
use crate::codes::Result;
use crate::model::Elem;
use crate::params::{Bounds, Num, Params};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct TextParams {
    text: String,
}

pub(crate) fn text(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: TextParams = v.read()?;
    created(local, new_message(local, Elem::Text { text: p.text }))
}

#[derive(Deserialize)]
pub(crate) struct CustomParams {
    data: String,
    desc: Option<String>,
    extension: Option<String>,
}

pub(crate) fn custom(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: CustomParams = v.read()?;
    let elem = Elem::Custom {
        data: p.data,
        desc: p.desc.unwrap_or_default(),
        extension: p.extension.unwrap_or_default(),
    };
    created(local, new_message(local, elem))
}

/// Longitude in degrees.
pub(crate) struct Longitude;
impl Bounds for Longitude {
    const MIN: f64 = -180.0;
    const MAX: f64 = 180.0;
}

/// Latitude in degrees.
pub(crate) struct Latitude;
impl Bounds for Latitude {
    const MIN: f64 = -90.0;
    const MAX: f64 = 90.0;
}

#[derive(Deserialize)]
pub(crate) struct LocationParams {
    desc: String,
    longitude: Num<Longitude>,
    latitude: Num<Latitude>,
}

pub(crate) fn location(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: LocationParams = v.read()?;
    let elem = Elem::Location {
        desc: p.desc,
        longitude: p.longitude.0,
        latitude: p.latitude.0,
    };
    created(local, new_message(local, elem))
}

#[derive(Deserialize)]
pub(crate) struct FaceParams {
    /// The C API's face index is an `int`.
    index: i32,
    data: String,
}

pub(crate) fn face(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: FaceParams = v.read()?;
    let elem = Elem::Face {
        index: i64::from(p.index),
        data: p.data,
    };
    created(local, new_message(local, elem))
}
