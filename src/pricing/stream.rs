//! Claim lines through the pricer in bounded memory, whatever the input's size.
//!
//! A claim's lines must be priced together (multiple-procedure ranking, bilateral and
//! co-surgery, bundling by date), so the input is cut into chunks that never split a claim:
//!
//! - **Input in claim order** (every claim's lines next to each other, as a claims export
//!   sorted or grouped by claim usually is): chunks of about [`MemoryBudget::lines`] lines
//!   are read, the last claim of each carried into the next, and each chunk is priced and
//!   written as it comes, in input order. `--input-order claim` declares it (a claim seen
//!   again after others is then an error naming it); `auto` (the default) assumes it and
//!   checks as it goes, keeping 8 bytes per claim ([`with_order`]).
//! - **Any order** (`--input-order any`, or `auto` on finding a claim again): the lines are
//!   first spilled to partitions by a hash of their claim id (every line of a claim in one
//!   partition), each partition small enough for the budget, under a temporary folder next
//!   to the output; then each partition is priced and written. The output is then in
//!   partition order, each partition's lines in input order; every output line carries its
//!   input `line` number.
//!
//! The spill folder is removed at the end and after a failure; one left by a killed run is
//! removed by the next run in that folder ([`remove_stale`]).

use std::fs::File;
use std::hash::BuildHasher as _;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::{PlHashSet, PlRandomState};

use crate::pricing::error::PricingError;
use crate::pricing::input::{ClaimFile, ClaimLine, ClaimReader};

/// Memory a line costs, all told: its cells, the parsed line, its basis, its result and its
/// output row while its chunk is priced, and its text and parsed line while the next chunk is
/// read ahead, with room to spare. Measured in steady state on ten million lines: about
/// 2.2 KB per line of a chunk (969 MiB at 402,000 lines a chunk).
pub const BYTES_PER_LINE: u64 = 2_400;

/// The memory a pricing run may use for claim lines (`--memory-budget`, `MPFS_MEMORY_BUDGET`):
/// `1GiB`, `512MiB`, `800MB`, `2G` or a number of bytes. The schedules themselves (a few
/// releases, tens of MB) come on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget(pub u64);

impl Default for MemoryBudget {
    /// 768 MiB (about 335,000 lines a chunk): with the schedules of a year, a run stays
    /// under 1 GB.
    fn default() -> MemoryBudget {
        MemoryBudget(768 << 20)
    }
}

impl MemoryBudget {
    /// Lines per chunk: the budget's worth, at least a thousand.
    pub fn lines(self) -> usize {
        (self.0 / BYTES_PER_LINE).max(1_000) as usize
    }
}

impl std::str::FromStr for MemoryBudget {
    type Err = String;

    fn from_str(text: &str) -> Result<MemoryBudget, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number
            .parse()
            .map_err(|_| format!("'{text}' is not a size such as 1GiB, 512MiB or 800MB"))?;
        let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "k" | "kb" => 1e3,
            "kib" => 1024.0,
            "m" | "mb" => 1e6,
            "mib" => 1024.0 * 1024.0,
            "g" | "gb" => 1e9,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            other => {
                return Err(format!(
                    "'{other}' is not a unit (use KiB, MiB, GiB, KB, MB, GB)"
                ));
            }
        };
        Ok(MemoryBudget((number * scale) as u64))
    }
}

/// How the input's lines are ordered (`--input-order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum InputOrder {
    /// Assume claim order and check it; on a claim seen again, start over with partitions.
    #[default]
    Auto,
    /// Every claim's lines are next to each other; anything else is an error.
    Claim,
    /// Any order: spill to partitions by claim first.
    Any,
}

/// What receives the chunks: prices and writes them.
pub type Sink<'a> = dyn FnMut(&ClaimFile) -> Result<(), PricingError> + 'a;

/// How a stream went, for the log and the closing line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passes {
    pub chunks: usize,
    /// Partitions spilled to, when the input was not read in claim order.
    pub partitions: usize,
    /// Why the claim-order pass was given up, when it was.
    pub not_in_claim_order: Option<String>,
}

/// Runs `pass` in claim order, or in any order when `order` says so; under `auto`, a claim
/// seen again starts `pass` over in any order (`pass` makes its output anew each time).
pub fn with_order(
    order: InputOrder,
    mut pass: impl FnMut(InputOrder) -> Result<Passes, PricingError>,
) -> Result<Passes, PricingError> {
    match order {
        InputOrder::Auto => match pass(InputOrder::Claim) {
            Err(PricingError::NotInClaimOrder { file, row, claim }) => {
                let why = format!("{file} line {row}: claim {claim} seen again after other claims");
                tracing::info!("{why}: not in claim order; reading it again through partitions");
                let mut passes = pass(InputOrder::Any)?;
                passes.not_in_claim_order = Some(why);
                Ok(passes)
            }
            other => other,
        },
        order => pass(order),
    }
}

/// Reads `input` in chunks that keep each claim whole and hands them to `sink`, within
/// `budget`: as they come (`Claim`: a claim seen again is [`PricingError::NotInClaimOrder`])
/// or through partitions spilled under `spill_near` (`Any`). `Auto` is for [`with_order`].
pub fn for_each_chunk(
    input: &Path,
    need_dates: bool,
    group_by: Option<&str>,
    order: InputOrder,
    budget: MemoryBudget,
    spill_near: &Path,
    sink: &mut Sink<'_>,
) -> Result<Passes, PricingError> {
    let reader = ClaimReader::open(input, need_dates, group_by)?;
    let chunk = budget.lines();
    let name = input.display().to_string();
    match order {
        InputOrder::Claim | InputOrder::Auto => in_claim_order(reader, chunk, &name, sink),
        InputOrder::Any => spilled(reader, chunk, need_dates, group_by, spill_near, sink),
    }
}

fn claim_hash(state: &PlRandomState, line: &ClaimLine) -> Option<u64> {
    line.claim_id.as_deref().map(|claim| state.hash_one(claim))
}

/// A bar of the input's bytes, for a person watching.
fn input_bar(reader: &ClaimReader, verb: &str, input: &str) -> indicatif::ProgressBar {
    let (_, total) = reader.progress();
    crate::terminal::byte_bar(verb, input, Some(total))
}

/// The claim-order pass: chunks priced as they are read.
fn in_claim_order(
    reader: ClaimReader,
    chunk: usize,
    name: &str,
    sink: &mut Sink<'_>,
) -> Result<Passes, PricingError> {
    let bar = input_bar(&reader, "Pricing", name);
    let result = ahead(reader, chunk, &bar, |next| {
        claim_chunks(next, chunk, name, sink)
    });
    bar.finish_and_clear();
    result
}

/// Runs `work` with a `next` that gives the input's chunks in order, each read (on a thread
/// of its own) while the one before is priced: one chunk ahead, about a sixth of the
/// budget's memory (text and parsed lines, before bases, results and output), for the time
/// a million lines spend being read.
fn ahead<T>(
    mut reader: ClaimReader,
    chunk: usize,
    bar: &indicatif::ProgressBar,
    work: impl FnOnce(&mut dyn FnMut() -> Result<Option<ClaimFile>, PricingError>) -> T,
) -> T {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel(1);
        let position = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let read = position.clone();
        scope.spawn(move || {
            loop {
                let next = reader.read(chunk);
                read.store(reader.progress().0, std::sync::atomic::Ordering::Relaxed);
                let more = matches!(next, Ok(Some(_)));
                // The receiver gone (an error, a claim seen again): stop reading.
                if send.send(next).is_err() || !more {
                    break;
                }
            }
        });
        let mut next = || {
            let chunk = receive.recv().unwrap_or(Ok(None));
            bar.set_position(position.load(std::sync::atomic::Ordering::Relaxed));
            chunk
        };
        work(&mut next)
    })
}

/// Chunks from `next` cut at claim boundaries, checked for claim order, handed to `sink`.
fn claim_chunks(
    next: &mut dyn FnMut() -> Result<Option<ClaimFile>, PricingError>,
    chunk: usize,
    name: &str,
    sink: &mut Sink<'_>,
) -> Result<Passes, PricingError> {
    let state = PlRandomState::default();
    let mut closed: PlHashSet<u64> = PlHashSet::default();
    let mut current: Option<u64> = None;
    let mut carry: Option<ClaimFile> = None;
    let mut passes = Passes::default();
    loop {
        let fresh = next()?;
        // A read stops short only at the end of the input.
        let at_end = fresh.as_ref().is_none_or(|f| f.len() < chunk);
        let mut batch = match (carry.take(), fresh) {
            (None, None) => break,
            (Some(carried), None) => carried,
            (None, Some(fresh)) => fresh,
            (Some(mut carried), Some(fresh)) => {
                carried.append(fresh)?;
                carried
            }
        };
        if !at_end {
            // The last claim may go on in the next lines: keep it for the next chunk.
            let last = batch.lines.last().and_then(|l| l.claim_id.clone());
            if let Some(last) = last {
                let start = batch
                    .lines
                    .iter()
                    .rposition(|l| l.claim_id.as_ref() != Some(&last))
                    .map_or(0, |i| i + 1);
                if start == 0 {
                    // One claim fills the chunk: read on.
                    carry = Some(batch);
                    continue;
                }
                carry = Some(batch.split_off(start));
            }
        }
        for line in &batch.lines {
            let claim = claim_hash(&state, line);
            if claim != current {
                if let Some(previous) = current {
                    closed.insert(previous);
                }
                if let Some(claim) = claim
                    && closed.contains(&claim)
                {
                    // Declared or assumed, the same error: `auto` ([`with_order`]) catches
                    // it and starts over through partitions.
                    return Err(PricingError::NotInClaimOrder {
                        file: name.to_string(),
                        row: line.row,
                        claim: line.claim_id.as_deref().unwrap_or_default().to_string(),
                    });
                }
                current = claim;
            }
        }
        passes.chunks += 1;
        sink(&batch)?;
        drop(batch);
        release_freed_memory();
    }
    Ok(passes)
}

/// Hands the memory a chunk freed back to the system: glibc keeps freed pages in its heaps,
/// and chunk after chunk of differently sized allocations left a ten-million-line run a
/// quarter above the budget (a few percent of the peak; BENCHMARKS.md).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory at the top and in the middle of the
    // heaps to the system; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Name prefix of spill folders: `.mpfs-spill-<pid>-<random>`.
const SPILL_PREFIX: &str = ".mpfs-spill-";

/// A temporary folder for partitions, removed when dropped (at the end, or on an error).
fn spill_dir(near: &Path) -> Result<tempfile::TempDir, PricingError> {
    let io = |cause| PricingError::Open {
        file: near.display().to_string(),
        cause,
    };
    std::fs::create_dir_all(near).map_err(io)?;
    tempfile::Builder::new()
        .prefix(&format!("{SPILL_PREFIX}{}-", std::process::id()))
        .tempdir_in(near)
        .map_err(io)
}

/// Removes the spill folders and partial outputs a killed run left in `dir`: those named
/// with a process id that is no longer running.
pub fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name
            .strip_prefix(SPILL_PREFIX)
            .or_else(|| name.strip_prefix(crate::output_file::PARTIAL_PREFIX))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if crate::lock::process_alive(pid) {
            continue;
        }
        let path = entry.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Ok(()) => tracing::warn!(
                "removed {} left by an interrupted run (process {pid})",
                path.display()
            ),
            Err(error) => tracing::warn!("cannot remove {}: {error}", path.display()),
        }
    }
}

/// The partition pass: spill by claim, then price partition by partition.
fn spilled(
    mut reader: ClaimReader,
    chunk: usize,
    need_dates: bool,
    group_by: Option<&str>,
    near: &Path,
    sink: &mut Sink<'_>,
) -> Result<Passes, PricingError> {
    let name = reader.name();
    let mut passes = Passes::default();
    let Some(first) = reader.read(chunk)? else {
        return Ok(passes);
    };
    let (read, total) = reader.progress();
    if first.len() < chunk {
        // It all fits in one chunk: nothing to spill.
        passes.chunks = 1;
        sink(&first)?;
        return Ok(passes);
    }
    // As many partitions as the input has chunks' worth of lines, by the first chunk's
    // bytes per line, and a quarter more so a partition stays under the budget.
    let per_line = (read as f64 / first.len().max(1) as f64).max(1.0);
    let estimated = total as f64 / per_line;
    let parts = ((estimated / chunk as f64) * 1.25).ceil().clamp(2.0, 512.0) as usize;
    let dir = spill_dir(near)?;
    let dir_name = dir.path().display().to_string();
    let spill_error = |cause: std::io::Error| PricingError::Spill {
        dir: dir_name.clone(),
        cause,
    };
    let paths: Vec<PathBuf> = (0..parts)
        .map(|p| dir.path().join(format!("part-{p:04}.csv")))
        .collect();
    let mut writers = paths
        .iter()
        .map(|path| {
            File::create(path)
                .map(|f| csv::Writer::from_writer(BufWriter::with_capacity(256 << 10, f)))
                .map_err(spill_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Each line with its number in the input and its null cells (a Parquet input's nulls
    // come back null, not empty).
    let header: Vec<&str> = ["mpfs_line", "mpfs_nulls"]
        .into_iter()
        .chain(reader.columns().iter().map(String::as_str))
        .collect();
    for writer in &mut writers {
        writer.write_record(&header)?;
    }
    let state = PlRandomState::default();
    let bar = input_bar(&reader, "Spilling", &name);
    let mut spill = |file: &ClaimFile| -> Result<(), PricingError> {
        let mut record = csv::StringRecord::new();
        let mut nulls = String::new();
        let mut cells: Vec<Option<&str>> = Vec::with_capacity(file.cells.len());
        for (i, line) in file.lines.iter().enumerate() {
            let hash = claim_hash(&state, line).unwrap_or_else(|| state.hash_one(line.row));
            let part = (hash % parts as u64) as usize;
            record.clear();
            record.push_field(&line.row.to_string());
            nulls.clear();
            cells.clear();
            cells.extend(file.cells.iter().map(|c| c.get(i)));
            for (column, _) in cells.iter().enumerate().filter(|(_, c)| c.is_none()) {
                if !nulls.is_empty() {
                    nulls.push(' ');
                }
                nulls.push_str(&column.to_string());
            }
            record.push_field(&nulls);
            for cell in &cells {
                record.push_field(cell.unwrap_or_default());
            }
            writers[part].write_record(&record)?;
        }
        Ok(())
    };
    spill(&first)?;
    drop(first);
    ahead(reader, chunk, &bar, |next| -> Result<(), PricingError> {
        while let Some(more) = next()? {
            spill(&more)?;
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    for writer in writers {
        writer
            .into_inner()
            .map_err(|e| spill_error(e.into_error()))?
            .into_inner()
            .map_err(|e| spill_error(e.into_error()))?
            .sync_all()
            .ok();
    }
    crate::fault::kill_point("price:after-spill");
    let bar = crate::terminal::bar("Pricing", parts as u64);
    for path in &paths {
        // One read takes the whole partition (a read stops only at its end).
        let all = ClaimReader::numbered(path, need_dates, group_by)?.read(usize::MAX)?;
        std::fs::remove_file(path).map_err(spill_error)?;
        bar.inc(1);
        let Some(all) = all else {
            continue;
        };
        passes.chunks += 1;
        sink(&all)?;
        drop(all);
        release_freed_memory();
    }
    bar.finish_and_clear();
    passes.partitions = parts;
    dir.close().map_err(spill_error)?;
    Ok(passes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_read_as_people_write_them() {
        assert_eq!("1GiB".parse(), Ok(MemoryBudget(1 << 30)));
        assert_eq!("512 MiB".parse(), Ok(MemoryBudget(512 << 20)));
        assert_eq!("800MB".parse(), Ok(MemoryBudget(800_000_000)));
        assert_eq!("2g".parse(), Ok(MemoryBudget(2_000_000_000)));
        assert_eq!("4000".parse(), Ok(MemoryBudget(4000)));
        assert!("lots".parse::<MemoryBudget>().is_err());
        assert!("3 parsecs".parse::<MemoryBudget>().is_err());
        assert_eq!(
            MemoryBudget(4000).lines(),
            1_000,
            "at least a thousand lines"
        );
        assert_eq!(MemoryBudget(2_400_000_000).lines(), 1_000_000);
        assert_eq!(MemoryBudget::default().lines(), 335_544);
    }
}
