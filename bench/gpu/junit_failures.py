#!/usr/bin/env python3
"""
The test classes with a failure or an error in JUnit's legacy XML reports (the JUnit Platform console launcher's
--reports-dir), one per line, each once, in report order: what run-on-gpu.sh reruns when the CUDA suite fails.

    python3 bench/gpu/junit_failures.py REPORT_DIR
    python3 bench/gpu/junit_failures.py --skipped-failures FAILED_DIR RERUN_DIR
    python3 bench/gpu/junit_failures.py --self-test

--skipped-failures: the test cases that failed in FAILED_DIR and were skipped in RERUN_DIR (a rerun with a path
switched off), one "class#test" a line; the exit status is 3 where every case that failed was skipped there. Such a
rerun passed without running what failed, so it tells nothing of the path it switched off: a test that counts a
default path's launches skips where its switch is set.

A nested test class runs with its top-level class ("Outer$Inner" is given as "Outer"); a report that is not XML
(a JVM killed while writing it) is skipped, since a crash leaves nothing to rerun from.
"""
import glob
import os
import sys
import tempfile
import xml.etree.ElementTree as ET


def test_cases(report_dir):
    """Every test case in the reports under report_dir, in report order (an unreadable report gives none)."""
    for report in sorted(glob.glob(os.path.join(report_dir, "*.xml"))):
        try:
            cases = list(ET.parse(report).getroot().iter("testcase"))
        except ET.ParseError:
            continue
        yield from cases


def failed(case):
    return case.find("failure") is not None or case.find("error") is not None


def case_id(case):
    return f"{case.get('classname') or ''}#{case.get('name') or ''}"


def failed_classes(report_dir):
    seen = []
    for case in test_cases(report_dir):
        name = (case.get("classname") or "").split("$")[0]
        if name and name not in seen and failed(case):
            seen.append(name)
    return seen


def skipped_failures(failed_dir, rerun_dir):
    """The cases that failed in failed_dir and were skipped in rerun_dir, and whether that is every one that failed."""
    failures = [case_id(c) for c in test_cases(failed_dir) if failed(c)]
    skipped = {case_id(c) for c in test_cases(rerun_dir) if c.find("skipped") is not None}
    both = [c for c in failures if c in skipped]
    return both, bool(failures) and len(both) == len(failures)


def self_test():
    report = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="JUnit Jupiter" tests="5">
  <testcase name="ok()" classname="dev.dendrite.backend.cuda.CudaGemmTest"/>
  <testcase name="bad()" classname="dev.dendrite.backend.cuda.CudaGemmTest"><failure message="x"/></testcase>
  <testcase name="worse()" classname="dev.dendrite.backend.cuda.CudaGemmTest"><error message="y"/></testcase>
  <testcase name="skipped()" classname="dev.dendrite.backend.cuda.CudaParityTest"><skipped/></testcase>
  <testcase name="inner()" classname="dev.dendrite.backend.cuda.CudaStepCaptureTest$Inner"><error/></testcase>
</testsuite>
"""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "TEST-junit-jupiter.xml"), "w") as f:
            f.write(report)
        with open(os.path.join(d, "TEST-junit-vintage.xml"), "w") as f:
            f.write("<testsuite><testcase classname=")  # cut off: a killed JVM's report
        got = failed_classes(d)
        want = ["dev.dendrite.backend.cuda.CudaGemmTest", "dev.dendrite.backend.cuda.CudaStepCaptureTest"]
        if got != want:
            print(f"junit_failures self-test: expected {want}, got {got}")
            return 1
        if failed_classes(os.path.join(d, "missing")) != []:
            print("junit_failures self-test: a missing folder must give no classes")
            return 1
        # The rerun: bad() and inner() skipped, worse() passed; then all three skipped.
        rerun = os.path.join(d, "rerun")
        os.mkdir(rerun)
        for worse, every in (("", False), ("<skipped/>", True)):
            with open(os.path.join(rerun, "TEST-junit-jupiter.xml"), "w") as f:
                f.write(report.replace('<failure message="x"/>', "<skipped/>").replace("<error/>", "<skipped/>")
                        .replace('<error message="y"/>', worse))
            skipped = ["dev.dendrite.backend.cuda.CudaGemmTest#bad()"] + (
                ["dev.dendrite.backend.cuda.CudaGemmTest#worse()"] if every else []) + [
                "dev.dendrite.backend.cuda.CudaStepCaptureTest$Inner#inner()"]
            got = skipped_failures(d, rerun)
            if got != (skipped, every):
                print(f"junit_failures self-test: skipped failures expected {(skipped, every)}, got {got}")
                return 1
    print("junit_failures self-test: ok")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--skipped-failures":
        cases, every = skipped_failures(sys.argv[2], sys.argv[3])
        print("\n".join(cases))
        sys.exit(3 if every else 0)
    if len(sys.argv) != 2:
        sys.exit("usage: junit_failures.py REPORT_DIR | --skipped-failures FAILED_DIR RERUN_DIR | --self-test")
    if sys.argv[1] == "--self-test":
        sys.exit(self_test())
    print("\n".join(failed_classes(sys.argv[1])))
