#!/usr/bin/env python3
"""
The test classes with a failure or an error in JUnit's legacy XML reports (the JUnit Platform console launcher's
--reports-dir), one per line, each once, in report order: what run-on-gpu.sh reruns when the CUDA suite fails.

    python3 bench/gpu/junit_failures.py REPORT_DIR
    python3 bench/gpu/junit_failures.py --self-test

A nested test class runs with its top-level class ("Outer$Inner" is given as "Outer"); a report that is not XML
(a JVM killed while writing it) is skipped, since a crash leaves nothing to rerun from.
"""
import glob
import os
import sys
import tempfile
import xml.etree.ElementTree as ET


def failed_classes(report_dir):
    seen = []
    for report in sorted(glob.glob(os.path.join(report_dir, "*.xml"))):
        try:
            cases = list(ET.parse(report).getroot().iter("testcase"))
        except ET.ParseError:
            continue
        for case in cases:
            name = (case.get("classname") or "").split("$")[0]
            if name and name not in seen and (case.find("failure") is not None or case.find("error") is not None):
                seen.append(name)
    return seen


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
    print("junit_failures self-test: ok")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: junit_failures.py REPORT_DIR | --self-test")
    if sys.argv[1] == "--self-test":
        sys.exit(self_test())
    print("\n".join(failed_classes(sys.argv[1])))
