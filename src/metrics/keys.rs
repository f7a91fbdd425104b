//! Helpers for the Rust passes over numbered keys (holders, GRI counts, roles and teams,
//! revenue): account lookups that remember the last id, and distinct (account, key) pairs
//! packed in a `u64`.

/// Account-index lookup that remembers the last id asked for: exports list an account's rows
/// together more often than not, so most rows skip the hash lookup.
///
/// Example: ids `A, A, B` call `find` twice.
pub struct RunLookup<'a, F> {
    find: F,
    last: Option<(&'a str, Option<usize>)>,
}

impl<'a, F: Fn(&str) -> Option<usize>> RunLookup<'a, F> {
    pub fn new(find: F) -> Self {
        RunLookup { find, last: None }
    }

    pub fn get(&mut self, id: &'a str) -> Option<usize> {
        match self.last {
            Some((l, i)) if l == id => i,
            _ => {
                let i = (self.find)(id);
                self.last = Some((id, i));
                i
            }
        }
    }
}

/// `(account << 32) | key`: pairs sort by account, then key.
pub fn pair(account: usize, key: u32) -> u64 {
    ((account as u64) << 32) | u64::from(key)
}

/// The account of a [`pair`].
pub fn pair_account(p: u64) -> usize {
    (p >> 32) as usize
}

/// Sort pairs and drop repeats.
pub fn distinct(mut pairs: Vec<u64>) -> Vec<u64> {
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Distinct keys per account (`n` accounts) of a list of pairs with repeats.
///
/// Example: pairs (0, 7), (0, 7), (0, 9), (2, 7) with n = 3 → [2, 0, 1].
pub fn distinct_per_account(pairs: Vec<u64>, n: usize) -> Vec<i64> {
    let mut count = vec![0i64; n];
    for p in distinct(pairs) {
        count[pair_account(p)] += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_lookup_remembers_the_last_id() {
        let calls = std::cell::Cell::new(0);
        let mut l = RunLookup::new(|a: &str| {
            calls.set(calls.get() + 1);
            (a != "X").then_some(a.len())
        });
        assert_eq!(l.get("A"), Some(1));
        assert_eq!(l.get("A"), Some(1));
        assert_eq!(l.get("BB"), Some(2));
        assert_eq!(l.get("X"), None);
        assert_eq!(l.get("X"), None);
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn distinct_pairs_per_account() {
        let p = vec![pair(0, 7), pair(2, 7), pair(0, 7), pair(0, 9)];
        assert_eq!(distinct_per_account(p.clone(), 3), vec![2, 0, 1]);
        assert_eq!(distinct(p), vec![pair(0, 7), pair(0, 9), pair(2, 7)]);
        assert_eq!(pair_account(pair(5, u32::MAX)), 5);
    }
}
