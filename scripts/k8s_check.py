"""Checks the rendered Kubernetes base (scripts/test-k8s) against what confab actually does.

Usage: CONFAB_BIN=<release binary> python k8s_check.py rendered.yaml

Starts the release binary with the ConfigMap's settings (port changed to a free one) and asks
the probe paths on it; reads the image's user and the contract's default bind port from the
repository. Prints one line per check; exits 1 on the first failure.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
passed = 0


def check(ok, what):
    global passed
    if not ok:
        print(f"test-k8s: FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    passed += 1
    print(f"test-k8s: ok: {what}", file=sys.stderr)


def seconds(text):
    """`20s`, `1m`, `500ms` (humantime's common forms) as seconds."""
    m = re.fullmatch(r"(\d+)(ms|s|m)", str(text).strip())
    if not m:
        raise ValueError(f"cannot read duration {text!r}")
    n, unit = int(m.group(1)), m.group(2)
    return {"ms": n / 1000, "s": n, "m": 60 * n}[unit]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def main(path):
    docs = [d for d in yaml.safe_load_all(Path(path).read_text()) if d]
    by_kind = {d["kind"]: d for d in docs}
    check(
        sorted(by_kind) == sorted(["ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"]),
        f"the base renders a ConfigMap, Deployment, Service, PDB and HPA (got {sorted(by_kind)})",
    )
    config = by_kind["ConfigMap"]["data"]
    deployment = by_kind["Deployment"]
    pod = deployment["spec"]["template"]
    spec = pod["spec"]
    (container,) = [c for c in spec["containers"] if c["name"] == "confab"]

    # Port: the ConfigMap's bind is confab's default, and the named port is that port.
    contract = (ROOT / "docs/contract.md").read_text()
    default_bind = re.search(r"`CONFAB_BIND` \(default `([^`]+)`\)", contract).group(1)
    bind = config.get("CONFAB_BIND", default_bind)
    bind_port = int(bind.rsplit(":", 1)[1])
    check(bind_port == int(default_bind.rsplit(":", 1)[1]), f"CONFAB_BIND {bind} keeps confab's default port ({default_bind})")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    check(ports.get("http") == bind_port, f"container port 'http' is {ports.get('http')}, the bind port {bind_port}")

    def port_of(ref):
        return ports.get(ref) if isinstance(ref, str) else ref

    probes = {kind: container[kind]["httpGet"] for kind in ("readinessProbe", "livenessProbe", "startupProbe")}
    check(probes["readinessProbe"]["path"] == "/readyz", "readiness asks /readyz")
    check(probes["livenessProbe"]["path"] == "/healthz", "liveness asks /healthz")
    for kind, get in probes.items():
        check(port_of(get["port"]) == bind_port, f"{kind} goes to port {get['port']} = {bind_port}")
    service_port = by_kind["Service"]["spec"]["ports"][0]
    check(port_of(service_port["targetPort"]) == bind_port, f"the Service targets port {service_port['targetPort']} = {bind_port}")

    # The probe paths, asked on a real confab started with the ConfigMap's settings.
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFAB_")}
        env.update({k: str(v) for k, v in config.items()})
        env.update(CONFAB_BIND=f"127.0.0.1:{port}", CONFAB_DATA_DIR=data, CONFAB_LOG_FORMAT="json", RUST_LOG="warn")
        node = subprocess.Popen([os.environ["CONFAB_BIN"], "serve"], env=env, cwd=data)
        try:
            deadline = time.time() + 30
            while time.time() < deadline and status(f"http://127.0.0.1:{port}/healthz") != 200:
                if node.poll() is not None:
                    check(False, f"confab exited ({node.returncode}) with the ConfigMap's settings")
                time.sleep(0.1)
            for kind, get in probes.items():
                code = status(f"http://127.0.0.1:{port}{get['path']}")
                check(code == 200, f"{kind} {get['path']} answers {code} on a running confab")
        finally:
            node.terminate()
            node.wait(timeout=30)

    # Shutdown: the grace period outlasts the preStop pause plus confab's drain.
    shutdown = seconds(config.get("CONFAB_SHUTDOWN_TIMEOUT", "20s"))
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pause = float(pre_stop[1]) if pre_stop[:1] == ["sleep"] else 0
    grace = spec["terminationGracePeriodSeconds"]
    check(grace > shutdown + pause, f"terminationGracePeriodSeconds {grace} > shutdown {shutdown}s + preStop {pause}s")

    # Selectors pick the pods.
    labels = pod["metadata"]["labels"]
    picks = lambda selector: selector and all(labels.get(k) == v for k, v in selector.items())  # noqa: E731
    check(picks(deployment["spec"]["selector"]["matchLabels"]), "the Deployment's selector matches its pods")
    check(picks(by_kind["Service"]["spec"]["selector"]), "the Service selects the pods")
    check(picks(by_kind["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]), "the PDB selects the pods (and only them)")
    pdb = by_kind["PodDisruptionBudget"]["spec"]
    hpa = by_kind["HorizontalPodAutoscaler"]["spec"]
    check(hpa["scaleTargetRef"]["kind"] == "Deployment" and hpa["scaleTargetRef"]["name"] == deployment["metadata"]["name"], "the HPA scales the Deployment")
    check(hpa["minReplicas"] >= 2 and pdb.get("maxUnavailable") == 1, "at least 2 replicas, and drains take one at a time")
    check(container["resources"]["requests"].get("cpu"), "a CPU request (the HPA's utilisation needs one)")

    # Security: the image's user, non-root, nothing to escalate, and a writable data dir.
    dockerfile = (ROOT / "docker/Dockerfile").read_text()
    uid = int(re.search(r"^USER (\d+)", dockerfile, re.M).group(1))
    security = spec["securityContext"]
    check(security.get("runAsNonRoot") is True and security.get("runAsUser") == uid, f"runs as non-root uid {uid}, the image's USER")
    csec = container["securityContext"]
    check(csec.get("allowPrivilegeEscalation") is False and csec.get("capabilities", {}).get("drop") == ["ALL"], "no privilege escalation, all capabilities dropped")
    if csec.get("readOnlyRootFilesystem"):
        mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
        data_dir = config.get("CONFAB_DATA_DIR", "./data")
        check(data_dir in mounts, f"the root filesystem is read-only and the data dir {data_dir} is a volume")
    refs = [e.get("configMapRef", {}).get("name") for e in container.get("envFrom", [])]
    check(by_kind["ConfigMap"]["metadata"]["name"] in refs, "the pods read the ConfigMap")
    print(f"test-k8s: {passed} passed, 0 failed", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
