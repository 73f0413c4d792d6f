# Builds mirtalib/runbook/replays/srv0N.d/p43.yaml (run by hand from the repo root; not a test).
# dnspython keeps an answer's records in a set: their order (and so the hex) may change between runs.
# ruff: noqa
import os
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
import sys, random, yaml
sys.path.insert(0, ROOT)
import dns.message, dns.rrset, dns.flags
from mirtalib.net.dns import DnsQuery, node_command
rng = random.Random(43)
OWN = ["_sip._udp.pbxa.demo.mirta.example", "_sip._udp.pbxb.demo.mirta.example"]
LIVE = {
    OWN[0]: ["10 10 5060 srv01.demo.mirta.example.", "20 10 5060 srv02.demo.mirta.example."],
    OWN[1]: ["10 10 5060 srv02.demo.mirta.example.", "10 10 5060 srv01.demo.mirta.example."],
}
def srv_answer(q):
    r = dns.message.make_response(q.message()); r.flags |= dns.flags.RA
    r.answer.append(dns.rrset.from_text(q.name + ".", 3600, "IN", "SRV", *LIVE[q.name]))
    return r.to_wire().hex()
qs = [DnsQuery("1.1.1.1", o, "SRV") for o in OWN]
srv_cmd = node_command(qs)
srv_out = "".join(f"1.1.1.1 53 ok {srv_answer(q)}\n" for q in qs)

# phones: tenant -> (numbers, node per phone)
plan = {
    "srv01": [("DEVEL", range(100, 109)), ("ACME", range(200, 213))],
    "srv02": [("DEVEL", [109]), ("ACME", range(213, 224)), ("ROSSI", range(300, 314)), ("VERDI", range(400, 412))],
}
HEAD = ("\n  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>\n"
        "==========================================================================================\n\n")
def contacts(node):
    lines = []
    for tenant, nums in plan[node]:
        for n in nums:
            aor = f"{n}-{tenant}"
            ip = f"192.168.{rng.randint(1, 40)}.{rng.randint(10, 250)}"
            status, rtt = ("Unavail", "nan") if (tenant, n) in {("ROSSI", 307), ("ACME", 205)} else ("Avail", f"{rng.uniform(8, 60):.3f}")
            uri = f"sip:{aor}@{ip}:{rng.choice([5060, 5062, 46213, 51934])};ob"
            h = "%010x" % rng.getrandbits(40)
            lines.append(f"  Contact:  {aor}/{uri:<40} {h} {status:<8} {rtt:>10}")
    trunk = "provider-messagenet/sip:sip.messagenet.it:5061" if node == "srv01" else "provider-messagenet/sip:sip.messagenet.it:5061"
    lines.append(f"  Contact:  {trunk:<50} {'%010x' % rng.getrandbits(40)} Avail    {rng.uniform(10,30):>10.3f}")
    return HEAD + "\n".join(lines) + f"\n\nObjects found: {len(lines)}\n"

for node in ("srv01", "srv02"):
    head = (f"# Page 43 (Clustering and High Availability) on demo node {node} (synthetic).\n"
            "# Live SRV answers from 1.1.1.1 (dnspython-built messages, hex): pbxa is published as designed;\n"
            "# pbxb lists both nodes at priority 10 (the single-pool layout the page advises against).\n"
            "# Registered phones follow the demo tenants: DEVEL on srv01 (one phone on srv02), ACME split\n"
            "# 13/11 between the nodes, ROSSI and VERDI on srv02; 205-ACME and 307-ROSSI are Unavail.\n")
    data = {"commands": {srv_cmd: {"stdout": srv_out}, "asterisk -rx 'pjsip show contacts'": {"stdout": contacts(node)}}}
    open(f"{ROOT}/mirtalib/runbook/replays/{node}.d/p43.yaml", "w").write(head + yaml.safe_dump(data, sort_keys=False, width=100000))
