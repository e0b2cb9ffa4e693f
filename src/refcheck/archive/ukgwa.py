"""The UK Government Web Archive (The National Archives), served by pywb since 2021.

A Memento archive with two particulars: its TimeMaps list ``memento`` entries only (no
first/last) with ``mp_`` capture URLs and no capture status, so each chosen capture is
fetched and must prove itself; and a person should be sent to the replay without ``mp_``.
"""

from __future__ import annotations

import re

from refcheck.archive.memento_archive import MementoArchive

#: ``…/{ts}mp_/{url}`` → ``…/{ts}/{url}``: the replay a person should open.
_MODIFIER = re.compile(r"/(\d{4,14})[a-z]{2}_/")


def human_capture_url(memento_uri: str) -> str:
    return _MODIFIER.sub(lambda m: f"/{m.group(1)}/", memento_uri, count=1)


_REPLAY = re.compile(r"/(\d{4,14})/(?=https?:)")


class Ukgwa(MementoArchive):
    def human_url(self, memento_uri: str) -> str:
        return human_capture_url(memento_uri)

    def raw_url(self, capture_url: str) -> str:
        """``…/{ts}/{url}`` → ``…/{ts}mp_/{url}``: the page without pywb's banner."""
        return _REPLAY.sub(lambda m: f"/{m.group(1)}mp_/", capture_url, count=1)
