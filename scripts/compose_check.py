"""Checks docker/compose.yml for what running it needs (scripts/test-image calls this; no
registry is reachable here, so the stack itself cannot be pulled and started):

- every long-running service has a healthcheck (one-shot jobs, which others wait on with
  `service_completed_successfully`, excepted), and the nodes' is `confab healthcheck`;
- nodes get a stop grace period longer than confab's shutdown timeout;
- no image from MinIO's withdrawn repositories;
- the files it mounts exist, and the nginx config it mounts streams uploads and is not ip_hash.

Usage: python compose_check.py docker/compose.yml
"""

import re
import sys
from pathlib import Path

import yaml

passed = 0


def check(ok, what):
    global passed
    if not ok:
        print(f"compose-check: FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    passed += 1


def seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m)", str(text).strip())
    if not m:
        raise ValueError(f"cannot read duration {text!r}")
    n, unit = int(m.group(1)), m.group(2)
    return {"ms": n / 1000, "s": n, "m": 60 * n}[unit]


def main(path):
    compose_file = Path(path)
    here = compose_file.parent
    root = here.parent
    services = yaml.safe_load(compose_file.read_text())["services"]
    one_shot = {
        name
        for svc in services.values()
        for name, cond in (svc.get("depends_on") or {}).items()
        if isinstance(cond, dict) and cond.get("condition") == "service_completed_successfully"
    }
    ops = (root / "docs/operations.md").read_text()
    default_timeout = re.search(r"`CONFAB_SHUTDOWN_TIMEOUT` \| `([^`]+)`", ops).group(1)
    nodes = [n for n, s in services.items() if "build" in s or str(s.get("image", "")).startswith("confab")]
    check(len(nodes) >= 2, f"at least two confab nodes (got {nodes})")
    for name, svc in services.items():
        image = str(svc.get("image", ""))
        check(not image.startswith("minio/"), f"{name}: {image} is one of MinIO's withdrawn images")
        if name not in one_shot:
            test = (svc.get("healthcheck") or {}).get("test")
            check(bool(test), f"{name} has a healthcheck")
        for volume in svc.get("volumes") or []:
            source = str(volume).split(":")[0]
            if source.startswith("."):
                check((here / source).exists(), f"{name} mounts {source}, which exists")
    for name in nodes:
        svc = services[name]
        check("confab" in " ".join(svc["healthcheck"]["test"]) and "healthcheck" in svc["healthcheck"]["test"],
              f"{name}'s healthcheck is `confab healthcheck`")
        timeout = seconds((svc.get("environment") or {}).get("CONFAB_SHUTDOWN_TIMEOUT", default_timeout))
        grace = seconds(svc.get("stop_grace_period", "10s"))
        check(grace > timeout, f"{name}: stop_grace_period {grace}s > shutdown timeout {timeout}s")
    nginx = [s for s in services.values() if str(s.get("image", "")).startswith("nginx")]
    check(len(nginx) == 1, "one nginx in front")
    conf_path = next(str(v).split(":")[0] for v in nginx[0]["volumes"] if "nginx.conf" in str(v))
    conf = re.sub(r"#.*", "", (here / conf_path).read_text())
    check("proxy_request_buffering off" in conf, "nginx streams request bodies (proxy_request_buffering off)")
    check("ip_hash" not in conf, "nginx does not pin whole addresses to one node (no ip_hash)")
    for name in nodes:
        check(f"{name}:3000" in conf, f"nginx balances over {name}:3000")
    print(f"compose-check: {passed} passed, 0 failed", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
