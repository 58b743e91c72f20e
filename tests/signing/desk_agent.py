"""Start `kho sign-agent` as the desk computer would, in a process of its
own, over a SoftHSM2 token holding a key of the development PKI."""
import re
import subprocess
import sys
import time
from pathlib import Path

from signing import init_softhsm_token

KHO = [sys.executable, "-m", "repository.cli"]
ROOT = Path(__file__).resolve().parents[2]


def make_token(directory, p12, passphrase, pin="246810", label="kho-desk"):
    return init_softhsm_token(directory, p12, passphrase, token_label=label,
                              key_label="officer", pin=pin)


class AgentProcess:
    """`kho sign-agent --port 0` for `origin` over `token`; .url, .lines, .stop()."""

    def __init__(self, token, origin, tmp_path, extra=()):
        pin_file = Path(tmp_path) / "agent-pin.txt"
        pin_file.write_text(token.pin + "\n")
        pin_file.chmod(0o600)
        self.proc = subprocess.Popen(
            KHO + ["sign-agent", "--origin", origin, "--pkcs11-module", token.module,
                   "--token-label", token.token_label, "--key-label", token.key_label,
                   "--pin-file", str(pin_file), "--port", "0", *extra],
            cwd=ROOT, env=token.environ(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        self.lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("kho sign-agent ended: " + "".join(self.lines))
            self.lines.append(line)
            found = re.search(r"tại (http://127\.0\.0\.1:\d+)", line)
            if found:
                self.url = found.group(1)
                break
        else:
            raise RuntimeError("kho sign-agent did not start")
        import threading
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


