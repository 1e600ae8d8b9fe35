#!/usr/bin/env bash
# Deploy an overlay: secrets first, then the overlay (with the migration Job of this release),
# waiting until every Deployment has rolled out on the migrated schema.
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

# The HPAs own the replica counts; the manifests carry none. A Deployment that an earlier
# release applied with spec.replicas has that field owned by this field manager, and server-side
# apply would reset it to 1 when the manifest drops it. Hand it to a second manager first (the
# ownership transfer of the Kubernetes documentation): harmless once done, so it runs every time.
for deployment in api realtime nginx; do
  replicas="$(kubectl get deployment "$deployment" --namespace "$namespace" \
    --output jsonpath='{.spec.replicas}' --ignore-not-found)"
  [ -n "$replicas" ] || continue
  printf '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%s","namespace":"%s"},"spec":{"replicas":%s}}' \
    "$deployment" "$namespace" "$replicas" |
    kubectl apply --server-side --field-manager=handover-to-hpa --validate=false -f - >/dev/null
done

# The migrate Job deletes itself once finished (ttlSecondsAfterFinished: 0), so applying creates
# it anew. One still running from an earlier apply is let finish, never cut short.
if kubectl get job migrate --namespace "$namespace" >/dev/null 2>&1; then
  kubectl wait job/migrate --namespace "$namespace" --for=delete --timeout=15m
fi
kubectl apply --server-side --field-manager=taskboard-deploy -f "$rendered"

# The migration's output, live; the Job is gone once it finishes, so its completion is proven by
# the rollouts below (each new pod starts only once `migrate --check` passes).
kubectl logs job/migrate --namespace "$namespace" --follow --pod-running-timeout=5m || true
for deployment in api realtime relay flusher nginx; do
  kubectl rollout status "deployment/$deployment" --namespace "$namespace" --timeout=15m
done
echo "deployed k8s/overlays/$overlay"
