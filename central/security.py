"""Secrets at rest: token and password hashes, AES-GCM for personal data, Ed25519 signing.

Tokens are 32 random bytes (URL-safe base64), so a plain SHA-256 is enough to store them;
passwords are low-entropy and get scrypt with a per-password salt, at OWASP's parameters
(N=2^17, r=8, p=1: 128 MiB and ~0.3 s a guess). Hashes made with older parameters still
verify; `needs_rehash` tells the login to store a fresh one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SCRYPT = {"n": 2**17, "r": 8, "p": 1}
# hashlib's default maxmem (32 MiB) refuses N=2^17; allow the 128 MiB it needs plus slack,
# and nothing bigger, so a stored hash with absurd parameters cannot exhaust memory.
_MAXMEM = 2 * 128 * 2**17 * 8
_dummy_hash: str | None = None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, maxmem=_MAXMEM, **_SCRYPT)
    n, r, p = _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    try:
        digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt_hex), dklen=32,
                                n=int(n), r=int(r), p=int(p), maxmem=_MAXMEM)
        return hmac.compare_digest(digest, bytes.fromhex(digest_hex))
    except (ValueError, UnicodeEncodeError):  # malformed hash, or a lone surrogate in the password
        return False


def needs_rehash(stored: str) -> bool:
    """True if `stored` was made with other parameters than today's (verify it first)."""
    n, r, p = _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]
    return not stored.startswith(f"scrypt${n}${r}${p}$")


def dummy_password_hash() -> str:
    """A hash of a random password at today's parameters, for user names that do not exist:
    verifying against it costs what a real account costs, so timing does not tell them apart."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def derive_key(key: bytes, purpose: str) -> bytes:
    """A separate 32-byte key for one purpose (HMAC-SHA256 of the purpose under `key`)."""
    return hmac.new(key, purpose.encode("utf-8"), hashlib.sha256).digest()


def canonical_json(value: Any) -> bytes:
    """The exact bytes that are signed and hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class DataCipher:
    """AES-256-GCM for personal data at rest; `aad` binds a ciphertext to its row."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("data key must be 32 bytes")
        self._aead = AESGCM(key)
        # A separate key for keyed hashes, so the AES key itself is never used as a MAC key.
        self._mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                             info=b"gig-central keyed hash v1").derive(key)

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], aad)

    def keyed_hash(self, purpose: str, data: bytes) -> str:
        """HMAC-SHA-256 (hex) for looking personal data up without storing a hash anyone
        could recompute; `purpose` separates the uses."""
        return hmac.new(self._mac_key, purpose.encode("ascii") + b"\0" + data, hashlib.sha256).hexdigest()

    def seeker_hash(self, id_number: str) -> str:
        """HMAC-SHA-256 (hex) of "seeker:" + the upper-cased ID number: finds a person's
        applications (the kiosk's "my registrations") without the number in clear."""
        data = b"seeker:" + id_number.strip().upper().encode("ascii", "replace")
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def decode_key(text: str) -> bytes:
    key = base64.b64decode(text.strip(), validate=True)
    if len(key) != 32:
        raise ValueError("data key must decode to 32 bytes")
    return key


class SigningKey:
    """A county's Ed25519 key. key_id = first 16 hex digits of SHA-256(raw public key)."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public_raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = hashlib.sha256(self.public_raw).hexdigest()[:16]

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_raw(cls, raw: bytes) -> SigningKey:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_raw(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


def sign_document(payload: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    """Adds "signature" (base64 Ed25519 over canonical_json(payload)) and "key_id"."""
    signature = key.sign(canonical_json(payload))
    return {**payload, "signature": base64.b64encode(signature).decode("ascii"), "key_id": key.key_id}
