import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.crypto import (
    PII_ENCRYPTION,
    PII_INDEX,
    DecryptionError,
    FieldCipher,
    derive_key,
    keyed_hash,
)

KEY = bytes(range(32))
ID = "11010519491231002X"


def test_round_trip() -> None:
    cipher = FieldCipher(KEY)
    assert cipher.decrypt(cipher.encrypt(ID)) == ID
    assert cipher.decrypt(cipher.encrypt("")) == ""
    assert cipher.decrypt(cipher.encrypt("张三丰")) == "张三丰"


@given(st.text())
def test_round_trip_any_text(text: str) -> None:
    cipher = FieldCipher(KEY)
    assert cipher.decrypt(cipher.encrypt(text)) == text


def test_token_layout() -> None:
    token = FieldCipher(KEY).encrypt(ID)
    assert token[0] == 0x01
    assert len(token) == 1 + 12 + len(ID) + 16
    assert ID.encode() not in token


def test_nonce_differs_each_time() -> None:
    cipher = FieldCipher(KEY)
    tokens = [cipher.encrypt(ID) for _ in range(20)]
    assert len({t[1:13] for t in tokens}) == 20
    assert len(set(tokens)) == 20


def test_every_flipped_byte_is_detected() -> None:
    cipher = FieldCipher(KEY)
    token = cipher.encrypt(ID)
    for i in range(len(token)):
        tampered = bytearray(token)
        tampered[i] ^= 0x01
        with pytest.raises(DecryptionError):
            cipher.decrypt(bytes(tampered))


def test_truncated_and_garbage_tokens() -> None:
    cipher = FieldCipher(KEY)
    token = cipher.encrypt(ID)
    for bad in [b"", b"\x01", token[:-1], token[:29], b"\x02" + token[1:]]:
        with pytest.raises(DecryptionError):
            cipher.decrypt(bad)


def test_wrong_key() -> None:
    token = FieldCipher(KEY).encrypt(ID)
    with pytest.raises(DecryptionError):
        FieldCipher(os.urandom(32)).decrypt(token)


def test_associated_data_binds_token() -> None:
    cipher = FieldCipher(KEY)
    token = cipher.encrypt(ID, associated_data=b"user:1")
    assert cipher.decrypt(token, associated_data=b"user:1") == ID
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, associated_data=b"user:2")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


def test_accepts_memoryview_tokens() -> None:
    cipher = FieldCipher(KEY)
    token = cipher.encrypt(ID)
    assert cipher.decrypt(memoryview(token)) == ID  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0, 16, 24, 31, 33])
def test_cipher_rejects_bad_key_size(size: int) -> None:
    with pytest.raises(ValueError):
        FieldCipher(b"k" * size)


def test_decryption_error_is_value_error() -> None:
    assert issubclass(DecryptionError, ValueError)


def test_keyed_hash_stable() -> None:
    digest = keyed_hash(KEY, ID)
    assert digest == keyed_hash(KEY, ID)
    assert len(digest) == 64
    int(digest, 16)
    assert keyed_hash(KEY, "110105194912310021") != digest


def test_keyed_hash_known_vector() -> None:
    import hashlib
    import hmac

    expected = hmac.new(KEY, ID.encode(), hashlib.sha256).hexdigest()
    assert keyed_hash(KEY, ID) == expected


def test_keyed_hash_key_separation() -> None:
    other = bytes(reversed(KEY))
    assert keyed_hash(KEY, ID) != keyed_hash(other, ID)


def test_keyed_hash_rejects_short_key() -> None:
    with pytest.raises(ValueError):
        keyed_hash(b"short", ID)


def test_derive_key_deterministic_and_sized() -> None:
    key = derive_key("configured-secret", PII_ENCRYPTION)
    assert len(key) == 32
    assert key == derive_key("configured-secret", PII_ENCRYPTION)


def test_derive_key_purpose_separation() -> None:
    enc = derive_key("configured-secret", PII_ENCRYPTION)
    idx = derive_key("configured-secret", PII_INDEX)
    assert PII_ENCRYPTION == "pii-encryption" and PII_INDEX == "pii-index"
    assert enc != idx
    assert derive_key("other-secret", PII_ENCRYPTION) != enc


def test_derived_keys_work_end_to_end() -> None:
    cipher = FieldCipher(derive_key("configured-secret", PII_ENCRYPTION))
    index_key = derive_key("configured-secret", PII_INDEX)
    assert cipher.decrypt(cipher.encrypt(ID)) == ID
    assert keyed_hash(index_key, ID) == keyed_hash(index_key, ID)


@pytest.mark.parametrize(("secret", "purpose"), [("", PII_INDEX), ("s", "")])
def test_derive_key_rejects_empty(secret: str, purpose: str) -> None:
    with pytest.raises(ValueError):
        derive_key(secret, purpose)
