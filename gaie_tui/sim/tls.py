"""A throw-away self-signed certificate for 127.0.0.1, made with the openssl command line tool
(no extra Python dependency). The certificate doubles as the kubeconfig's certificate authority."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class TlsUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path

    @property
    def cert_pem(self) -> bytes:
        return self.cert.read_bytes()


def make_self_signed(folder: Path, days: int = 2) -> CertPair:
    openssl = shutil.which("openssl")
    if not openssl:
        raise TlsUnavailable("--tls needs the `openssl` command, which is not on PATH")
    cert, key = folder / "sim-server.crt", folder / "sim-server.key"
    argv = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", str(days), "-subj", "/CN=gaie-sim", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext", "basicConstraints=critical,CA:TRUE", "-keyout", str(key), "-out", str(cert)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise TlsUnavailable(f"openssl could not create a certificate: {proc.stderr.strip()[-300:]}")
    key.chmod(0o600)
    return CertPair(cert, key)
