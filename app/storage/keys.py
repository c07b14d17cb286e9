"""Envelope encryption of the archive key.

A random 256-bit *data key* opens the SQLCipher database as a raw key (no KDF
per connection). The data key is stored only wrapped (AES-256-GCM) in
``keys.json``, once per *slot*:

* ``passphrase``: key-encryption key from the user's passphrase with Argon2id
  (64 MiB, 3 passes; about 0.16 s here), memory-hard against GPU guessing;
* ``recovery``: from the recovery code shown once at creation (125 random bits,
  so a lighter Argon2id is enough).

Changing the passphrase rewraps the data key; the database is not rewritten.
A wrong passphrase fails the GCM tag check before the database is touched.
"""

from __future__ import annotations

import base64
import json
import os
import secrets as pysecrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
KEYFILE_FORMAT = 1
PASSPHRASE_KDF = {"name": "argon2id", "m": 65536, "t": 3, "p": 1}
RECOVERY_KDF = {"name": "argon2id", "m": 19456, "t": 2, "p": 1}
MIN_PASSPHRASE = 8
MAX_PASSPHRASE = 1024
# Crockford base32 without I, L, O, U: no confusable characters when read aloud or written down.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_GROUPS, RECOVERY_GROUP_LEN = 5, 5


class WrongSecret(Exception):
    """The passphrase or recovery code does not open this key slot."""


class KeyFileError(ValueError):
    """keys.json is malformed."""


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: Any) -> bytes:
    if not isinstance(s, str):
        raise KeyFileError("expected base64 text")
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise KeyFileError("bad base64") from exc


def normalise_passphrase(passphrase: str) -> bytes:
    """NFKC so that full-width and half-width input from an IME give the same key."""
    return unicodedata.normalize("NFKC", passphrase).encode("utf-8")


def new_recovery_code() -> str:
    chars = "".join(pysecrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_LEN))
    return "-".join(chars[i : i + RECOVERY_GROUP_LEN] for i in range(0, len(chars), RECOVERY_GROUP_LEN))


def normalise_recovery_code(code: str) -> bytes:
    s = unicodedata.normalize("NFKC", code).upper()
    s = "".join(c for c in s if c.isalnum())
    s = s.translate(str.maketrans("OIL", "011"))
    return s.encode("ascii", "ignore")


def _derive(secret: bytes, salt: bytes, kdf: dict[str, Any]) -> bytes:
    if kdf.get("name") != "argon2id":
        raise KeyFileError(f"unsupported KDF {kdf.get('name')!r}")
    return hash_secret_raw(
        secret,
        salt,
        time_cost=int(kdf["t"]),
        memory_cost=int(kdf["m"]),
        parallelism=int(kdf["p"]),
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


@dataclass(frozen=True)
class Slot:
    kdf: dict[str, Any]
    salt: bytes
    nonce: bytes
    ciphertext: bytes

    def to_dict(self) -> dict[str, Any]:
        return {"kdf": self.kdf, "salt": _b64(self.salt), "nonce": _b64(self.nonce), "ct": _b64(self.ciphertext)}

    @classmethod
    def from_dict(cls, d: Any) -> Slot:
        if not isinstance(d, dict) or not isinstance(d.get("kdf"), dict):
            raise KeyFileError("malformed key slot")
        return cls(dict(d["kdf"]), _unb64(d.get("salt")), _unb64(d.get("nonce")), _unb64(d.get("ct")))


def _aad(archive_id: str, slot: str) -> bytes:
    return f"fieldarchive/{archive_id}/{slot}".encode()


def wrap(data_key: bytes, secret: bytes, archive_id: str, slot: str, kdf: dict[str, Any]) -> Slot:
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = _derive(secret, salt, kdf)
    return Slot(dict(kdf), salt, nonce, AESGCM(kek).encrypt(nonce, data_key, _aad(archive_id, slot)))


def unwrap(s: Slot, secret: bytes, archive_id: str, slot: str) -> bytes:
    kek = _derive(secret, s.salt, s.kdf)
    try:
        key = AESGCM(kek).decrypt(s.nonce, s.ciphertext, _aad(archive_id, slot))
    except InvalidTag:
        raise WrongSecret(slot) from None
    if len(key) != KEY_BYTES:
        raise KeyFileError("wrapped key has the wrong length")
    return key


@dataclass(frozen=True)
class KeyFile:
    archive_id: str
    slots: dict[str, Slot]
    created: str

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": KEYFILE_FORMAT,
                "archive_id": self.archive_id,
                "created": self.created,
                "slots": {k: v.to_dict() for k, v in self.slots.items()},
            },
            indent=1,
        ).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes | str) -> KeyFile:
        try:
            d = json.loads(raw)
        except ValueError as exc:
            raise KeyFileError("not JSON") from exc
        if not isinstance(d, dict) or d.get("format") != KEYFILE_FORMAT or not isinstance(d.get("slots"), dict):
            raise KeyFileError("unknown key file format")
        return cls(
            str(d.get("archive_id")), {k: Slot.from_dict(v) for k, v in d["slots"].items()}, str(d.get("created", ""))
        )

    def unlock_with_passphrase(self, passphrase: str) -> bytes:
        return unwrap(self.slots["passphrase"], normalise_passphrase(passphrase), self.archive_id, "passphrase")

    def unlock_with_recovery(self, code: str) -> bytes:
        return unwrap(self.slots["recovery"], normalise_recovery_code(code), self.archive_id, "recovery")

    def with_passphrase(self, data_key: bytes, passphrase: str) -> KeyFile:
        slots = dict(self.slots)
        slots["passphrase"] = wrap(
            data_key, normalise_passphrase(passphrase), self.archive_id, "passphrase", PASSPHRASE_KDF
        )
        return KeyFile(self.archive_id, slots, self.created)

    def with_recovery(self, data_key: bytes, code: str) -> KeyFile:
        slots = dict(self.slots)
        slots["recovery"] = wrap(data_key, normalise_recovery_code(code), self.archive_id, "recovery", RECOVERY_KDF)
        return KeyFile(self.archive_id, slots, self.created)


def new_keyfile(archive_id: str, passphrase: str, created: str) -> tuple[KeyFile, bytes, str]:
    """A fresh data key wrapped by the passphrase and by a new recovery code (returned once)."""
    data_key = os.urandom(KEY_BYTES)
    code = new_recovery_code()
    kf = KeyFile(archive_id, {}, created).with_passphrase(data_key, passphrase).with_recovery(data_key, code)
    return kf, data_key, code
