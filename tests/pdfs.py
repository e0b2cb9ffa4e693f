"""A minimal PDF with a text layer, made here so that tests need no binary fixtures."""

from __future__ import annotations


def make_pdf(lines: list[str], *, to_unicode: dict[str, str] | None = None,
             more_pages: list[list[str]] | None = None,
             space_before: frozenset[int] = frozenset(),
             column: list[str] | None = None) -> bytes:
    """A PDF printing ``lines`` in Helvetica, 14 points apart, and ``more_pages`` on pages
    of their own after it. ``space_before`` numbers the lines (of every page, from 0) set
    8 points further down, as Word spaces paragraphs. ``to_unicode`` gives the font a
    text map (a ToUnicode CMap): each printable ASCII character maps to itself, except the
    characters given, which map to the UTF-16 code units in hex given (``{"~": "D83D"}``).
    ``column`` is a second column of the first page, its lines beside the first ones, from
    x = 320."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    pages = [lines, *(more_pages or [])]
    streams = ["BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(
        ("0 -8 Td " if index in space_before else "") + f"({escape(line)}) Tj T*"
        for index, line in enumerate(page)) + " ET" for page in pages]
    if column:
        streams[0] += " BT /F1 11 Tf 320 780 Td 14 TL " + " ".join(
            f"({escape(line)}) Tj T*" for line in column) + " ET"
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    # Objects 1-2 the catalogue and page tree, 3-4 the first page and its text, 5 the
    # font (6 its text map), then each further page and its text.
    extra = 7 if to_unicode is not None else 6
    kids = ["3 0 R", *(f"{extra + 2 * n} 0 R" for n in range(len(pages) - 1))]
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(streams[0])} >>\nstream\n{streams[0]}\nendstream",
        font,
    ]
    if to_unicode is not None:
        pairs = {chr(code): f"{code:04X}" for code in range(0x20, 0x7F)} | to_unicode
        cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
                "/CMapName /Test def 1 begincodespacerange <00> <FF> endcodespacerange\n"
                f"{len(pairs)} beginbfchar\n"
                + "".join(f"<{ord(char):02X}> <{units}>\n" for char, units in pairs.items())
                + "endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end")
        objects[4] = font.replace(">>", "/ToUnicode 6 0 R >>")
        objects.append(f"<< /Length {len(cmap)} >>\nstream\n{cmap}\nendstream")
    for n, stream in enumerate(streams[1:]):
        objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                       f"{extra + 2 * n + 1} 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)
