"""Run the containers of a rendered overlay as native processes, the way a kubelet would.

No Kubernetes API server exists on the machines that build this project, so the rendered
manifests are proven by doing what the kubelet does with them, with the same inputs:

- the command and args of each container, run from the image's working directory with the
  image's ENV (read from the runtime stage of services/api/Dockerfile);
- its environment from `envFrom` ConfigMaps, `env` values with `$(VAR)` expansion, a test
  Secret for `secretKeyRef`, and 127.0.0.1 for `status.podIP`;
- its volumes: emptyDirs and ConfigMaps as folders, a Secret's TLS pair made for the run.

Only addresses change: each containerPort is mapped to a free local port and 0.0.0.0 to
127.0.0.1 (in args, env values and rendered templates), Service names resolve to the mapped port
of the pod they select, and absolute paths under a mount resolve into the run's folder.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_helpers import ROOT

from harness import free_port

# The entrypoints of the images whose manifests give only args, as installed on this machine
# (Debian's packages of the same exporters: make stack-install).
IMAGE_ENTRYPOINTS = {
    "quay.io/prometheuscommunity/postgres-exporter": "prometheus-postgres-exporter",
    "oliver006/redis_exporter": "prometheus-redis-exporter",
    "nginx/nginx-prometheus-exporter": "prometheus-nginx-exporter",
}
IMAGE_WORKDIR = "/app/services/api"
IMAGE_ROOT = "/app"
IMAGE_VENV = "/opt/venv"
VENV = ROOT / ".venv"


def image_env() -> dict[str, str]:
    """The ENV of the runtime stage of the application image, with its paths made local."""
    dockerfile = (ROOT / "services" / "api" / "Dockerfile").read_text(encoding="utf-8")
    runtime = dockerfile.split(" AS runtime", 1)[1]
    block = re.search(r"^ENV (.*?)(?<!\\)\n", runtime, re.M | re.S)
    assert block, "no ENV in the runtime stage of services/api/Dockerfile"
    values = dict(re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", block.group(1).replace("\\\n", " ")))
    return {key: local_image_path(value) for key, value in values.items()}


def local_image_path(value: str) -> str:
    """A value naming the image's files, pointed at this checkout and its virtualenv."""
    return value.replace(IMAGE_VENV, str(VENV)).replace(IMAGE_ROOT + "/", str(ROOT) + "/")


@dataclass
class Pod:
    """One pod of a workload: its spec, the local folder of its volumes and its port map."""

    workload: dict[str, Any]
    base: Path
    ports: dict[int, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.workload["metadata"]["name"])

    @property
    def spec(self) -> dict[str, Any]:
        return self.workload["spec"]["template"]["spec"]  # type: ignore[no-any-return]

    @property
    def labels(self) -> dict[str, str]:
        return self.workload["spec"]["template"]["metadata"]["labels"]  # type: ignore[no-any-return]

    def containers(self, kind: str = "containers") -> list[dict[str, Any]]:
        return list(self.spec.get(kind, []))

    def container(self, name: str) -> dict[str, Any]:
        return next(
            c for c in self.containers() + self.containers("initContainers") if c["name"] == name
        )

    def port(self, container: dict[str, Any], port: int | str) -> int:
        """The local port of a container port given by number or name."""
        if isinstance(port, str):
            port = next(p["containerPort"] for p in container["ports"] if p["name"] == port)
        return self.ports[int(port)]


class Cluster:
    """The rendered objects of one overlay and the local stand-ins for what a cluster provides."""

    def __init__(self, docs: tuple[dict[str, Any], ...], base: Path, secret: dict[str, str]):
        self.docs = docs
        self.base = base
        self.secret = secret
        self.pods: dict[str, Pod] = {}
        for doc in docs:
            if doc["kind"] in {"Deployment", "Job", "StatefulSet"}:
                pod = Pod(doc, base / doc["metadata"]["name"])
                for container in pod.containers() + pod.containers("initContainers"):
                    for port in container.get("ports", []):
                        pod.ports.setdefault(port["containerPort"], free_port())
                self.pods[pod.name] = pod

    def objects(self, kind: str) -> dict[str, dict[str, Any]]:
        return {d["metadata"]["name"]: d for d in self.docs if d["kind"] == kind}

    def configmap(self, name: str) -> dict[str, str]:
        """A ConfigMap by the name the pod spec uses (generated names carry their hash)."""
        return self.objects("ConfigMap")[name]["data"]  # type: ignore[no-any-return]

    def service_address(self, host_port: str) -> str:
        """`service:port` as a local address: the mapped port of a pod the Service selects."""
        name, port = host_port.rsplit(":", 1)
        service = self.objects("Service")[name.split(".")[0]]
        service_port = next(p for p in service["spec"]["ports"] if p["port"] == int(port))
        selector = service["spec"]["selector"]
        pod = next(p for p in self.pods.values() if selector.items() <= p.labels.items())
        container = next(
            c
            for c in pod.containers()
            if any(
                p.get("name") == service_port["targetPort"]
                or p["containerPort"] == service_port["targetPort"]
                for p in c.get("ports", [])
            )
        )
        return f"127.0.0.1:{pod.port(container, service_port['targetPort'])}"

    # --- what the kubelet does --------------------------------------------------------------

    def mounts(self, pod: Pod, container: dict[str, Any]) -> dict[str, Path]:
        """Each mountPath of the container and the local path standing in for it.

        Mounts land at their own path under the pod's folder (`root/<mountPath>`), so that files
        which find each other by relative paths (nginx.conf's includes) still do.
        """
        volumes = {v["name"]: v for v in pod.spec.get("volumes", [])}
        found: dict[str, Path] = {}
        for mount in container.get("volumeMounts", []):
            volume = volumes[mount["name"]]
            local = pod.base / "root" / mount["mountPath"].lstrip("/")
            files: dict[str, str] = {}
            if "configMap" in volume:
                files = self.configmap(volume["configMap"]["name"])
            elif "secret" in volume:
                files = self.secret_files(volume["secret"]["secretName"])
            if "subPath" in mount:
                local.parent.mkdir(parents=True, exist_ok=True)
                local.write_text(files[mount["subPath"]], encoding="utf-8")
            else:
                local.mkdir(parents=True, exist_ok=True)
                local.chmod(0o777 if "emptyDir" in volume else 0o755)
                for key, value in files.items():
                    (local / key).write_text(value, encoding="utf-8")
            found[mount["mountPath"]] = local
        return found

    def secret_files(self, name: str) -> dict[str, str]:
        """A Secret volume: the TLS pair cert-manager would issue (made here), or test values."""
        if name in {c["spec"]["secretName"] for c in self.objects("Certificate").values()}:
            folder = self.base / "issued" / name
            if not (folder / "tls.crt").is_file():
                folder.mkdir(parents=True)
                subprocess.run(
                    ["openssl", "req", "-x509", "-newkey", "ec",
                     "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                     "-subj", "/CN=nginx.taskboard.svc",
                     "-keyout", str(folder / "tls.key"), "-out", str(folder / "tls.crt")],
                    check=True, capture_output=True, timeout=60,
                )  # fmt: skip
            return {key: (folder / key).read_text() for key in ("tls.crt", "tls.key")}
        return dict(self.secret)

    def localise(self, value: str, pod: Pod, mounts: dict[str, Path]) -> str:
        """Addresses and mounted paths in a value, as this machine has them."""
        service = re.fullmatch(r"([a-z0-9-]+)(\.[a-z0-9.-]+)?:(\d+)", value)
        if service and service[1] in self.objects("Service"):
            return self.service_address(value)
        value = value.replace("0.0.0.0", "127.0.0.1")
        for container_port, local_port in pod.ports.items():
            value = re.sub(rf"(?<![\d.]){container_port}(?!\d)", str(local_port), value)
        if mounts:
            # One pass, longest path first: a local path is never rewritten again. Nor is this
            # checkout (its virtualenv included), where image_env already pointed the image's
            # paths: a checkout under a mounted path such as /tmp stays where it is.
            alternatives = "|".join(re.escape(m) for m in sorted(mounts, key=len, reverse=True))
            checkout = str(ROOT) + "/"
            original = value

            def swap(match: re.Match[str]) -> str:
                if original.startswith(checkout, match.start()):
                    return match[0]
                return str(mounts[match[1]])

            value = re.sub(rf"(?<![\w/])({alternatives})(?=/|$|\W)", swap, value)
        return value

    def environment(
        self, pod: Pod, container: dict[str, Any], mounts: dict[str, Path]
    ) -> dict[str, str]:
        env: dict[str, str] = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin", "LANG": "C.UTF-8"}
        if container["image"].rsplit("/", 1)[-1].split(":")[0] == "taskboard":
            # The application image's ENV, expanding $PATH as Docker does at build time.
            env.update({k: v.replace("$PATH", env["PATH"]) for k, v in image_env().items()})
        for source in container.get("envFrom", []):
            env.update(self.configmap(source["configMapRef"]["name"]))
        for item in container.get("env", []):
            if "value" in item:
                # $(VAR) expands variables defined before it, as the kubelet does.
                value = re.sub(
                    r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m[1], m[0]), item["value"]
                )
            elif "secretKeyRef" in item["valueFrom"]:
                value = self.secret[item["valueFrom"]["secretKeyRef"]["key"]]
            elif "configMapKeyRef" in item["valueFrom"]:
                ref = item["valueFrom"]["configMapKeyRef"]
                data = self.configmap(ref["name"])
                if ref["key"] not in data and ref.get("optional"):
                    continue
                value = data[ref["key"]]
            elif item["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP":
                value = "127.0.0.1"
            else:
                raise AssertionError(f"{pod.name}: no stand-in for {item}")
            env[item["name"]] = value
        local = {key: self.localise(value, pod, mounts) for key, value in env.items()}
        return local | {"HOME": str(pod.base)}

    def command(self, pod: Pod, container: dict[str, Any], mounts: dict[str, Path]) -> list[str]:
        argv = list(container.get("command", [])) + list(container.get("args", []))
        return [self.localise(arg, pod, mounts) for arg in argv]

    def render_templates(self, env: dict[str, str], mounts: dict[str, Path]) -> None:
        """What the nginx image's entrypoint does before nginx starts: templates/*.template into
        conf.d/, substituting only the defined variables that NGINX_ENVSUBST_FILTER matches."""
        pattern = re.compile(env.get("NGINX_ENVSUBST_FILTER", ""))
        names = {name for name in env if pattern.search(name)}
        for template in sorted(mounts["/etc/nginx/templates"].glob("*.template")):
            text = re.sub(
                r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                lambda m: env[m[1]] if m[1] in names else m[0],
                template.read_text(encoding="utf-8"),
            )
            (mounts["/etc/nginx/conf.d"] / template.name.removesuffix(".template")).write_text(text)

    def start(self, pod: Pod, name: str, *, env_override: dict[str, str] | None = None) -> Process:
        container = pod.container(name)
        mounts = self.mounts(pod, container)
        env = self.environment(pod, container, mounts) | (env_override or {})
        argv = self.command(pod, container, mounts)
        if "command" not in container and (not argv or argv[0].startswith("-")):
            # The image's entrypoint: the exporters' own binaries, Debian's builds here.
            argv = [IMAGE_ENTRYPOINTS[container["image"].rsplit(":", 1)[0]], *argv]
        if argv[0] == "nginx":
            # The image's /etc/nginx is the pod's root/etc/nginx here; mime.types is the image's.
            self.render_templates(env, mounts)
            conf = mounts["/etc/nginx/nginx.conf"]
            (conf.parent / "mime.types").write_text(Path("/etc/nginx/mime.types").read_text())
            argv += ["-c", str(conf), "-e", "stderr"]
        pod.base.mkdir(parents=True, exist_ok=True)
        log = pod.base / f"{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            argv,
            cwd=ROOT / "services" / "api",
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        return Process(pod, container, process, log)


@dataclass
class Process:
    pod: Pod
    container: dict[str, Any]
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"{self.pod.name}/{self.container['name']} ran over {timeout} s:\n{self.output()}"
            ) from None

    def stop(self) -> None:
        if self.popen.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, 15)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, 9)
                self.popen.wait(timeout=5)

    def probe(self, kind: str, deadline: float) -> tuple[int, str]:
        """Answer the container's httpGet probe as the kubelet asks it (Host: the pod's IP)."""
        get = self.container[kind]["httpGet"]
        port = self.pod.port(self.container, get["port"])
        return http_get(f"http://127.0.0.1:{port}{get['path']}", deadline=deadline, process=self)


def http_get(
    url: str,
    *,
    deadline: float,
    headers: dict[str, str] | None = None,
    process: Process | None = None,
    context: ssl.SSLContext | None = None,
) -> tuple[int, str]:
    """GET until something answers (any status) or the deadline passes; (status, body)."""
    assert url.startswith(("http://", "https://")), url
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - checked above
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise AssertionError(
                f"{process.pod.name}/{process.container['name']} exited:\n{process.output()}"
            )
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as answer:  # noqa: S310
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last = error
            time.sleep(0.2)
    raise AssertionError(
        f"{url} did not answer: {last}" + (f"\n{process.output()}" if process else "")
    )
