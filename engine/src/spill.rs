//! Spill: the rows of an unsorted CSV gathered into groups in bounded
//! memory. Rows are held in memory, by key, until what they take passes the
//! bound (`--group-memory`); then every row held and every row after it is
//! written to one of several temporary files chosen by a hash of its key,
//! so all rows of a key land in one file. Each file is then grouped in
//! memory in turn (a file still too big is split again, with another hash
//! seed, a bounded number of times), and its groups are written, in the
//! order of their first row, to a file of runs. A merge of the runs by
//! each group's first line hands the groups on in the order an in-memory
//! gather gives: the order of each key's first row.
//!
//! The temporary files are unnamed (`tempfile::tempfile`): the system
//! removes them when they close, also when the run fails or is killed.
//! They hold the rows as read (secrets included) in the temp folder
//! (`TMPDIR`), readable by this user only.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::PathBuf;

use crate::report::RawLines;

/// The default bound on the memory the rows of an unsorted CSV take while
/// they are grouped: 64 MiB.
pub(crate) const DEFAULT_GROUP_MEMORY: u64 = 64 * 1024 * 1024;

/// How many times a file of rows still too big is split again by hash;
/// past that it is split by what each key's rows take (exact, and slower:
/// it reads the file twice), which also finds a key too big on its own.
const MAX_DEPTH: usize = 4;

/// The files rows are first spilled into: enough that the parts of a
/// million-request export (about 4 GB of rows in memory) each take well
/// under the default bound, so each is grouped at the first try.
const FIRST_FANOUT: usize = 128;

/// What a buffered reader or writer of a temporary file holds.
const BUFFER: usize = 16 * 1024;

/// One CSV row: its text as read (with its lines) and its fields.
pub(crate) struct Row {
    pub(crate) raw: RawLines,
    pub(crate) fields: Fields,
}

/// A row's fields in two allocations of exactly their size (a
/// `csv::StringRecord` keeps the reader's spare room, so what it takes is
/// not what it holds).
pub(crate) struct Fields {
    text: Box<str>,
    ends: Box<[usize]>,
}

impl Fields {
    /// The fields of `record`, or the column (from 1) that is not UTF-8.
    pub(crate) fn of(record: &csv::ByteRecord) -> Result<Fields, usize> {
        let mut text = String::with_capacity(record.as_slice().len());
        let mut ends = Vec::with_capacity(record.len());
        for (i, f) in record.iter().enumerate() {
            text.push_str(std::str::from_utf8(f).map_err(|_| i + 1)?);
            ends.push(text.len());
        }
        Ok(Fields {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        })
    }

    /// Each field, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter()).map(|(a, &b)| &self.text[a..b])
    }

    /// The field at `i` (from 0).
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1],
        };
        Some(&self.text[start..end])
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// The rows of one key, in file order; `first` is the line of the first.
pub(crate) struct Group {
    pub(crate) first: usize,
    pub(crate) rows: Vec<Row>,
}

/// Why grouping could not finish.
#[derive(Debug)]
pub(crate) enum SpillError {
    /// A temporary file in `dir` could not be written or read back.
    Io(PathBuf, io::Error),
    /// The rows of one group key take `needs` bytes in memory, more than
    /// the bound, `limit`.
    TooBig { limit: u64, needs: u64 },
}

impl std::fmt::Display for SpillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpillError::Io(dir, e) => temp_message(f, dir, e),
            SpillError::TooBig { limit, needs } => too_big_message(f, *limit, *needs),
        }
    }
}

/// The message of [`SpillError::Io`] (also [`crate::Error::Spill`]'s).
pub(crate) fn temp_message(
    f: &mut std::fmt::Formatter<'_>,
    dir: &std::path::Path,
    e: &io::Error,
) -> std::fmt::Result {
    write!(
        f,
        "cannot spill grouped rows to the temp folder {}: {e} (set TMPDIR to a folder with room, or raise --group-memory)",
        dir.display()
    )
}

/// The message of [`SpillError::TooBig`] (also [`crate::Error::GroupMemory`]'s).
pub(crate) fn too_big_message(
    f: &mut std::fmt::Formatter<'_>,
    limit: u64,
    needs: u64,
) -> std::fmt::Result {
    write!(
        f,
        "grouping the rows needs more than --group-memory {}: the rows of one group key take about {} in memory; raise --group-memory to at least that, or sort the input by the key and declare `sorted: true`",
        show_size(limit),
        show_size(round_up(needs))
    )
}

/// `bytes` rounded up to whole KB (whole MB from 1MB), as a bound to give.
fn round_up(bytes: u64) -> u64 {
    let unit: u64 = if bytes >= 1024 * 1024 {
        1024 * 1024
    } else {
        1024
    };
    bytes.div_ceil(unit).saturating_mul(unit)
}

/// A size in bytes as `--group-memory` takes it (`64MB`, `512KB`, `100B`).
pub(crate) fn show_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    match bytes {
        b if b >= KB * KB * KB && b % (KB * KB * KB) == 0 => format!("{}GB", b / (KB * KB * KB)),
        b if b >= KB * KB && b % (KB * KB) == 0 => format!("{}MB", b / (KB * KB)),
        b if b >= KB && b % KB == 0 => format!("{}KB", b / KB),
        b => format!("{b}B"),
    }
}

fn temp_error(e: io::Error) -> SpillError {
    SpillError::Io(std::env::temp_dir(), e)
}

/// About what a row takes in memory (its text, its fields, their bounds
/// and the allocations around them), so the bound is on memory, not text.
fn row_cost(row: &Row) -> u64 {
    let fields = row.fields.text.len() + 8 * row.fields.len();
    (row.raw.bytes.len() + fields + 256) as u64
}

/// About what a new group takes beside its rows (its key twice: in the
/// index and the list).
fn group_cost(key: &str) -> u64 {
    (2 * key.len() + 128) as u64
}

/// Groups in memory, in the order of their first row.
#[derive(Default)]
struct Held {
    groups: Vec<(String, Group)>,
    index: HashMap<String, usize>,
    cost: u64,
}

impl Held {
    fn add(&mut self, key: String, row: Row) {
        self.cost += row_cost(&row);
        match self.index.get(&key) {
            Some(&i) => self.groups[i].1.rows.push(row),
            None => {
                self.cost += group_cost(&key);
                self.index.insert(key.clone(), self.groups.len());
                let first = row.raw.first;
                self.groups.push((
                    key,
                    Group {
                        first,
                        rows: vec![row],
                    },
                ));
            }
        }
    }
}

/// Rows gathered into groups, in memory up to `bound`, on disk past it.
pub(crate) struct Gatherer {
    bound: u64,
    held: Held,
    spilled: Option<Partitions>,
}

impl Gatherer {
    pub(crate) fn new(bound: u64) -> Gatherer {
        Gatherer {
            bound,
            held: Held::default(),
            spilled: None,
        }
    }

    /// Add a row of `key`.
    pub(crate) fn add(&mut self, key: String, row: Row) -> Result<(), SpillError> {
        if let Some(parts) = &mut self.spilled {
            return parts.write(&key, &row).map_err(temp_error);
        }
        self.held.add(key, row);
        if self.held.cost > self.bound {
            let mut parts = Partitions::new(0, FIRST_FANOUT).map_err(temp_error)?;
            for (key, group) in std::mem::take(&mut self.held).groups {
                for row in &group.rows {
                    parts.write(&key, row).map_err(temp_error)?;
                }
            }
            self.spilled = Some(parts);
        }
        Ok(())
    }

    /// Hand on every group, in the order of its first row.
    pub(crate) fn finish<E>(
        self,
        mut emit: impl FnMut(Group) -> Result<(), E>,
        wrap: impl Fn(SpillError) -> E,
    ) -> Result<(), E> {
        let Some(parts) = self.spilled else {
            for (_, group) in self.held.groups {
                emit(group)?;
            }
            return Ok(());
        };
        let runs = group_partitions(parts, self.bound).map_err(&wrap)?;
        runs.merge(emit, wrap)
    }
}

/// Rows written to `files` by a hash of their key and `seed`, with what
/// the rows of each file take in memory.
struct Partitions {
    seed: u64,
    files: Vec<BufWriter<File>>,
    costs: Vec<u64>,
}

impl Partitions {
    fn new(seed: u64, fanout: usize) -> io::Result<Partitions> {
        let files = (0..fanout)
            .map(|_| Ok(BufWriter::with_capacity(BUFFER, tempfile::tempfile()?)))
            .collect::<io::Result<_>>()?;
        Ok(Partitions {
            seed,
            files,
            costs: vec![0; fanout],
        })
    }

    fn write(&mut self, key: &str, row: &Row) -> io::Result<()> {
        let mut h = DefaultHasher::new();
        self.seed.hash(&mut h);
        key.hash(&mut h);
        let i = (h.finish() % self.files.len() as u64) as usize;
        self.write_to(i, key, row)
    }

    /// Write a row of `key` to file `i`.
    fn write_to(&mut self, i: usize, key: &str, row: &Row) -> io::Result<()> {
        // As if each row began a group: a little over, never under.
        self.costs[i] += row_cost(row) + group_cost(key);
        let out = &mut self.files[i];
        write_bytes(out, key.as_bytes())?;
        write_row(out, row)
    }

    /// The files, written and rewound for reading, with what their rows take.
    fn into_files(self) -> io::Result<Vec<(File, u64)>> {
        self.files
            .into_iter()
            .zip(self.costs)
            .map(|(w, cost)| {
                let mut f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
                f.rewind()?;
                Ok((f, cost))
            })
            .collect()
    }
}

/// Group each partition in memory (splitting again one that does not fit)
/// into runs of groups in the order of their first row.
fn group_partitions(parts: Partitions, bound: u64) -> Result<Runs, SpillError> {
    let mut runs = Runs::new().map_err(temp_error)?;
    let mut todo: Vec<(File, u64, usize)> = parts
        .into_files()
        .map_err(temp_error)?
        .into_iter()
        .map(|(f, cost)| (f, cost, 0))
        .collect();
    while let Some((file, cost, depth)) = todo.pop() {
        match load(file, bound).map_err(temp_error)? {
            Loaded::Groups(groups) => runs.append(&groups).map_err(temp_error)?,
            // A part of a split by cost fits by construction.
            Loaded::TooBig(_) if depth > MAX_DEPTH => {
                return Err(SpillError::TooBig {
                    limit: bound,
                    needs: cost,
                })
            }
            Loaded::TooBig(file) if depth == MAX_DEPTH => match split_by_cost(file, bound) {
                Ok(parts) => todo.extend(parts.into_iter().map(|(f, c)| (f, c, depth + 1))),
                Err(SpillError::TooBig { limit, needs }) => {
                    // Name what the biggest key takes, not the first found
                    // too big, so that the bound the message gives will do.
                    let needs = todo.into_iter().try_fold(needs, |most, (f, _, _)| {
                        let (costs, _, _) = key_costs(f).map_err(temp_error)?;
                        Ok(costs.into_values().fold(most, u64::max))
                    })?;
                    return Err(SpillError::TooBig { limit, needs });
                }
                Err(e) => return Err(e),
            },
            Loaded::TooBig(file) => {
                // Parts of about a third of the bound each, so that most
                // fit at once however the hash falls.
                let fanout = (cost.saturating_mul(3) / bound.max(1) + 1).clamp(2, 64) as usize;
                let parts = split(file, depth as u64 + 1, fanout).map_err(temp_error)?;
                todo.extend(parts.into_iter().map(|(f, cost)| (f, cost, depth + 1)));
            }
        }
    }
    Ok(runs)
}

enum Loaded {
    Groups(Vec<Group>),
    /// Past the bound: the file, rewound.
    TooBig(File),
}

/// The groups of a partition file, or the file back if they pass `bound`.
fn load(file: File, bound: u64) -> io::Result<Loaded> {
    let mut held = Held::default();
    let mut rows = BufReader::with_capacity(BUFFER, file);
    while let Some(key) = read_bytes(&mut rows)? {
        let key = String::from_utf8(key).map_err(io::Error::other)?;
        held.add(key, read_row(&mut rows)?);
        if held.cost > bound {
            drop(held);
            let mut file = rows.into_inner();
            file.rewind()?;
            return Ok(Loaded::TooBig(file));
        }
    }
    Ok(Loaded::Groups(
        held.groups.into_iter().map(|(_, g)| g).collect(),
    ))
}

/// The rows of a partition file split into `fanout` files by `seed`.
fn split(file: File, seed: u64, fanout: usize) -> io::Result<Vec<(File, u64)>> {
    let mut parts = Partitions::new(seed, fanout)?;
    let mut rows = BufReader::with_capacity(BUFFER, file);
    while let Some(key) = read_bytes(&mut rows)? {
        let key = String::from_utf8(key).map_err(io::Error::other)?;
        parts.write(&key, &read_row(&mut rows)?)?;
    }
    parts.into_files()
}

/// What the rows of each key of a file take, its keys in the order of
/// their first row, and the file rewound.
fn key_costs(file: File) -> io::Result<(HashMap<String, u64>, Vec<String>, File)> {
    let mut costs: HashMap<String, u64> = HashMap::new();
    let mut order = Vec::new();
    let mut rows = BufReader::with_capacity(BUFFER, file);
    while let Some(key) = read_bytes(&mut rows)? {
        let key = String::from_utf8(key).map_err(io::Error::other)?;
        let row = row_cost(&read_row(&mut rows)?);
        match costs.get_mut(&key) {
            Some(cost) => *cost += row,
            None => {
                costs.insert(key.clone(), row + group_cost(&key));
                order.push(key);
            }
        }
    }
    let mut file = rows.into_inner();
    file.rewind()?;
    Ok((costs, order, file))
}

/// The rows of a file split so that each part's rows fit `bound`: keys in
/// the order of their first row, packed into parts by what their rows take.
/// Fails, with what it takes, when one key's rows alone pass the bound.
fn split_by_cost(file: File, bound: u64) -> Result<Vec<(File, u64)>, SpillError> {
    let (costs, order, file) = key_costs(file).map_err(temp_error)?;
    if let Some(&needs) = costs.values().filter(|c| **c > bound).max() {
        return Err(SpillError::TooBig {
            limit: bound,
            needs,
        });
    }
    let mut part_of: HashMap<String, usize> = HashMap::new();
    let (mut parts, mut filled) = (0, 0);
    for key in order {
        let cost = costs[&key];
        if parts == 0 || filled + cost > bound {
            parts += 1;
            filled = 0;
        }
        filled += cost;
        part_of.insert(key, parts - 1);
    }
    let mut out = Partitions::new(0, parts).map_err(temp_error)?;
    let mut rows = BufReader::with_capacity(BUFFER, file);
    while let Some(key) = read_bytes(&mut rows).map_err(temp_error)? {
        let key = String::from_utf8(key).map_err(|e| temp_error(io::Error::other(e)))?;
        let row = read_row(&mut rows).map_err(temp_error)?;
        out.write_to(part_of[&key], &key, &row)
            .map_err(temp_error)?;
    }
    out.into_files().map_err(temp_error)
}

/// Groups written one run after another into one file; each run is a byte
/// range holding groups in the order of their first line.
struct Runs {
    out: BufWriter<File>,
    written: u64,
    ranges: Vec<(u64, u64)>,
}

impl Runs {
    fn new() -> io::Result<Runs> {
        Ok(Runs {
            out: BufWriter::with_capacity(BUFFER, tempfile::tempfile()?),
            written: 0,
            ranges: Vec::new(),
        })
    }

    /// One run: each group as its first line, the length of its rows and
    /// the rows (so a merge reads the heads of all runs without their rows).
    fn append(&mut self, groups: &[Group]) -> io::Result<()> {
        let start = self.written;
        let mut body = Vec::new();
        for g in groups {
            body.clear();
            write_u64(&mut body, g.rows.len() as u64)?;
            for row in &g.rows {
                write_row(&mut body, row)?;
            }
            write_u64(&mut self.out, g.first as u64)?;
            write_u64(&mut self.out, body.len() as u64)?;
            self.out.write_all(&body)?;
            self.written += 16 + body.len() as u64;
        }
        self.ranges.push((start, self.written));
        Ok(())
    }

    /// Hand on the groups of every run, by first line.
    fn merge<E>(
        self,
        mut emit: impl FnMut(Group) -> Result<(), E>,
        wrap: impl Fn(SpillError) -> E,
    ) -> Result<(), E> {
        let io = |e| wrap(temp_error(e));
        let file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        // Each run's reader takes a share of a fixed buffer budget.
        let capacity = (4 * 1024 * 1024 / self.ranges.len().max(1)).clamp(512, BUFFER);
        let mut readers: Vec<BufReader<Range<'_>>> = self
            .ranges
            .iter()
            .map(|&(pos, end)| {
                BufReader::with_capacity(
                    capacity,
                    Range {
                        file: &file,
                        pos,
                        end,
                    },
                )
            })
            .collect();
        let mut heads = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(head) = read_head(r).map_err(io)? {
                heads.push(Reverse((head, i)));
            }
        }
        while let Some(Reverse(((first, len), i))) = heads.pop() {
            let r = &mut readers[i];
            let mut body = r.take(len);
            let count = read_u64(&mut body).map_err(io)?;
            let rows = (0..count)
                .map(|_| read_row(&mut body))
                .collect::<io::Result<Vec<Row>>>()
                .map_err(io)?;
            emit(Group {
                first: first as usize,
                rows,
            })?;
            if let Some(head) = read_head(r).map_err(io)? {
                heads.push(Reverse((head, i)));
            }
        }
        Ok(())
    }
}

/// A group's first line and the length of its rows, or none at a run's end.
fn read_head(r: &mut impl Read) -> io::Result<Option<(u64, u64)>> {
    let mut first = [0u8; 8];
    match r.read_exact(&mut first) {
        Ok(()) => Ok(Some((u64::from_le_bytes(first), read_u64(r)?))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// A byte range of a file, read at its own offset (one file, many readers).
struct Range<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
}

impl Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min((self.end - self.pos) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(self.file, &mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

fn write_u64(out: &mut impl Write, n: u64) -> io::Result<()> {
    out.write_all(&n.to_le_bytes())
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn write_bytes(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    write_u64(out, bytes.len() as u64)?;
    out.write_all(bytes)
}

/// Bytes written by [`write_bytes`], or none at the end of the input.
fn read_bytes(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 8];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u64::from_le_bytes(len);
    let mut bytes = Vec::new();
    r.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(bytes))
}

fn write_row(out: &mut impl Write, row: &Row) -> io::Result<()> {
    write_u64(out, row.raw.first as u64)?;
    write_u64(out, row.raw.last as u64)?;
    write_bytes(out, &row.raw.bytes)?;
    write_u64(out, row.fields.len() as u64)?;
    for f in row.fields.iter() {
        write_bytes(out, f.as_bytes())?;
    }
    Ok(())
}

fn read_row(r: &mut impl Read) -> io::Result<Row> {
    let first = read_u64(r)? as usize;
    let last = read_u64(r)? as usize;
    let eof = || io::Error::from(io::ErrorKind::UnexpectedEof);
    let bytes = read_bytes(r)?.ok_or_else(eof)?;
    let count = read_u64(r)?;
    let mut text = String::new();
    let mut ends = Vec::new();
    for _ in 0..count {
        let f = read_bytes(r)?.ok_or_else(eof)?;
        text.push_str(std::str::from_utf8(&f).map_err(io::Error::other)?);
        ends.push(text.len());
    }
    let fields = Fields {
        text: text.into_boxed_str(),
        ends: ends.into_boxed_slice(),
    };
    Ok(Row {
        raw: RawLines { first, last, bytes },
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, key: &str, n: usize) -> Row {
        let text = format!("{key},{n}");
        Row {
            raw: RawLines {
                first: line,
                last: line,
                bytes: text.clone().into_bytes(),
            },
            fields: Fields::of(&csv::ByteRecord::from(vec![key, &n.to_string()])).unwrap(),
        }
    }

    type Groups = Vec<(String, Vec<usize>)>;

    /// Each group as its key and the lines of its rows, and whether rows spilled.
    fn gather(bound: u64, keys: &[&str]) -> Result<(Groups, bool), SpillError> {
        let mut g = Gatherer::new(bound);
        for (i, k) in keys.iter().enumerate() {
            g.add(k.to_string(), row(i + 2, k, i))?;
        }
        let spilled = g.spilled.is_some();
        let mut out = Vec::new();
        g.finish(
            |group| {
                assert_eq!(group.first, group.rows[0].raw.first);
                out.push((
                    group.rows[0].fields.iter().next().unwrap().to_string(),
                    group.rows.iter().map(|r| r.raw.first).collect(),
                ));
                Ok(())
            },
            |e| e,
        )?;
        Ok((out, spilled))
    }

    #[test]
    fn spilled_groups_come_out_as_the_in_memory_ones_in_order_of_first_row() {
        let keys: Vec<String> = (0..3000)
            .map(|i| format!("K{}", (i * 7919) % 500))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let (in_memory, spilled) = gather(u64::MAX, &keys).unwrap();
        assert!(!spilled);
        assert_eq!(in_memory.len(), 500);
        assert_eq!(
            in_memory[0],
            ("K0".to_string(), (0..6).map(|n| 2 + n * 500).collect())
        );
        // Small enough that each partition is split again.
        let (groups, spilled) = gather(4096, &keys).unwrap();
        assert!(spilled);
        assert_eq!(groups, in_memory);
    }

    #[test]
    fn one_key_with_more_rows_than_the_bound_stops_with_what_it_takes() {
        let keys = vec!["same"; 200];
        let e = gather(2048, &keys).expect_err("too big");
        let needs: u64 = (0..200)
            .map(|i| row_cost(&row(i + 2, "same", i)))
            .sum::<u64>()
            + group_cost("same");
        assert!(
            matches!(e, SpillError::TooBig { limit: 2048, needs: n } if n == needs),
            "{e:?}, expected needs {needs}"
        );
        assert_eq!(
            e.to_string(),
            format!("grouping the rows needs more than --group-memory 2KB: the rows of one group key take about {}KB in memory; raise --group-memory to at least that, or sort the input by the key and declare `sorted: true`", needs.div_ceil(1024))
        );
    }

    /// With two keys too big, the message names what the bigger takes, and
    /// that bound, rounded up as shown, groups the rows.
    #[test]
    fn the_biggest_key_too_big_is_the_one_named() {
        let mut keys: Vec<String> = (0..400).map(|i| format!("small{i}")).collect();
        keys.extend((0..30).map(|_| "big-a".to_string()));
        keys.extend((0..60).map(|_| "big-b".to_string()));
        keys.extend((0..400).map(|i| format!("small{i}")));
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let cost_of = |key: &str| -> u64 {
            let rows = keys.iter().enumerate().filter(|(_, k)| **k == key);
            rows.map(|(i, k)| row_cost(&row(i + 2, k, i))).sum::<u64>() + group_cost(key)
        };
        let e = gather(2048, &keys).expect_err("too big");
        let SpillError::TooBig { needs, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(needs, cost_of("big-b"));
        assert!(gather(round_up(needs), &keys).is_ok());
    }

    /// Each group alone fits, two large ones do not: a split by hash can
    /// leave two in one part however deep it goes (among thousands of parts
    /// near the bound, some do); the split by cost parts them.
    #[test]
    fn groups_that_each_fit_are_grouped_however_the_hash_falls() {
        let keys: Vec<String> = (0..40_000)
            .map(|i| format!("K{}", (i * 7919) % 13_000))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let (in_memory, _) = gather(u64::MAX, &keys).unwrap();
        let most = in_memory.iter().map(|(_, rows)| rows.len()).max().unwrap() as u64;
        let bound = (most * 300 + 200) * 6 / 5;
        let (groups, spilled) = gather(bound, &keys).unwrap();
        assert!(spilled);
        assert_eq!(groups, in_memory);
    }

    #[test]
    fn sizes_show_as_the_flag_takes_them() {
        assert_eq!(show_size(64 * 1024 * 1024), "64MB");
        assert_eq!(show_size(65536), "64KB");
        assert_eq!(show_size(1000), "1000B");
        assert_eq!(show_size(3 << 30), "3GB");
    }
}
