"""Runs every benchmark and rewrites their outputs into BENCHMARKS.md.

BENCHMARKS.md holds the method and the reading of each benchmark in prose,
and the raw output of each run between markers:

    <!-- bench: COMMAND -->
    ```
    ...output...
    ```
    <!-- end bench -->

This script runs each marked command (from the repository root, with this
Python), and replaces the block below the marker with the new output and
the date and machine, writing the file atomically. `make bench` calls it.

    python bench/run_all.py [--only SUBSTRING] [--dry-run]
"""

import argparse
import datetime
import os
import platform
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"(<!-- bench: (?P<command>.+?) -->\n)(?P<body>.*?)(<!-- end bench -->)", re.S)
NOISE = ("WARNING: All log messages", "I0000 ", "W0000 ", "E0000 ", "oneDNN", "cuda", "rebuild TensorFlow", "AVX", "UserWarning", "self.data_adapter")


def cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run(command):
    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip() and not any(n in line for n in NOISE)]
    if result.returncode:
        raise SystemExit(f"`{command}` failed (exit {result.returncode}):\n" + "\n".join(lines[-20:]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run only the commands containing this text")
    parser.add_argument("--dry-run", action="store_true", help="list the commands and exit")
    args = parser.parse_args()
    path = os.path.join(ROOT, "BENCHMARKS.md")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    machine = f"{os.cpu_count()} CPU cores, {platform.machine()}, {cpu_name()}"
    stamp = datetime.date.today().isoformat()

    def replace(match):
        command = match.group("command")
        if args.only and args.only not in command:
            return match.group(0)
        print(f"running: {command}", flush=True)
        if args.dry_run:
            return match.group(0)
        output = run(command)
        return f"{match.group(1)}```\n# {stamp}, {machine}\n{output}\n```\n{match.group(4)}"

    text = BLOCK.sub(replace, text)
    if not args.dry_run:
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)


if __name__ == "__main__":
    main()
