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
# # 41 · Upgrading kernel
#
# MiRTA PBX depends on two kernel modules built outside the kernel: `dahdi` (conferences) and
# `xt_geoip` (the country filter of the firewall). A routine `dnf update` installs a new kernel
# and makes it the default, but builds neither module for it: after the next reboot conferences
# fail and the geoip firewall rules do not load. On CentOS 9 the page adds that dahdi only
# compiles on the tested builds `5.14.0-362` and `5.14.0-378`.
#
# This runbook checks the node's EL release, compares the running kernel with the tested list,
# lists the boot entries and checks that both modules are built for the running **and the
# default** kernel. Apply follows the page's procedure for `boot_kernel`: install it with its
# headers when `install_kernel` is set (ELRepo `kernel-lt` on CentOS 6/7, the tested
# `kernel-<release>` on EL9), build dahdi and xtables-addons (2.10 on CentOS 6/7, as the page
# says) for it while the old kernel still runs, rebuild the GRUB 2 menu on CentOS 7, and make it
# the default with `grubby --set-default` — refused when dahdi or xt_geoip is not built for it.
# The reboot is a service-affecting step only with `reboot=True`; otherwise it is a checklist
# item for the maintenance window.

# %% tags=["parameters"]
targets: str = "replay:srv01,replay:srv02"  # comma-separated: replay:NAME, ssh://root@host[:port], local
mode: str = "plan"  # plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; run_id names the apply)
confirm: bool = False  # must be True for apply (and rollback), after reading the plan
tested_kernels: str = "5.14.0-362,5.14.0-378"  # builds dahdi is known to compile on (page 41)
boot_kernel: str = "/boot/vmlinuz-5.14.0-362.18.1.el9_3.x86_64"  # kernel to make the default; empty: no change
allow_untested: bool = False  # allow boot_kernel to be a 5.14.0 build outside the tested list
platform: str = "el9"  # EL release of the nodes: centos6, centos7 (ELRepo kernel-lt) or el9
install_kernel: bool = False  # install boot_kernel and its -devel package first (CentOS 6/7: ELRepo kernel-lt)
build_modules: bool = True  # build dahdi and xtables-addons for boot_kernel where their module is missing
reboot: bool = False  # reboot into boot_kernel at the end (service-affecting: in the maintenance window)
run_id: str = ""  # mode rollback: the run id of the apply to undo (`mirta journal` lists them); empty: the apply of this session
serial: int = 0  # apply: nodes changed at a time, each verified before the next (0: MIRTA_SERIAL, default 1)
ssh_key_path: str = ""  # private key file for ssh:// targets; empty: SSH agent or default keys
known_hosts: str = ""  # known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts

# %% [markdown]
# ## The runbook

# %%
from mirtalib.runbook.page import open_page
from mirtalib.runbooks.p41_upgrading_kernel import RUNBOOK

page = open_page(RUNBOOK, globals())

# %% [markdown]
# ## Plan
# In the demo, `srv01` runs and boots the tested 5.14.0-362 build with both modules. `srv02`
# runs the same build, but an update installed 5.14.0-427 (not on the tested list, no dahdi, no
# xt_geoip) and made it the default: the plan warns, and apply sets 362 back as the default
# (the modules are built for it already, so the build steps have nothing to do). To move to a new
# tested kernel: set `boot_kernel` to it and `install_kernel=True`; the modules are built for it
# before it becomes the default, and `reboot=True` reboots in the maintenance window.

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
# Rollback puts back the default kernel apply replaced (saved on the node in
# `/var/lib/mirta-ops/p41-previous-default-kernel`); installed packages and built modules stay.

# %%
page.finish()
