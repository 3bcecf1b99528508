"""The evidence pack (PRODUCT.md §8): a zip of index.html and index.pdf (one section per
recommendation), every evidence file under evidence/<ref>/, and manifest.json with each file's
SHA-256, size and who gave it when.

Deterministic: the same database gives the same zip byte for byte (entries sorted, fixed
timestamps and permissions, no build time in the documents). Evidence bytes are copied from the
database a chunk at a time, checked against their stored SHA-256 on the way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session

from scheduler.config.dates import longdate
from scheduler.config.files import shipped_templates
from scheduler.documents.pack_data import ActionSection, PackFile, sections
from scheduler.store.evidence import chunks

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date: no build time in the pack


class PackProblem(Exception):
    """The pack could not be written as it must be (e.g. stored bytes no longer match their SHA-256)."""


def render_index(config, plan_id: str, secs: list[ActionSection]) -> str:
    """Return index.html: the plan, then one section per recommendation."""
    plan = config.plans[plan_id]
    env = Environment(loader=FileSystemLoader(str(shipped_templates("documents"))), undefined=StrictUndefined,
                      autoescape=True)  # fmt: skip
    env.filters["longdate"] = longdate
    admin = config.owners.get(plan.administrator) if plan.administrator else None
    times = [t for s in secs for t in _times(s)]
    counts = {status: sum(1 for s in secs if s.status == status) for status in
              ("complete", "awaiting_verification", "in_progress", "open", "withdrawn")}  # fmt: skip
    return env.get_template("evidence_pack.html").render(
        plan=plan, administrator=admin, sections=secs, counts=counts, latest=max(times) if times else None,
        files=sum(len(s.files) for s in secs))  # fmt: skip


def _times(s: ActionSection) -> list[dt.datetime]:
    return ([x["at"] for x in s.progress + s.completions + s.decisions + s.notices + s.links + s.revisions]
            + [f.submitted_at for f in s.files])  # fmt: skip


def render_pdf(html: str) -> bytes:
    """Return the PDF of `html` (WeasyPrint, A4; the same HTML gives the same bytes)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(shipped_templates("documents"))).write_pdf()


def manifest(plan_id: str, files: list[PackFile], extra: dict[str, bytes]) -> bytes:
    """Return manifest.json: every evidence file (path, SHA-256, size, type, who, when) and the index files."""
    entries = [{"path": f.path, "ref": f.ref, "sha256": f.sha256, "size": f.size, "content_type": f.content_type,
                "name_as_given": f.given_name, "submitted_by": f.submitted_by,
                "submitted_at": f.submitted_at.isoformat(timespec="seconds"), "superseded_by": f.superseded_by}
               for f in sorted(files, key=lambda f: f.path)]  # fmt: skip
    index = {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)} for name, data in sorted(extra.items())}
    doc = {"plan": plan_id, "algorithm": "sha256", "files": entries, "documents": index}
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def _copy_file(session: Session, z: zipfile.ZipFile, f: PackFile) -> None:
    """Stream one evidence file from the database into the zip, checking its SHA-256."""
    digest = hashlib.sha256()
    with z.open(_info(f.path), "w", force_zip64=f.size > 2**30) as out:
        for piece in chunks(session, f.evidence_id):
            digest.update(piece)
            out.write(piece)
    if digest.hexdigest() != f.sha256:
        raise PackProblem(f"evidence {f.evidence_id} ({f.path}): its stored bytes no longer match their SHA-256; "
                          "restore the database from a backup")  # fmt: skip


def write_pack(session: Session, config, plan_id: str, target: Path, now: dt.datetime) -> str:
    """Write the evidence pack of `plan_id` to `target` (replaced whole, or left as it was); return a
    one-line account. `now` is not written into the pack (determinism)."""
    plan = config.plans[plan_id]
    secs = sections(session, plan_id, plan.policy.tz, tuple(a.ref for a in plan.actions))
    html = render_index(config, plan_id, secs)
    docs = {"index.html": html.encode(), "index.pdf": render_pdf(html)}
    files = sorted((f for s in secs for f in s.files), key=lambda f: f.path)
    docs["manifest.json"] = manifest(plan_id, files, dict(docs))
    fd, tmp = tempfile.mkstemp(prefix=".evidence-pack-", suffix=".zip", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w") as z:
            for f in files:  # "evidence/..." sorts before "index.*" and "manifest.json"
                _copy_file(session, z, f)
            for name in sorted(docs):
                z.writestr(_info(name), docs[name])
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    size = sum(f.size for f in files)
    return f"{len(secs)} recommendation(s), {len(files)} evidence file(s) ({size} bytes), index.html, index.pdf, manifest.json"
