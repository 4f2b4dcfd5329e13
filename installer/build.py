"""Build Front Desk for Windows: the PyInstaller onedir, then the NSIS installer.

    uv run python installer/build.py                 # dist/frontdesk + dist/FrontDesk-<v>-setup.exe
    uv run python installer/build.py --skip-bundle   # only the installer, from dist/frontdesk

On Windows this makes the real installer. On Linux it makes the same installer around the
Linux onedir: not something to ship, but a structural check that the NSIS script compiles
with every file it names (CI does this; tests/slow/test_installer.py).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "installer" / "frontdesk.nsi"
ICON = ROOT / "resources" / "icons" / "frontdesk.ico"


def version() -> str:
    text = (ROOT / "desktop" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M)[1]


def build_bundle(dist: Path, work: Path) -> Path:
    subprocess.run([sys.executable, "-m", "PyInstaller", str(ROOT / "build.spec"),
                    "--noconfirm", "--distpath", str(dist), "--workpath", str(work)],
                   check=True, cwd=ROOT)
    return dist / "frontdesk"


def find_makensis(explicit: str | None) -> str:
    found = explicit or shutil.which("makensis")
    if not found and sys.platform == "win32":
        for base in (Path("C:/Program Files (x86)/NSIS"), Path("C:/Program Files/NSIS")):
            if (base / "makensis.exe").exists():
                found = str(base / "makensis.exe")
    if not found:
        raise SystemExit("makensis not found: install NSIS 3 (Windows: `choco install nsis`; "
                         "Debian: `apt-get install nsis`) or pass --makensis PATH")
    return found


def build_installer(bundle: Path, out: Path, makensis: str, fast: bool = False) -> Path:
    """`fast`: no compression (CI's structural check; LZMA over the bundle takes ~2 min
    on 2 cores)."""
    exe = "frontdesk.exe" if (bundle / "frontdesk.exe").exists() else "frontdesk"
    if not (bundle / exe).exists():
        raise SystemExit(f"no PyInstaller build in {bundle}: run without --skip-bundle")
    out.parent.mkdir(parents=True, exist_ok=True)
    # makensis takes /D options with a dash on Linux too; "-D" works on both.
    numbers = (re.findall(r"\d+", version()) + ["0"] * 4)[:4]  # 0.2.0rc1 -> 0.2.0.1
    command = [makensis, "-V2", f"-DVERSION={version()}",
               f"-DVERSION_NUMERIC={'.'.join(numbers)}", f"-DDIST={bundle.resolve()}",
               f"-DOUTFILE={out.resolve()}", f"-DEXE={exe}"]
    if ICON.exists():
        command.append(f"-DICON={ICON}")
    if fast:
        command.append("-DFAST_CHECK")
    subprocess.run(command + [str(SCRIPT)], check=True, cwd=SCRIPT.parent)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--bundle", type=Path, help="an existing onedir (with --skip-bundle)")
    parser.add_argument("--skip-bundle", action="store_true")
    parser.add_argument("--makensis", help="path to makensis (default: on PATH)")
    parser.add_argument("--out", type=Path, help="the installer to write")
    parser.add_argument("--fast", action="store_true",
                        help="no compression: a quick structural check, not for shipping")
    args = parser.parse_args(argv)
    makensis = find_makensis(args.makensis)
    bundle = args.bundle or args.dist / "frontdesk"
    if not args.skip_bundle:
        bundle = build_bundle(args.dist, args.work)
    out = args.out or args.dist / f"FrontDesk-{version()}-setup.exe"
    build_installer(bundle, out, makensis, fast=args.fast)
    print(f"installer: {out} ({out.stat().st_size / 1_048_576:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
