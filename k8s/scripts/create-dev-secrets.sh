#!/usr/bin/env bash
# Create the Secret taskboard-secrets for the dev overlay with fresh random values: the Django
# key, the passwords of the in-cluster PostgreSQL and Redis, and the URLs built from them. An
# existing Secret is kept (its passwords are already in the databases' volumes); pass --force
# to replace it, together with the StatefulSets' volumes.
#
#   k8s/scripts/create-dev-secrets.sh [--force]
set -euo pipefail

namespace="${NAMESPACE:-taskboard}"

if kubectl get secret taskboard-secrets --namespace "$namespace" >/dev/null 2>&1 && [ "${1:-}" != "--force" ]; then
  echo "taskboard-secrets exists in namespace $namespace; kept (--force replaces it)"
  exit 0
fi

kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"

python3 -c '
import base64, json, secrets, sys
postgres = secrets.token_hex(24)
redis = secrets.token_hex(24)
values = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "POSTGRES_PASSWORD": postgres,
    "REDIS_PASSWORD": redis,
    "DATABASE_URL": f"postgres://taskboard:{postgres}@postgres:5432/taskboard",
    "REDIS_URL": f"redis://:{redis}@redis:6379/0",
}
print(json.dumps({
    "apiVersion": "v1",
    "kind": "Secret",
    "type": "Opaque",
    "metadata": {"name": "taskboard-secrets", "namespace": sys.argv[1],
                 "labels": {"app.kubernetes.io/part-of": "taskboard"}},
    "data": {key: base64.b64encode(value.encode()).decode() for key, value in values.items()},
}))
' "$namespace" |
  kubectl apply -f -

echo "taskboard-secrets created in namespace $namespace"
