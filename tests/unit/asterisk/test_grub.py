"""mirtalib.asterisk.grub: GRUB 2 menu entries (page 41) and legacy grub.conf edits (page 46)."""

from __future__ import annotations

import pytest

from mirtalib.asterisk.grub import (
    parse_grub_legacy,
    parse_grub_menuentries,
    set_legacy_kernel_arg,
)
from mirtalib.errors import ParameterError, ParseError


def test_menuentries_give_grub_default_indexes(sample) -> None:
    entries = parse_grub_menuentries(sample("grub2_menuentries_el7.txt"))
    assert [e.index for e in entries] == [0, 1, 2]
    assert entries[0].title == "CentOS Linux (4.4.248-1.el7.elrepo.x86_64) 7 (Core)"
    assert entries[1].id.startswith("gnulinux-3.10.0-1160.119.1.el7.x86_64-advanced-")
    nested = "menuentry \"Debian\" {\nsubmenu 'Advanced' {\n\tmenuentry 'old' {\n"
    assert [e.title for e in parse_grub_menuentries(nested)] == ["Debian"]
    with pytest.raises(ParseError):
        parse_grub_menuentries("GRUB_DEFAULT=0\n")


def test_legacy_grub_conf_is_read(sample) -> None:
    g = parse_grub_legacy(sample("grub_conf_centos6.txt"))
    assert g.default == 0 and len(g.entries) == 2
    assert g.default_entry.kernel == "/vmlinuz-3.4.53-8.el6.centos.alt.x86_64"
    assert g.default_entry.arg("KEYTABLE") == "de" and g.default_entry.arg("clocksource") is None
    assert g.entries[1].arg("clocksource") == "tsc" and g.entries[1].root == "(hd0,1)"


def test_set_clocksource_on_every_kernel_line(sample) -> None:
    text = sample("grub_conf_centos6.txt")
    new = set_legacy_kernel_arg(text, "clocksource", "acpi_pm")
    g = parse_grub_legacy(new)
    assert [e.arg("clocksource") for e in g.entries] == ["acpi_pm", "acpi_pm"]
    assert g.entries[1].args[-2:] == ("rhgb", "quiet")  # replaced in place, not moved
    changed = [a for a, b in zip(text.splitlines(), new.splitlines(), strict=True) if a != b]
    assert len(changed) == 2 and all(c.lstrip().startswith("kernel") for c in changed)
    assert set_legacy_kernel_arg(new, "clocksource", "acpi_pm") == new
    removed = set_legacy_kernel_arg(new, "clocksource", None)
    assert all(e.arg("clocksource") is None for e in parse_grub_legacy(removed).entries)
    assert set_legacy_kernel_arg(text, "nomodeset", None).count("nomodeset") == 0
    for name, value in (("clock source", "x"), ("clocksource", "acpi_pm; reboot"), ("", "x")):
        with pytest.raises(ParameterError):
            set_legacy_kernel_arg(text, name, value)
