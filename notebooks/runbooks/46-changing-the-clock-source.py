# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 46 · Changing the clock source
#
# The kernel keeps time with one of the clock sources the hardware offers: the TSC (a counter in
# the CPU, cheapest to read), the HPET, the ACPI power-management timer... Conferences in
# particular need a steady clock. This runbook shows the current and available clock sources,
# switches now by writing `current_clocksource` (until the next reboot) and makes it permanent
# with the kernel argument `clocksource=<name>` on every boot entry (`grubby`, or the `kernel`
# lines of `/etc/grub.conf` on CentOS 6).
#
# The default here is `tsc`, not the page's `acpi_pm`: on current hardware and VMware guests an
# invariant TSC (CPU flags `constant_tsc` and `nonstop_tsc`) is the precise and cheap choice,
# and the runbook checks those flags. The page's warning holds where they are missing: a TSC
# whose rate follows CPU frequency changes warps time, then `hpet` or `acpi_pm` is the choice.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
clocksource: str = "tsc"  # clock source to use: tsc, hpet, acpi_pm, kvm-clock ... (page's example: acpi_pm); one of tsc, hpet, acpi_pm, kvm-clock, xen, hyperv_clocksource_tsc_page, jiffies
temporary: bool = True  # switch now by writing current_clocksource (service-affecting)
permanent: str = "grubby"  # grubby (CentOS 7/9), grub-legacy (CentOS 6 /etc/grub.conf) or none
grub_conf: str = "/etc/grub.conf"  # legacy GRUB file, edited when permanent is grub-legacy
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook
# The immediate switch is declared service-affecting: it is instant, but running calls and
# conferences can hear a glitch, so do it in a quiet moment. Only `clocksource=` is added to the
# boot entries: the page's example `kernel` line carries another server's disks and keyboard
# (`root=/dev/md2`, `KEYTABLE=de` ...) and must never be copied.

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p46_changing_the_clock_source import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# A clock source the kernel does not list as available on a node fails the plan there (the
# write would be refused). In the demo, `srv01` already uses `tsc`; `srv02` was booted with
# `clocksource=hpet` by an old tuning guide although its TSC is invariant.

# %%
page.plan()

# %% [markdown]
# ## Interactive form
# In JupyterLab: change a value, press **Plan**, read the diff, tick *I reviewed the plan*, then
# **Apply**; **Verify** runs the checks and **Rollback** restores what apply changed. The form
# shows in the last cell, in JupyterLab only; headless runs skip it.

# %% [markdown]
# ## Rehearsal on the recorded nodes
# On `replay:` targets the notebook rehearses apply on an in-memory copy of each node: apply,
# apply again (nothing left to change), verify, and rollback. On real targets this cell does
# nothing.

# %% [markdown]
# ## The chosen mode
# `plan` stops at the plan above; `apply` changes the nodes (refused unless `confirm=True`);
# `verify` runs the checks and lists what to look at by hand.

# %% [markdown]
# A failed check in verify mode (or a failed step in apply mode) raises here, so a scheduled
# headless run exits non-zero; a plan that found disagreements ends with a WARNING
# SUMMARY instead (a plan changes nothing).
# Rollback removes `clocksource=` from the boot entries (it does not restore an earlier value
# such as srv02's `hpet`) and leaves the running clock source as it is: write the previous name
# to `current_clocksource` by hand if needed.

# %%
page.finish()
