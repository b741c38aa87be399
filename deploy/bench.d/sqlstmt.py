#!/usr/bin/env python3
"""Prints one named statement of a Loket SQL file as a pgbench script command.

    sqlstmt.py [--raw] [--no-semicolon] [--types T1,T2,...] FILE NAME [PARAM ...]

FILE has sections that start with a line `-- name: NAME` (the format Sources/Postgres/SQLLibrary.swift reads).
The statement text is taken as the service sends it, minus SQL comments (a comment could hold `$1` or `:x`, which
pgbench would take for a parameter or variable) and a trailing semicolon. Each `$N` outside string literals is
replaced by PARAM N (e.g. `:loc` for a pgbench variable, or `NULL`). The result ends with `;` on its own line
unless --no-semicolon is given (for a command closed by `\\gset`).

pgbench -M prepared turns every occurrence of a variable into a parameter of its own, so a `$N` the service uses
several times becomes several parameters whose types PostgreSQL infers one by one (and may infer differently).
--types gives the types PostgreSQL inferred for the service's `$1..$N` (pg_prepared_statements.parameter_types);
each occurrence is then written `CAST(PARAM AS TYPE)`, so every parameter has exactly the service's type.
--raw prints the statement unchanged (comments and `$N` kept), e.g. to PREPARE it and read those types.
"""
import re
import sys


def extract(path, name):
    body, current = [], None
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.startswith("-- name:"):
                if current == name:
                    break
                current = line[len("-- name:"):].replace(" ", "")
                continue
            if current == name:
                body.append(line)
    if current != name or not body:
        sys.exit(f"sqlstmt: no statement named {name} in {path}")
    return "\n".join(body)


def rewrite(sql, params, types):
    """Drops -- comments and replaces $N, both only outside '...' literals and "..." identifiers."""
    out, i, n, used = [], 0, len(sql), set()
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            while i < n and sql[i] != "\n":
                i += 1
        elif c == "$" and i + 1 < n and sql[i + 1].isdigit():
            m = re.match(r"\$(\d+)", sql[i:])
            k = int(m.group(1))
            if k > len(params):
                sys.exit(f"sqlstmt: the statement uses ${k} but only {len(params)} parameters were given")
            used.add(k)
            out.append(f"CAST({params[k - 1]} AS {types[k - 1]})" if types else params[k - 1])
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    unused = set(range(1, len(params) + 1)) - used
    if unused:
        sys.exit(f"sqlstmt: parameters {sorted(unused)} are not used by the statement")
    lines = [l.rstrip() for l in "".join(out).split("\n")]
    text = "\n".join(l for l in lines if l.strip()).strip()
    return text.rstrip(";").rstrip()


def main():
    args = sys.argv[1:]
    semicolon, raw, types = True, False, None
    while args and args[0].startswith("--"):
        if args[0] == "--no-semicolon":
            semicolon, args = False, args[1:]
        elif args[0] == "--raw":
            raw, args = True, args[1:]
        elif args[0] == "--types" and len(args) > 1:
            types, args = [t.strip() for t in args[1].split(",")], args[2:]
        else:
            sys.exit(__doc__)
    if len(args) < 2:
        sys.exit(__doc__)
    if raw:
        print(extract(args[0], args[1]).strip().rstrip(";"))
        return
    if types is not None and len(types) != len(args) - 2:
        sys.exit(f"sqlstmt: {len(types)} types for {len(args) - 2} parameters")
    text = rewrite(extract(args[0], args[1]), args[2:], types)
    print(text + ("\n;" if semicolon else ""))


if __name__ == "__main__":
    main()
