#!/usr/bin/env bash
# Copy the application secret from AWS Secrets Manager into the Kubernetes Secret
# taskboard-secrets (namespace taskboard), creating or updating it. The values travel through a
# pipe only: never a file, an argument or the shell's trace.
#
#   k8s/scripts/sync-secrets.sh taskboard/prod/app
#
# Needs: aws (credentials allowed by the secret's read policy), kubectl pointed at the cluster,
# python3.
set -euo pipefail

secret_id="${1:?usage: $0 SECRET_NAME (terraform output app_secret_name)}"
namespace="${NAMESPACE:-taskboard}"

kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"

aws secretsmanager get-secret-value --secret-id "$secret_id" --query SecretString --output text |
  python3 -c '
import base64, json, sys
values = json.load(sys.stdin)
required = ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL")
missing = [key for key in required if not values.get(key)]
if missing:
    sys.exit("secret lacks " + ", ".join(missing))
print(json.dumps({
    "apiVersion": "v1",
    "kind": "Secret",
    "type": "Opaque",
    "metadata": {"name": "taskboard-secrets", "namespace": sys.argv[1],
                 "labels": {"app.kubernetes.io/part-of": "taskboard"}},
    "data": {key: base64.b64encode(values[key].encode()).decode() for key in required},
}))
' "$namespace" |
  kubectl apply -f -

echo "taskboard-secrets in namespace $namespace synced from $secret_id"
