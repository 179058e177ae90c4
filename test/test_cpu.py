"""CPU bring-up: identity, features, and the protections turned on."""

import re

import pytest

from harness.outcome import Outcome

PROTECTIONS = {"NX": "nx", "SMEP": "smep", "SMAP": "smap", "UMIP": "umip"}


def features_of(result):
    (line,) = result.lines_with("[CPU] features:")
    return dict(re.findall(r"(\w+)=(yes|no)", line))


def protections_of(result):
    return dict(re.findall(r"^\[CPU\]   (\w+) (on|off \(not supported\)|OFF.*)$", "\n".join(result.lines), re.M))


@pytest.mark.parametrize("cpu", [None, "max"])
def test_each_protection_is_on_exactly_where_the_cpu_offers_it(boot, cpu):
    result = boot(cpu=cpu)
    assert result.outcome is Outcome.PASSED, result.reason
    assert re.match(r'\[CPU\] vendor \w{12}, brand "\S.*"', result.lines_with("[CPU] vendor")[0])
    features = features_of(result)
    protections = protections_of(result)
    assert protections["WP"] == "on"
    for name, feature in PROTECTIONS.items():
        expected = "on" if features[feature] == "yes" else "off (not supported)"
        assert protections[name] == expected, name


def test_cpu_max_offers_and_gets_every_protection(boot):
    result = boot(cpu="max")
    assert result.outcome is Outcome.PASSED, result.reason
    assert set(protections_of(result).values()) == {"on"}


def test_default_cpu_reports_missing_protections_off_and_still_boots(boot):
    result = boot()
    assert result.outcome is Outcome.PASSED, result.reason
    protections = protections_of(result)
    assert protections["SMEP"] == "off (not supported)"
    assert protections["NX"] == "on"
