//! placeholder
use std::path::Path;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::registry::Registry;
use crate::testing::CaseResult;
use crate::yaml::Node;
/// A compiled mapping.
pub struct Mapping;
impl Mapping {
    /// Load.
    pub fn from_path(path: &Path) -> Result<Mapping, Diagnostics> {
        Err(Diagnostics(vec![Diagnostic::error(Span::file(path), "todo", "mappings are not built yet")]))
    }
}
/// Run mapping tests.
pub fn run_mapping_tests(path: &Path, _root: &Node, _r: &Registry) -> Result<Vec<CaseResult>, Diagnostics> {
    Err(Diagnostics(vec![Diagnostic::error(Span::file(path), "todo", "mappings are not built yet")]))
}
