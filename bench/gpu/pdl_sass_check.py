#!/usr/bin/env python3
"""Checks in the sm_90 machine code that no kernel touches global memory before its programmatic-launch wait.

With programmatic dependent launch (CudaLaunchEx) a kernel may start while the kernel before it still runs, so
`dendrite_pdl_begin()` (griddepcontrol.wait) must come before every global load or store. CudaPdlTest checks that in
the PTX; the driver's and ptxas's code generation could still move a load above the wait, which only the SASS shows.
The device machine has cuobjdump; run-on-gpu.sh dumps the fatbin's sm_90 SASS and runs this on it:

    cuobjdump --dump-sass --gpu-architecture sm_90 dendrite_kernels.fatbin > sass.txt
    python3 bench/gpu/pdl_sass_check.py sass.txt

Prints one line per kernel (ok, WRONG, or UNKNOWN when no wait instruction is recognised, with the kernel's first
opcodes so that the next reader can see what the wait became), then a summary line. The wait is ACQBULK: what
griddepcontrol.wait compiles to on sm_90 (and launch_dependents to PREEXIT), seen in this fatbin with the cuobjdump
13.1 that Triton's wheel carries (`pip install triton`; triton/backends/nvidia/bin/cuobjdump), which runs without a
GPU: all 82 kernels ok on 2026-12-05. Exit status 1 when a kernel is WRONG, else 0.
"""
import re
import sys

# Opcodes that read or write global (or generic) memory; shared-memory and constant loads are harmless here.
GLOBAL_ACCESS = {"LDG", "STG", "LD", "ST", "ATOM", "ATOMG", "RED", "REDG", "LDGSTS", "SULD", "SUST", "SURED",
                 "TLD", "TEX", "TLD4", "UBLKCP", "UTMALDG", "UTMASTG", "CCTL", "ULDG"}
WAIT = {"ACQBULK"}

FUNCTION = re.compile(r"^\s*Function\s*:\s*(\S+)")
INSTRUCTION = re.compile(r"/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*)(?:\.[A-Z0-9_.]*)?")


def functions(text):
    """{name: [opcode, ...]} in order of appearance."""
    result = {}
    current = None
    for line in text.splitlines():
        m = FUNCTION.match(line)
        if m:
            current = m.group(1)
            result[current] = []
            continue
        if current is None:
            continue
        m = INSTRUCTION.search(line)
        if m:
            result[current].append(m.group(1))
    return result


def check(ops):
    """(verdict, detail) for one kernel's opcodes."""
    wait = next((i for i, op in enumerate(ops) if op in WAIT), None)
    first_access = next((i for i, op in enumerate(ops) if op in GLOBAL_ACCESS), None)
    if wait is None:
        return "UNKNOWN", "no %s; first global access %s; first opcodes: %s" % (
            "/".join(sorted(WAIT)),
            "none" if first_access is None else "%s at %d" % (ops[first_access], first_access),
            " ".join(ops[:12]))
    if first_access is not None and first_access < wait:
        return "WRONG", "%s at instruction %d, before %s at %d" % (ops[first_access], first_access, ops[wait], wait)
    return "ok", "%s at instruction %d" % (ops[wait], wait)


def report(text, out):
    kernels = functions(text)
    counts = {"ok": 0, "WRONG": 0, "UNKNOWN": 0}
    for name, ops in kernels.items():
        verdict, detail = check(ops)
        counts[verdict] += 1
        out.write("%-7s %s: %s\n" % (verdict, name, detail))
    out.write("pdl-sass: %d kernels: %d ok, %d WRONG (a global access before the wait), %d UNKNOWN (no %s)\n" % (
        len(kernels), counts["ok"], counts["WRONG"], counts["UNKNOWN"], "/".join(sorted(WAIT))))
    return counts


def self_test():
    sample = """
        Fatbin elf code:
        arch = sm_90
                Function : good_kernel
        /*0000*/                   LDC R1, c[0x0][0x28] ;
        /*0010*/                   ACQBULK ;
        /*0020*/                   PREEXIT ;
        /*0030*/              @!P0 LDG.E R2, desc[UR4][R2.64] ;
        /*0040*/                   STG.E desc[UR4][R4.64], R2 ;
                Function : hoisted_kernel
        /*0000*/                   LDC R1, c[0x0][0x28] ;
        /*0010*/                   LDG.E.CONSTANT R2, desc[UR4][R2.64] ;
        /*0020*/                   ACQBULK ;
                Function : plain_kernel
        /*0000*/                   S2R R0, SR_TID.X ;
        /*0010*/                   STS [R0], RZ ;
        /*0020*/                   EXIT ;
    """
    kernels = functions(sample)
    assert list(kernels) == ["good_kernel", "hoisted_kernel", "plain_kernel"], kernels
    assert check(kernels["good_kernel"])[0] == "ok", check(kernels["good_kernel"])
    assert check(kernels["hoisted_kernel"])[0] == "WRONG", check(kernels["hoisted_kernel"])
    verdict, detail = check(kernels["plain_kernel"])
    assert verdict == "UNKNOWN" and "first global access none" in detail and "S2R STS EXIT" in detail, detail
    print("pdl_sass_check self-test: ok")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        counts = report(f.read(), sys.stdout)
    return 1 if counts["WRONG"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
