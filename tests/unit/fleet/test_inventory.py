"""The fleet inventory parser: the demo inventory, and clear errors naming file and line."""

from __future__ import annotations

import textwrap

import pytest

from mirtalib.errors import ParameterError
from mirtalib.fleet.inventory import all_pages, load_inventory, page_selection, parse_inventory
from mirtalib.nbrun.discover import PARAMETERS_DIR


def _parse(text: str):
    return parse_inventory(textwrap.dedent(text), "fleet.yaml")


GOOD = """\
all:
  vars:
    timeout: 5
    fin_timeout: 20
  children:
    east:
      roles: [pbx]
      vars:
        pages:
          16: {sysctl_file: /etc/sysctl.d/90-mirta.conf}
      hosts:
        pbx1:
          address: ssh://root@10.0.0.11
          vars:
            fin_timeout: 25
            certificates: [/etc/asterisk/keys/asterisk.pem]
        pbx2:
          address: ssh://admin@10.0.0.12:2222
          roles: [ftp]
          vars: {become: true, become_password_env: PBX_SUDO}
    store:
      roles: [db]
      hosts:
        db1: {address: replay:srv02}
"""


def test_good_inventory_merges_vars_by_precedence():
    inv = _parse(GOOD)
    assert [n.name for n in inv.nodes] == ["pbx1", "pbx2", "db1"]
    pbx1, pbx2, db1 = inv.nodes
    p16 = all_pages()[16]
    assert pbx1.values(p16) == {"fin_timeout": 25, "sysctl_file": "/etc/sysctl.d/90-mirta.conf"}
    assert pbx2.values(p16)["fin_timeout"] == 20
    assert pbx2.roles == ("pbx", "ftp")
    assert pbx1.target_options() == {"timeout": 5, "io_timeout": 300.0}  # SFTP: command_timeout
    assert pbx2.target_options() == {
        "timeout": 5,
        "io_timeout": 300.0,
        "become": True,
        "become_password_env": "PBX_SUDO",
    }
    assert pbx1.vars["certificates"] == ["/etc/asterisk/keys/asterisk.pem"]
    assert not db1.applies(p16) and "applies to pbx" in db1.why_not(p16)
    assert pbx2.applies(all_pages()[13]) and not pbx1.applies(all_pages()[13])


def test_demo_inventory_names_the_replay_nodes():
    inv = load_inventory("demo")
    assert [(n.name, n.address) for n in inv.nodes] == [
        ("srv01", "replay:srv01"),
        ("srv02", "replay:srv02"),
    ]
    p05 = all_pages()[5]  # recorded on srv01 only
    assert inv.nodes[0].applies(p05)
    assert "no recording" in inv.nodes[1].why_not(p05)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("all:\n  children: [\n", r"fleet\.yaml:\d+: not valid YAML"),
        (
            GOOD.replace("roles: [ftp]", "roles: [ftpd]"),
            r"fleet\.yaml:19: unknown role\(s\) 'ftpd' \(roles: pbx, db, opensips, ftp, dahdi\)",
        ),
        (
            GOOD.replace("16: {sysctl", "99: {sysctl"),
            r"fleet\.yaml:10: unknown page 99 \(pages: 1-46\)",
        ),
        (
            GOOD.replace("db1: {address", "pbx1: {address"),
            r"fleet\.yaml:24: node 'pbx1' is listed twice \(also fleet\.yaml:12\)",
        ),
        (
            GOOD.replace("fin_timeout: 20", "fin_timeot: 20"),
            r"fleet\.yaml:4: unknown parameter 'fin_timeot': no page has it",
        ),
        (
            GOOD.replace("16: {sysctl_file", "16: {ami_prot: 1, sysctl_file"),
            r"fleet\.yaml:10: page 16 has no parameter 'ami_prot'",
        ),
        (
            GOOD.replace("fin_timeout: 25", "fin_timeout: 500"),
            r"fleet\.yaml:12: node pbx1, page 16: .*fin_timeout",
        ),
        (
            GOOD.replace("ssh://root@10.0.0.11", "root@10.0.0.11"),
            r"fleet\.yaml:13: address 'root@10.0.0.11' is not ssh://",
        ),
        (
            GOOD.replace("ssh://root@10.0.0.11", "ssh://root:pw@10.0.0.11"),
            r"fleet\.yaml:13: an address never carries a password",
        ),
        (
            GOOD.replace("become_password_env: PBX_SUDO", "become_password_env: 's3cr et!'"),
            r"fleet\.yaml:\d+: become_password_env names an environment variable",
        ),
        (
            GOOD.replace("        db1: {address: replay:srv02}\n", "        db1: {}\n"),
            r"fleet\.yaml:24: node db1 has no address",
        ),
        (
            GOOD.replace("      roles: [db]\n", ""),
            r"node db1 has no role",
        ),
        (
            GOOD.replace("    timeout: 5\n", "    timeout: 5\n    timeout: 6\n"),
            r"fleet\.yaml:4: all/vars/timeout is given twice \(also line 3\)",
        ),
        (
            GOOD.replace("90-mirta.conf}", "90-mirta.conf, ami_port: 'https://u:hunter22@x/'}"),
            r"fleet\.yaml:12 \(page 16\): refused .*ami_port holds a URL with a password",
        ),
        ("east: {}\n", r"fleet\.yaml:1: the inventory starts with all:"),
        ("all:\n  children: {}\n", r"fleet\.yaml: the inventory lists no node"),
    ],
)
def test_bad_inventory_is_a_clear_error(text, message):
    with pytest.raises(ParameterError, match=message):
        _parse(text)


def test_the_commented_example_loads():
    inv = load_inventory(PARAMETERS_DIR / "examples" / "fleet-inventory.yaml")
    roles = {n.name: n.roles for n in inv.nodes}
    assert roles == {
        "rome-pbx1": ("pbx", "opensips"),
        "rome-pbx2": ("pbx", "dahdi"),
        "rome-ftp": ("ftp",),
        "milan-pbx1": ("pbx",),
    }
    assert inv.node("rome-ftp").target_options()["become"] is True


def test_unreadable_file_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match=r"inventory .*nope\.yaml cannot be read"):
        load_inventory(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"all: \xe9\n")
    with pytest.raises(ParameterError, match="not UTF-8"):
        load_inventory(bad)


def test_page_selection():
    assert page_selection("16, 29,16") == [16, 29]
    assert page_selection("") == list(all_pages())
    with pytest.raises(ParameterError, match=r"--pages: '47' is not a page number \(1-46\)"):
        page_selection("16,47")
    with pytest.raises(ParameterError, match="'x'"):
        page_selection("x")
