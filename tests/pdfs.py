"""A minimal PDF with a text layer, made here so that tests need no binary fixtures."""

from __future__ import annotations


def make_pdf(lines: list[str], *, to_unicode: dict[str, str] | None = None) -> bytes:
    """A one-page PDF printing ``lines`` in Helvetica. ``to_unicode`` gives the font a
    text map (a ToUnicode CMap): each printable ASCII character maps to itself, except the
    characters given, which map to the UTF-16 code units in hex given (``{"~": "D83D"}``)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(
        f"({escape(line)}) Tj T*" for line in lines) + " ET"
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
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
