"""What an evidence file really is, from its bytes, and whether it is allowed (PRODUCT.md §2).

`sniff(name, fileobj)` returns the content type of an allowed file or raises `Refused` with a
message naming the file and why. Only the first bytes are read, and for a zip-based office file
only its central directory (the list of members): nothing is inflated, so a zip bomb costs a few
kilobytes. `safe_name(given)` returns a name fit to show and to save as.
"""

from __future__ import annotations

import re
import zipfile

# extension -> (content type, a person's word for it)
ALLOWED = {
    "pdf": ("application/pdf", "a PDF"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a Word document"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "an Excel workbook"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "a PowerPoint file"),
    "odt": ("application/vnd.oasis.opendocument.text", "an OpenDocument text"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "an OpenDocument spreadsheet"),
    "csv": ("text/csv", "a CSV file"),
    "txt": ("text/plain", "a text file"),
    "png": ("image/png", "a PNG image"),
    "jpeg": ("image/jpeg", "a JPEG image"),
}
ALIASES = {"jpg": "jpeg", "text": "txt"}
EXECUTABLES = ((b"MZ", "a Windows program"), (b"\x7fELF", "a Linux program"), (b"#!", "a script"),
               (b"\xcf\xfa\xed\xfe", "a macOS program"), (b"\xce\xfa\xed\xfe", "a macOS program"),
               (b"\xca\xfe\xba\xbe", "a macOS or Java program"))  # fmt: skip
OOXML = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
ODF = {b"application/vnd.oasis.opendocument.text": "odt", b"application/vnd.oasis.opendocument.spreadsheet": "ods"}
MAX_RATIO, MAX_EXPANDED = 100, 200 * 2**20  # beyond both: a zip bomb, not an office file
HEAD = 8192
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class Refused(ValueError):
    """A file that is not accepted; the message names it and says why."""


def extension(name: str) -> str:
    """Return the lower-case extension of `name` ('' when none), with jpg read as jpeg."""
    _, dot, ext = name.rpartition(".")
    ext = ext.lower() if dot and _ else ""
    return ALIASES.get(ext, ext)


def safe_name(given: str) -> str:
    """Return `given` without path parts or control characters, at most 150 characters, never empty."""
    base = re.split(r"[\\/]", given or "")[-1]
    base = CONTROL.sub("", base).strip().lstrip(".") or "evidence"
    if len(base) > 150:
        stem, dot, ext = base.rpartition(".")
        base = stem[: 149 - len(ext)] + dot + ext if dot and len(ext) <= 10 else base[:150]
    return base


def shown_name(given: str) -> str:
    """Return `given` with each control character written as a visible escape (e.g. \\x00)."""
    return CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), given or "")


def sniff(name: str, fileobj) -> str:
    """Return the content type of the file `fileobj` (seekable, at any position) named `name`.

    Raises Refused: an empty file, a program, a type outside the allow-list, or a name that
    says one type while the bytes are another.
    """
    fileobj.seek(0)
    head = fileobj.read(HEAD)
    if not head:
        raise Refused(f"{name}: the file is empty")
    for magic, what in EXECUTABLES:
        if head.startswith(magic):
            raise Refused(f"{name}: this is {what}, not a document; programs are never accepted")
    found = _by_magic(name, head, fileobj)
    ext = extension(name)
    if found is None:
        allowed = ", ".join(ALLOWED)
        raise Refused(f"{name}: this kind of file is not accepted; send one of: {allowed}")
    if found in ("txt", "csv") and ext in ("txt", "csv", ""):
        found = ext or found
    if ext and ext != found:
        said = ALLOWED[ext][1] if ext in ALLOWED else f"a .{ext} file"
        raise Refused(f"{name}: the name says {said} but the content is {ALLOWED[found][1]}; "
                      f"rename it to .{found} or send the right file")  # fmt: skip
    return ALLOWED[found][0]


def _by_magic(name: str, head: bytes, fileobj) -> str | None:
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(name, fileobj)
    return "txt" if _is_text(head) else None


def _zip_kind(name: str, fileobj) -> str | None:
    """Return docx/xlsx/pptx/odt/ods from the zip's central directory (no member is inflated but
    ODF's tiny `mimetype`); None for any other zip."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    try:
        with zipfile.ZipFile(fileobj) as z:
            members = z.infolist()
            expanded = sum(m.file_size for m in members)
            if expanded > MAX_EXPANDED and expanded > MAX_RATIO * max(size, 1):
                raise Refused(f"{name}: it would expand to {expanded // 2**20} MB from {max(1, size // 1024)} KB "
                              "(a 'zip bomb'); save the document again and send that")  # fmt: skip
            names = {m.filename for m in members}
            for member, kind in OOXML.items():
                if member in names and "[Content_Types].xml" in names:
                    return kind
            mime = next((m for m in members if m.filename == "mimetype"), None)
            if mime is not None and mime.file_size <= 100:
                return ODF.get(z.read(mime).strip())
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        raise Refused(f"{name}: the file is damaged (a broken zip archive); save it again and send that") from None
    return None


def _is_text(head: bytes) -> bool:
    """Return True for UTF-8 (or Windows-1252) text without control characters but tab and line ends."""
    if b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and exc.start >= len(head) - 3:  # a character cut at the end
                text = head[: exc.start].decode(encoding, "ignore")
            else:
                continue
        return not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text)
    return False
