#!/usr/bin/env bash
# Deploy an overlay: secrets first, then the migration Job of this release, then everything else,
# waiting until the migration has completed and every Deployment has rolled out.
#
#   k8s/scripts/deploy.sh prod taskboard/prod/app    secrets synced from AWS Secrets Manager
#   k8s/scripts/deploy.sh dev                        secrets created once with random values
#
# Needs: kubectl pointed at the cluster (and aws for prod). Application pods wait in their
# wait-for-migrations init container until the Job has migrated the schema, so the order below
# is for the report, not for correctness.
set -euo pipefail

overlay="${1:?usage: $0 dev|prod [SECRET_NAME]}"
repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
namespace="${NAMESPACE:-taskboard}"

case "$overlay" in
  prod) "$repo_root/k8s/scripts/sync-secrets.sh" "${2:?prod needs the secret name (terraform output app_secret_name)}" ;;
  dev) "$repo_root/k8s/scripts/create-dev-secrets.sh" ;;
  *) echo "unknown overlay: $overlay" >&2; exit 2 ;;
esac

# The nginx and Prometheus rule copies kustomize reads must match their sources.
python3 "$repo_root/k8s/scripts/sync-config.py" --check

rendered="$(mktemp)"
trap 'rm -f "$rendered"' EXIT
kubectl kustomize "$repo_root/k8s/overlays/$overlay" > "$rendered"

# A Job's pod template is immutable: the previous release's Job goes before this one is applied.
kubectl delete job migrate --namespace "$namespace" --ignore-not-found --wait=true
kubectl apply --server-side --field-manager=taskboard-deploy -f "$rendered"

kubectl wait job/migrate --namespace "$namespace" --for=condition=complete --timeout=15m
for deployment in api realtime relay flusher nginx; do
  kubectl rollout status "deployment/$deployment" --namespace "$namespace" --timeout=10m
done
echo "deployed k8s/overlays/$overlay"
