//! A passphrase-sealed stream: the encrypted form of a server backup (`windflow admin
//! backup`). It is written and read in chunks, so a large database never has to fit in
//! memory, and any change, reordering, truncation or extension of the file is detected.
//!
//! Format (all integers big-endian):
//!
//! ```text
//! header (61 bytes)
//!   magic        8   "WFBACKUP"
//!   version      1   1
//!   kdf          1   1 = argon2id, version 0x13
//!   m_cost       4   KiB of memory       (8 ..= 1 048 576)
//!   t_cost       4   passes              (1 ..= 64)
//!   p_cost       4   lanes               (1 ..= 16)
//!   salt        16   random
//!   nonce_prefix 19  random
//!   chunk_size   4   plaintext bytes per chunk (1 ..= 16 MiB)
//! key check     16   the tag of an empty message, nonce = prefix ‖ 0xFFFFFFFF ‖ 0x02
//! chunks, one or more, each:
//!   length       4   ciphertext bytes (16 ..= chunk_size + 16)
//!   ciphertext       XChaCha20-Poly1305 of ≤ chunk_size bytes, tag included
//! ```
//!
//! The key is argon2id(passphrase, salt) with the header's costs, 32 bytes. Chunk `i`
//! (from 0) is sealed with the nonce `nonce_prefix ‖ i as u32 ‖ last` (`last` is 1 for the
//! final chunk, else 0) and the whole header as associated data: the STREAM construction, so
//! chunks cannot be reordered, dropped or appended, and the header cannot be altered. Every
//! chunk but the last holds exactly `chunk_size` bytes; the last holds at most `chunk_size`
//! (the writer leaves it empty only for an empty stream). Nothing may follow the last chunk.
//! The key check tells a wrong passphrase apart from a damaged file.

use std::io::{self, Read, Write};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};

pub const MAGIC: &[u8; 8] = b"WFBACKUP";
const VERSION: u8 = 1;
const KDF_ARGON2ID: u8 = 1;
const SALT_LEN: usize = 16;
const PREFIX_LEN: usize = 19;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 8 + 1 + 1 + 4 + 4 + 4 + SALT_LEN + PREFIX_LEN + 4;
const KEY_CHECK_COUNTER: u32 = u32::MAX;
/// Plaintext bytes per chunk written by default.
pub const DEFAULT_CHUNK_SIZE: u32 = 1 << 20;
const MAX_CHUNK_SIZE: u32 = 16 << 20;

/// The argon2id costs a passphrase is stretched with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfCost {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl KdfCost {
    /// 64 MiB, 3 passes, 1 lane: about a second to try one passphrase.
    pub const DEFAULT: KdfCost = KdfCost {
        memory_kib: 64 * 1024,
        passes: 3,
        lanes: 1,
    };

    fn check(&self) -> Result<(), SealError> {
        if !(8..=1 << 20).contains(&self.memory_kib)
            || !(1..=64).contains(&self.passes)
            || !(1..=16).contains(&self.lanes)
            || self.memory_kib < 8 * self.lanes
        {
            return Err(SealError::BadHeader(format!(
                "unusable key-derivation costs (memory {} KiB, {} passes, {} lanes)",
                self.memory_kib, self.passes, self.lanes
            )));
        }
        Ok(())
    }
}

/// Why a sealed stream cannot be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("this is not an encrypted WindFlow backup (no WFBACKUP header)")]
    NotSealed,
    #[error(
        "this backup was written in format version {0}, which this WindFlow does not read: \
         restore it with a newer WindFlow"
    )]
    UnsupportedVersion(u8),
    #[error("the backup's header is damaged: {0}")]
    BadHeader(String),
    #[error("the passphrase is wrong (or the backup's header was altered)")]
    WrongPassphrase,
    #[error("the backup is truncated: it ends before its last chunk (an incomplete copy?)")]
    Truncated,
    #[error("the backup is damaged or was altered (chunk {0} does not authenticate)")]
    Corrupt(u64),
    #[error("the backup has unexpected bytes after its last chunk (it was altered)")]
    TrailingData,
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<SealError> for io::Error {
    fn from(error: SealError) -> Self {
        match error {
            SealError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// The sealing error inside an `io::Error` returned by [`Opener`]'s `read`, if there is one.
pub fn seal_error(error: &io::Error) -> Option<&SealError> {
    error.get_ref().and_then(|e| e.downcast_ref::<SealError>())
}

struct Header {
    bytes: [u8; HEADER_LEN],
    cost: KdfCost,
    salt: [u8; SALT_LEN],
    prefix: [u8; PREFIX_LEN],
    chunk_size: u32,
}

impl Header {
    fn new(cost: KdfCost, chunk_size: u32) -> Header {
        let salt: [u8; SALT_LEN] = crate::secrets::random_bytes();
        let prefix: [u8; PREFIX_LEN] = crate::secrets::random_bytes();
        let mut bytes = [0u8; HEADER_LEN];
        let mut at = 0;
        let mut put = |part: &[u8]| {
            bytes[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        };
        put(MAGIC);
        put(&[VERSION, KDF_ARGON2ID]);
        put(&cost.memory_kib.to_be_bytes());
        put(&cost.passes.to_be_bytes());
        put(&cost.lanes.to_be_bytes());
        put(&salt);
        put(&prefix);
        put(&chunk_size.to_be_bytes());
        Header {
            bytes,
            cost,
            salt,
            prefix,
            chunk_size,
        }
    }

    fn parse(bytes: [u8; HEADER_LEN]) -> Result<Header, SealError> {
        if &bytes[..8] != MAGIC {
            return Err(SealError::NotSealed);
        }
        if bytes[8] != VERSION {
            return Err(SealError::UnsupportedVersion(bytes[8]));
        }
        if bytes[9] != KDF_ARGON2ID {
            return Err(SealError::BadHeader(format!(
                "unknown key derivation {}",
                bytes[9]
            )));
        }
        let u32_at = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4"));
        let cost = KdfCost {
            memory_kib: u32_at(10),
            passes: u32_at(14),
            lanes: u32_at(18),
        };
        cost.check()?;
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&bytes[22..22 + SALT_LEN]);
        let mut prefix = [0u8; PREFIX_LEN];
        prefix.copy_from_slice(&bytes[38..38 + PREFIX_LEN]);
        let chunk_size = u32_at(57);
        if !(1..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(SealError::BadHeader(format!(
                "chunk size {chunk_size} out of range"
            )));
        }
        Ok(Header {
            bytes,
            cost,
            salt,
            prefix,
            chunk_size,
        })
    }

    fn cipher(&self, passphrase: &[u8]) -> Result<XChaCha20Poly1305, SealError> {
        if passphrase.is_empty() {
            return Err(SealError::EmptyPassphrase);
        }
        let params = Params::new(
            self.cost.memory_kib,
            self.cost.passes,
            self.cost.lanes,
            Some(32),
        )
        .map_err(|e| SealError::BadHeader(format!("key derivation: {e}")))?;
        let mut key = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase, &self.salt, &mut key)
            .map_err(|e| SealError::BadHeader(format!("key derivation: {e}")))?;
        Ok(XChaCha20Poly1305::new_from_slice(&key).expect("32-byte key"))
    }

    fn nonce(&self, counter: u32, flag: u8) -> XNonce {
        let mut nonce = [0u8; 24];
        nonce[..PREFIX_LEN].copy_from_slice(&self.prefix);
        nonce[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
        nonce[23] = flag;
        XNonce::try_from(&nonce[..]).expect("24-byte nonce")
    }
}

/// Writes a sealed stream into `W`; call [`Sealer::finish`] at the end, or the stream has no
/// last chunk and will not open.
pub struct Sealer<W: Write> {
    inner: W,
    header: Header,
    cipher: XChaCha20Poly1305,
    buffer: Vec<u8>,
    counter: u32,
}

impl<W: Write> Sealer<W> {
    /// Starts a stream: derives the key (a second or so with the default cost) and writes
    /// the header and key check.
    pub fn new(
        mut inner: W,
        passphrase: &[u8],
        cost: KdfCost,
        chunk_size: u32,
    ) -> Result<Self, SealError> {
        cost.check()?;
        assert!((1..=MAX_CHUNK_SIZE).contains(&chunk_size));
        let header = Header::new(cost, chunk_size);
        let cipher = header.cipher(passphrase)?;
        let check = seal(&cipher, &header, KEY_CHECK_COUNTER, 2, &[])?;
        inner.write_all(&header.bytes)?;
        inner.write_all(&check)?;
        Ok(Sealer {
            inner,
            buffer: Vec::with_capacity(chunk_size as usize),
            header,
            cipher,
            counter: 0,
        })
    }

    fn write_chunk(&mut self, last: bool) -> io::Result<()> {
        if self.counter == KEY_CHECK_COUNTER {
            return Err(io::Error::other("the backup is too large for one stream"));
        }
        let sealed = seal(
            &self.cipher,
            &self.header,
            self.counter,
            u8::from(last),
            &self.buffer,
        )?;
        self.inner
            .write_all(&u32::try_from(sealed.len()).expect("small").to_be_bytes())?;
        self.inner.write_all(&sealed)?;
        self.buffer.clear();
        self.counter += 1;
        Ok(())
    }

    /// Seals what is buffered as the last chunk and returns the inner writer (flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.write_chunk(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // A full buffer is written only once more data shows it is not the last chunk.
        if self.buffer.len() == self.header.chunk_size as usize {
            self.write_chunk(false)?;
        }
        let room = self.header.chunk_size as usize - self.buffer.len();
        let n = room.min(data.len());
        self.buffer.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn seal(
    cipher: &XChaCha20Poly1305,
    header: &Header,
    counter: u32,
    flag: u8,
    plaintext: &[u8],
) -> io::Result<Vec<u8>> {
    cipher
        .encrypt(
            &header.nonce(counter, flag),
            Payload {
                msg: plaintext,
                aad: &header.bytes,
            },
        )
        .map_err(|_| io::Error::other("encryption failed"))
}

/// Reads the plaintext of a sealed stream. Its `read` fails (an `io::Error` holding a
/// [`SealError`], see [`seal_error`]) on the first chunk that does not authenticate, on a
/// truncated stream, and on bytes after the last chunk; plaintext is only returned once its
/// chunk has authenticated.
pub struct Opener<R: Read> {
    inner: R,
    header: Header,
    cipher: XChaCha20Poly1305,
    plain: Vec<u8>,
    at: usize,
    counter: u32,
    done: bool,
}

impl<R: Read> Opener<R> {
    /// Reads the header, derives the key and checks the passphrase.
    pub fn new(mut inner: R, passphrase: &[u8]) -> Result<Self, SealError> {
        let mut bytes = [0u8; HEADER_LEN];
        let got = read_up_to(&mut inner, &mut bytes)?;
        if got < HEADER_LEN {
            return Err(if got >= MAGIC.len() && &bytes[..MAGIC.len()] == MAGIC {
                SealError::Truncated
            } else {
                SealError::NotSealed
            });
        }
        let header = Header::parse(bytes)?;
        let cipher = header.cipher(passphrase)?;
        let mut check = [0u8; TAG_LEN];
        read_exact_or(&mut inner, &mut check, |_| SealError::Truncated)?;
        cipher
            .decrypt(
                &header.nonce(KEY_CHECK_COUNTER, 2),
                Payload {
                    msg: &check,
                    aad: &header.bytes,
                },
            )
            .map_err(|_| SealError::WrongPassphrase)?;
        Ok(Opener {
            inner,
            header,
            cipher,
            plain: Vec::new(),
            at: 0,
            counter: 0,
            done: false,
        })
    }

    fn next_chunk(&mut self) -> Result<(), SealError> {
        let mut length = [0u8; 4];
        read_exact_or(&mut self.inner, &mut length, |_| SealError::Truncated)?;
        let length = u32::from_be_bytes(length);
        if length < TAG_LEN as u32 || length > self.header.chunk_size + TAG_LEN as u32 {
            return Err(SealError::Corrupt(u64::from(self.counter)));
        }
        let mut sealed = vec![0u8; length as usize];
        read_exact_or(&mut self.inner, &mut sealed, |_| SealError::Truncated)?;
        let chunk = u64::from(self.counter);
        let mut last = true;
        let plain = self
            .cipher
            .decrypt(
                &self.header.nonce(self.counter, 1),
                Payload {
                    msg: &sealed,
                    aad: &self.header.bytes,
                },
            )
            .or_else(|_| {
                last = false;
                self.cipher.decrypt(
                    &self.header.nonce(self.counter, 0),
                    Payload {
                        msg: &sealed,
                        aad: &self.header.bytes,
                    },
                )
            })
            .map_err(|_| SealError::Corrupt(chunk))?;
        if !last && plain.len() != self.header.chunk_size as usize {
            return Err(SealError::Corrupt(chunk));
        }
        if last {
            let mut extra = [0u8; 1];
            if read_some(&mut self.inner, &mut extra)? != 0 {
                return Err(SealError::TrailingData);
            }
            self.done = true;
        } else {
            self.counter = self
                .counter
                .checked_add(1)
                .filter(|c| *c != KEY_CHECK_COUNTER)
                .ok_or(SealError::Corrupt(chunk))?;
        }
        self.plain = plain;
        self.at = 0;
        Ok(())
    }
}

impl<R: Read> Read for Opener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.plain.len() {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = out.len().min(self.plain.len() - self.at);
        out[..n].copy_from_slice(&self.plain[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn read_some(inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match inner.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Fills `buf` unless the stream ends first; returns how many bytes it read.
fn read_up_to(inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        let n = read_some(inner, &mut buf[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got)
}

/// `read_exact`, with `short(got)` as the error when the stream ends after `got` bytes.
fn read_exact_or(
    inner: &mut impl Read,
    buf: &mut [u8],
    short: impl FnOnce(usize) -> SealError,
) -> Result<(), SealError> {
    let got = read_up_to(inner, buf)?;
    if got < buf.len() {
        return Err(short(got));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Cheap costs: the tests check the format, not argon2's strength.
    const CHEAP: KdfCost = KdfCost {
        memory_kib: 64,
        passes: 1,
        lanes: 1,
    };

    fn sealed(plain: &[u8], chunk_size: u32) -> Vec<u8> {
        let mut sealer = Sealer::new(Vec::new(), b"correct horse", CHEAP, chunk_size).unwrap();
        // Uneven writes, to cross chunk boundaries at odd places.
        for piece in plain.chunks(7) {
            sealer.write_all(piece).unwrap();
        }
        sealer.finish().unwrap()
    }

    fn open(bytes: &[u8], passphrase: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut opener = Opener::new(bytes, passphrase)?;
        let mut out = Vec::new();
        opener.read_to_end(&mut out).map_err(|e| {
            if seal_error(&e).is_some() {
                *e.into_inner().unwrap().downcast::<SealError>().unwrap()
            } else {
                SealError::Io(e)
            }
        })?;
        Ok(out)
    }

    /// Opening `bytes` fails with an error whose text contains `expected`.
    fn check_refused(bytes: &[u8], passphrase: &[u8], expected: &str) {
        let error = open(bytes, passphrase).expect_err("opened");
        assert!(error.to_string().contains(expected), "{error}");
    }

    #[test]
    fn round_trips_at_every_size_around_the_chunk_boundaries() {
        for size in [0usize, 1, 15, 16, 17, 31, 32, 33, 100] {
            let plain: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let bytes = sealed(&plain, 16);
            assert_eq!(open(&bytes, b"correct horse").unwrap(), plain, "{size}");
            // Full chunks; the last one may be full too, and is empty only for no data.
            let chunks = size.div_ceil(16).max(1);
            assert_eq!(
                bytes.len(),
                HEADER_LEN + TAG_LEN + chunks * (4 + TAG_LEN) + size,
                "{size}"
            );
        }
    }

    #[test]
    fn the_default_cost_round_trips() {
        let bytes = {
            let mut s =
                Sealer::new(Vec::new(), b"pw", KdfCost::DEFAULT, DEFAULT_CHUNK_SIZE).unwrap();
            s.write_all(b"hello").unwrap();
            s.finish().unwrap()
        };
        assert_eq!(open(&bytes, b"pw").unwrap(), b"hello");
    }

    #[test]
    fn a_wrong_passphrase_is_named() {
        let bytes = sealed(b"the keyring", 16);
        check_refused(&bytes, b"battery staple", "passphrase is wrong");
        check_refused(&bytes, b"", "passphrase is empty");
    }

    #[test]
    fn truncation_anywhere_is_refused() {
        let bytes = sealed(&[42u8; 50], 16);
        for cut in 0..bytes.len() {
            let error = open(&bytes[..cut], b"correct horse").expect_err("opened");
            let text = error.to_string();
            assert!(
                text.contains("truncated") || text.contains("not an encrypted"),
                "{cut}: {text}"
            );
        }
    }

    #[test]
    fn dropping_the_last_chunk_is_truncation() {
        let bytes = sealed(&[1u8; 40], 16);
        // header + check + two full chunks; the last (8 bytes) dropped.
        let two_chunks = HEADER_LEN + TAG_LEN + 2 * (4 + 16 + 16);
        check_refused(&bytes[..two_chunks], b"correct horse", "truncated");
    }

    #[test]
    fn tampering_anywhere_is_refused() {
        let bytes = sealed(&[9u8; 40], 16);
        for at in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[at] ^= 0x20;
            assert!(open(&altered, b"correct horse").is_err(), "byte {at}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        check_refused(&longer, b"correct horse", "after its last chunk");
        check_refused(b"not a backup at all, just text", b"x", "not an encrypted");
        let mut future = bytes.clone();
        future[8] = 9;
        check_refused(&future, b"correct horse", "format version 9");
    }

    #[test]
    fn swapped_chunks_are_refused() {
        let bytes = sealed(&(0..48u8).collect::<Vec<_>>(), 16);
        let start = HEADER_LEN + TAG_LEN;
        let frame = 4 + 16 + 16;
        let mut swapped = bytes.clone();
        swapped[start..start + frame].copy_from_slice(&bytes[start + frame..start + 2 * frame]);
        swapped[start + frame..start + 2 * frame].copy_from_slice(&bytes[start..start + frame]);
        check_refused(&swapped, b"correct horse", "chunk 0");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = open(&data, b"correct horse");
        }

        #[test]
        fn a_valid_header_with_arbitrary_chunks_never_panics(
            tail in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let bytes = sealed(b"", 16);
            let mut data = bytes[..HEADER_LEN + TAG_LEN].to_vec();
            data.extend_from_slice(&tail);
            let _ = open(&data, b"correct horse");
        }

        #[test]
        fn any_plaintext_round_trips(
            plain in proptest::collection::vec(any::<u8>(), 0..200),
            chunk in 1u32..40,
        ) {
            prop_assert_eq!(open(&sealed(&plain, chunk), b"correct horse").unwrap(), plain);
        }
    }
}
