"""JUnit XML (``--format junit``), as Jenkins, GitLab and GitHub's test reporters read it:
one ``testsuite`` per case file, one ``testcase`` per link (``classname`` the case file,
``name`` the source id and URL), a ``failure`` for links that fail the run (their source's
verdict is in the fail-on set), ``skipped`` for sources without a URL and for the links
not checked (after Ctrl-C, or with no network).

ElementTree escapes XML; ``literal`` has already made control characters visible, which
XML 1.0 could not carry."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TextIO

from refcheck.model import Outcome, RunReport, Status
from refcheck.report import (
    Renderer,
    archive_lines,
    interruption,
    link_action,
    literal,
    memory_lines,
    not_checked,
    not_checked_for_want_of_network,
    run_notes,
    sources,
)


def _shards(report: RunReport) -> ET.Element | None:
    """For a shard's report, a ``skipped`` test standing for the links of the other
    shards (neither passed nor failed here); for a merged report with shards missing, a
    ``failure`` for each."""
    notes = run_notes(report)
    if not notes:
        return None
    suite = ET.Element("testsuite", name="refcheck shards")
    merged = report.merged
    counts = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
    if report.shard is not None:
        shard = report.shard
        test = ET.SubElement(suite, "testcase", classname="refcheck shards",
                             name=f"shard {shard.index} of {shard.count}", time="0")
        ET.SubElement(test, "skipped", message=literal(notes[0])).text = "\n".join(
            literal(n) for n in notes)
        counts["tests"] += 1
        counts["skipped"] += 1
    if merged is not None:
        for gap, note in zip(merged.gaps, notes, strict=False):
            test = ET.SubElement(suite, "testcase", classname="refcheck shards",
                                 name=f"shard {gap.index} of {merged.count}", time="0")
            ET.SubElement(test, "failure", type=gap.reason,
                          message=literal(note)).text = literal(note)
            counts["tests"] += 1
            counts["failures"] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


class JunitRenderer(Renderer):
    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        failing = {id(r) for r in outcome.failing}
        root = ET.Element("testsuites", name="refcheck")
        views = sources(report)
        totals = {"tests": 0, "failures": 0, "skipped": 0}
        left = not_checked(report)
        note = literal(interruption(report))
        for case in report.cases:
            suite = ET.SubElement(root, "testsuite", name=literal(case.path))
            counts = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
            # An interrupted run's links not checked are skipped tests, so that a partial
            # run does not show as every test passed.
            for item in (u for u in left if u.file == case.path):
                test = ET.SubElement(suite, "testcase", classname=literal(case.path),
                                     name=f"{literal(item.label)} "
                                          f"{literal(item.url) if item.url else '(no URL)'}",
                                     time="0")
                counts["tests"] += 1
                counts["skipped"] += 1
                ET.SubElement(test, "skipped", message=f"not checked: {note}")
            for view in (v for v in views if v.case.path == case.path):
                for result in view.results:
                    url = literal(result.cited.url) if result.cited else "(no URL)"
                    test = ET.SubElement(suite, "testcase", classname=literal(case.path),
                                         name=f"{literal(view.label)} {url}", time="0")
                    counts["tests"] += 1
                    details = "\n".join(literal(t) for t in
                                        [result.detail,
                                         *memory_lines(result, report.confirm),
                                         *archive_lines(result, report.as_of)])
                    todo = link_action(view, result, report.as_of)
                    if todo is not None:
                        details += f"\nwhat to do: {literal(todo)}"
                    if id(result) in failing:
                        counts["failures"] += 1
                        failure = ET.SubElement(test, "failure", type=result.status.value,
                                                message=f"{result.status.value}: "
                                                        f"{literal(result.detail)}")
                        failure.text = details
                    elif result.status is Status.NO_URL or not_checked_for_want_of_network(
                            result):
                        # Neither passed: a letter has no URL to check, and with no
                        # network nothing was (a test reporter would show them green).
                        counts["skipped"] += 1
                        ET.SubElement(test, "skipped", message=literal(result.detail))
                    else:
                        output = ET.SubElement(test, "system-out")
                        output.text = f"{result.status.value}: {details}"
            for key, value in counts.items():
                suite.set(key, str(value))
                if key in totals:
                    totals[key] += value
        shards = _shards(report)
        if shards is not None:
            root.append(shards)
            for key in totals:
                totals[key] += int(shards.get(key, "0"))
        for key, value in totals.items():
            root.set(key, str(value))
        ET.indent(root)
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(ET.tostring(root, encoding="unicode"))
        out.write("\n")
