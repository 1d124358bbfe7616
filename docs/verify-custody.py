#!/usr/bin/env python3
"""Checks the chain of custody of a Casefile bundle with nothing but Python.

    python3 verify-custody.py BUNDLE_FOLDER

Run it after checking the signatures with minisign (see the bundle's
data/VERIFY.txt): minisign proves that data/checkpoint.txt, the signed tree
head, comes from the sender's key; this script proves that every event in
data/custody.jsonl is a leaf of that tree (an RFC 6962 / RFC 9162 inclusion
proof from data/proofs.json), that the events of each item record the
SHA-256 that data/case.json gives for it, and that each item's history says
how it entered the sender's vault. Events of log format 2 commit to their
text through salted hashes; each disclosure in data/disclosures.jsonl must
open one of its event's commitments (those a bundle leaves unopened hold
the names of persons left out for lack of consent). A line
{"withheld": {"seq": N}} stands for an event withheld whole: its proof shows
an event is there, not what it says.

This file is published with Casefile's documentation, never inside a
bundle: a checker shipped inside what it checks would prove nothing.
It uses only the Python standard library (3.8 or later). Exit status 0 when
everything holds, 1 when something does not (each problem printed).
"""

import base64
import hashlib
import json
import os
import sys

ENTERED = {"item_added", "item_derived", "received"}


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_proof(index: int, size: int, leaf: bytes, path: list) -> bytes:
    """RFC 9162, section 2.1.3.2: the root an inclusion proof leads to."""
    if index >= size:
        raise ValueError("leaf index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("proof longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof shorter than the tree is deep")
    return r


def commitments(v) -> set:
    """The salted hashes a format-2 event's details commit to."""
    out = set()
    if isinstance(v, dict):
        if set(v) == {"_sd"} and isinstance(v["_sd"], str):
            out.add(v["_sd"])
        else:
            for x in v.values():
                out |= commitments(x)
    elif isinstance(v, list):
        for x in v:
            out |= commitments(x)
    return out


def read_checkpoint(text: str):
    """origin, size and root of a C2SP signed-note checkpoint (the signature
    lines after the blank line are minisign's and the tree's business)."""
    body = text.split("\n\n", 1)[0].split("\n")
    if len(body) < 3:
        raise ValueError("data/checkpoint.txt is not a checkpoint")
    return body[0], int(body[1]), base64.b64decode(body[2], validate=True)


def main(folder: str) -> int:
    problems = []

    def read(name: str) -> bytes:
        with open(os.path.join(folder, name), "rb") as f:
            return f.read()

    try:
        origin, size, root = read_checkpoint(read("data/checkpoint.txt").decode("utf-8"))
        proofs = json.loads(read("data/proofs.json"))
        case = json.loads(read("data/case.json"))
        lines = read("data/custody.jsonl").decode("utf-8").split("\n")
    except (OSError, ValueError, UnicodeDecodeError) as e:
        print(f"cannot read the bundle: {e}")
        return 1
    if lines and lines[-1] == "":
        lines.pop()
    disclosed = {}
    try:
        for n, row in enumerate(read("data/disclosures.jsonl").decode("utf-8").split("\n"), start=1):
            if row:
                d = json.loads(row)
                disclosed[d["seq"]] = d["disclosures"]
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, UnicodeDecodeError) as e:
        problems.append(f"data/disclosures.jsonl line {n}: {e}")

    head = proofs.get("checkpoint", {})
    if head.get("size") != size or bytes.fromhex(head.get("root", "")) != root:
        problems.append("data/proofs.json names another tree head than data/checkpoint.txt")
    if case.get("origin") not in (None, "", origin):
        problems.append(f"data/checkpoint.txt is the tree of log {origin!r}, not {case.get('origin')!r}")
    entries = proofs.get("proofs", [])
    if len(entries) != len(lines):
        problems.append(f"data/proofs.json has {len(entries)} proofs for {len(lines)} events")

    history = {}
    for n, (line, proof) in enumerate(zip(lines, entries), start=1):
        at = f"data/custody.jsonl line {n}"
        try:
            event = json.loads(line)
        except ValueError as e:
            problems.append(f"{at}: not JSON ({e})")
            continue
        withheld = set(event) == {"withheld"}
        seq = event["withheld"].get("seq") if withheld else event.get("seq")
        try:
            # A withheld event's leaf hash can only come from its proof.
            leaf = bytes.fromhex(proof["leaf_hash"]) if withheld else leaf_hash(line.encode("utf-8"))
            path = [bytes.fromhex(h) for h in proof["path"]]
            ok = (
                proof["seq"] == seq
                and proof["leaf_index"] + 1 == seq
                and bytes.fromhex(proof["leaf_hash"]) == leaf
                and root_from_proof(proof["leaf_index"], size, leaf, path) == root
            )
        except (KeyError, ValueError, TypeError):
            ok = False
        if not ok:
            problems.append(f"{at} (event {seq}): not included in the signed tree head")
        if withheld:
            continue
        if event.get("v") == 2:
            opened = commitments(event.get("details"))
            for d in disclosed.pop(seq, []):
                if hashlib.sha256(d.encode("utf-8")).hexdigest() not in opened:
                    problems.append(f"data/disclosures.jsonl: a disclosure for event {seq} opens none of its commitments")
        if event.get("item"):
            history.setdefault(event["item"], []).append(event)
    for seq in disclosed:
        problems.append(f"data/disclosures.jsonl: event {seq} is not a format-2 event of this bundle")

    for item in case.get("items", []):
        at = f"{item.get('path')} (item {item.get('id')})"
        events = history.get(item.get("id"), [])
        if not any(e.get("action") in ENTERED for e in events):
            problems.append(f"{at}: its custody history does not show how it entered the vault")
        for e in events:
            if e.get("sha256") != item.get("sha256"):
                problems.append(f"{at}: event {e.get('seq')} records another hash")

    for p in problems:
        print(p)
    if problems:
        print(f"custody does NOT verify: {len(problems)} problems")
        return 1
    print(
        f"custody verified: {len(lines)} events of {len(case.get('items', []))} items, "
        f"each proven against the tree head of {size} events (root {root.hex()})"
    )
    print("check data/checkpoint.txt's signature with minisign too (see data/VERIFY.txt)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1])
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
