"""The canonical request and its signatures (app/kit/signing.py), held to the README's
worked example, so the documentation and the code cannot drift apart."""

import pytest

from app.kit import signing

SECRET = "5f0c2a9e4b7d13c86e2f9a0b4c7d1e3f5a6b8c9d0e1f2a3b4c5d6e7f8091a2b3"
BODY = (
    '{"category":"repair","title":"路灯不亮","description":"12345 转办：小区门口路灯不亮",'
    '"channel":"gov_api","location_unit_id":12,"external_ref":"12345-20261127-000042"}'
).encode()
STAMP = "1795766400"
NONCE = "n7Hq2c9VwX4kLp0aZ3mR8s"


@pytest.mark.parametrize(
    ("algorithm", "digest", "signature"),
    [
        (
            "hmac-sha256",
            "6b68149fcd711581d0fa387483630125c332aaabc2c8a973f6e12b1c09fd0d3e",
            "90ecb1b07bd96d7f9c218124c908135a5381b8d309d07052cd0370137c31e36a",
        ),
        (
            "hmac-sm3",
            "8367fcf7fcd0e0868205caf1d8531ecef12f811adc19197e964f030dd272163f",
            "2bf007e955e712a783735d9d94a624da46c418cc3a1b5ebbea914a87e70a9230",
        ),
    ],
)
def test_the_readme_example(algorithm: str, digest: str, signature: str) -> None:
    canonical = signing.canonical_request(
        algorithm, "POST", "/api/v1/orders", "", STAMP, NONCE, BODY
    )
    assert canonical == f"POST\n/api/v1/orders\n\n{STAMP}\n{NONCE}\n{digest}"
    assert signing.sign(algorithm, SECRET, canonical) == signature
    assert signing.verify(algorithm, SECRET, canonical, signature)
    assert not signing.verify(algorithm, SECRET + "0", canonical, signature)
    headers = signing.signed_headers(
        algorithm,
        "cli_3f9a1c0d5e7b2a64",
        SECRET,
        "POST",
        "https://redgrid.example.cn/api/v1/orders",
        BODY,
        timestamp=int(STAMP),
        nonce=NONCE,
    )
    assert headers["X-Redgrid-Signature"] == signature


def test_the_readme_get_example() -> None:
    canonical = signing.canonical_request(
        "hmac-sha256",
        "get",
        "/api/v1/orders",
        "status=triaged&limit=20",
        STAMP,
        "Qm4t8ZpL2xWc7Rv1Nk5Yd0",
        b"",
    )
    assert canonical.split("\n")[:3] == ["GET", "/api/v1/orders", "limit=20&status=triaged"]
    assert canonical.endswith("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert (
        signing.sign("hmac-sha256", SECRET, canonical)
        == "aee9d885dd7ce21d83f3e233bce88e6cb389accf1670dfb5190f9741cba240eb"
    )


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", ""),
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1", "a=1&a=2"),
        ("q=%E7%BD%91%E6%A0%BC", "q=%E7%BD%91%E6%A0%BC"),
        ("q=网格", "q=%E7%BD%91%E6%A0%BC"),
        ("q=a+b&r=a%20b", "q=a%20b&r=a%20b"),
        ("path=%2Fx%2Fy&t=~-_.", "path=%2Fx%2Fy&t=~-_."),
        ("flag&x=", "flag=&x="),
    ],
)
def test_canonical_query(raw: str, canonical: str) -> None:
    assert signing.canonical_query(raw) == canonical


def test_canonical_path_decodes_once() -> None:
    assert signing.canonical_path("/api/v1/%7Euser/a%20b") == "/api/v1/~user/a%20b"
    assert signing.canonical_path("") == "/"


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="unknown signing algorithm"):
        signing.body_digest("hmac-md5", b"")
