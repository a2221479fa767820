//! The xml reader through `convert` (see common.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::convert_bytes(data, mapwright::InputFormat::Xml);
});
