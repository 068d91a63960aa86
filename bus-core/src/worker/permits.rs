//! Concurrency permits in bulk: a runner loop takes a receive's worth of queue and pool permits in one
//! go, holds the permits of all its live tasks merged, and gives back those of finished tasks in one
//! release per round instead of one (two semaphore locks) per task.

use tokio::sync::{Semaphore, SemaphorePermit};

/// As many queue permits as pool permits (one pair per task).
#[derive(Debug)]
pub(crate) struct Permits<'r> {
    queue: SemaphorePermit<'r>,
    global: SemaphorePermit<'r>,
}

impl<'r> Permits<'r> {
    /// Waits for one queue permit and then one pool permit, then takes up to `want - 1` more pairs
    /// without waiting. `None` if a semaphore was closed (never, in practice).
    pub(crate) async fn acquire(queue: &'r Semaphore, global: &'r Semaphore, want: usize) -> Option<Self> {
        let queue_permit = queue.acquire().await.ok()?;
        let global_permit = global.acquire().await.ok()?;
        let mut permits = Permits { queue: queue_permit, global: global_permit };
        // Other runners share the pool's semaphore: what is available may shrink between the check and
        // the take, so try a few times with what is left.
        for _ in 0..3 {
            let extra = want.saturating_sub(1).min(queue.available_permits()).min(global.available_permits());
            let Ok(extra) = u32::try_from(extra) else { break };
            if extra == 0 {
                break;
            }
            let Ok(more_queue) = queue.try_acquire_many(extra) else { continue };
            let Ok(more_global) = global.try_acquire_many(extra) else { continue };
            permits.queue.merge(more_queue);
            permits.global.merge(more_global);
            break;
        }
        Some(permits)
    }

    /// Pairs held.
    pub(crate) fn len(&self) -> usize {
        self.queue.num_permits()
    }

    /// Splits `n` pairs off (`None` if fewer are held).
    pub(crate) fn split(&mut self, n: usize) -> Option<Self> {
        if n > self.len() {
            return None;
        }
        Some(Permits { queue: self.queue.split(n)?, global: self.global.split(n)? })
    }

    fn merge(&mut self, other: Self) {
        self.queue.merge(other.queue);
        self.global.merge(other.global);
    }
}

/// The permits of a runner loop's live tasks, merged.
#[derive(Debug, Default)]
pub(crate) struct Held<'r> {
    permits: Option<Permits<'r>>,
}

impl<'r> Held<'r> {
    /// Adds permits.
    pub(crate) fn add(&mut self, permits: Permits<'r>) {
        match &mut self.permits {
            Some(held) => held.merge(permits),
            None => self.permits = Some(permits),
        }
    }

    /// Pairs held.
    pub(crate) fn len(&self) -> usize {
        self.permits.as_ref().map_or(0, Permits::len)
    }

    /// Gives `n` pairs back to the semaphores (as many as are held, if fewer).
    pub(crate) fn release(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if n >= self.len() {
            self.permits = None;
        } else if let Some(held) = &mut self.permits {
            drop(held.split(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn takes_in_bulk_and_gives_back_exactly() {
        let queue = Semaphore::new(7);
        let global = Semaphore::new(5);
        let mut p = Permits::acquire(&queue, &global, 10).await.unwrap();
        assert_eq!(p.len(), 5, "bounded by the tighter semaphore");
        assert_eq!((queue.available_permits(), global.available_permits()), (2, 0));
        let mut held = Held::default();
        let surplus = p.split(2).unwrap();
        assert!(p.split(4).is_none());
        drop(surplus);
        assert_eq!((queue.available_permits(), global.available_permits()), (4, 2));
        held.add(p);
        held.add(Permits::acquire(&queue, &global, 1).await.unwrap());
        assert_eq!(held.len(), 4);
        held.release(3);
        assert_eq!((held.len(), queue.available_permits(), global.available_permits()), (1, 6, 4));
        held.release(5);
        assert_eq!((held.len(), queue.available_permits(), global.available_permits()), (0, 7, 5));
        held.release(1); // nothing held: nothing happens
        assert_eq!(global.available_permits(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_first_pair_only() {
        let queue = Semaphore::new(3);
        let global = Semaphore::new(1);
        let first = Permits::acquire(&queue, &global, 10).await.unwrap();
        assert_eq!(first.len(), 1);
        let waiting = Permits::acquire(&queue, &global, 10);
        tokio::pin!(waiting);
        assert!(futures::poll!(waiting.as_mut()).is_pending(), "no pool permit left");
        drop(first);
        let second = waiting.await.unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(queue.available_permits(), 2);
    }
}
