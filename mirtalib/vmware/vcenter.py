"""Optional live collection from vCenter with pyVmomi, and the conversion of its answers.

pyVmomi is imported only inside :func:`collect_vcenter`, so nothing else needs it installed
(``pip install pyvmomi``). The conversion (:func:`perf_to_counters`) works on any objects shaped
like pyVmomi's ``PerformanceManager.EntityMetric`` / ``PerfCounterInfo`` (attribute access only),
which is how it is tested with recorded responses.

The password never enters a parameter: ``password_env`` names an environment variable resolved with
:func:`mirtalib.secrets.resolve_secret`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from mirtalib.errors import DataSourceError, ParseError
from mirtalib.secrets import resolve_secret, scrub
from mirtalib.vmware.counters import COUNTER_COLUMNS, VCENTER_METRICS, CounterLoad, empty_rejects

log = logging.getLogger(__name__)


def counter_ids(counter_infos: Iterable[Any]) -> dict[int, tuple[str, str]]:
    """Map counter key -> (metric id ``group.name.rollup``, raw unit key) from PerfCounterInfo."""
    out = {}
    for info in counter_infos:
        try:
            metric = f"{info.groupInfo.key}.{info.nameInfo.key}.{info.rollupType}".lower()
            out[int(info.key)] = (metric, str(info.unitInfo.key))
        except (AttributeError, TypeError, ValueError) as exc:
            raise ParseError(f"vCenter counter info not understood: {exc}") from exc
    return out


def _entity_key(entity: Any) -> str:
    return str(getattr(entity, "_moId", None) or getattr(entity, "moId", None) or entity)


def perf_to_counters(
    results: Sequence[Any],
    counter_infos: Iterable[Any],
    names: Mapping[str, str],
    source: str = "vcenter",
) -> CounterLoad:
    """Convert QueryPerf results (``EntityMetric`` objects) to tidy counters.

    Args:
        results: what ``PerformanceManager.QueryPerf`` returned.
        counter_infos: ``PerformanceManager.perfCounter`` (to resolve counter ids).
        names: managed object id (``vm-42``) -> VM name.
        source: label for the ``source`` column.

    Returns:
        Counters in :data:`mirtalib.vmware.counters.COUNTER_COLUMNS`; series of counters not used
        here and entities without a name are listed in ``rejects``. Raw ``percent`` values (1/100 %)
        are divided by 100; ``-1`` (no data) samples are rejected.

    Raises:
        ParseError: the objects do not have the expected shape.
    """
    ids = counter_ids(counter_infos)
    recs, rej = [], []
    try:
        for em in results:
            key = _entity_key(em.entity)
            vm = names.get(key)
            if vm is None:
                rej.append(f"entity {key}: no name known")
                continue
            times = [
                (
                    pd.Timestamp(s.timestamp).tz_localize(None)
                    if pd.Timestamp(s.timestamp).tzinfo
                    else pd.Timestamp(s.timestamp),
                    float(s.interval),
                )
                for s in em.sampleInfo
            ]
            for series in em.value:
                metric, unit = ids.get(
                    int(series.id.counterId), (f"counter {series.id.counterId}", "")
                )
                if metric not in VCENTER_METRICS:
                    rej.append(f"{vm}: metric not used here: {metric}")
                    continue
                counter, kind = VCENTER_METRICS[metric]
                scale = 0.01 if unit.lower() == "percent" else 1.0
                values = list(series.value)
                if len(values) != len(times):
                    raise ParseError(
                        f"{vm} {metric}: {len(values)} values for {len(times)} samples"
                    )
                for (t, interval), v in zip(times, values, strict=True):
                    if v is None or float(v) < 0:
                        rej.append(f"{vm} {metric} {t.isoformat()}: no data ({v})")
                        continue
                    recs.append(
                        (
                            t,
                            vm,
                            counter,
                            str(series.id.instance or ""),
                            float(v) * scale,
                            kind,
                            interval,
                            source,
                        )
                    )
    except (AttributeError, TypeError, ValueError) as exc:
        raise ParseError(f"vCenter performance result not understood: {exc}") from exc
    frame = pd.DataFrame(recs, columns=COUNTER_COLUMNS)
    frame = frame.astype(
        {
            "vm": "string",
            "counter": "string",
            "instance": "string",
            "unit": "string",
            "source": "string",
            "value": float,
            "interval_s": float,
        }
    )
    frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[ns]")
    rejects = (
        empty_rejects()
        if not rej
        else pd.DataFrame(
            {
                "line": pd.Series([pd.NA] * len(rej), dtype="Int64"),
                "reason": pd.Series(rej, dtype="string"),
                "raw": pd.Series([""] * len(rej), dtype="string"),
            }
        )
    )
    return CounterLoad(frame, rejects, source)


def collect_vcenter(
    host: str,
    user: str,
    password_env: str,
    vm_names: Sequence[str] | None = None,
    *,
    interval_id: int = 20,
    max_samples: int = 180,
    port: int = 443,
    verify_tls: bool = True,
) -> CounterLoad:  # pragma: no cover - needs a vCenter
    """Collect CPU scheduling counters of VMs from a live vCenter or ESXi host.

    Args:
        host: vCenter / ESXi host name.
        user: user name (read-only role is enough).
        password_env: NAME of the environment variable holding the password.
        vm_names: VMs to query (default: all).
        interval_id: 20 (realtime) or a historical interval (300, 1800, 7200, 86400).
        max_samples: samples per counter.
        port: HTTPS port.
        verify_tls: verify the server certificate.

    Raises:
        DataSourceError: pyVmomi is missing or the connection/query fails (message scrubbed).
    """
    try:
        from pyVim.connect import Disconnect, SmartConnect
        from pyVmomi import vim
    except ImportError as exc:
        raise DataSourceError("live vCenter collection needs pyVmomi: pip install pyvmomi") from exc
    password = resolve_secret(password_env)
    try:
        si = SmartConnect(
            host=host, user=user, pwd=password, port=port, disableSslCertValidation=not verify_tls
        )
    except Exception as exc:  # pyVmomi raises many types
        raise DataSourceError(scrub(f"cannot connect to vCenter {host}: {exc}")) from exc
    try:
        content = si.RetrieveContent()
        perf = content.perfManager
        ids = counter_ids(perf.perfCounter)
        wanted = {k for k, (m, _) in ids.items() if m in VCENTER_METRICS}
        view = content.viewManager.CreateContainerView(
            content.rootFolder, [vim.VirtualMachine], True
        )
        vms = [v for v in view.view if vm_names is None or v.name in vm_names]
        names = {v._moId: v.name for v in vms}
        specs = [
            vim.PerformanceManager.QuerySpec(
                entity=v,
                intervalId=interval_id,
                maxSample=max_samples,
                metricId=[
                    vim.PerformanceManager.MetricId(counterId=k, instance="*")
                    for k in sorted(wanted)
                ],
            )
            for v in vms
        ]
        results = perf.QueryPerf(querySpec=specs) if specs else []
        return perf_to_counters(results, perf.perfCounter, names, source=f"vcenter:{host}")
    except Exception as exc:
        raise DataSourceError(scrub(f"vCenter query failed on {host}: {exc}")) from exc
    finally:
        Disconnect(si)
