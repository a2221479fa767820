//! The integrations the playground offers: the examples listed in each
//! `mappings/*/examples/playground.yaml` of the project (a mapping of that
//! folder, an example input and its params), and the mapping given with
//! `-m` (with `--input`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The name of the manifest in an `examples/` folder.
pub const MANIFEST: &str = "playground.yaml";

/// One entry of a manifest, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    /// The mapping, relative to the manifest.
    mapping: PathBuf,
    /// The example input, relative to the manifest.
    input: PathBuf,
    /// Params given inline.
    #[serde(default)]
    params: Map<String, Value>,
    /// A params file, relative to the manifest (inline params win).
    #[serde(default)]
    params_file: Option<PathBuf>,
    /// The output format `convert` is given for this example, if any.
    #[serde(default)]
    output_format: Option<String>,
}

/// An integration the page can load, as `GET /api/integrations` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Integration {
    /// Its id: the mapping's path from the project, then `#` and the input's
    /// file name (`oneserve-spectrum/order.yaml#orders.ndjson`).
    pub id: String,
    /// What it is, for the menu.
    pub name: String,
    /// The mapping's path from the project (`mappings/...`).
    pub mapping_path: String,
    /// The mapping's text.
    pub mapping: String,
    /// The example input's file name (it says the input's format).
    pub input_name: String,
    /// The example input's text.
    pub input: String,
    /// The params to run it with.
    pub params: Map<String, Value>,
    /// The output format `convert` is given, if one is.
    pub output_format: Option<String>,
    /// The names of the mapping's secret params (the page keeps them out
    /// of the URL).
    pub secret_params: Vec<String>,
    /// Whether the page's edits are written back to the mapping file
    /// (`serve -m MAPPING --write`).
    pub writable: bool,
    /// The mapping file on disk (not sent: the server's own).
    #[serde(skip)]
    pub mapping_file: PathBuf,
    /// The params file named, if any (not sent).
    #[serde(skip)]
    pub params_file: Option<PathBuf>,
}

/// What is wrong with a manifest or a file it names.
#[derive(Debug)]
pub struct ManifestError {
    /// The file.
    pub file: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// Every manifest under `project/mappings/*/examples/`, in folder order.
pub fn manifests(project: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(project.join("mappings")) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path().join("examples").join(MANIFEST))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// The integrations of every manifest of `project`.
pub fn shipped(project: &Path) -> Result<Vec<Integration>, ManifestError> {
    let mut all = Vec::new();
    for manifest in manifests(project) {
        all.extend(read_manifest(project, &manifest)?);
    }
    Ok(all)
}

fn read_manifest(project: &Path, manifest: &Path) -> Result<Vec<Integration>, ManifestError> {
    let wrong = |message: String| ManifestError {
        file: manifest.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(manifest).map_err(|e| wrong(e.to_string()))?;
    let entries: Vec<Entry> = serde_saphyr::from_str(&text).map_err(|e| wrong(e.to_string()))?;
    let dir = manifest.parent().unwrap_or(Path::new("."));
    entries
        .into_iter()
        .map(|e| integration(project, dir, e).map_err(wrong))
        .collect()
}

fn integration(project: &Path, dir: &Path, entry: Entry) -> Result<Integration, String> {
    let mapping_file = normal(&dir.join(&entry.mapping));
    let input_file = normal(&dir.join(&entry.input));
    let params_file = entry.params_file.as_ref().map(|p| normal(&dir.join(p)));
    let mut params = match &params_file {
        Some(file) => params_of(file)?,
        None => Map::new(),
    };
    params.extend(entry.params);
    let input_name = file_name(&input_file);
    let mut found = from_files(project, &mapping_file, &input_file, params, None)?;
    found.name = entry.name;
    found.output_format = entry.output_format;
    found.params_file = params_file;
    found.id = format!("{}#{input_name}", found.mapping_path);
    Ok(found)
}

/// The integration of a mapping and an input on disk (`-m` and `--input`).
pub fn from_files(
    project: &Path,
    mapping_file: &Path,
    input_file: &Path,
    params: Map<String, Value>,
    limit: Option<usize>,
) -> Result<Integration, String> {
    let read = |p: &Path| read_within(p, limit);
    let mapping = read(mapping_file)?;
    let input = if input_file.as_os_str().is_empty() {
        String::new()
    } else {
        read(input_file)?
    };
    let mapping_path = shown(project, mapping_file);
    let secret_params = mapwright::Mapping::from_path(mapping_file)
        .map(|m| m.secret_params().iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    Ok(Integration {
        id: mapping_path.clone(),
        name: mapping_path.clone(),
        mapping_path,
        mapping,
        input_name: file_name(input_file),
        input,
        params,
        output_format: None,
        secret_params,
        writable: false,
        mapping_file: mapping_file.to_path_buf(),
        params_file: None,
    })
}

/// The text of `file`, refused past `limit` bytes before more is read (a
/// `--input /dev/zero` read on until memory ran out): the page sends the
/// mapping and the input in one request body, so a file over the body limit
/// could never run anyway.
fn read_within(file: &Path, limit: Option<usize>) -> Result<String, String> {
    use std::io::Read as _;
    let cannot = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", file.display());
    let opened = std::fs::File::open(file).map_err(|e| cannot(&e))?;
    let most = limit.map_or(u64::MAX, |l| l as u64 + 1);
    let mut bytes = Vec::new();
    opened
        .take(most)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if let Some(limit) = limit.filter(|l| bytes.len() > *l) {
        return Err(format!(
            "{} is over {limit} bytes, the most a request may carry (serve --max-body): the page could not send it",
            file.display()
        ));
    }
    String::from_utf8(bytes).map_err(|_| cannot(&"it is not UTF-8 text"))
}

/// A params file (YAML or JSON: name: value) as JSON values.
fn params_of(file: &Path) -> Result<Map<String, Value>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `path` without `.` or `..` (`a/examples/../m.yaml` is `a/m.yaml`): the
/// mapping's path then names it in traces as `convert` and `explain` do.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `path` from the project, with `/` between parts, without `..` or `.`.
pub fn shown(project: &Path, path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let (project, path) = (normal(project), normal(path));
    let relative = path.strip_prefix(&project).unwrap_or(&path);
    for c in relative.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifests_paths_lose_their_dot_dot() {
        assert_eq!(
            normal(Path::new("/p/mappings/x/examples/../order.yaml")),
            Path::new("/p/mappings/x/order.yaml")
        );
        assert_eq!(normal(Path::new("../a/./b")), Path::new("../a/b"));
    }

    #[test]
    fn a_path_is_shown_from_the_project_without_dot_dot() {
        let project = Path::new("/p");
        assert_eq!(
            shown(project, Path::new("/p/mappings/x/examples/../order.yaml")),
            "mappings/x/order.yaml"
        );
    }

    #[test]
    fn the_shipped_manifests_list_an_example_per_entry() {
        let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let all = shipped(&project).expect("the shipped manifests read");
        let ids: Vec<&str> = all.iter().map(|i| i.id.as_str()).collect();
        assert!(
            ids.contains(&"mappings/oneserve-spectrum/order.yaml#orders.ndjson"),
            "{ids:?}"
        );
        let synergetic = all
            .iter()
            .find(|i| i.mapping_path == "mappings/oneserve-synergetic/order.yaml")
            .expect("synergetic is listed");
        assert_eq!(synergetic.secret_params, ["vendor_token"]);
        let o2o = all
            .iter()
            .find(|i| i.id.ends_with("#primary-events.ndjson"))
            .expect("o2o primary is listed");
        assert_eq!(
            o2o.params["workflow"], "Subcontract Standard",
            "from its params file"
        );
    }
}
