# Builds mirtalib/runbook/replays/srv0N.d/p04.yaml (run by hand from the repo root; not a test).
# The certificates get new random keys on every run, and the leaf must still be valid the day you run it.
# ruff: noqa
import os
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
import sys, tempfile, subprocess, re, yaml, json
from pathlib import Path
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "net")); sys.path.insert(0, ROOT)
from tlsserver import make_chain, SServer, OPENSSL
from cryptography.hazmat.primitives import hashes
from mirtalib.net.tls import scan, scan_from_json
HOST = "sip.voip-carrier.example"
d = Path(tempfile.mkdtemp())
from datetime import datetime
f = make_chain(d, HOST, leaf_hash=hashes.SHA1, ca_name="Voip Carrier Root CA", not_after=datetime(2026, 11, 30))
srv = SServer(f, "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA:AES256-SHA:@SECLEVEL=0", "-no_tls1_3")
try:
    r = scan("127.0.0.1", srv.port, server_name=HOST, ca_file=str(f["ca"]))
    data = json.loads(r.to_json()); data["host"] = HOST; data["port"] = 5061
    scan_json = json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert scan_from_json(scan_json)
    p = subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername", HOST, "-CAfile", str(f["ca"])], input=b"", capture_output=True, timeout=20)
    out = (p.stdout + p.stderr).decode()
finally:
    srv.stop()
drop = re.compile(r"^\s*(Session-ID|Session-ID-ctx|Master-Key|PSK identity|PSK identity hint|SRP username|TLS session ticket|Start Time|Timeout|Resumption PSK)")
lines, skip = [], False
for ln in out.splitlines():
    if ln.strip().startswith("TLS session ticket"):
        skip = True; continue
    if skip:
        if re.match(r"^\s+[0-9a-f]{4} - ", ln) or not ln.strip():
            continue
        skip = False
    if drop.match(ln):
        continue
    lines.append(ln.replace(f"127.0.0.1:{srv.port}", f"{HOST}:5061"))
s_client_out = "\n".join(lines) + "\n"
print(s_client_out[-1500:])
ciphers = subprocess.run([OPENSSL, "ciphers", "-v", "kEECDH:kRSA:kEDH:kPSK:kDHEPSK:kECDHEPSK:-aDSS:-3DES:!DES:!RC4:!RC2:!IDEA:-SEED:!eNULL:!aNULL:!MD5:-SHA384:-CAMELLIA:-ARIA:-AESCCM8:-PSK:-DHEPSK:-ECDHEPSK:-RSAPSK:@SECLEVEL=2"], capture_output=True, text=True, check=True).stdout
ciphers = "\n".join(l for l in ciphers.splitlines() if "CCM_8" not in l) + "\n"
conf = """; PJSIP transports of demo node srv01 (included from pjsip.conf).
[transport-udp]
type=transport
protocol=udp
bind=0.0.0.0:5060

[transport-tls]
type=transport
protocol=tls
bind=0.0.0.0:5061
cert_file=/etc/asterisk/keys/asterisk.crt
priv_key_file=/etc/asterisk/keys/asterisk.key
method=tlsv1    ; left from the CentOS 7 installation
"""
S = "openssl s_client -connect sip.voip-carrier.example:5061 -servername sip.voip-carrier.example </dev/null"
data = {"commands": {
    "update-crypto-policies --show": [{"stdout": "DEFAULT\n"}, {"state": "p04-legacy", "stdout": "LEGACY\n"}],
    "update-crypto-policies --set LEGACY": {"stdout": "Setting system policy to LEGACY\nNote: System-wide crypto policies are applied on application start-up.\nIt is recommended to restart the system for the change of policies\nto fully take place.\n", "then": "p04-legacy"},
    "update-crypto-policies --set DEFAULT": {"stdout": "Setting system policy to DEFAULT\nNote: System-wide crypto policies are applied on application start-up.\nIt is recommended to restart the system for the change of policies\nto fully take place.\n", "then": "initial"},
    "openssl ciphers -v": {"stdout": ciphers},
    "mirta-probe tls-scan sip.voip-carrier.example:5061": {"stdout": scan_json},
    S: {"stdout": s_client_out},
}, "files": {"/etc/asterisk/pjsip_transports.conf": {"mode": "0640", "uid": 995, "gid": 992, "content": conf}}}
head = """# Page 04 (Debugging TLS problems) on demo node srv01 (synthetic), a CentOS 9 node under the DEFAULT
# crypto policy whose TLS trunk goes to the carrier SBC sip.voip-carrier.example:5061.
# The SBC was played by a real `openssl s_server` on loopback (TLS 1.0-1.2, three suites) with a
# leaf certificate signed with SHA-1 by 'Voip Carrier Root CA', valid 2024-11-20 .. 2026-11-30:
#   * `mirta-probe tls-scan ...` is mirtalib.net.tls.scan() of that server (host/port renamed);
#   * the s_client output is OpenSSL 3.0's own against it with the carrier CA trusted (session
#     ids, master key and ticket removed);
#   * `openssl ciphers -v` is OpenSSL 3.0 run with the cipher string of RHEL 9's DEFAULT policy
#     (openssl back-end of crypto-policies, as documented), not a capture from a CentOS 9 host.
# States: 'initial'; 'p04-legacy' after `update-crypto-policies --set LEGACY`.
"""
Path(ROOT + "/mirtalib/runbook/replays/srv01.d/p04.yaml").write_text(head + yaml.safe_dump(data, sort_keys=False, width=100000))
