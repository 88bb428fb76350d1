//! Many warm-started chains on a few threads: the paths of a
//! cross-validation's folds, run a few alphas at a time.
//!
//! A fold's path is a chain: each alpha starts from the solution at the
//! one before, so its steps run in order, one at a time. Five folds on two
//! threads, each thread taking a whole path, take three rounds: at best
//! `5/3 = 1.67×` the speed of one thread, whatever the schedule. Handed
//! out in slices instead, the chains go round the threads, and the
//! threads end within about a slice of each other, not a path.
//!
//! Chains come in groups (a fold's targets and `l1_ratio`s) that share
//! what [`run`]'s `open` makes for them (the fold's problem). A group is
//! opened when the window allows, its chains advance a slice at a time —
//! a worker takes the chain that has made the least progress, runs steps
//! on it for a slice of time or until it ends, and puts it back — and the
//! worker that ends a group's last chain hands the group to `finish`. Only
//! `window` groups are open at once, which bounds the memory of what
//! `open` makes.
//!
//! A slice is a quarter of the work left per thread, at the pace of the
//! steps so far, and at least [`SLICE`]: long while much is left, so that
//! chains seldom change threads (each change moves a chain's state to
//! another core's cache), and down to [`SLICE`] near the end, so that the
//! threads still end within about that of each other. On the 3 ms
//! cross-validation of the diabetes data, the 2-thread run took 1.1–3.5%
//! less time than with slices of [`SLICE`] throughout, in each of six
//! rounds of 300 runs of each, alternated in one process.
//!
//! Which thread runs which step changes from run to run; what a step
//! computes does not: each chain's steps run in order on its own state,
//! so the results are the same to the bit as those of a serial run.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::Result;

/// The shortest time a worker keeps a chain before it puts it back (see
/// [`slice_length`]): long enough that taking and returning it (a lock,
/// an `Arc`) costs well under 1%. In unit tests every step is a slice of
/// its own, so that chains interleave as much as they can.
pub(crate) const SLICE: Duration = if cfg!(test) {
    Duration::ZERO
} else {
    Duration::from_micros(50)
};

/// Runs `seeds.len()` groups of chains of `length` steps each, on the
/// threads of the current rayon pool (one thread without the `rayon`
/// feature), and gives each group's result, in order.
///
/// * `open(g, seed)` makes group `g`'s shared data and its chains;
/// * `step(shared, chain, i)` runs step `i` of a chain (`0..length`, in
///   order);
/// * `finish(g, shared, chains)` makes the group's result once every one
///   of its chains has run all its steps.
///
/// At most `window` groups (at least 1) are open at once. An error from
/// `open` is group `g`'s result, and its chains never run.
pub(crate) fn run<S, G, C, R>(
    seeds: Vec<S>,
    length: usize,
    window: usize,
    open: impl Fn(usize, S) -> Result<(G, Vec<C>)> + Sync,
    step: impl Fn(&G, &mut C, usize) + Sync,
    finish: impl Fn(usize, G, Vec<C>) -> Result<R> + Sync,
) -> Vec<Result<R>>
where
    S: Send,
    G: Send + Sync,
    C: Send,
    R: Send,
{
    let n_groups = seeds.len();
    let board = Board {
        seeds: seeds.into_iter().enumerate(),
        open: 0,
        groups: (0..n_groups).map(|_| None).collect(),
        results: (0..n_groups).map(|_| None).collect(),
        done: 0,
        steps: 0,
        stepping: Duration::ZERO,
    };
    let shared = Shared {
        board: Mutex::new(board),
        length,
        window: window.max(1),
        threads: threads(),
    };
    let work = || shared.work(&open, &step, &finish);
    #[cfg(feature = "rayon")]
    {
        let workers = threads();
        rayon::scope(|s| {
            for _ in 1..workers {
                s.spawn(|_| work());
            }
            work();
        });
    }
    #[cfg(not(feature = "rayon"))]
    work();
    let board = shared
        .board
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    board
        .results
        .into_iter()
        .map(|r| r.expect("every group finishes"))
        .collect()
}

/// How long a worker keeps the chain it takes when `remaining` steps are
/// left in all (those of groups not yet open included) and the steps so
/// far took `pace` each (`None` before any): a quarter of the work left
/// per thread, and at least `shortest` ([`SLICE`]). A zero `shortest`
/// makes every step a slice of its own.
fn slice_length(
    remaining: usize,
    pace: Option<Duration>,
    threads: usize,
    shortest: Duration,
) -> Duration {
    match pace {
        Some(pace) if !shortest.is_zero() => {
            let per_thread = pace.mul_f64(remaining as f64 / threads.max(1) as f64);
            (per_thread / 4).max(shortest)
        }
        _ => shortest,
    }
}

/// The number of threads [`run`] uses: those of the current rayon pool,
/// or 1 without the `rayon` feature.
pub(crate) fn threads() -> usize {
    #[cfg(feature = "rayon")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "rayon"))]
    return 1;
}

/// What the workers share.
struct Shared<S, G, C, R> {
    board: Mutex<Board<S, G, C, R>>,
    length: usize,
    window: usize,
    threads: usize,
}

/// The state of every group, under the lock.
struct Board<S, G, C, R> {
    /// The groups not opened yet, with their numbers.
    seeds: std::iter::Enumerate<std::vec::IntoIter<S>>,
    /// Groups being opened, open, or being finished.
    open: usize,
    groups: Vec<Option<Group<G, C>>>,
    results: Vec<Option<Result<R>>>,
    /// Groups with a result.
    done: usize,
    /// The steps run so far, and the time they took.
    steps: usize,
    stepping: Duration,
}

/// An open group.
struct Group<G, C> {
    shared: Arc<G>,
    chains: Vec<Slot<C>>,
}

/// A chain and the number of its steps done; `chain` is `None` while a
/// worker holds it.
struct Slot<C> {
    chain: Option<C>,
    progress: usize,
}

/// What a worker does next.
enum Task<S, G, C> {
    Open(usize, S),
    Advance {
        group: usize,
        index: usize,
        shared: Arc<G>,
        chain: C,
        from: usize,
        slice: Duration,
    },
    /// Nothing this worker can take now.
    Stop,
}

impl<S, G, C, R> Shared<S, G, C, R> {
    fn lock(&self) -> MutexGuard<'_, Board<S, G, C, R>> {
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One worker: takes tasks until there is none it can take — every
    /// group open (or as many as the window allows) and every chain left
    /// held by another worker, which runs it on. A worker never waits for
    /// another: rayon may run a worker on top of a suspended `open` of the
    /// same run (a thread that waits inside rayon, for a block of a Gram
    /// pass say, takes other jobs meanwhile), and one waiting there for a
    /// chain of that very group would wait for ever.
    fn work(
        &self,
        open: &(impl Fn(usize, S) -> Result<(G, Vec<C>)> + Sync),
        step: &(impl Fn(&G, &mut C, usize) + Sync),
        finish: &(impl Fn(usize, G, Vec<C>) -> Result<R> + Sync),
    ) {
        let mut board = self.lock();
        loop {
            match self.next_task(&mut board) {
                Task::Stop => return,
                Task::Open(g, seed) => {
                    drop(board);
                    let opened = open(g, seed);
                    board = self.lock();
                    match opened {
                        Ok((shared, chains)) => {
                            board.groups[g] = Some(Group {
                                shared: Arc::new(shared),
                                chains: chains
                                    .into_iter()
                                    .map(|c| Slot {
                                        chain: Some(c),
                                        progress: 0,
                                    })
                                    .collect(),
                            });
                            board = self.finish_if_done(board, g, finish);
                        }
                        Err(e) => {
                            board.results[g] = Some(Err(e));
                            board.done += 1;
                            board.open -= 1;
                        }
                    }
                }
                Task::Advance {
                    group,
                    index,
                    shared,
                    mut chain,
                    from,
                    slice,
                } => {
                    drop(board);
                    let (to, took) = self.advance(&shared, &mut chain, from, slice, step);
                    drop(shared);
                    board = self.lock();
                    board.steps += to - from;
                    board.stepping += took;
                    let g = board.groups[group]
                        .as_mut()
                        .expect("a held chain's group is open");
                    g.chains[index] = Slot {
                        chain: Some(chain),
                        progress: to,
                    };
                    board = self.finish_if_done(board, group, finish);
                }
            }
        }
    }

    /// Runs steps `from..` of `chain` until `slice` has passed or the
    /// chain ends; the first step not run, and the time the steps took.
    fn advance(
        &self,
        shared: &G,
        chain: &mut C,
        from: usize,
        slice: Duration,
        step: &impl Fn(&G, &mut C, usize),
    ) -> (usize, Duration) {
        let start = Instant::now();
        let mut i = from;
        loop {
            step(shared, chain, i);
            i += 1;
            let took = start.elapsed();
            if i == self.length || took >= slice {
                return (i, took);
            }
        }
    }

    /// The next task: open a group if the window allows, else the chain
    /// with the least progress that no worker holds (the first of equals),
    /// else stop.
    fn next_task(&self, board: &mut Board<S, G, C, R>) -> Task<S, G, C> {
        if board.done == board.groups.len() {
            return Task::Stop;
        }
        if board.open < self.window
            && let Some((g, seed)) = board.seeds.next()
        {
            board.open += 1;
            return Task::Open(g, seed);
        }
        let mut best: Option<(usize, usize, usize)> = None;
        // The steps left in the open groups, and their chains.
        let (mut remaining, mut chains, mut open) = (0, 0, 0);
        for (g, group) in board.groups.iter().enumerate() {
            let Some(group) = group else { continue };
            open += 1;
            chains += group.chains.len();
            for (c, slot) in group.chains.iter().enumerate() {
                remaining += self.length - slot.progress;
                if slot.chain.is_some()
                    && slot.progress < self.length
                    && best.is_none_or(|(_, _, p)| slot.progress < p)
                {
                    best = Some((g, c, slot.progress));
                }
            }
        }
        let Some((g, c, from)) = best else {
            return Task::Stop;
        };
        // Groups not yet open, as many chains each as the open ones.
        remaining = remaining.saturating_add(
            board
                .seeds
                .len()
                .saturating_mul(self.length.saturating_mul(chains) / open),
        );
        let pace = (board.steps > 0).then(|| board.stepping.div_f64(board.steps as f64));
        let slice = slice_length(remaining, pace, self.threads, SLICE);
        let group = board.groups[g]
            .as_mut()
            .expect("chosen from the open groups");
        Task::Advance {
            group: g,
            index: c,
            shared: Arc::clone(&group.shared),
            chain: group.chains[c].chain.take().expect("chosen as not held"),
            from,
            slice,
        }
    }

    /// Finishes group `g` (outside the lock) if every chain is back and
    /// has run every step; the lock, taken again.
    fn finish_if_done<'a>(
        &'a self,
        mut board: MutexGuard<'a, Board<S, G, C, R>>,
        g: usize,
        finish: &impl Fn(usize, G, Vec<C>) -> Result<R>,
    ) -> MutexGuard<'a, Board<S, G, C, R>> {
        let group = board.groups[g].as_ref().expect("an open group");
        let done = group
            .chains
            .iter()
            .all(|s| s.chain.is_some() && s.progress == self.length);
        if !done {
            return board;
        }
        let group = board.groups[g].take().expect("an open group");
        drop(board);
        let shared = Arc::into_inner(group.shared).expect("no worker holds a finished chain");
        let chains = group
            .chains
            .into_iter()
            .map(|s| s.chain.expect("no worker holds a finished chain"))
            .collect();
        let result = finish(g, shared, chains);
        let mut board = self.lock();
        board.results[g] = Some(result);
        board.done += 1;
        board.open -= 1;
        board
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    /// Each chain records the steps it ran; a group's result is its
    /// chains' records. Every step runs once, in order, on its own chain,
    /// whatever the window.
    #[test]
    fn every_chain_runs_its_steps_in_order() {
        let length = 40;
        for window in [1, 2, 3, 7] {
            let seeds: Vec<usize> = (0..7).collect();
            let results = run(
                seeds,
                length,
                window,
                |g, seed| {
                    assert_eq!(g, seed);
                    Ok((g * 100, vec![Vec::new(); g % 3 + 1]))
                },
                |shared: &usize, chain: &mut Vec<usize>, i| {
                    // Long enough steps that slices end mid-chain.
                    std::thread::sleep(Duration::from_micros(20));
                    chain.push(shared + i);
                },
                |g, shared, chains| {
                    assert_eq!(shared, g * 100);
                    Ok(chains)
                },
            );
            for (g, result) in results.into_iter().enumerate() {
                let chains = result.unwrap();
                assert_eq!(chains.len(), g % 3 + 1);
                for chain in chains {
                    let expected: Vec<usize> = (0..length).map(|i| g * 100 + i).collect();
                    assert_eq!(chain, expected, "window {window}, group {g}");
                }
            }
        }
    }

    /// A group that fails to open gives its error and runs nothing; the
    /// others still finish, and a group with no chains finishes at once.
    #[test]
    fn a_failed_open_is_that_groups_result() {
        let results = run(
            vec![0usize, 1, 2],
            5,
            2,
            |g, _| match g {
                1 => Err(Error::EmptyInput { what: "group 1" }),
                2 => Ok(((), Vec::new())),
                _ => Ok(((), vec![0usize])),
            },
            |_, chain: &mut usize, _| *chain += 1,
            |_, _, chains| Ok(chains.iter().sum::<usize>()),
        );
        assert_eq!(*results[0].as_ref().unwrap(), 5);
        assert!(matches!(
            results[1],
            Err(Error::EmptyInput { what: "group 1" })
        ));
        assert_eq!(*results[2].as_ref().unwrap(), 0);
    }

    /// A slice is a quarter of the work left per thread, no shorter than
    /// the shortest: long at the start, the shortest near the end and
    /// before any step has been timed; zero stays zero.
    #[test]
    fn slices_shrink_with_the_work_left() {
        let (us, shortest) = (Duration::from_micros, Duration::from_micros(50));
        // 1000 steps of 10 µs on 2 threads: 5 ms each, a quarter 1.25 ms.
        assert_eq!(slice_length(1000, Some(us(10)), 2, shortest), us(1250));
        assert_eq!(slice_length(1000, Some(us(10)), 4, shortest), us(625));
        assert_eq!(slice_length(10, Some(us(10)), 2, shortest), shortest);
        assert_eq!(slice_length(1000, None, 2, shortest), shortest);
        assert_eq!(
            slice_length(1000, Some(us(10)), 2, Duration::ZERO),
            Duration::ZERO
        );
    }

    /// At most `window` groups are open at once.
    #[test]
    fn no_more_than_the_window_is_open() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let open_now = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let results = run(
            vec![(); 6],
            10,
            2,
            |_, _| {
                let now = open_now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                Ok(((), vec![(), ()]))
            },
            |_, _, _| std::thread::sleep(Duration::from_micros(30)),
            |_, _, _| {
                open_now.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            },
        );
        assert!(results.iter().all(|r| r.is_ok()));
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert!(most.load(Ordering::SeqCst) >= 1);
    }
}
