#!/usr/bin/env python3
"""Writes reference.json: what Python's email package (policy.default), a
parser independent of sesbox's, reads in each message here, for
TestCorpusAgainstReference (cmd/sesbox). Run it again (python3
reference.py) after adding a message, and say in the test why sesbox is
right wherever the two disagree.

Each message is read as sesbox stores it: without a leading mbox "From "
line (SES never stores one). Per message:
  subject      the Subject, decoded; null when there is none
  from         the first From address (addr-spec) when it has a domain, else null
  date         the Date as Unix seconds; null when Python cannot read it
  body         the first line of text of the plain-text body Python chooses
               (get_body), up to 60 characters; null when it has none
  attachments  file names of the parts with Content-Disposition: attachment,
               in order, not looking inside message/* parts (sesbox lists a
               message/rfc822 part as one attachment)
Raw 8-bit header bytes come back from Python as surrogates: they are read
as UTF-8 here, as RFC 6532 writes them.
"""
import email, email.policy, glob, json, os, sys


def utf8(s):
    if s is None:
        return None
    try:
        return s.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeDecodeError:
        return s.encode("utf-8", "replace").decode("utf-8")


def leaves(part):
    if part.is_multipart() and not part.get_content_maintype() == "message":
        for p in part.get_payload():
            yield from leaves(p)
    else:
        yield part


def read(path):
    raw = open(path, "rb").read()
    if raw.startswith(b"From "):
        raw = raw[raw.index(b"\n") + 1:]
    m = email.message_from_bytes(raw, policy=email.policy.default)
    out = {"subject": None, "from": None, "date": None, "body": None, "attachments": []}
    try:
        if m["subject"] is not None:
            out["subject"] = utf8(str(m["subject"]))
    except Exception:
        pass
    try:
        addrs = m["from"].addresses if m["from"] is not None else ()
        if addrs and addrs[0].domain:
            out["from"] = utf8(addrs[0].addr_spec)
    except Exception:
        pass
    try:
        if m["date"] is not None and m["date"].datetime is not None:
            out["date"] = int(m["date"].datetime.timestamp())
    except Exception:
        pass
    try:
        b = m.get_body(preferencelist=("plain",))
        if b is not None:
            for line in b.get_content().splitlines():
                if line.strip():
                    out["body"] = " ".join(line.split())[:60]
                    break
    except Exception:
        pass
    try:
        for p in leaves(m):
            if p.get_content_disposition() == "attachment":
                out["attachments"].append(utf8(p.get_filename()))
    except Exception:
        pass
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ref = {os.path.basename(f): read(f) for f in sorted(glob.glob(os.path.join(here, "*.eml")))}
    with open(os.path.join(here, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    print("%d messages, Python %s" % (len(ref), sys.version.split()[0]))


main()
