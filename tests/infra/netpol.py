"""NetworkPolicy semantics (networking.k8s.io/v1), enough to compute who may reach whom.

A connection from pod A to port P of pod B is allowed when both sides allow it: A's egress (no
Egress policy selects A, or one of those that do has a rule whose peer matches B and whose ports
include P) and B's ingress (the same, from the other side). Policies add up; a selecting policy
with no rules denies. Selectors support matchLabels and the four matchExpressions operators;
ports are numbers or names of the destination's container ports, with endPort ranges.

Written here rather than taken from a library: no maintained Python package evaluates
NetworkPolicies offline (the CNI plugins that do are Go programs running in a cluster).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Endpoint:
    """A pod: where it lives, its labels, its named container ports; `ip` for ipBlock peers."""

    name: str
    namespace: str
    labels: tuple[tuple[str, str], ...]
    ports: tuple[tuple[str, int], ...] = ()
    ip: str = ""

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def endpoint(
    name: str,
    namespace: str,
    labels: dict[str, str],
    ports: dict[str, int] | None = None,
    ip: str = "",
) -> Endpoint:
    return Endpoint(
        name, namespace, tuple(sorted(labels.items())), tuple(sorted((ports or {}).items())), ip
    )


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = (
            expression["key"],
            expression["operator"],
            expression.get("values", []),
        )
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


@dataclass
class Cluster:
    policies: list[dict[str, Any]]
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)

    def namespace_labels(self, name: str) -> dict[str, str]:
        # Every namespace carries kubernetes.io/metadata.name (set by the API server).
        return {"kubernetes.io/metadata.name": name, **self.namespaces.get(name, {})}

    def peer_matches(self, peer: dict[str, Any], policy_namespace: str, other: Endpoint) -> bool:
        if "ipBlock" in peer:
            if not other.ip:
                return False
            address = ipaddress.ip_address(other.ip)
            block = peer["ipBlock"]
            return address in ipaddress.ip_network(block["cidr"]) and not any(
                address in ipaddress.ip_network(e) for e in block.get("except", [])
            )
        if "namespaceSelector" in peer:
            if not selects(peer["namespaceSelector"], self.namespace_labels(other.namespace)):
                return False
        elif other.namespace != policy_namespace:
            return False
        return "podSelector" not in peer or selects(peer["podSelector"], other.label_map)

    @staticmethod
    def port_matches(rule: dict[str, Any], target: Endpoint, port: int) -> bool:
        if not rule.get("ports"):
            return True
        for entry in rule["ports"]:
            if entry.get("protocol", "TCP") != "TCP":
                continue
            wanted = entry.get("port")
            if wanted is None:
                return True
            if isinstance(wanted, str):
                wanted = dict(target.ports).get(wanted)
                if wanted is None:
                    continue
            if wanted <= port <= entry.get("endPort", wanted):
                return True
        return False

    def side_allows(
        self, direction: str, subject: Endpoint, other: Endpoint, target: Endpoint, port: int
    ) -> bool:
        kind = "Ingress" if direction == "ingress" else "Egress"
        peers_key = "from" if direction == "ingress" else "to"
        selecting = [
            p
            for p in self.policies
            if p["metadata"].get("namespace") == subject.namespace
            and kind in p["spec"].get("policyTypes", ["Ingress"])
            and selects(p["spec"]["podSelector"], subject.label_map)
        ]
        if not selecting:
            return True
        return any(
            self.port_matches(rule, target, port)
            and (
                peers_key not in rule
                or any(
                    self.peer_matches(peer, p["metadata"]["namespace"], other)
                    for peer in rule[peers_key]
                )
            )
            for p in selecting
            for rule in p["spec"].get(direction, [])
        )

    def allows(self, source: Endpoint, target: Endpoint, port: int) -> bool:
        return self.side_allows("egress", source, target, target, port) and self.side_allows(
            "ingress", target, source, target, port
        )
