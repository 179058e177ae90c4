"""A parser for the KTAP version 1 the kernel test runner prints
(src/ktest/runner.h; docs.kernel.org/dev-tools/ktap.html): a top-level
version line and plan, one indented block a suite with its own version
line, "# Subtest:" name, plan and results, then the suite's result line.

Lines that are not KTAP (the kernel's "[TAG] ..." log, GRUB's screen) are
skipped, as KTAP allows. A line that starts like KTAP but breaks its
grammar is an error. A run whose plans are not all fulfilled is incomplete:
the kernel stopped (crashed, hung, was killed) part-way."""

import re
from dataclasses import dataclass, field

VERSION = re.compile(r"^KTAP version (\d+)$")
PLAN = re.compile(r"^1\.\.(\d+)$")
RESULT = re.compile(r"^(ok|not ok) (\d+) ([^#]*?)(?: # (.*))?$")
SUBTEST = re.compile(r"^# Subtest: (\S+)$")
SUITE_INDENT = "    "


@dataclass
class TestResult:
    suite: str
    name: str
    ok: bool
    diagnostics: list = field(default_factory=list)
    directive: str = ""


@dataclass
class Suite:
    name: str = ""
    plan: int = None
    results: list = field(default_factory=list)
    ok: bool = None  # from the suite's own result line; None until it is seen


@dataclass
class KtapRun:
    version_seen: bool = False
    plan: int = None
    suites: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def results(self):
        return {f"{result.suite}.{result.name}": result for suite in self.suites for result in suite.results}

    @property
    def missing(self):
        """Each plan the output leaves unfulfilled, in words; empty when complete."""
        if not self.version_seen:
            return ["no KTAP version line"]
        gaps = []
        if self.plan is None:
            gaps.append("no top-level plan")
        elif len(self.suites) != self.plan:
            gaps.append(f"top-level plan 1..{self.plan}, {len(self.suites)} suite"
                        + ("" if len(self.suites) == 1 else "s"))
        for suite in self.suites:
            if suite.plan is None:
                gaps.append(f"suite {suite.name}: no plan")
            elif len(suite.results) != suite.plan:
                gaps.append(f"suite {suite.name}: {len(suite.results)} of {suite.plan} results")
            if suite.ok is None:
                gaps.append(f"suite {suite.name}: left open (no result line)")
        return gaps

    @property
    def complete(self):
        """Every plan fulfilled: nothing is missing from the output."""
        return not self.missing

    @property
    def all_ok(self):
        """Something ran, and every test and every suite says ok."""
        return bool(self.suites) and all(
            suite.ok and all(result.ok for result in suite.results) for suite in self.suites)

    @property
    def interrupted_suite(self):
        """The suite the output stopped in, if it stopped inside one."""
        if self.suites and self.suites[-1].ok is None:
            return self.suites[-1]
        return None


def parse(lines):
    run = KtapRun()
    suite = None
    pending = []  # diagnostics for the next result line
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("["):
            continue
        nested = line.startswith(SUITE_INDENT)
        content = line[len(SUITE_INDENT):] if nested else line
        if content.startswith(" "):
            continue  # deeper than RayOS nests: not ours
        version, plan, result = VERSION.match(content), PLAN.match(content), RESULT.match(content)
        looks_like_result = content.startswith("ok") or content.startswith("not ok")
        if version:
            if version.group(1) != "1":
                run.errors.append(f"line {number}: KTAP version {version.group(1)}, expected 1")
            if nested:
                suite = Suite()
                run.suites.append(suite)
                pending = []
            else:
                run.version_seen = True
        elif plan:
            if nested:
                if suite is None:
                    run.errors.append(f"line {number}: a suite plan outside a suite")
                else:
                    suite.plan = int(plan.group(1))
            else:
                if not run.version_seen:
                    run.errors.append(f"line {number}: plan before the version line")
                run.plan = int(plan.group(1))
        elif result and nested:
            if suite is None:
                run.errors.append(f"line {number}: a test result outside a suite")
                continue
            expected = len(suite.results) + 1
            if int(result.group(2)) != expected:
                run.errors.append(f"line {number}: test number {result.group(2)}, expected {expected}")
            suite.results.append(TestResult(suite.name, result.group(3).strip(), result.group(1) == "ok",
                                            pending, result.group(4) or ""))
            pending = []
        elif result:
            if suite is None or suite.ok is not None:
                run.errors.append(f"line {number}: a suite result with no suite open")
                continue
            if result.group(3).strip() != suite.name:
                run.errors.append(f"line {number}: result for suite {result.group(3).strip()!r} "
                                  f"closes suite {suite.name!r}")
            suite.ok = result.group(1) == "ok"
            suite = None
        elif looks_like_result:
            run.errors.append(f"line {number}: malformed result line: {content!r}")
        elif content.startswith("#"):
            subtest = SUBTEST.match(content)
            if nested and subtest and suite is not None:
                suite.name = subtest.group(1)
            elif nested:
                pending.append(content[1:].strip())
        # Anything else is not KTAP: skipped.
    return run
