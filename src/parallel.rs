//! Running independent jobs on a few threads: releases build and diffs compute in
//! parallel, each job on its own partitions, so a 2-core machine uses both cores.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many jobs to run at once: the machine's cores, at most `cap`. Each release build holds
/// a few hundred MB at its peak, so the cap keeps memory bounded on large machines.
pub fn workers(cap: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, cap)
}

/// Applies `job` to every item on up to `workers` threads; results keep the items' order.
pub fn map<T: Sync, R: Send>(items: &[T], workers: usize, job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if workers <= 1 || items.len() <= 1 {
        return items.iter().map(job).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(items.len()) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = job(item);
                    results.lock().expect("no job panicked holding the lock")[index] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no job panicked holding the lock")
        .into_iter()
        .map(|r| r.expect("every index was taken by a worker"))
        .collect()
}

/// [`map`] for items the jobs take by value.
pub fn map_owned<T: Send, R: Send>(
    items: Vec<T>,
    workers: usize,
    job: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    map(&slots, workers, |slot| {
        let item = slot
            .lock()
            .expect("no job panicked holding the lock")
            .take()
            .expect("every item is taken once");
        job(item)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_runs_everything() {
        let items: Vec<u64> = (0..100).collect();
        let squares = map(&items, 4, |n| n * n);
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        assert_eq!(map(&[7u8], 4, |n| *n), [7]);
        assert!(map(&[] as &[u8], 4, |n| *n).is_empty());
    }
}
