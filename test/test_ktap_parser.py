"""The KTAP parser the kernel-test plugin relies on, on good, truncated and
malformed output (no boot needed)."""

from harness.ktap import parse

GOOD = """\
[BOOT] RayOS ready
KTAP version 1
1..2
    KTAP version 1
    # Subtest: heap
    1..2
    ok 1 first
    # KEXPECT_EQ(a, b) failed at src/x.cpp:3
    #   a = 1
    not ok 2 second
not ok 1 heap
    KTAP version 1
    # Subtest: timer
    1..1
    ok 1 ticks # SKIP no timer
ok 2 timer
# kernel tests: 2 passed, 1 failed, 0 timed out
""".splitlines()


def test_good_output_gives_every_result_with_its_diagnostics():
    run = parse(GOOD)
    assert run.errors == []
    assert run.complete
    results = run.results
    assert list(results) == ["heap.first", "heap.second", "timer.ticks"]
    assert results["heap.first"].ok and results["heap.first"].diagnostics == []
    assert not results["heap.second"].ok
    assert results["heap.second"].diagnostics == ["KEXPECT_EQ(a, b) failed at src/x.cpp:3", "a = 1"]
    assert results["timer.ticks"].directive == "SKIP no timer"
    assert [suite.ok for suite in run.suites] == [False, True]


def test_log_lines_and_screen_noise_between_ktap_lines_are_skipped():
    noisy = GOOD[:6] + ["[TIMER] tick", "\x1b[H\x1b[J  Booting `RayOS'", "[FAULT] #BP"] + GOOD[6:]
    assert parse(noisy).results.keys() == parse(GOOD).results.keys()
    assert parse(noisy).errors == []


def test_output_cut_inside_a_suite_is_incomplete_and_says_where():
    run = parse(GOOD[:8])  # up to the first diagnostic of heap.second
    assert run.errors == []
    assert not run.complete
    assert list(run.results) == ["heap.first"]
    assert run.interrupted_suite.name == "heap"
    assert len(run.interrupted_suite.results) == 1


def test_output_cut_between_suites_is_incomplete_but_not_inside_one():
    run = parse(GOOD[:11])
    assert not run.complete
    assert run.interrupted_suite is None
    assert len(run.suites) == 1 and run.plan == 2


def test_nothing_at_all_is_incomplete():
    run = parse(["[PANIC] early"])
    assert not run.complete and run.results == {} and run.errors == []


def test_malformed_lines_are_errors():
    bad = [
        "KTAP version 2",
        "1..1",
        "    KTAP version 1",
        "    # Subtest: heap",
        "    1..2",
        "    ok 2 out_of_order",
        "    ok one two",
        "not ok 1 timer",
    ]
    errors = parse(bad).errors
    assert any("KTAP version 2" in error for error in errors)
    assert any("test number 2, expected 1" in error for error in errors)
    assert any("malformed result line" in error for error in errors)
    assert any("closes suite 'heap'" in error for error in errors)


def test_a_result_before_any_suite_is_an_error():
    run = parse(["KTAP version 1", "1..1", "    ok 1 orphan"])
    assert run.errors == ["line 3: a test result outside a suite"]
    assert not run.complete


def test_a_plan_before_the_version_line_is_an_error():
    assert parse(["1..1"]).errors == ["line 1: plan before the version line"]


def test_an_incomplete_run_says_which_plan_is_unfulfilled():
    assert parse(GOOD).missing == []
    assert parse(["[PANIC] early"]).missing == ["no KTAP version line"]
    assert parse(GOOD[:2]).missing == ["no top-level plan"]
    # Cut after heap.first: heap has 1 of its 2 results and no result line, and the plan wants 2 suites.
    assert parse(GOOD[:7]).missing == ["top-level plan 1..2, 1 suite", "suite heap: 1 of 2 results",
                                       "suite heap: left open (no result line)"]
    assert parse(GOOD[:11]).missing == ["top-level plan 1..2, 1 suite"]
    one_suite_planned = ["1..1" if line == "1..2" else line for line in GOOD]
    assert parse(one_suite_planned).missing == ["top-level plan 1..1, 2 suites"]
    assert not parse(one_suite_planned).complete


PASSING = ["KTAP version 1", "1..1", "    KTAP version 1", "    # Subtest: heap", "    1..2", "    ok 1 first",
           "    ok 2 second", "ok 1 heap"]


def test_all_ok_needs_every_test_and_every_suite_ok():
    assert parse(PASSING).all_ok
    assert not parse(GOOD).all_ok
    assert not parse(["not ok 1 heap" if line == "ok 1 heap" else line for line in PASSING]).all_ok
    assert not parse(["    not ok 2 second" if line == "    ok 2 second" else line for line in PASSING]).all_ok
    assert not parse(["KTAP version 1", "1..0"]).all_ok  # nothing ran: the kernel fails that run
