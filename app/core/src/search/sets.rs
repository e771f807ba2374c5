//! Sorted lists of document numbers (postings) and the few operations a query needs on them, plus the compact
//! "one list per unit" layout ([`Csr`]).

/// Lists of document numbers, one per key (a town, a category, …), stored back to back: `docs[starts[k]..starts[k +
/// 1]]` is key `k`'s list, ascending. Two allocations for any number of keys.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    starts: Vec<u32>,
    docs: Vec<u32>,
}

impl Csr {
    /// Lists for keys `0..keys`, from each document's key (`None`: in no list); documents in order, so each list
    /// comes out ascending (a counting sort).
    pub fn build(keys: usize, doc_keys: impl Iterator<Item = Option<usize>> + Clone) -> Self {
        let mut counts = vec![0u32; keys + 1];
        for k in doc_keys.clone().flatten() {
            if k < keys {
                counts[k + 1] += 1;
            }
        }
        for k in 1..counts.len() {
            counts[k] += counts[k - 1];
        }
        let mut next = counts.clone();
        let mut docs = vec![0u32; counts[keys] as usize];
        for (d, k) in doc_keys.enumerate() {
            if let Some(k) = k.filter(|k| *k < keys) {
                docs[next[k] as usize] = d as u32;
                next[k] += 1;
            }
        }
        Self { starts: counts, docs }
    }

    /// Key `k`'s documents (empty for an unknown key).
    pub fn get(&self, k: usize) -> &[u32] {
        match (self.starts.get(k), self.starts.get(k + 1)) {
            (Some(a), Some(b)) => &self.docs[*a as usize..*b as usize],
            _ => &[],
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        (self.starts.capacity() + self.docs.capacity()) * 4
    }
}

/// The documents in both ascending lists.
pub fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    // A very uneven pair: look each of the few up in the many.
    if small.len() * 32 < large.len() {
        let mut from = 0;
        for d in small {
            from += large[from..].partition_point(|x| x < d);
            if large.get(from) == Some(d) {
                out.push(*d);
            }
        }
        return out;
    }
    let (mut i, mut j) = (0, 0);
    while i < small.len() && j < large.len() {
        match small[i].cmp(&large[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(small[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The documents in any of the ascending lists, ascending and once each; `universe` bounds the numbers (a bitmap
/// of it is used when the lists are long).
pub fn union(lists: &[&[u32]], universe: usize) -> Vec<u32> {
    let total: usize = lists.iter().map(|l| l.len()).sum();
    match lists {
        [] => Vec::new(),
        [one] => one.to_vec(),
        _ if total * 16 > universe => {
            let mut bits = vec![0u64; universe.div_ceil(64)];
            for d in lists.iter().flat_map(|l| l.iter()) {
                if let Some(w) = bits.get_mut(*d as usize / 64) {
                    *w |= 1 << (d % 64);
                }
            }
            let mut out = Vec::with_capacity(total);
            for (w, word) in bits.iter().enumerate() {
                let mut x = *word;
                while x != 0 {
                    out.push((w * 64) as u32 + x.trailing_zeros());
                    x &= x - 1;
                }
            }
            out
        }
        _ => {
            let mut out: Vec<u32> = lists.iter().flat_map(|l| l.iter().copied()).collect();
            out.sort_unstable();
            out.dedup();
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_per_key_intersections_and_unions() {
        let keys = [Some(2), None, Some(0), Some(2), Some(9), Some(0)];
        let c = Csr::build(3, keys.iter().copied());
        assert_eq!(c.get(0), &[2, 5]);
        assert_eq!(c.get(1), &[] as &[u32]);
        assert_eq!(c.get(2), &[0, 3]);
        assert_eq!(c.get(7), &[] as &[u32]);
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 5]), vec![3, 5]);
        let many: Vec<u32> = (0..1000).collect();
        assert_eq!(intersect(&[7, 500, 2000], &many), vec![7, 500]);
        assert_eq!(union(&[&[1, 5], &[2, 5, 9]], 10), vec![1, 2, 5, 9]);
        assert_eq!(union(&[&[1, 5], &[2, 5, 9]], 1000), vec![1, 2, 5, 9]);
        assert_eq!(union(&[], 10), Vec::<u32>::new());
    }
}
