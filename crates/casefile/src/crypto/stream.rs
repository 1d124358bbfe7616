//! Chunked authenticated encryption of large files (the STREAM construction).
//!
//! Layout: `MAGIC || salt(32) || nonce_prefix(7) || chunk*`. Each chunk is up
//! to [`CHUNK`] bytes of plaintext sealed with AES-256-GCM under a key derived
//! from the master key and the salt; the nonce carries a big-endian counter and
//! a last-chunk flag, so reordering, truncation and extension are all detected.
//! Memory use is one chunk whatever the file size.

use std::io::{self, Read, Seek, SeekFrom, Write};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use super::kdf::subkey_salted;
use super::{CryptoError, random_bytes};

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const MAGIC: &[u8; 8] = b"CFBLOB\x00\x01";
const SALT: usize = 32;
const PREFIX: usize = 7;
/// Bytes of header before the first chunk.
pub const HEADER_LEN: usize = MAGIC.len() + SALT + PREFIX;
const PURPOSE: &str = "casefile blob v1";
const OWNER_PURPOSE: &str = "casefile blob owner v1";

/// Half the salt is random; the other half is a keyed tag of it, so the
/// vault that wrote a blob can recognise it (and sweep it if orphaned) while
/// to anyone else the whole salt is random. Blobs of another vault sharing
/// the folder are thereby never swept.
fn owned_salt(master: &[u8; 32]) -> [u8; SALT] {
    let mut salt = [0u8; SALT];
    salt[..SALT / 2].copy_from_slice(&random_bytes::<{ SALT / 2 }>());
    let tag = subkey_salted(master, &salt[..SALT / 2], OWNER_PURPOSE);
    salt[SALT / 2..].copy_from_slice(&tag[..SALT / 2]);
    salt
}

/// True when a blob header was written under `master` (see [`owned_salt`]).
pub fn owned_by(master: &[u8; 32], header: &[u8]) -> bool {
    if header.len() < HEADER_LEN || &header[..MAGIC.len()] != MAGIC {
        return false;
    }
    let salt = &header[MAGIC.len()..MAGIC.len() + SALT];
    let tag = subkey_salted(master, &salt[..SALT / 2], OWNER_PURPOSE);
    // Not secret-dependent timing that matters: the tag only says whose blob it is.
    tag[..SALT / 2] == salt[SALT / 2..]
}

/// Ciphertext size for a given plaintext size.
pub fn encrypted_len(plain: u64) -> u64 {
    let chunks = plain.div_ceil(CHUNK as u64).max(1);
    HEADER_LEN as u64 + plain + chunks * TAG as u64
}

/// The chunks' AEAD: AES-256-GCM (ring's, with AES-NI and CLMUL, about three
/// times the RustCrypto implementation here) under nonces laid out as the
/// STREAM construction's big-endian 32-bit form: `prefix(7) || counter(4) ||
/// last(1)`, byte for byte what blobs have always used.
struct Chunks {
    key: LessSafeKey,
    prefix: [u8; PREFIX],
}

impl Chunks {
    fn new(master: &[u8; 32], salt: &[u8], prefix: &[u8]) -> io::Result<Self> {
        let key = subkey_salted(master, salt, PURPOSE);
        let key = UnboundKey::new(&AES_256_GCM, key.as_ref())
            .map_err(|_| invalid(CryptoError::Encrypt))?;
        let prefix: [u8; PREFIX] = prefix
            .try_into()
            .map_err(|_| invalid(CryptoError::BadHeader))?;
        Ok(Chunks {
            key: LessSafeKey::new(key),
            prefix,
        })
    }

    fn nonce(&self, counter: u32, last: bool) -> Nonce {
        let mut n = [0u8; 12];
        n[..PREFIX].copy_from_slice(&self.prefix);
        n[PREFIX..PREFIX + 4].copy_from_slice(&counter.to_be_bytes());
        n[11] = u8::from(last);
        Nonce::assume_unique_for_key(n)
    }

    /// Seals `buf` in place and appends the tag.
    fn seal(&self, counter: u32, last: bool, buf: &mut Vec<u8>) -> Result<(), CryptoError> {
        let tag = self
            .key
            .seal_in_place_separate_tag(self.nonce(counter, last), Aad::empty(), buf)
            .map_err(|_| CryptoError::Encrypt)?;
        buf.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Opens `buf` (ciphertext and tag) in place, leaving the plaintext.
    fn open(&self, counter: u32, last: bool, buf: &mut Vec<u8>) -> Result<(), CryptoError> {
        let n = self
            .key
            .open_in_place(self.nonce(counter, last), Aad::empty(), buf)
            .map_err(|_| CryptoError::Decrypt)?
            .len();
        buf.truncate(n);
        Ok(())
    }
}

fn invalid(e: CryptoError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Encrypts everything written to it; call [`EncryptWriter::finish`] at the end.
pub struct EncryptWriter<W: Write> {
    inner: W,
    stream: Chunks,
    buf: Vec<u8>,
    counter: u32,
}

impl<W: Write> EncryptWriter<W> {
    /// Starts a new encrypted stream under `master`, writing the header at once.
    pub fn new(master: &[u8; 32], mut inner: W) -> io::Result<Self> {
        let salt = owned_salt(master);
        let prefix = random_bytes::<PREFIX>();
        inner.write_all(MAGIC)?;
        inner.write_all(&salt)?;
        inner.write_all(&prefix)?;
        Ok(Self {
            inner,
            stream: Chunks::new(master, &salt, &prefix)?,
            buf: Vec::with_capacity(CHUNK + TAG),
            counter: 0,
        })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        self.stream
            .seal(self.counter, last, &mut self.buf)
            .map_err(invalid)?;
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| invalid(CryptoError::Encrypt))?;
        Ok(())
    }

    /// Seals the final chunk and returns the inner writer (not yet synced).
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_chunk(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for EncryptWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // A full buffer is sealed only once more data arrives, so the last
        // chunk is always known to be last.
        if self.buf.len() == CHUNK {
            self.seal_chunk(false)?;
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts and authenticates a stream written by [`EncryptWriter`].
pub struct DecryptReader<R: Read> {
    inner: R,
    stream: Chunks,
    buf: Vec<u8>,
    pos: usize,
    counter: u32,
    peeked: Option<u8>,
    done: bool,
}

impl<R: Read> DecryptReader<R> {
    /// Reads and checks the header; fails on anything that is not a blob.
    pub fn new(master: &[u8; 32], mut inner: R) -> io::Result<Self> {
        let mut header = [0u8; HEADER_LEN];
        read_full(&mut inner, &mut header).and_then(|n| {
            if n == HEADER_LEN {
                Ok(())
            } else {
                Err(invalid(CryptoError::Truncated))
            }
        })?;
        if &header[..MAGIC.len()] != MAGIC {
            return Err(invalid(CryptoError::BadHeader));
        }
        let salt = &header[MAGIC.len()..MAGIC.len() + SALT];
        let prefix = &header[MAGIC.len() + SALT..];
        Ok(Self {
            inner,
            stream: Chunks::new(master, salt, prefix)?,
            buf: Vec::with_capacity(CHUNK + TAG),
            pos: 0,
            counter: 0,
            peeked: None,
            done: false,
        })
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        self.buf.clear();
        self.buf.resize(CHUNK + TAG, 0);
        let mut filled = 0;
        if let Some(b) = self.peeked.take() {
            self.buf[0] = b;
            filled = 1;
        }
        filled += read_full(&mut self.inner, &mut self.buf[filled..])?;
        self.buf.truncate(filled);
        let last = if filled < CHUNK + TAG {
            true
        } else {
            let mut one = [0u8; 1];
            match read_full(&mut self.inner, &mut one)? {
                0 => true,
                _ => {
                    self.peeked = Some(one[0]);
                    false
                }
            }
        };
        if filled < TAG {
            return Err(invalid(CryptoError::Truncated));
        }
        self.stream
            .open(self.counter, last, &mut self.buf)
            .map_err(invalid)?;
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| invalid(CryptoError::Decrypt))?;
        self.pos = 0;
        self.done = last;
        Ok(())
    }
}

impl<R: Read> Read for DecryptReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl<R: Read + Seek> DecryptReader<R> {
    /// Moves to plaintext `offset` by seeking to its chunk, so a range of a
    /// large blob can be served without decrypting what comes before it.
    /// Seeking past the end leaves the reader at the end.
    pub fn seek_to(&mut self, offset: u64, plain_len: u64) -> io::Result<()> {
        let chunk = CHUNK as u64;
        if offset >= plain_len {
            self.buf.clear();
            self.pos = 0;
            self.done = true;
            return Ok(());
        }
        let index = offset / chunk;
        let counter = u32::try_from(index).map_err(|_| invalid(CryptoError::Decrypt))?;
        self.inner.seek(SeekFrom::Start(
            HEADER_LEN as u64 + index * (chunk + TAG as u64),
        ))?;
        self.counter = counter;
        self.peeked = None;
        self.done = false;
        self.next_chunk()?;
        self.pos = (offset % chunk) as usize;
        Ok(())
    }
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
pub fn read_full(r: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypt(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
        let mut w = EncryptWriter::new(key, Vec::new()).unwrap();
        // Odd write sizes exercise the chunk boundary logic.
        for part in data.chunks(7777) {
            w.write_all(part).unwrap();
        }
        w.finish().unwrap()
    }

    fn decrypt(key: &[u8; 32], ct: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        DecryptReader::new(key, ct)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_every_boundary() {
        let key = [9u8; 32];
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let ct = encrypt(&key, &data);
            assert_eq!(ct.len() as u64, encrypted_len(len as u64), "len {len}");
            assert_eq!(decrypt(&key, &ct).unwrap(), data, "len {len}");
        }
    }

    #[test]
    fn seeks_to_any_offset() {
        let key = [4u8; 32];
        let data: Vec<u8> = (0..3 * CHUNK + 5).map(|i| (i * 7 % 253) as u8).collect();
        let ct = encrypt(&key, &data);
        let len = data.len() as u64;
        for offset in [
            0,
            1,
            CHUNK - 1,
            CHUNK,
            2 * CHUNK + 3,
            3 * CHUNK + 4,
            3 * CHUNK + 5,
            data.len() + 9,
        ] {
            let mut r = DecryptReader::new(&key, io::Cursor::new(&ct)).unwrap();
            r.seek_to(offset as u64, len).unwrap();
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, data[offset.min(data.len())..], "offset {offset}");
        }
        // Seeking lands on a chunk that is still authenticated.
        let mut bad = ct.clone();
        bad[HEADER_LEN + 2 * (CHUNK + TAG) + 10] ^= 1;
        let mut r = DecryptReader::new(&key, io::Cursor::new(&bad)).unwrap();
        assert!(r.seek_to(2 * CHUNK as u64, len).is_err());
    }

    /// Blobs written before ring did the AES must keep opening: the chunks
    /// are those of the `aead` crate's STREAM (BE32) over RustCrypto's
    /// AES-256-GCM, byte for byte, both ways.
    #[test]
    fn the_same_chunks_as_the_stream_construction() {
        use aes_gcm::aead::KeyInit;
        use aes_gcm::aead::generic_array::GenericArray;
        use aes_gcm::aead::stream::{NewStream, StreamBE32, StreamPrimitive};
        let master = [6u8; 32];
        let data: Vec<u8> = (0..2 * CHUNK + 11).map(|i| (i * 13 % 251) as u8).collect();
        let ct = encrypt(&master, &data);
        let salt = &ct[MAGIC.len()..MAGIC.len() + SALT];
        let prefix = &ct[MAGIC.len() + SALT..HEADER_LEN];
        let key = subkey_salted(&master, salt, PURPOSE);
        let aead = aes_gcm::Aes256Gcm::new(GenericArray::from_slice(key.as_ref()));
        let old = StreamBE32::from_aead(aead, GenericArray::from_slice(prefix));
        let mut expected = ct[..HEADER_LEN].to_vec();
        let chunks: Vec<&[u8]> = data.chunks(CHUNK).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut buf = chunk.to_vec();
            old.encrypt_in_place(i as u32, i + 1 == chunks.len(), b"", &mut buf)
                .unwrap();
            expected.extend_from_slice(&buf);
        }
        assert_eq!(ct, expected);
        assert_eq!(decrypt(&master, &expected).unwrap(), data);
    }

    #[test]
    fn wrong_key_fails() {
        let ct = encrypt(&[1u8; 32], b"hello");
        assert!(decrypt(&[2u8; 32], &ct).is_err());
    }

    #[test]
    fn truncation_at_chunk_boundary_is_detected() {
        let key = [3u8; 32];
        let data = vec![5u8; 3 * CHUNK];
        let ct = encrypt(&key, &data);
        let cut = HEADER_LEN + 2 * (CHUNK + TAG);
        assert!(decrypt(&key, &ct[..cut]).is_err());
        assert!(decrypt(&key, &ct[..ct.len() - 1]).is_err());
        assert!(decrypt(&key, &ct[..HEADER_LEN]).is_err());
    }

    #[test]
    fn reordered_chunks_and_flipped_bits_are_detected() {
        let key = [4u8; 32];
        let data: Vec<u8> = (0..3 * CHUNK).map(|i| i as u8).collect();
        let ct = encrypt(&key, &data);
        let c = CHUNK + TAG;
        let mut swapped = ct.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + c);
        let first: Vec<u8> = swapped[a..a + c].to_vec();
        let second: Vec<u8> = swapped[b..b + c].to_vec();
        swapped[a..a + c].copy_from_slice(&second);
        swapped[b..b + c].copy_from_slice(&first);
        assert!(decrypt(&key, &swapped).is_err());
        let mut flipped = ct.clone();
        flipped[HEADER_LEN + 10] ^= 0x40;
        assert!(decrypt(&key, &flipped).is_err());
        let mut extended = ct;
        extended.extend_from_slice(&[0u8; 40]);
        assert!(decrypt(&key, &extended).is_err());
    }
}
