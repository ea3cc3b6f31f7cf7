"""What every generator under scripts/ does with the text it renders: write it, or with `--check` exit non-zero
when the committed file differs (the tests call that)."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_or_check(output: Path, text: str) -> None:
    script = Path(sys.argv[0]).relative_to(REPO) if Path(sys.argv[0]).is_absolute() else sys.argv[0]
    if "--check" in sys.argv:
        current = output.exists() and output.read_text(encoding="utf-8") == text
        sys.exit(0 if current else f"{output.relative_to(REPO)} is stale: run `make generate` (or {script})")
    output.write_text(text, encoding="utf-8")
