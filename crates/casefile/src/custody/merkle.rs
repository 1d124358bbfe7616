//! RFC 6962 / RFC 9162 Merkle tree hashing, roots and inclusion proofs.

use sha2::{Digest, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// Hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// Hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Computes tree heads leaf by leaf in O(log n) memory (a compact range).
#[derive(Debug, Default, Clone)]
pub struct TreeBuilder {
    /// Roots of the perfect subtrees, largest first, with their sizes.
    stack: Vec<(Hash, u64)>,
    size: u64,
}

impl TreeBuilder {
    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut width = 1u64;
        while let Some(&(top, top_width)) = self.stack.last() {
            if top_width != width {
                break;
            }
            self.stack.pop();
            hash = node_hash(&top, &hash);
            width *= 2;
        }
        self.stack.push((hash, width));
        self.size += 1;
    }

    /// Number of leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree head over all leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.stack.iter().rev();
        let Some(&(mut acc, _)) = iter.next() else {
            return empty_root();
        };
        for (left, _) in iter {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// Largest power of two strictly less than `n` (n >= 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// Root of a list of leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    let mut t = TreeBuilder::default();
    leaves.iter().for_each(|l| t.push(*l));
    t.root()
}

/// The audit path for leaf `index` in the tree of `leaves` (RFC 6962 §2.1.1).
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    Prover::new(leaves).proof(index)
}

/// Audit paths for many leaves of one tree. Each sibling subtree's root is
/// computed once and remembered, so proofs for all n leaves cost O(n log n)
/// hashes instead of O(n²) (an export of thousands of events spent most of
/// its time recomputing the same subtrees).
pub struct Prover<'a> {
    leaves: &'a [Hash],
    roots: std::collections::HashMap<(usize, usize), Hash>,
}

impl<'a> Prover<'a> {
    /// A prover over the tree of `leaves`.
    pub fn new(leaves: &'a [Hash]) -> Prover<'a> {
        Prover {
            leaves,
            roots: std::collections::HashMap::new(),
        }
    }

    /// The root of the subtree of `len` leaves from `start`, remembered.
    fn subtree(&mut self, start: usize, len: usize) -> Hash {
        if len == 1 {
            return self.leaves[start];
        }
        if let Some(h) = self.roots.get(&(start, len)) {
            return *h;
        }
        let k = split(len);
        let left = self.subtree(start, k);
        let right = self.subtree(start + k, len - k);
        let h = node_hash(&left, &right);
        self.roots.insert((start, len), h);
        h
    }

    /// The audit path for leaf `index` (empty when out of range or the tree
    /// has one leaf).
    pub fn proof(&mut self, index: usize) -> Vec<Hash> {
        let mut path = Vec::new();
        if index >= self.leaves.len() {
            return path;
        }
        // Walk down from the whole tree, noting each sibling; the path lists
        // them from the leaf up.
        let (mut start, mut len) = (0, self.leaves.len());
        while len > 1 {
            let k = split(len);
            if index < start + k {
                path.push(self.subtree(start + k, len - k));
                len = k;
            } else {
                path.push(self.subtree(start, k));
                start += k;
                len -= k;
            }
        }
        path.reverse();
        path
    }
}

/// Checks an audit path (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n);
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn builder_matches_recursive_definition() {
        let leaves: Vec<Hash> = (0..70u8).map(|i| leaf_hash(&[i])).collect();
        for n in 0..leaves.len() {
            assert_eq!(root(&leaves[..n]), reference_root(&leaves[..n]), "n={n}");
        }
    }

    /// RFC 6962's recursive definition of the audit path, as written there.
    fn reference_proof(index: usize, leaves: &[Hash]) -> Vec<Hash> {
        if leaves.len() <= 1 || index >= leaves.len() {
            return Vec::new();
        }
        let k = split(leaves.len());
        let (left, right) = leaves.split_at(k);
        let mut path;
        if index < k {
            path = reference_proof(index, left);
            path.push(reference_root(right));
        } else {
            path = reference_proof(index - k, right);
            path.push(reference_root(left));
        }
        path
    }

    #[test]
    fn one_prover_gives_every_leaf_the_paths_of_the_recursive_definition() {
        let leaves: Vec<Hash> = (0..70u8).map(|i| leaf_hash(&[i, 2])).collect();
        for n in 0..=leaves.len() {
            let mut prover = Prover::new(&leaves[..n]);
            for m in 0..n + 1 {
                assert_eq!(
                    prover.proof(m),
                    reference_proof(m, &leaves[..n]),
                    "n={n} m={m}"
                );
            }
        }
    }

    #[test]
    fn empty_tree_root_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn every_proof_verifies_and_tampering_fails() {
        let leaves: Vec<Hash> = (0..33u8).map(|i| leaf_hash(&[i, 1])).collect();
        for n in 1..=leaves.len() {
            let tree = &leaves[..n];
            let r = root(tree);
            for m in 0..n {
                let proof = inclusion_proof(m, tree);
                assert!(verify_inclusion(m as u64, n as u64, &tree[m], &proof, &r));
                assert!(!verify_inclusion(
                    m as u64,
                    n as u64,
                    &leaf_hash(b"x"),
                    &proof,
                    &r
                ));
                if n > 1 {
                    let mut bad = proof.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify_inclusion(m as u64, n as u64, &tree[m], &bad, &r));
                    let wrong = (m + 1) % n;
                    assert!(!verify_inclusion(
                        wrong as u64,
                        n as u64,
                        &tree[m],
                        &proof,
                        &r
                    ));
                }
            }
        }
    }
}
