"""Protection of personal information (个人信息): keyed hashes for look-up, AES-GCM for storage.

Two independent keys are derived from ``settings.pii_key`` with HKDF: one for the keyed hash (HMAC-SM3 where
the platform offers SM3, else HMAC-SHA-256) by which a person is found, one for encryption. The clear value is
never logged and never leaves the service layer unmasked except to callers entitled to it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HASH_NAME = "sm3" if "sm3" in hashlib.algorithms_available else "sha256"


@dataclass(frozen=True)
class PiiKeys:
    mac_key: bytes
    enc_key: bytes

    def keyed_hash(self, value: str) -> str:
        """Stable keyed hash (hex) of a normalised identifier; used as the look-up key."""
        return hmac.new(self.mac_key, value.encode("utf-8"), HASH_NAME).hexdigest()

    def content_hasher(self) -> hmac.HMAC:
        """A keyed hash object for record contents (so a hash never reveals personal data)."""
        return hmac.new(self.mac_key, digestmod="sha256")

    def encrypt(self, plaintext: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self.enc_key).encrypt(nonce, plaintext, b"transport-credit-pii")

    def decrypt(self, blob: bytes) -> bytes:
        return AESGCM(self.enc_key).decrypt(blob[:12], blob[12:], b"transport-credit-pii")

    def encrypt_json(self, value: object) -> bytes:
        return self.encrypt(orjson.dumps(value))

    def decrypt_json(self, blob: bytes) -> object:
        return orjson.loads(self.decrypt(blob))


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"transport-credit", info=info).derive(secret)


@cache
def pii_keys(secret: str) -> PiiKeys:
    """Keys derived from the configured PII secret (cached per secret)."""
    raw = secret.encode("utf-8")
    return PiiKeys(mac_key=_derive(raw, b"lookup-hash"), enc_key=_derive(raw, b"encryption"))
