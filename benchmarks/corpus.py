"""The REF-shaped run: every section-5 URL of the REF2014 corpus, each real host mapped to its
own loopback address, checked politely, against the bound that politeness sets.

    .venv/bin/python benchmarks/corpus.py [--per-host 2] [--latency 0.1] [--copies 1]

1. `refcheck extract ../shared/corpus/ref2014-case-studies.jsonl.gz --out-dir DIR` turns the
   corpus into case files (sources only: section 5);
2. every URL's host is given its own address 127.x.y.z (the real host distribution: 14,852
   URLs over 6,565 hosts, the busiest with 596), with a port of our own;
3. one server process listens on all of them and answers every request after --latency
   with a page long enough that no soft-404 probe is needed;
4. refcheck checks the case files (--no-archive, --per-host, --concurrency 128) and the
   benchmark prints wall time, CPU, peak memory, the connections the server accepted, and
   the ratio of the wall time to the bound: max over hosts of ceil(links / per-host) x
   latency (29.8 s at 2 per host and 100 ms). With lychee installed, the same for lychee.

--copies N repeats the corpus N times over (as 30 case files make 29,704 URLs), for the
memory curve; --limit keeps only the first K URLs. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar, cast
from urllib.parse import urlsplit, urlunsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "ref2014-case-studies.jsonl.gz"
PDF = b"%PDF-1.4\n" + b"%" + b"evidence " * 200 + b"\n%%EOF\n"
PAGE = ("<!doctype html><html><head><title>Evidence</title></head><body><h1>Evidence</h1>"
        + "<p>" + "The report describes the impact of the research on policy. " * 40
        + "</p></body></html>").encode()


class _Server(asyncio.Protocol):
    """Answers every request after ``latency`` (a PDF where a PDF is asked for, else an HTML
    page); keep-alive; counts connections and requests per address."""

    connections: ClassVar[collections.Counter[str]] = collections.Counter()
    requests: ClassVar[collections.Counter[str]] = collections.Counter()
    #: When each address was asked (time.time()): when the run's first request came, and
    #: how steadily the busiest host was kept busy.
    asked: ClassVar[collections.defaultdict[str, list[float]]] = collections.defaultdict(list)
    turnaround: ClassVar[collections.defaultdict[str, list[float]]] = \
        collections.defaultdict(list)
    served: ClassVar[collections.defaultdict[str, list[float]]] = collections.defaultdict(list)

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.answered = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.address = transport.get_extra_info("sockname")[0]
        _Server.connections[self.address] += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            _Server.requests[self.address] += 1
            now = time.time()
            _Server.asked[self.address].append(now)
            if self.answered:  # how long the client took to ask again on this connection
                _Server.turnaround[self.address].append(now - self.answered)
                self.answered = 0.0
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
            pdf = path.split(b"?")[0].lower().endswith(b".pdf")
            asyncio.get_running_loop().call_later(self.latency, self.answer, pdf, now)

    def answer(self, pdf: bool, asked: float) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.answered = time.time()
        # The latency as served: this server's own loop is late too, now and then.
        _Server.served[self.address].append(self.answered - asked)
        kind, body = (b"application/pdf", PDF) if pdf else (b"text/html; charset=utf-8", PAGE)
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: " + kind + b"\r\n"
                             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def serve(addresses: list[str], port: int, latency: float, per_host: int) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        for address in addresses:
            await loop.create_server(lambda: _Server(latency), address, port, backlog=256)
        print("ready", flush=True)
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await reader.readline()  # the benchmark asks for the count, then we stop
        # Connections beyond the least a run needs (min(requests, per host)), by how many
        # requests the host had: where connections were not reused.
        extra: collections.Counter[str] = collections.Counter()
        for address, opened in _Server.connections.items():
            asked = _Server.requests[address]
            over = opened - min(asked, per_host)
            if over > 0:
                band = ("1" if asked <= 1 else "2-4" if asked <= 4 else "5-20" if asked <= 20
                        else "21+")
                extra[band] += over
        busiest = max(_Server.asked, key=lambda a: len(_Server.asked[a]), default="")
        times = _Server.asked.get(busiest, [])
        turns = sorted(_Server.turnaround.get(busiest, []))
        first = min((t[0] for t in _Server.asked.values()), default=0.0)
        print(json.dumps({"connections": sum(_Server.connections.values()),
                          "extra": dict(sorted(extra.items())), "first": first,
                          "busiest": times, "turnaround": turns,
                          "served": _Server.served.get(busiest, []),
                          "last": sorted(((t[-1], a, len(t)) for a, t in
                                          _Server.asked.items()), reverse=True)[:4]}),
              flush=True)

    # libuv's loop where it is installed (refcheck's own dependency): the server's lateness
    # in noticing a request or in answering it after the latency adds to every request, and
    # so to refcheck's measured time, though it is not refcheck's.
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        asyncio.run(main())
    else:
        uvloop.run(main())


def address_of(index: int) -> str:
    """127.0.1.0 upwards: one loopback address per real host (127.0.0.x is left alone)."""
    index += 256
    return f"127.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"


def case_files(out: Path, limit: int | None, copies: int) -> tuple[list[Path], list[str]]:
    """The corpus as case files whose URLs point at loopback addresses; and the addresses."""
    extracted = out / "extracted"
    run = subprocess.run([str(Path(sys.executable).parent / "refcheck"), "extract",
                          str(CORPUS), "--out-dir", str(extracted)],
                         capture_output=True, text=True)
    if run.returncode not in (0, 2):
        raise SystemExit(f"refcheck extract failed: {run.stderr[-2000:]}")
    hosts: dict[str, str] = {}
    files: list[Path] = []
    total = 0
    for copy in range(copies):
        for path in sorted(extracted.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            sources = []
            for source in data.get("sources") or []:
                urls = source.get("urls") or ([source["url"]] if source.get("url") else [])
                mapped = []
                for url in urls:
                    if limit is not None and total >= limit:
                        break
                    parts = urlsplit(url)
                    host = (parts.hostname or "").lower()
                    if not host:
                        continue
                    address = hosts.setdefault(host, address_of(len(hosts)))
                    # Each copy of the corpus cites its own URLs (refcheck checks a URL once).
                    query = "&".join(q for q in (parts.query, f"copy={copy}" if copy else "")
                                     if q)
                    mapped.append(urlunsplit(("http", f"{address}:{PORT}", parts.path or "/",
                                              query, "")))
                    total += 1
                if mapped:
                    sources.append({"id": str(source["id"]), "title": str(source["title"]),
                                    "urls": mapped})
            if sources:
                target = out / f"{path.stem}-{copy}.yaml"
                target.write_text(yaml.safe_dump(
                    {"case": {"title": str(data["case"]["title"])}, "sources": sources},
                    sort_keys=False, allow_unicode=True), encoding="utf-8")
                files.append(target)
    return files, sorted(set(hosts.values()))


def bound(files: list[Path], per_host: int, latency: float) -> tuple[float, int, int]:
    """(the politeness bound in seconds, URLs, the least connections a run can open)."""
    per: collections.Counter[str | None] = collections.Counter()
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        seen = set()
        for source in data["sources"]:
            for url in source["urls"]:
                if url not in seen:
                    seen.add(url)
                    per[urlsplit(url).hostname] += 1
    links = sum(per.values())
    least = sum(min(n, per_host) for n in per.values())
    return max(math.ceil(n / per_host) for n in per.values()) * latency, links, least


PORT = 18765


def main() -> int:
    global PORT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--host-interval", type=float, default=0.0)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="only the first K URLs")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--under", default="",
                        help="a command to run refcheck under, e.g. 'py-spy record -o p.svg --'")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the case files in this folder, and reuse them when it has "
                             "them (made with the same --port, --limit and --copies): "
                             "skips the extraction, for runs side by side")
    parser.add_argument("--serve", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    PORT = args.port
    if args.serve is not None:
        serve(args.serve, args.port, args.latency, args.per_host)
        return 0
    if not CORPUS.exists():
        print(f"the corpus is not at {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        kept = args.keep
        if kept is not None and any(kept.glob("*.yaml")):
            files = sorted(kept.glob("*.yaml"))
            addresses = sorted({m.group(1) for path in files for m in re.finditer(
                r"http://([0-9.]+):", path.read_text(encoding="utf-8"))})
        else:
            files, addresses = case_files(Path(folder), args.limit, args.copies)
        limit_s, links, least = bound(files, args.per_host, args.latency)
        print(f"{links} URLs over {len(addresses)} hosts in {len(files)} case files; bound "
              f"{limit_s:.1f} s at {args.per_host} per host and {args.latency * 1000:.0f} ms;"
              f" least connections {least}")
        server = subprocess.Popen([sys.executable, __file__, "--serve", *addresses, "--port",
                                   str(args.port), "--latency", str(args.latency),
                                   "--per-host", str(args.per_host)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdin is not None
            if server.stdout.readline().strip() != "ready":
                print("the benchmark server did not start", file=sys.stderr)
                return 2
            if kept is not None:
                listing = kept
                listing.mkdir(parents=True, exist_ok=True)
            else:
                listing = Path(folder) / "cases"
                listing.mkdir()
            for path in files:
                if path.parent != listing:  # --keep may be on another file system
                    shutil.move(path, listing / path.name)
            # As `python -m refcheck`, the same entry point as the `refcheck` script: so that
            # `--under "env PYTHONPATH=…/src"` runs another checkout's refcheck side by side.
            argv = [*shlex.split(args.under), sys.executable, "-m", "refcheck",
                    str(listing), "--no-archive",
                    "-f", "json", "-o", str(Path(folder) / "report.json"),
                    "--concurrency", str(args.concurrency), "--per-host", str(args.per_host),
                    "--timeout", "30", "--deadline", "120", "--retries", "0"]
            if args.host_interval:
                argv += ["--host-interval", str(args.host_interval)]
            env = {**os.environ, "REFCHECK_PROBE_URL": "", "NO_PROXY": "*",
                   "REFCHECK_CACHE_DIR": str(Path(folder) / "cache")}
            # As `pip install .` leaves it, with its bytecode compiled: an editable install
            # with PYTHONDONTWRITEBYTECODE set (as on the machines here) compiles refcheck's
            # source on every run, a quarter of a second of its start.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            start, started = time.perf_counter(), time.time()
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            server.stdin.write("count\n")
            server.stdin.flush()
            counts = json.loads(server.stdout.readline())
            connections, extra = counts["connections"], counts["extra"]
            report = (Path(folder) / "report.json").read_text(encoding="utf-8")
            statuses = collections.Counter(re.findall(r'"status": "([a-z0-9-]+)"', report))
        finally:
            server.kill()
    code = os.waitstatus_to_exitcode(status)
    print(f"refcheck: {wall:.1f} s ({wall / limit_s:.2f}x the bound), "
          f"{usage.ru_utime + usage.ru_stime:.1f} CPU s, {usage.ru_maxrss / 1024:.0f} MiB peak, "
          f"{connections} connections ({connections / least:.2f}x the least), exit {code}")
    print("statuses:", dict(statuses.most_common()))
    busiest = counts["busiest"]
    if busiest:
        # Requests to the busiest host in each 5 s of the run: its slots allow
        # 5 / latency x per host; fewer means it was kept waiting.
        spans = collections.Counter(int((t - started) // 5) for t in busiest)
        first = counts["first"] - started
        print(f"from the first request to the end: {wall - first:.1f} s, "
              f"{(wall - first) / limit_s:.2f}x the bound")
        # The busiest host's own span, from its first request to its last answer: the
        # bound is this span at no turnaround; what comes after it is the run's tail.
        last = max(busiest) + args.latency - started
        span = last - (min(busiest) - started)
        print(f"the busiest host: first request {min(busiest) - started:.2f} s after the "
              f"start, last answer {last:.2f} s; its span {span:.1f} s, "
              f"{span / limit_s:.3f}x the bound; then {wall - last:.2f} s to the exit")
        print(f"first request {first:.2f} s after the start; the busiest "
              f"host's requests per 5 s (at most {5 / args.latency * args.per_host:.0f}):",
              [spans[i] for i in range(max(spans) + 1)])
    # The hosts asked last: a run whose small hosts were held back ends with them.
    print("the last requests:", ", ".join(f"{address} ({asked} in all) at "
                                          f"{when - started:.2f} s"
                                          for when, address, asked in counts["last"][:4]))
    turns = counts["turnaround"]
    if turns:
        # From the server's answer to the next request on that connection: what each of the
        # busiest host's requests cost beyond the latency.
        print(f"the busiest host's turnaround: median {turns[len(turns) // 2] * 1000:.1f} ms,"
              f" 90% {turns[len(turns) * 9 // 10] * 1000:.1f} ms, "
              f"mean {sum(turns) / len(turns) * 1000:.1f} ms")
    served = counts["served"]
    if served:
        # The bound again at the latency this server really gave the busiest host.
        mean = sum(served) / len(served)
        as_served = limit_s * mean / args.latency
        print(f"the busiest host was answered after {mean * 1000:.1f} ms on average; the bound "
              f"at that latency {as_served:.1f} s, refcheck {wall / as_served:.2f}x that")
    print("connections beyond the least, by the host's requests:", extra or "none")
    if code not in (0, 1):
        print(err[-2000:], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
