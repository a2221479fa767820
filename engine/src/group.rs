//! Group: CSV rows into units (`group_by`). Not built yet.

use std::io::BufRead;

use serde_json::Value;

use crate::convert::ConvertError;
use crate::mapping::Mapping;
use crate::report::InputRef;

/// Read CSV rows and hand each unit to `unit`.
pub fn csv_units(
    _mapping: &Mapping,
    name: &str,
    _reader: Box<dyn BufRead + '_>,
    _unit: impl FnMut(Vec<InputRef>, Vec<Value>) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    Err(ConvertError::Read(
        name.to_string(),
        std::io::Error::other("CSV input is not supported yet"),
    ))
}
