"""k8s/scripts/deploy.sh against a stand-in kubectl that records its calls.

The script must hand an existing replicas field to the HPA's side before the server-side apply
(else a scaled Deployment drops to 1), wait for a running migrate Job rather than delete it, and
wait for every rollout.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess

import yaml
from infra_helpers import ROOT, kubectl

FAKE_KUBECTL = r"""#!/usr/bin/env bash
# Records every call; answers like a cluster where the dev Secret exists, api runs 7 replicas
# (scaled by its HPA), the other Deployments 2, and no migrate Job is left.
printf '%s\n' "$*" >> "$CALLS"
case "$1 $2" in
  "kustomize "*) exec "$REAL_KUBECTL" "$@" ;;
  "get secret"|"get namespace") exit 0 ;;
  "get job") exit 1 ;;
  "get deployment")
    if [ "$3" = api ]; then echo 7; else echo 2; fi ;;
  "apply --server-side")
    out="$APPLIED.$(echo "$*" | grep -o 'field-manager=[a-z-]*' | cut -d= -f2).$RANDOM"
    all="$*"; file="${all##* -f }"
    if [ "$file" = - ]; then cat > "$out"; else cp "$file" "$out"; fi ;;
  *) exit 0 ;;
esac
"""


def test_deploy_hands_replicas_to_the_hpa_then_applies_and_waits(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kubectl"
    fake.write_text(FAKE_KUBECTL)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    calls, applied = tmp_path / "calls", tmp_path / "applied"
    env = os.environ | {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(calls),
        "APPLIED": str(applied),
        "REAL_KUBECTL": kubectl(),
    }
    result = subprocess.run(
        ["bash", str(ROOT / "k8s" / "scripts" / "deploy.sh"), "dev"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    log = calls.read_text().splitlines()

    # Given api at 7 replicas, the hand-over applies exactly that under its own manager ...
    handovers = sorted(tmp_path.glob("applied.handover-to-hpa.*"))
    replicas = {
        json.loads(p.read_text())["metadata"]["name"]: json.loads(p.read_text())["spec"]["replicas"]
        for p in handovers
    }
    assert replicas == {"api": 7, "realtime": 2, "nginx": 2}
    # ... before the platform is applied, server-side, with no replicas of its own
    first_main = next(i for i, c in enumerate(log) if "field-manager=taskboard-deploy" in c)
    assert all(i < first_main for i, c in enumerate(log) if "field-manager=handover-to-hpa" in c)
    (main,) = tmp_path.glob("applied.taskboard-deploy.*")
    assert "kind: HorizontalPodAutoscaler" in main.read_text()
    # No Job is deleted, and every rollout is awaited.
    assert not any(c.startswith("delete") for c in log)
    rollouts = [c.split()[2] for c in log if c.startswith("rollout status")]
    assert rollouts == [f"deployment/{d}" for d in ("api", "realtime", "relay", "flusher", "nginx")]


def test_the_rendered_deployments_carry_no_replicas_for_the_hpa_to_fight():
    result = subprocess.run(
        [kubectl(), "kustomize", str(ROOT / "k8s" / "overlays" / "prod")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    scaled = {
        d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"
    }
    for doc in docs:
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] in scaled:
            assert "replicas" not in doc["spec"], doc["metadata"]["name"]
    assert scaled == {"api", "realtime", "nginx"}
