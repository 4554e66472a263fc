"""Finding Chromium and the flags it starts with: proxies, extra CAs, no blanket waiver."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import certifi
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from linkindex.errors import ConfigError
from linkindex.fetch.chromium import (
    FLAGS,
    LEAN_FLAGS,
    extra_ca_hashes,
    find_chromium,
    launch_flags,
    pem_certificates,
    proxy_flags,
    spki_hash,
    user_agent,
)


def program(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n", encoding="ascii")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_chromium_is_found_on_path_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None
    chrome = program(tmp_path, "google-chrome")
    assert find_chromium() == str(chrome)
    chromium = program(tmp_path, "chromium")
    assert find_chromium() == str(chromium)  # Debian's chromium before Chrome
    shell = program(tmp_path, "chromium-headless-shell")
    assert find_chromium() == str(shell)  # and its headless shell before both


def test_a_named_executable_must_be_a_program(tmp_path: Path) -> None:
    mine = program(tmp_path, "my-chrome")
    assert find_chromium(str(mine)) == str(mine)
    with pytest.raises(ConfigError, match=r"^config.toml: browser.executable = '/no/chrome' is"):
        find_chromium("/no/chrome")


def test_spki_hash_is_the_sha256_of_the_public_key_info() -> None:
    ca = trustme.CA()
    (der,) = pem_certificates(ca.cert_pem.bytes().decode())
    key = x509.load_der_x509_certificate(der).public_key()
    info = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert spki_hash(der) == base64.b64encode(hashlib.sha256(info).digest()).decode()


def test_only_cas_certifi_lacks_are_listed(tmp_path: Path) -> None:
    own = trustme.CA()
    public = pem_certificates(Path(certifi.where()).read_text(encoding="ascii"))[0]
    bundle = tmp_path / "bundle.pem"
    pem = "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(public).decode()
    bundle.write_text(pem + "-----END CERTIFICATE-----\n" + own.cert_pem.bytes().decode())
    (own_der,) = pem_certificates(own.cert_pem.bytes().decode())
    assert extra_ca_hashes(str(bundle)) == [spki_hash(own_der)]
    assert extra_ca_hashes(certifi.where()) == []  # a public bundle waives nothing
    assert extra_ca_hashes(None) == []
    with pytest.raises(ConfigError, match=r"^SSL_CERT_FILE=/no/ca.pem: cannot load"):
        extra_ca_hashes("/no/ca.pem")


def test_launch_flags() -> None:
    flags = launch_flags({}, ["abc=", "def="])
    assert flags[: len(FLAGS)] == list(FLAGS)
    assert flags[-1] == "--ignore-certificate-errors-spki-list=abc=,def="
    assert not any(
        flag.startswith("--ignore-certificate-errors") and "spki" not in flag for flag in flags
    )
    assert launch_flags({}, []) == [*FLAGS, *LEAN_FLAGS, "--renderer-process-limit=2"]
    assert "--renderer-process-limit=3" in launch_flags({}, [], pages=3)
    # the zygote only starts sandboxed renderers: dropped without the sandbox, kept with it
    assert "--no-zygote" in launch_flags({}, [], sandbox=False)
    assert "--no-zygote" not in launch_flags({}, [], sandbox=True)


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [
        ({}, []),
        (
            {"http": "http://proxy:3128", "https": "http://user:pw@proxy:3128/"},
            [
                "--proxy-server=http=http://proxy:3128;https=http://proxy:3128",
                "--proxy-bypass-list=<-loopback>",
            ],
        ),
        (
            {"all": "socks5h://gate:1080", "no": "localhost, .corp.example,10.0.0.0/8,db:5432"},
            [
                "--proxy-server=http=socks5://gate:1080;https=socks5://gate:1080",
                "--proxy-bypass-list=<-loopback>;localhost;*.localhost;corp.example;"
                "*.corp.example;10.0.0.0/8;db:5432",
            ],
        ),
        (
            {"https": "proxy:8080"},
            ["--proxy-server=https=http://proxy:8080", "--proxy-bypass-list=<-loopback>"],
        ),
        ({"http": "http://proxy:3128", "no": "*"}, []),
    ],
)
def test_proxy_flags(proxies: dict[str, str], expected: list[str]) -> None:
    assert proxy_flags(proxies) == expected


def test_user_agent_keeps_chromiums_and_adds_ours() -> None:
    chromium = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/156.0.0.0 Safari/537.36"
    )
    ours = "linkindex/0.1.0 (+https://github.com/linkindex/linkindex)"
    assert user_agent(chromium, ours) == f"{chromium} {ours}"
