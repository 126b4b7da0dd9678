"""Print the deb-src entries (deb822) that match the system's own deb entries.

musl-compat fetches Debian's source package `musl` with `apt-get source`,
which needs a deb-src entry. The system's apt configuration usually has only
binary (deb) entries, so this derives the matching deb-src ones from
/etc/apt/sources.list (one-line format) and /etc/apt/sources.list.d/*.list
and *.sources (deb822), keeping only the distribution's own suites (the
release codename and its -updates/-security...), whose keys apt already has.
The result goes into a private apt directory under build/: the system's
configuration is never changed. Usage: python3 debsrc.py [ETC_APT [CODENAME]]
"""

import sys
from pathlib import Path


def os_codename() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        key, _, value = line.partition("=")
        if key in ("VERSION_CODENAME", "UBUNTU_CODENAME") and value:
            return value.strip('"')
    return ""


def own_suites(suites: list[str], codename: str) -> list[str]:
    return [s for s in suites if s == codename or s.startswith(codename + "-")]


def entry(uris: str, suites: list[str], components: str, signed_by: str) -> str:
    lines = ["Types: deb-src", f"URIs: {uris}", f"Suites: {' '.join(suites)}"]
    lines.append(f"Components: {components}")
    if signed_by:
        lines.append(f"Signed-By: {signed_by}")
    return "\n".join(lines) + "\n"


def from_deb822(text: str, codename: str) -> list[str]:
    """Each stanza of Types: deb; a multi-line Signed-By (an inline key) is
    left out, and apt then verifies with its trusted keyrings."""
    out = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if not line.strip() or line.lstrip().startswith("#") or line[0] in " \t":
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = own_suites(fields.get("suites", "").split(), codename)
        if suites and fields.get("uris"):
            out.append(
                entry(fields["uris"], suites, fields.get("components", "main"),
                      fields.get("signed-by", ""))
            )
    return out


def from_one_line(text: str, codename: str) -> list[str]:
    """`deb [opts] URI SUITE COMPONENT...` lines."""
    out = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        signed_by = ""
        if words and words[0].startswith("["):
            opts = []
            while words:
                w = words.pop(0)
                opts.append(w.strip("[]"))
                if w.endswith("]"):
                    break
            for o in opts:
                if o.startswith("signed-by="):
                    signed_by = o.split("=", 1)[1]
        if len(words) < 2:
            continue
        suites = own_suites([words[1]], codename)
        if suites:
            out.append(entry(words[0], suites, " ".join(words[2:]) or "main", signed_by))
    return out


def main() -> int:
    etc = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/etc/apt")
    codename = sys.argv[2] if len(sys.argv) > 2 else os_codename()
    entries = []
    files = [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*.list"))]
    for f in files:
        if f.is_file():
            entries += from_one_line(f.read_text(), codename)
    for f in sorted((etc / "sources.list.d").glob("*.sources")):
        entries += from_deb822(f.read_text(), codename)
    if not entries:
        print(f"debsrc: no deb entry for '{codename}' in {etc}", file=sys.stderr)
        return 1
    print("\n".join(entries), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
